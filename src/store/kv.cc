#include "store/kv.h"

#include "store/statement.h"

namespace bitten::store {

Result<std::optional<std::string>> KvGet(const Database& db, std::string_view key) {
  auto rows = QueryRows<std::string>(
      db.handle(), "SELECT value FROM kv WHERE key = ?1", [&](Statement& st) { st.Bind(1, key); },
      [](const Statement& st) -> Result<std::string> { return st.Text(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(rows->front()));
}

Result<std::optional<std::string>> KvGet(Txn& txn, std::string_view key) {
  return QueryOneCached<std::string>(
      txn, "SELECT value FROM kv WHERE key = ?1", [&](Statement& st) { st.Bind(1, key); },
      [](const Statement& st) -> Result<std::string> { return st.Text(0); });
}

Status KvSet(Txn& txn, std::string_view key, std::string_view value) {
  auto st = txn.Cached(
      "INSERT INTO kv(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, key).Bind(2, value);
  return (*st)->Run();
}

}  // namespace bitten::store
