// Users in the store (table users). Writes run inside a Writer work (Txn&); reads take any
// connection to the file (a reader's read-only one, or txn.db() inside a work). Errors:
// "user_not_found" when an update names no user, "store_conflict" when a user id or telegram id is
// already taken, "store_sql" for anything else, each naming the file. A telegram_id of 0 means "not
// linked" and is stored as NULL; an empty terminal_id means "none". Same thread rules as the
// connection used.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

Status InsertUser(Txn& txn, const missions::User& user);
Result<std::optional<missions::User>> GetUser(const Database& db, std::string_view user_id);
// The same read inside a writer work, through its cached statement.
Result<std::optional<missions::User>> GetUser(Txn& txn, std::string_view user_id);
Result<std::optional<missions::User>> GetUserByTelegramId(const Database& db,
                                                          std::int64_t telegram_id);
// Every user, oldest first.
Result<std::vector<missions::User>> ListUsers(const Database& db);
Status SetUserTier(Txn& txn, std::string_view user_id, missions::Tier tier);
// 0 unlinks. Linking a telegram id another user has fails with "store_conflict".
Status SetUserTelegramId(Txn& txn, std::string_view user_id, std::int64_t telegram_id);
// "" detaches the user from any terminal.
Status SetUserTerminal(Txn& txn, std::string_view user_id, std::string_view terminal_id);
Status AddUserXp(Txn& txn, std::string_view user_id, std::int64_t delta);

}  // namespace bitten::store
