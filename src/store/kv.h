// Small durable key-value settings in the store (table kv): result-journal read positions, the
// Telegram update offset, engine pause flags. Values are text; the owner of a key decides its
// format. Writes take a Txn (so a position moves in the same transaction as the work it records),
// reads any connection; errors name the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

Result<std::optional<std::string>> KvGet(const Database& db, std::string_view key);
// Inserts or replaces.
// The same read inside a writer work, through its cached statement.
Result<std::optional<std::string>> KvGet(Txn& txn, std::string_view key);
Status KvSet(Txn& txn, std::string_view key, std::string_view value);

}  // namespace bitten::store
