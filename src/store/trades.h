// Closed trades read back for per-user statistics (docs/xp.md "Stats"): every fire in status
// "closed" with its mission and the time its close result was received, oldest close first. The
// core loads them once at startup and then counts each new close as it commits. Reads take any
// connection; errors name the file. Same thread rules as the connection used.
#pragma once

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

// The query behind ListClosedTrades (fire_id, closed_at), for its plan to be checked: each closed
// fire finds its close result through the index results_close, not a scan of every result.
extern const char* const kClosedTradesQuery;

}  // namespace bitten::store
