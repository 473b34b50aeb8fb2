#include "store/fires.h"

#include <nlohmann/json.hpp>
#include <string>

#include "store/missions.h"
#include "store/statement.h"

namespace bitten::store {
namespace {

using missions::Fire;
using nlohmann::json;

constexpr const char* kSelect =
    "SELECT fire_id, mission_id, user_id, terminal_id, status, fired_at, delivered_at, json "
    "FROM fires ";

std::string FireJson(const Fire& f) {
  return json{{"fill_price", f.fill_price}, {"fill_volume", f.fill_volume},
              {"ticket", f.ticket},         {"close_price", f.close_price},
              {"profit", f.profit},         {"close_reason", f.close_reason}}
      .dump();
}

Result<Fire> ReadFire(const Statement& st, const Database& db) {
  Fire f;
  f.fire_id = st.Text(0);
  f.mission_id = st.Text(1);
  f.user_id = st.Text(2);
  f.terminal_id = st.Text(3);
  auto corrupt = [&](const std::string& why) {
    return Fail("store_corrupt", db.path().string() + ": fire " + f.fire_id + ": " + why);
  };
  auto status = missions::ParseFireStatus(st.Text(4));
  if (!status) return corrupt("unknown status '" + st.Text(4) + "'");
  f.status = *status;
  f.fired_at = st.Int(5);
  f.delivered_at = st.Int(6);
  const json j = json::parse(st.Text(7), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return corrupt("unreadable json");
  f.fill_price = j.value("fill_price", 0.0);
  f.fill_volume = j.value("fill_volume", 0.0);
  f.ticket = j.value("ticket", std::int64_t{0});
  f.close_price = j.value("close_price", 0.0);
  f.profit = j.value("profit", 0.0);
  f.close_reason = j.value("close_reason", "");
  return f;
}

Result<std::optional<Fire>> QueryOne(const Database& db, const char* where, std::string_view id) {
  auto rows = QueryRows<Fire>(
      db.handle(), std::string(kSelect) + where, [&](Statement& st) { st.Bind(1, id); },
      [&](const Statement& st) { return ReadFire(st, db); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<Fire>();
  return std::optional<Fire>(std::move(rows->front()));
}

}  // namespace

Result<FireInsert> InsertFire(Txn& txn, const Fire& f) {
  // DO NOTHING on any uniqueness conflict; which one it was is decided below.
  auto cached = txn.Cached(
      "INSERT INTO fires(fire_id, mission_id, user_id, terminal_id, status, fired_at, "
      "delivered_at, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;
  st->Bind(1, f.fire_id)
      .Bind(2, f.mission_id)
      .Bind(3, f.user_id)
      .Bind(4, f.terminal_id)
      .Bind(5, missions::ToString(f.status))
      .Bind(6, f.fired_at)
      .Bind(7, f.delivered_at)
      .Bind(8, FireJson(f));
  if (auto s = st->Run(); !s) return tl::unexpected(s.error());
  if (st->changes() == 1) return FireInsert{true, f};

  auto existing = GetFireByMission(txn, f.mission_id);
  if (!existing) return tl::unexpected(existing.error());
  if (!*existing) {
    return Fail("store_conflict", txn.db().path().string() + ": fire_id " + f.fire_id +
                                      " is already used by another mission");
  }
  return FireInsert{false, std::move(**existing)};
}

Status UpdateFire(Txn& txn, const Fire& f) {
  auto cached =
      txn.Cached("UPDATE fires SET status = ?2, delivered_at = ?3, json = ?4 WHERE fire_id = ?1");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;
  st->Bind(1, f.fire_id)
      .Bind(2, missions::ToString(f.status))
      .Bind(3, f.delivered_at)
      .Bind(4, FireJson(f));
  if (auto s = st->Run(); !s) return s;
  if (st->changes() == 0) {
    return Fail("fire_not_found", txn.db().path().string() + ": no fire " + f.fire_id);
  }
  return Ok();
}

Result<std::optional<Fire>> GetFire(const Database& db, std::string_view fire_id) {
  return QueryOne(db, "WHERE fire_id = ?1", fire_id);
}

Result<std::optional<Fire>> GetFireByMission(const Database& db, std::string_view mission_id) {
  return QueryOne(db, "WHERE mission_id = ?1", mission_id);
}

Result<std::optional<Fire>> GetFire(Txn& txn, std::string_view fire_id) {
  return QueryOneCached<Fire>(
      txn, std::string(kSelect) + "WHERE fire_id = ?1", [&](Statement& st) { st.Bind(1, fire_id); },
      [&](const Statement& st) { return ReadFire(st, txn.db()); });
}

Result<std::optional<Fire>> GetFireByMission(Txn& txn, std::string_view mission_id) {
  return QueryOneCached<Fire>(
      txn, std::string(kSelect) + "WHERE mission_id = ?1",
      [&](Statement& st) { st.Bind(1, mission_id); },
      [&](const Statement& st) { return ReadFire(st, txn.db()); });
}

Result<std::vector<Fire>> ListUndeliveredFires(const Database& db) {
  return QueryRows<Fire>(
      db.handle(),
      std::string(kSelect) + "WHERE status IN ('fired', 'undelivered') ORDER BY fired_at, fire_id",
      [](Statement&) {}, [&](const Statement& st) { return ReadFire(st, db); });
}

Result<std::vector<Fire>> ListFiresInStatus(const Database& db, missions::FireStatus status) {
  return QueryRows<Fire>(
      db.handle(), std::string(kSelect) + "WHERE status = ?1",
      [&](Statement& st) { st.Bind(1, missions::ToString(status)); },
      [&](const Statement& st) { return ReadFire(st, db); });
}

Result<std::vector<Fire>> ListFiresOfLiveOrRecentMissions(const Database& db, TimeMs since) {
  return QueryRows<Fire>(
      db.handle(),
      std::string(kSelect) +
          "WHERE mission_id IN (SELECT mission_id FROM missions WHERE status IN " +
          kLiveMissionStatusesSql + " OR created_at >= ?1)",
      [&](Statement& st) { st.Bind(1, since); },
      [&](const Statement& st) { return ReadFire(st, db); });
}

}  // namespace bitten::store
