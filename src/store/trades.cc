#include "store/trades.h"

#include <string>
#include <utility>

#include "store/fires.h"
#include "store/missions.h"
#include "store/statement.h"

namespace bitten::store {

Result<std::vector<ClosedTrade>> ListClosedTrades(const Database& db) {
  using Row = std::pair<std::string, TimeMs>;
  auto rows = QueryRows<Row>(
      db.handle(),
      "SELECT f.fire_id, COALESCE(MIN(r.received_at), f.fired_at) AS closed_at FROM fires f "
      "LEFT JOIN results r ON r.fire_id = f.fire_id AND r.type = 'close' "
      "WHERE f.status = 'closed' GROUP BY f.fire_id ORDER BY closed_at, f.fire_id",
      [](Statement&) {},
      [](const Statement& st) -> Result<Row> {
        return Row{st.Text(0), st.Int(1)};
      });
  if (!rows) return tl::unexpected(rows.error());
  std::vector<ClosedTrade> out;
  out.reserve(rows->size());
  for (const auto& [fire_id, closed_at] : *rows) {
    auto fire = GetFire(db, fire_id);
    if (!fire) return tl::unexpected(fire.error());
    if (!*fire) continue;
    auto mission = GetMission(db, (*fire)->mission_id);
    if (!mission) return tl::unexpected(mission.error());
    if (!*mission) {
      return Fail("store_corrupt",
                  db.path().string() + ": fire " + fire_id + " names no stored mission");
    }
    out.push_back(ClosedTrade{std::move(**fire), std::move(**mission), closed_at});
  }
  return out;
}

}  // namespace bitten::store
