#include "store/terminals.h"

#include "store/statement.h"

namespace bitten::store {
namespace {

constexpr const char* kSelect = "SELECT terminal_id, secret_hex, dir, created_at FROM terminals ";

Result<Terminal> ReadTerminal(const Statement& st) {
  return Terminal{st.Text(0), st.Text(1), st.Text(2), st.Int(3)};
}

}  // namespace

Status InsertTerminal(Txn& txn, const Terminal& t) {
  auto st = Statement::Prepare(
      txn.handle(),
      "INSERT INTO terminals(terminal_id, secret_hex, dir, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, t.terminal_id).Bind(2, t.secret_hex).Bind(3, t.dir).Bind(4, t.created_at);
  return st->Run();
}

Result<std::optional<Terminal>> GetTerminal(const Database& db, std::string_view terminal_id) {
  auto rows = QueryRows<Terminal>(
      db.handle(), std::string(kSelect) + "WHERE terminal_id = ?1",
      [&](Statement& st) { st.Bind(1, terminal_id); }, ReadTerminal);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<Terminal>();
  return std::optional<Terminal>(std::move(rows->front()));
}

Result<std::vector<Terminal>> ListTerminals(const Database& db) {
  return QueryRows<Terminal>(
      db.handle(), std::string(kSelect) + "ORDER BY terminal_id", [](Statement&) {}, ReadTerminal);
}

Status SetTerminalSecret(Txn& txn, std::string_view terminal_id, std::string_view secret_hex) {
  auto st = Statement::Prepare(txn.handle(),
                               "UPDATE terminals SET secret_hex = ?2 WHERE terminal_id = ?1");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, terminal_id).Bind(2, secret_hex);
  if (auto s = st->Run(); !s) return s;
  if (st->changes() == 0) {
    return Fail("terminal_not_found",
                txn.db().path().string() + ": no terminal " + std::string(terminal_id));
  }
  return Ok();
}

}  // namespace bitten::store
