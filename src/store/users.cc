#include "store/users.h"

#include <string>

#include "store/statement.h"

namespace bitten::store {
namespace {

constexpr const char* kUserColumns =
    "SELECT user_id, telegram_id, name, tier, terminal_id, xp, created_at FROM users ";

Result<missions::User> ReadUser(const Statement& st, const Database& db) {
  missions::User u;
  u.user_id = st.Text(0);
  u.telegram_id = st.Int(1);
  u.name = st.Text(2);
  auto tier = missions::ParseTier(st.Text(3));
  if (!tier) {
    return Fail("store_corrupt", db.path().string() + ": user " + u.user_id +
                                     " has unknown tier '" + st.Text(3) + "'");
  }
  u.tier = *tier;
  u.terminal_id = st.Text(4);
  u.xp = st.Int(5);
  u.created_at = st.Int(6);
  return u;
}

Result<std::vector<missions::User>> Query(const Database& db, const std::string& sql,
                                          const std::function<void(Statement&)>& bind) {
  auto st = Statement::Prepare(db.handle(), sql);
  if (!st) return tl::unexpected(st.error());
  bind(*st);
  std::vector<missions::User> out;
  for (;;) {
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    auto u = ReadUser(*st, db);
    if (!u) return tl::unexpected(u.error());
    out.push_back(std::move(*u));
  }
  return out;
}

Result<std::optional<missions::User>> QueryOne(const Database& db, const std::string& sql,
                                               const std::function<void(Statement&)>& bind) {
  auto all = Query(db, sql, bind);
  if (!all) return tl::unexpected(all.error());
  if (all->empty()) return std::optional<missions::User>();
  return std::optional<missions::User>(std::move(all->front()));
}

// Runs an UPDATE of one user; "user_not_found" when no row matched.
Status UpdateOne(Txn& txn, const char* sql, std::string_view user_id,
                 const std::function<void(Statement&)>& bind) {
  auto cached = txn.Cached(sql);
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;  // the writer's prepared statement (Txn::Cached)
  bind(*st);
  st->Bind(1, user_id);
  if (auto s = st->Run(); !s) return s;
  if (st->changes() == 0) {
    return Fail("user_not_found", txn.db().path().string() + ": no user " + std::string(user_id));
  }
  return Ok();
}

}  // namespace

Status InsertUser(Txn& txn, const missions::User& user) {
  auto cached = txn.Cached(
      "INSERT INTO users(user_id, telegram_id, name, tier, terminal_id, xp, created_at, json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '{}')");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;  // the writer's prepared statement (Txn::Cached)
  st->Bind(1, user.user_id);
  if (user.telegram_id == 0) {
    st->BindNull(2);
  } else {
    st->Bind(2, user.telegram_id);
  }
  st->Bind(3, user.name)
      .Bind(4, missions::ToString(user.tier))
      .BindTextOrNull(5, user.terminal_id)
      .Bind(6, user.xp)
      .Bind(7, user.created_at);
  return st->Run();
}

Result<std::optional<missions::User>> GetUser(const Database& db, std::string_view user_id) {
  return QueryOne(db, std::string(kUserColumns) + "WHERE user_id = ?1",
                  [&](Statement& st) { st.Bind(1, user_id); });
}

Result<std::optional<missions::User>> GetUser(Txn& txn, std::string_view user_id) {
  return QueryOneCached<missions::User>(
      txn, std::string(kUserColumns) + "WHERE user_id = ?1",
      [&](Statement& st) { st.Bind(1, user_id); },
      [&](const Statement& st) { return ReadUser(st, txn.db()); });
}

Result<std::optional<missions::User>> GetUserByTelegramId(const Database& db,
                                                          std::int64_t telegram_id) {
  return QueryOne(db, std::string(kUserColumns) + "WHERE telegram_id = ?1",
                  [&](Statement& st) { st.Bind(1, telegram_id); });
}

Result<std::vector<missions::User>> ListUsers(const Database& db) {
  return Query(db, std::string(kUserColumns) + "ORDER BY created_at, user_id", [](Statement&) {});
}

Status SetUserTier(Txn& txn, std::string_view user_id, missions::Tier tier) {
  return UpdateOne(txn, "UPDATE users SET tier = ?2 WHERE user_id = ?1", user_id,
                   [&](Statement& st) { st.Bind(2, missions::ToString(tier)); });
}

Status SetUserTelegramId(Txn& txn, std::string_view user_id, std::int64_t telegram_id) {
  return UpdateOne(txn, "UPDATE users SET telegram_id = ?2 WHERE user_id = ?1", user_id,
                   [&](Statement& st) {
                     if (telegram_id == 0) {
                       st.BindNull(2);
                     } else {
                       st.Bind(2, telegram_id);
                     }
                   });
}

Status SetUserTerminal(Txn& txn, std::string_view user_id, std::string_view terminal_id) {
  return UpdateOne(txn, "UPDATE users SET terminal_id = ?2 WHERE user_id = ?1", user_id,
                   [&](Statement& st) { st.BindTextOrNull(2, terminal_id); });
}

Status AddUserXp(Txn& txn, std::string_view user_id, std::int64_t delta) {
  return UpdateOne(txn, "UPDATE users SET xp = xp + ?2 WHERE user_id = ?1", user_id,
                   [&](Statement& st) { st.Bind(2, delta); });
}

}  // namespace bitten::store
