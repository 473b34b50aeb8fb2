// The XP ledger in the store (table xp_ledger, docs/xp.md). One row per (user, fire, reason): the
// primary key makes awarding idempotent, so a result processed twice (file and HTTP, or a replay
// after a crash) never pays twice. AwardXp adds the points to users.xp in the same transaction
// only when the row is new. Writes take a Txn, reads any connection; errors name the file. Same
// thread rules as the connection used.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

struct XpEntry {
  std::string user_id;
  std::string fire_id;
  std::string reason;  // docs/xp.md: "fire_executed", "win", "loss_at_stop", "streak_3", ...
  std::int64_t points = 0;
  TimeMs at = 0;
};

// true when the entry was new (and users.xp grew by its points), false when the ledger already
// held (user, fire, reason): nothing changes. "user_not_found" when the user does not exist.
Result<bool> AwardXp(Txn& txn, const XpEntry& entry);
// The user's ledger, newest first, at most `limit` rows.
Result<std::vector<XpEntry>> ListXp(const Database& db, std::string_view user_id, int limit);

}  // namespace bitten::store
