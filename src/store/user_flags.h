// Per-user trader rules state in the store (docs/rules.md): the pause and kill flags of the users
// table (schema 2), and the store-side count of a user's fires in a time window that the fire path
// checks inside its transaction, so the daily fire limit holds even against fires the core has
// not adopted yet. Writes take a Txn, reads any connection; errors name the file ("user_not_found"
// when an update names no user). Same thread rules as the connection used.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

struct UserFlags {
  bool paused = false;
  bool killed = false;
};

Status SetUserPaused(Txn& txn, std::string_view user_id, bool paused);
Status SetUserKilled(Txn& txn, std::string_view user_id, bool killed);
// nullopt when there is no such user.
Result<std::optional<UserFlags>> GetUserFlags(const Database& db, std::string_view user_id);
// Every user's flags, by user_id.
Result<std::map<std::string, UserFlags>> ListUserFlags(const Database& db);

// Fires of `user_id` with fired_at in [from, to).
Result<int> CountUserFires(const Database& db, std::string_view user_id, TimeMs from, TimeMs to);

// The same two reads inside a work, through the writer's cached statements (Txn::Cached): the
// fire path runs them once per fire.
Result<std::optional<UserFlags>> GetUserFlags(Txn& txn, std::string_view user_id);
Result<int> CountUserFires(Txn& txn, std::string_view user_id, TimeMs from, TimeMs to);

}  // namespace bitten::store
