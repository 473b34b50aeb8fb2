#include "store/results.h"

#include "store/statement.h"

namespace bitten::store {

Result<bool> InsertResult(Txn& txn, std::string_view terminal_id, std::int64_t seq,
                          std::string_view fire_id, std::string_view type, std::string_view line,
                          TimeMs now) {
  auto cached = txn.Cached(
      "INSERT INTO results(terminal_id, seq, fire_id, type, line, received_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(terminal_id, seq) DO NOTHING");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;  // the writer's prepared statement (Txn::Cached)
  st->Bind(1, terminal_id)
      .Bind(2, seq)
      .BindTextOrNull(3, fire_id)
      .Bind(4, type)
      .Bind(5, line)
      .Bind(6, now);
  if (auto s = st->Run(); !s) return tl::unexpected(s.error());
  return st->changes() == 1;
}

Result<std::int64_t> LastResultSeq(const Database& db, std::string_view terminal_id) {
  auto rows = QueryRows<std::int64_t>(
      db.handle(), "SELECT COALESCE(MAX(seq), 0) FROM results WHERE terminal_id = ?1",
      [&](Statement& st) { st.Bind(1, terminal_id); },
      [](const Statement& st) -> Result<std::int64_t> { return st.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  return rows->empty() ? 0 : rows->front();
}

}  // namespace bitten::store
