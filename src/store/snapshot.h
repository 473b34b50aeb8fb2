// ReadSnapshot: a read transaction on one connection, so that every statement run on it between
// construction and destruction sees one WAL snapshot (rows and the journal head agree while the
// writer appends). Nesting-safe: inside a transaction already open on that connection it does
// nothing, and the outer transaction's snapshot applies. Not thread-safe; one per connection user.
#pragma once

#include "base/error.h"
#include "store/db.h"

namespace bitten::store {

class ReadSnapshot {
 public:
  explicit ReadSnapshot(const Database& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

  // Fails with "store_sql" naming the file when the transaction could not begin.
  Status status() const;

 private:
  const Database& db_;
  bool began_ = false;
  bool failed_ = false;
};

}  // namespace bitten::store
