#include "store/signals.h"

#include <string>

#include "store/statement.h"

namespace bitten::store {

Result<bool> InsertSignal(Txn& txn, const venom::Signal& s) {
  auto st = Statement::Prepare(
      txn.handle(),
      "INSERT INTO signals(signal_id, signal_hash, symbol, created_at, expires_at, json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(signal_hash) DO NOTHING");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, s.signal_id)
      .Bind(2, s.signal_hash)
      .Bind(3, s.symbol)
      .Bind(4, s.created_at)
      .Bind(5, s.expires_at)
      .Bind(6, venom::ToJson(s).dump());
  if (auto r = st->Run(); !r) return tl::unexpected(r.error());
  return st->changes() == 1;
}

Result<std::optional<nlohmann::json>> GetSignalJson(const Database& db,
                                                    std::string_view signal_id) {
  auto rows = QueryRows<std::string>(
      db.handle(), "SELECT json FROM signals WHERE signal_id = ?1",
      [&](Statement& st) { st.Bind(1, signal_id); },
      [](const Statement& st) -> Result<std::string> { return st.Text(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<nlohmann::json>();
  auto j = nlohmann::json::parse(rows->front(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Fail("store_corrupt",
                db.path().string() + ": signal " + std::string(signal_id) + " has unreadable json");
  }
  return std::optional<nlohmann::json>(std::move(j));
}

Result<std::optional<std::string>> FindSignalIdByHash(const Database& db,
                                                      std::string_view signal_hash) {
  auto rows = QueryRows<std::string>(
      db.handle(), "SELECT signal_id FROM signals WHERE signal_hash = ?1",
      [&](Statement& st) { st.Bind(1, signal_hash); },
      [](const Statement& st) -> Result<std::string> { return st.Text(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(rows->front()));
}

}  // namespace bitten::store
