#include "store/xp.h"

#include "store/statement.h"
#include "store/users.h"

namespace bitten::store {

Result<bool> AwardXp(Txn& txn, const XpEntry& entry) {
  auto cached = txn.Cached(
      "INSERT INTO xp_ledger(user_id, fire_id, reason, points, at) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(user_id, fire_id, reason) DO NOTHING");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;  // the writer's prepared statement (Txn::Cached)
  st->Bind(1, entry.user_id)
      .Bind(2, entry.fire_id)
      .Bind(3, entry.reason)
      .Bind(4, entry.points)
      .Bind(5, entry.at);
  if (auto s = st->Run(); !s) return tl::unexpected(s.error());
  if (st->changes() == 0) return false;
  if (Status s = AddUserXp(txn, entry.user_id, entry.points); !s) return tl::unexpected(s.error());
  return true;
}

Result<std::vector<XpEntry>> ListXp(const Database& db, std::string_view user_id, int limit) {
  return QueryRows<XpEntry>(
      db.handle(),
      "SELECT user_id, fire_id, reason, points, at FROM xp_ledger WHERE user_id = ?1 "
      "ORDER BY at DESC, reason LIMIT ?2",
      [&](Statement& st) { st.Bind(1, user_id).Bind(2, limit); },
      [](const Statement& st) -> Result<XpEntry> {
        return XpEntry{st.Text(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4)};
      });
}

}  // namespace bitten::store
