#include "store/missions.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "store/statement.h"

namespace bitten::store {
namespace {

using missions::Mission;
using missions::MissionStatus;
using nlohmann::json;

constexpr const char* kSelect =
    "SELECT mission_id, signal_id, user_id, status, expires_at, created_at, json FROM missions ";

// Appends compact JSON by hand: InsertMissions writes one per row of a fan-out (100k rows), and
// building an nlohmann::json map per row costs more than the insert itself. Doubles use the
// shortest text that reads back to the same value (std::to_chars), so the round trip is exact.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {
    out_.clear();
    out_ += '{';
  }
  // Continues an object whose first members `out` already holds (no '{', no closing '}').
  struct Continue {};
  JsonWriter(std::string& out, Continue) : out_(out) {}
  JsonWriter& Field(std::string_view key, std::string_view value) {
    Key(key);
    Quote(value);
    return *this;
  }
  JsonWriter& Field(std::string_view key, double value) {
    Key(key);
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    if (ec != std::errc() || !std::isfinite(value)) {
      out_ += "null";  // JSON has no NaN/inf; the core never produces them (ARCHITECTURE inv. 6)
    } else {
      out_.append(buf, end);
    }
    return *this;
  }
  JsonWriter& Field(std::string_view key, int value) {
    Key(key);
    out_ += std::to_string(value);
    return *this;
  }
  void Close() { out_ += '}'; }

 private:
  void Key(std::string_view key) {
    if (out_.size() > 1) out_ += ',';
    Quote(key);
    out_ += ':';
  }
  // Runs of characters that need no escape are appended in one piece.
  void Quote(std::string_view s) {
    out_ += '"';
    std::size_t plain = 0;  // start of the pending run
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      const auto u = static_cast<unsigned char>(c);
      if (c != '"' && c != '\\' && u >= 0x20) continue;
      out_.append(s.data() + plain, i - plain);
      plain = i + 1;
      if (u >= 0x20) {
        out_ += '\\';
        out_ += c;
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += kHex[u >> 4];
        out_ += kHex[u & 0xf];
      }
    }
    out_.append(s.data() + plain, s.size() - plain);
    out_ += '"';
  }
  std::string& out_;
};

// The members every mission of one signal shares, in row order (the first members of the row).
void SignalPartJson(const Mission& m, std::string& out) {
  JsonWriter(out)
      .Field("symbol", m.symbol)
      .Field("side", market::ToString(m.side))
      .Field("class", venom::ToString(m.signal_class))
      .Field("entry", m.entry)
      .Field("sl", m.sl)
      .Field("tp", m.tp)
      .Field("digits", m.digits)
      .Field("sl_pips", m.sl_pips)
      .Field("tp_pips", m.tp_pips);
}

// The members that are the user's own, after SignalPartJson, and the closing brace.
void UserPartJson(const Mission& m, std::string& out) {
  JsonWriter(out, JsonWriter::Continue{})
      .Field("lots", m.lots)
      .Field("risk_money", m.risk_money)
      .Field("reward_money", m.reward_money)
      .Field("account_ccy", m.account_ccy)
      .Field("blocked_code", m.blocked_code)
      .Field("blocked_reason", m.blocked_reason)
      .Field("briefing", m.briefing)
      .Close();
}

// The row's json column: {symbol..tp_pips, lots..briefing}. A fan-out writes 100k rows of one
// signal, so the signal part is rendered once and reused while the next mission has the very same
// signal fields (compared exactly: bitwise for doubles, so -0.0 and 0.0 are not mixed up).
class MissionJsonWriter {
 public:
  const std::string& Render(const Mission& m) {
    if (!valid_ || !SameSignalPart(m)) {
      SignalPartJson(m, prefix_);
      key_ = m;
      key_.briefing.clear();
      key_.blocked_reason.clear();
      valid_ = true;
    }
    text_.assign(prefix_);
    UserPartJson(m, text_);
    return text_;
  }

