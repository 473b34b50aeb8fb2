#include "store/invites.h"

#include "store/statement.h"

namespace bitten::store {
namespace {

constexpr const char* kSelect =
    "SELECT code, user_id, created_at, expires_at, COALESCE(used_at, 0), COALESCE(used_by, 0) "
    "FROM invites ";

Result<Invite> Read(const Statement& st) {
  Invite i;
  i.code = st.Text(0);
  i.user_id = st.Text(1);
  i.created_at = st.Int(2);
  i.expires_at = st.Int(3);
  i.used_at = st.Int(4);
  i.used_by = st.Int(5);
  return i;
}

}  // namespace

Status InsertInvite(Txn& txn, const Invite& invite) {
  auto st = Statement::Prepare(
      txn.handle(),
      "INSERT INTO invites(code, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, invite.code)
      .Bind(2, invite.user_id)
      .Bind(3, static_cast<std::int64_t>(invite.created_at))
      .Bind(4, static_cast<std::int64_t>(invite.expires_at));
  return st->Run();
}

Result<std::optional<Invite>> GetInvite(const Database& db, std::string_view code) {
  auto rows = QueryRows<Invite>(
      db.handle(), std::string(kSelect) + "WHERE code = ?1",
      [&](Statement& st) { st.Bind(1, code); }, Read);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<Invite>();
  return std::optional<Invite>(std::move(rows->front()));
}

Result<std::vector<Invite>> ListInvites(const Database& db) {
  return QueryRows<Invite>(
      db.handle(), std::string(kSelect) + "ORDER BY created_at DESC, code", [](Statement&) {},
      Read);
}

Result<Invite> RedeemInvite(Txn& txn, std::string_view code, std::int64_t telegram_id, TimeMs now) {
  const std::string file = txn.db().path().string();
  auto found = GetInvite(txn.db(), code);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return Fail("invite_not_found", file + ": no invite '" + std::string(code) + "'");
  Invite invite = std::move(**found);
  if (invite.used_at != 0) {
    if (invite.used_by == telegram_id) return invite;
    return Fail("invite_used", file + ": invite '" + invite.code + "' was already used");
  }
  if (now >= invite.expires_at) {
    return Fail("invite_expired", file + ": invite '" + invite.code + "' has expired");
  }
  auto st = Statement::Prepare(
      txn.handle(),
      "UPDATE invites SET used_at = ?2, used_by = ?3 WHERE code = ?1 AND used_at IS NULL");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, code).Bind(2, static_cast<std::int64_t>(now)).Bind(3, telegram_id);
  if (Status s = st->Run(); !s) return tl::unexpected(s.error());
  invite.used_at = now;
  invite.used_by = telegram_id;
  return invite;
}

}  // namespace bitten::store
