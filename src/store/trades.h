// Closed trades read back for per-user statistics (docs/xp.md "Stats"): every fire in status
// "closed" with its mission and the time its close result was received, oldest close first. The
// core loads them once at startup and then counts each new close as it commits. Reads take any
// connection; errors name the file. Same thread rules as the connection used.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "missions/types.h"
#include "store/db.h"

namespace bitten::store {

struct ClosedTrade {
  missions::Fire fire;
  missions::Mission mission;
  TimeMs closed_at = 0;  // receipt of the close result (fired_at when no result row is found)
};

Result<std::vector<ClosedTrade>> ListClosedTrades(const Database& db);

// The closed trades as SQL rows (user_id, profit, closed_at, fire_id), one per closed fire, not
// ordered: the one definition of a trade's close time, for ListClosedTrades and the console's
// charts. `and_where` narrows the fires (e.g. "AND f.user_id = ?1"). Each closed fire finds its
// close result through the index results_close, not a scan of every result.
std::string ClosedTradesSql(std::string_view and_where = "");

}  // namespace bitten::store