 private:
  static bool Same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
  bool SameSignalPart(const Mission& m) const {
    return m.symbol == key_.symbol && m.side == key_.side && m.signal_class == key_.signal_class &&
           Same(m.entry, key_.entry) && Same(m.sl, key_.sl) && Same(m.tp, key_.tp) &&
           m.digits == key_.digits && Same(m.sl_pips, key_.sl_pips) &&
           Same(m.tp_pips, key_.tp_pips);
  }
  bool valid_ = false;
  Mission key_;
  std::string prefix_;
  std::string text_;
};

Result<Mission> ReadMission(const Statement& st, const Database& db) {
  Mission m;
  m.mission_id = st.Text(0);
  m.signal_id = st.Text(1);
  m.user_id = st.Text(2);
  auto corrupt = [&](const std::string& why) {
    return Fail("store_corrupt", db.path().string() + ": mission " + m.mission_id + ": " + why);
  };
  auto status = missions::ParseMissionStatus(st.Text(3));
  if (!status) return corrupt("unknown status '" + st.Text(3) + "'");
  m.status = *status;
  m.expires_at = st.Int(4);
  m.created_at = st.Int(5);
  const json j = json::parse(st.Text(6), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return corrupt("unreadable json");
  auto side = market::ParseSide(j.value("side", ""));
  auto cls = venom::ParseSignalClass(j.value("class", ""));
  if (!side || !cls) return corrupt("unknown side or class");
  m.side = *side;
  m.signal_class = *cls;
  m.symbol = j.value("symbol", "");
  m.entry = j.value("entry", 0.0);
  m.sl = j.value("sl", 0.0);
  m.tp = j.value("tp", 0.0);
  m.digits = j.value("digits", 5);
  m.sl_pips = j.value("sl_pips", 0.0);
  m.tp_pips = j.value("tp_pips", 0.0);
  m.lots = j.value("lots", 0.0);
  m.risk_money = j.value("risk_money", 0.0);
  m.reward_money = j.value("reward_money", 0.0);
  m.account_ccy = j.value("account_ccy", "USD");
  m.blocked_code = j.value("blocked_code", "");
  m.blocked_reason = j.value("blocked_reason", "");
  m.briefing = j.value("briefing", "");
  return m;
}

Result<std::vector<Mission>> Query(const Database& db, const std::string& sql,
                                   const std::function<void(Statement&)>& bind) {
  return QueryRows<Mission>(db.handle(), sql, bind,
                            [&](const Statement& st) { return ReadMission(st, db); });
}

}  // namespace

Status InsertMissions(Txn& txn, const std::vector<Mission>& list) {
  // The raw SQLite API rather than Statement: a fan-out is 100k rows through this loop, and the
  // texts are bound SQLITE_STATIC (no copy: each lives in `list` or in `json` until the row is
  // stepped and reset), as a hand-written bulk insert would bind them.
  constexpr std::string_view kSql =
      "INSERT INTO missions(mission_id, signal_id, user_id, status, expires_at, created_at, json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  sqlite3* db = txn.handle();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, kSql.data(), static_cast<int>(kSql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return tl::unexpected(SqlError(db, "prepare INSERT INTO missions"));
  }
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, &sqlite3_finalize);
  auto text = [&](int index, std::string_view v) {
    return sqlite3_bind_text64(raw, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  };
  MissionJsonWriter json;
  for (const Mission& m : list) {
    const std::string& json_text = json.Render(m);
    int rc = SQLITE_OK;
    for (const int r :
         {text(1, m.mission_id), text(2, m.signal_id), text(3, m.user_id),
          text(4, missions::ToString(m.status)), sqlite3_bind_int64(raw, 5, m.expires_at),
          sqlite3_bind_int64(raw, 6, m.created_at), text(7, json_text)}) {
      if (rc == SQLITE_OK) rc = r;
    }
    if (rc == SQLITE_OK) rc = sqlite3_step(raw);
    if (rc != SQLITE_DONE) {
      // A failed step leaves the statement to be reset; the finalize below does it.
      return tl::unexpected(SqlError(db, rc, "insert mission " + m.mission_id));
    }
    sqlite3_reset(raw);
  }
  return Ok();
}

