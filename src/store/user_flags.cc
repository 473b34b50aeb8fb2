#include "store/user_flags.h"

#include "store/statement.h"

namespace bitten::store {
namespace {

Status SetFlag(Txn& txn, const char* sql, std::string_view user_id, bool on) {
  auto cached = txn.Cached(sql);
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;  // the writer's prepared statement (Txn::Cached)
  st->Bind(1, user_id).Bind(2, on ? 1 : 0);
  if (auto s = st->Run(); !s) return s;
  if (st->changes() == 0) {
    return Fail("user_not_found", txn.db().path().string() + ": no user " + std::string(user_id));
  }
  return Ok();
}

}  // namespace

Status SetUserPaused(Txn& txn, std::string_view user_id, bool paused) {
  return SetFlag(txn, "UPDATE users SET paused = ?2 WHERE user_id = ?1", user_id, paused);
}

Status SetUserKilled(Txn& txn, std::string_view user_id, bool killed) {
  return SetFlag(txn, "UPDATE users SET killed = ?2 WHERE user_id = ?1", user_id, killed);
}

Result<std::optional<UserFlags>> GetUserFlags(const Database& db, std::string_view user_id) {
  auto rows = QueryRows<UserFlags>(
      db.handle(), "SELECT paused, killed FROM users WHERE user_id = ?1",
      [&](Statement& st) { st.Bind(1, user_id); },
      [](const Statement& st) -> Result<UserFlags> {
        return UserFlags{st.Int(0) != 0, st.Int(1) != 0};
      });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<UserFlags>();
  return std::optional<UserFlags>(rows->front());
}

Result<std::map<std::string, UserFlags>> ListUserFlags(const Database& db) {
  using Row = std::pair<std::string, UserFlags>;
  auto rows = QueryRows<Row>(
      db.handle(), "SELECT user_id, paused, killed FROM users", [](Statement&) {},
      [](const Statement& st) -> Result<Row> {
        return Row{st.Text(0), UserFlags{st.Int(1) != 0, st.Int(2) != 0}};
      });
  if (!rows) return tl::unexpected(rows.error());
  return std::map<std::string, UserFlags>(rows->begin(), rows->end());
}

Result<int> CountUserFires(const Database& db, std::string_view user_id, TimeMs from, TimeMs to) {
  auto rows = QueryRows<int>(
      db.handle(),
      "SELECT COUNT(*) FROM fires WHERE user_id = ?1 AND fired_at >= ?2 AND fired_at < ?3",
      [&](Statement& st) { st.Bind(1, user_id).Bind(2, from).Bind(3, to); },
      [](const Statement& st) -> Result<int> { return static_cast<int>(st.Int(0)); });
  if (!rows) return tl::unexpected(rows.error());
  return rows->empty() ? 0 : rows->front();
}

Result<std::optional<UserFlags>> GetUserFlags(Txn& txn, std::string_view user_id) {
  return QueryOneCached<UserFlags>(
      txn, "SELECT paused, killed FROM users WHERE user_id = ?1",
      [&](Statement& st) { st.Bind(1, user_id); },
      [](const Statement& st) -> Result<UserFlags> {
        return UserFlags{st.Int(0) != 0, st.Int(1) != 0};
      });
}

Result<int> CountUserFires(Txn& txn, std::string_view user_id, TimeMs from, TimeMs to) {
  auto count = QueryOneCached<int>(
      txn, "SELECT COUNT(*) FROM fires WHERE user_id = ?1 AND fired_at >= ?2 AND fired_at < ?3",
      [&](Statement& st) { st.Bind(1, user_id).Bind(2, from).Bind(3, to); },
      [](const Statement& st) -> Result<int> { return static_cast<int>(st.Int(0)); });
  if (!count) return tl::unexpected(count.error());
  return count->value_or(0);
}

}  // namespace bitten::store
