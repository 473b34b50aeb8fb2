#include "store/snapshot.h"

#include <sqlite3.h>

#include <string>

namespace bitten::store {

ReadSnapshot::ReadSnapshot(const Database& db) : db_(db) {
  if (sqlite3_get_autocommit(db_.handle()) == 0) return;  // already inside a transaction
  began_ = sqlite3_exec(db_.handle(), "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
  failed_ = !began_;
}

ReadSnapshot::~ReadSnapshot() {
  if (began_) sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

Status ReadSnapshot::status() const {
  if (!failed_) return Ok();
  return Fail("store_sql", db_.path().string() + ": cannot begin a read transaction: " +
                               sqlite3_errmsg(db_.handle()));
}

}  // namespace bitten::store