Status SetMissionStatus(Txn& txn, std::string_view mission_id, MissionStatus status) {
  auto cached = txn.Cached("UPDATE missions SET status = ?2 WHERE mission_id = ?1");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;
  st->Bind(1, mission_id).Bind(2, missions::ToString(status));
  if (auto s = st->Run(); !s) return s;
  if (st->changes() == 0) {
    return Fail("mission_not_found",
                txn.db().path().string() + ": no mission " + std::string(mission_id));
  }
  return Ok();
}

Result<bool> CompareAndSetMissionStatus(Txn& txn, std::string_view mission_id,
                                        MissionStatus expected, MissionStatus next) {
  auto cached = txn.Cached("UPDATE missions SET status = ?3 WHERE mission_id = ?1 AND status = ?2");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;
  st->Bind(1, mission_id).Bind(2, missions::ToString(expected)).Bind(3, missions::ToString(next));
  if (auto s = st->Run(); !s) return tl::unexpected(s.error());
  return st->changes() == 1;
}

Result<std::optional<Mission>> GetMission(const Database& db, std::string_view mission_id) {
  auto rows = Query(db, std::string(kSelect) + "WHERE mission_id = ?1",
                    [&](Statement& st) { st.Bind(1, mission_id); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<Mission>();
  return std::optional<Mission>(std::move(rows->front()));
}

Result<std::optional<Mission>> GetMission(Txn& txn, std::string_view mission_id) {
  return QueryOneCached<Mission>(
      txn, std::string(kSelect) + "WHERE mission_id = ?1",
      [&](Statement& st) { st.Bind(1, mission_id); },
      [&](const Statement& st) { return ReadMission(st, txn.db()); });
}

Result<std::vector<Mission>> ListMissionsByUser(const Database& db, std::string_view user_id,
                                                std::optional<MissionStatus> status) {
  if (!status) {
    return Query(
        db, std::string(kSelect) + "WHERE user_id = ?1 ORDER BY created_at DESC, mission_id DESC",
        [&](Statement& st) { st.Bind(1, user_id); });
  }
  return Query(db,
               std::string(kSelect) +
                   "WHERE user_id = ?1 AND status = ?2 ORDER BY created_at DESC, mission_id DESC",
               [&](Statement& st) { st.Bind(1, user_id).Bind(2, missions::ToString(*status)); });
}

Result<std::vector<Mission>> ListMissionsBySignal(const Database& db, std::string_view signal_id) {
  return Query(db, std::string(kSelect) + "WHERE signal_id = ?1 ORDER BY created_at, mission_id",
               [&](Statement& st) { st.Bind(1, signal_id); });
}

Result<std::vector<Mission>> ListFinishedMissionsCreatedSince(const Database& db, TimeMs since) {
  return Query(db,
               std::string(kSelect) + "WHERE created_at >= ?1 AND status NOT IN " +
                   kLiveMissionStatusesSql + " ORDER BY user_id, created_at DESC, mission_id DESC",
               [&](Statement& st) { st.Bind(1, since); });
}

Result<std::vector<Mission>> ListMissionsOfFiresInStatus(const Database& db,
                                                         missions::FireStatus fire_status) {
  return Query(
      db,
      std::string(kSelect) + "WHERE mission_id IN (SELECT mission_id FROM fires WHERE status = ?1)",
      [&](Statement& st) { st.Bind(1, missions::ToString(fire_status)); });
}

Result<std::vector<Mission>> ListLiveMissions(const Database& db) {
  return Query(db,
               std::string(kSelect) + "WHERE status IN " + kLiveMissionStatusesSql +
                   " ORDER BY created_at, mission_id",
               [](Statement&) {});
}

}  // namespace bitten::store
