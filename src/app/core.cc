#include "app/core.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <unordered_map>

#include "app/core_telegram.h"
#include "app/outbox_adapter.h"
#include "base/crypto.h"
#include "base/format.h"
#include "base/thread_name.h"
#include "base/uuid.h"
#include "missions/builder.h"
#include "missions/fire_rules.h"
#include "missions/sizing.h"
#include "store/fires.h"
#include "store/journal.h"
#include "store/kv.h"
#include "store/mission_counts.h"
#include "store/missions.h"
#include "store/outbox.h"
#include "store/results.h"
#include "store/signals.h"
#include "store/terminals.h"
#include "store/user_flags.h"
#include "store/users.h"

namespace bitten::app {

using missions::Fire;
using missions::FireStatus;
using missions::Mission;
using missions::MissionStatus;
using missions::User;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxRecentSignals = 20;
constexpr int kHousekeepingMs = 1000;
// Commands waiting per terminal, as the transports allow (bridge::*Transport::Options::max_queue).
const std::size_t kMaxQueuedCommands = bridge::FileTransport::Options{}.max_queue;
// Missions in a terminal status stay in memory this long for the HUD, then are dropped.
constexpr TimeMs kKeepFinishedMs = 24 * 3600 * 1000;
// Bars of a quiet market are closed by the housekeeping timer only when ticks are live (the newest
// tick is this close to the server clock); replayed history closes bars by its own ticks.
constexpr TimeMs kLiveTickWindowMs = 120'000;
constexpr int kMaxSlippagePoints = 20;
constexpr std::int64_t kMagic = 20250729;
constexpr char kNotLinked[] = "This identity is not linked to a BITTEN user.";

bool IsStoreFailure(const Error& e) {
  return e.code == "store_failed" || e.code == "store_busy" || e.code == "store_stopped" ||
         e.code == "store_sql" || e.code == "store_corrupt";
}

json FireJson(const Fire& f) {
  return {{"fire_id", f.fire_id},
          {"mission_id", f.mission_id},
          {"status", std::string(missions::ToString(f.status))},
          {"fired_at", f.fired_at},
          {"delivered_at", f.delivered_at == 0 ? json(nullptr) : json(f.delivered_at)}};
}

venom::EngineOptions EngineOptionsFrom(const EngineConfig& c, const CitadelConfig& cit) {
  venom::EngineOptions o;
  o.min_spacing_ms = c.spacing_minutes * 60'000;
  o.ttl_rapid_ms = c.rapid_ttl_s * 1000;
  o.ttl_precision_ms = c.precision_ttl_s * 1000;
  if (!c.setups.empty()) o.setups = c.setups;
  o.stop_atr_multiple = c.stop_atr_multiple;
  o.min_stop_pips_fx = c.min_stop_pips_fx;
  o.min_stop_pips_jpy = c.min_stop_pips_jpy;
  o.min_stop_pips_gold = c.min_stop_pips_gold;
  o.max_spread_to_stop = c.max_spread_to_stop;
  o.max_signals_per_symbol_day = static_cast<int>(c.max_signals_per_symbol_day);
  o.max_signals_per_day = static_cast<int>(c.max_signals_per_day);
  o.block_below = cit.block_below;
  o.news_blocks = cit.news_blocks;
  o.citadel.news_before_min = static_cast<int>(cit.news_before_min);
  o.citadel.news_after_min = static_cast<int>(cit.news_after_min);
  o.citadel.size_approved = cit.size_approved;
  o.citadel.size_active = cit.size_active;
  o.citadel.size_volatility_zone = cit.size_volatility_zone;
  o.citadel.size_unverified = cit.size_unverified;
  return o;
}

// The stored signal JSON (venom::ToJson) back into a Signal, for the HUD payload of recovered
// missions.
Result<venom::Signal> SignalFromJson(const json& j) {
  try {
    venom::Signal s;
    s.signal_id = j.at("signal_id").get<std::string>();
    s.symbol = j.at("symbol").get<std::string>();
    auto side = market::ParseSide(j.at("side").get<std::string>());
    auto cls = venom::ParseSignalClass(j.at("class").get<std::string>());
    if (!side || !cls)
      return Fail("store_corrupt", "signal " + s.signal_id + ": bad side or class");
    s.side = *side;
    s.signal_class = *cls;
    s.setup = j.at("setup").get<std::string>();
    s.bar_time = j.at("bar_time").get<TimeMs>();
    s.entry = j.at("entry").get<double>();
    s.sl = j.at("sl").get<double>();
    s.tp = j.at("tp").get<double>();
    s.digits = j.at("digits").get<int>();
    s.sl_pips = j.at("sl_pips").get<double>();
    s.tp_pips = j.at("tp_pips").get<double>();
    s.spread_pips = j.value("spread_pips", 0.0);
    s.confidence = j.at("confidence").get<int>();
    const json& sh = j.at("shield");
    s.shield.score = sh.at("score").get<double>();
    s.shield.band = venom::BandForScore(s.shield.score);
    s.shield.size_multiplier = sh.value("size_multiplier", 1.0);  // absent before issue 3
    s.shield.explanation = sh.value("explanation", "");
    s.created_at = j.at("created_at").get<TimeMs>();
    s.expires_at = j.at("expires_at").get<TimeMs>();
    s.signal_hash = j.value("signal_hash", "");
    return s;
  } catch (const json::exception& e) {
    return Fail("store_corrupt", std::string("stored signal JSON unreadable: ") + e.what());
  }
}

Status Enqueue(store::Txn& txn, const telegram::OutMessage& msg, int priority, std::string key,
               TimeMs now) {
  auto r = store::EnqueueOutbox(txn, OutboxRow(msg, priority, std::move(key), now));
  if (!r) return tl::unexpected(r.error());
  return Ok();
}

Status Journal(store::Txn& txn, store::Event e) {
  auto r = store::AppendEvent(txn, std::move(e));
  if (!r) return tl::unexpected(r.error());
  return Ok();
}

#define CORE_TRY(expr)                                                      \
  do {                                                                      \
    auto core_try_status_ = (expr);                                         \
    if (!core_try_status_) return tl::unexpected(core_try_status_.error()); \
  } while (0)

// Re-sends the group alert of a signal with the current fired/filled counts, when the alert has
// been sent (its Telegram message id is in kv "alert_msg:<signal_id>"). Runs inside a work.
Status QueueAlertEdit(store::Txn& txn, const TelegramConfig& tg, const std::string& signal_id,
                      TimeMs now) {
  if (tg.group_chat_id == 0) return Ok();
  auto msg_id = store::KvGet(txn, "alert_msg:" + signal_id);
  if (!msg_id) return tl::unexpected(msg_id.error());
  if (!*msg_id) return Ok();  // not sent yet: the next edit carries the counts
  auto sj = store::GetSignalJson(txn.db(), signal_id);
  if (!sj) return tl::unexpected(sj.error());
  if (!*sj) return Ok();
  auto signal = SignalFromJson(**sj);
  if (!signal) return tl::unexpected(signal.error());
  // Statuses only (one aggregate query), never the missions themselves: a signal may have been
  // fanned out to 100,000 users.
  auto counts = store::CountMissionsBySignal(txn.db(), signal_id);
  if (!counts) return tl::unexpected(counts.error());
  telegram::AlertView v = AlertViewOf(*signal);
  bool all_expired = !counts->empty();
  for (const auto& [status, n] : *counts) {
    switch (status) {
      case MissionStatus::kPending:
        all_expired = false;
        break;
      case MissionStatus::kExpired:
        break;
      case MissionStatus::kCancelled:
        all_expired = false;
        break;
      case MissionStatus::kFilled:
      case MissionStatus::kClosed:
        v.fired += n;
        v.filled += n;
        all_expired = false;
        break;
      default:
        v.fired += n;
        all_expired = false;
        break;
    }
  }
  v.expired = all_expired || now >= signal->expires_at;
  if (tg.alert_countdown_s > 0 && !v.expired) {
    v.minutes_left = AlertCountdownMinutes(signal->expires_at, now);
  }
  telegram::AlertTarget target{tg.group_chat_id, tg.bot_username, tg.webapp_short_name};
  std::int64_t message_id = 0;
  try {
    message_id = std::stoll(**msg_id);
  } catch (...) {
    return Ok();
  }
  const std::string key = "edit:" + signal_id + ":" + std::to_string(v.fired) + ":" +
                          std::to_string(v.filled) + (v.expired ? ":x" : "") +
                          (v.minutes_left >= 0 ? ":t" + std::to_string(v.minutes_left) : "");
  // One pending edit per alert: a newer state replaces a queued one (core_telegram.h).
  CORE_TRY(EnqueueAlertEdit(
      txn,
      OutboxRow(telegram::EditGroupAlert(v, target, message_id), telegram::kPriorityEdit, key, now),
      signal_id));
  // An expired alert is deleted alert_delete_after_s after the signal's expiry (docs/telegram.md).
  if (v.expired && tg.alert_delete_after_s > 0) {
    store::OutboxMessage row = OutboxRow(telegram::DeleteMessage(tg.group_chat_id, message_id),
                                         telegram::kPriorityEdit, "delete:" + signal_id, now);
    row.not_before = std::max(now, signal->expires_at) + tg.alert_delete_after_s * 1000;
    auto r = store::EnqueueOutbox(txn, row);
    if (!r) return tl::unexpected(r.error());
  }
  return Ok();
}

// What one result record does to its fire and mission (CONTRACTS §3.2, ARCHITECTURE lifecycle).
struct ResultEffect {
  Fire fire;
  std::optional<MissionStatus> mission_status;
  std::string event;  // journal type
};

ResultEffect ApplyResult(const Fire& before, const bridge::ResultRecord& r, TimeMs now) {
  ResultEffect e{before, std::nullopt, ""};
  Fire& f = e.fire;
  const bool finished = f.status == FireStatus::kClosed || f.status == FireStatus::kRejected ||
                        f.status == FireStatus::kExpired || f.status == FireStatus::kFailed;
  if (f.delivered_at == 0 && r.type != bridge::ResultType::kBadSignature) {
    f.delivered_at = r.time > 0 ? r.time : now;
  }
  switch (r.type) {
    case bridge::ResultType::kFill:
      e.event = "fill";
      f.fill_price = r.price;
      f.fill_volume = r.volume;
      f.ticket = r.position != 0 ? r.position : r.order;
      if (!finished) {
        f.status = FireStatus::kFilled;
        e.mission_status = MissionStatus::kFilled;
      }
      break;
    case bridge::ResultType::kReject:
      e.event = "reject";
      if (!finished && f.status != FireStatus::kFilled) {
        f.status = FireStatus::kRejected;
        e.mission_status = MissionStatus::kRejected;
      }
      break;
    case bridge::ResultType::kExpired:
      e.event = "command_expired";
      if (!finished && f.status != FireStatus::kFilled) {
        f.status = FireStatus::kExpired;
        e.mission_status = MissionStatus::kExpired;
      }
      break;
    case bridge::ResultType::kDuplicate:
      e.event = "command_duplicate";
      break;
    case bridge::ResultType::kBadSignature:
      e.event = "command_bad_signature";
      if (!finished && f.status != FireStatus::kFilled) {
        f.status = FireStatus::kFailed;
        e.mission_status = MissionStatus::kFailed;
      }
      break;
    case bridge::ResultType::kClose:
      e.event = "close";
      f.close_price = r.price;
      f.profit = RoundTo(r.profit + r.swap + r.commission, 2);
      f.close_reason = r.reason;
      if (f.fill_volume == 0) f.fill_volume = r.volume;
      if (f.ticket == 0) f.ticket = r.position;
      f.status = FireStatus::kClosed;
      e.mission_status = MissionStatus::kClosed;
      break;
  }
  return e;
}

// The top-level elements of a JSON array, as raw text (signatures cover raw bytes: never
// re-serialise). Also accepts a single object (one element).
Result<std::vector<std::string_view>> SplitRecords(std::string_view body) {
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < body.size() &&
           (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
      ++i;
  };
  skip_ws();
  if (i == body.size())
    return Fail("bad_request", "empty body: expected a result record or an array");
  std::vector<std::string_view> out;
  // Scans one value starting at i (object expected); returns its end.
  auto scan_object = [&](std::size_t start) -> Result<std::size_t> {
    if (body[start] != '{')
      return Fail("bad_request", "expected a JSON object at byte " + std::to_string(start));
    int depth = 0;
    bool in_str = false;
    for (std::size_t k = start; k < body.size(); ++k) {
      const char c = body[k];
      if (in_str) {
        if (c == '\\')
          ++k;
        else if (c == '"')
          in_str = false;
        continue;
      }
      if (c == '"')
        in_str = true;
      else if (c == '{' || c == '[')
        ++depth;
      else if (c == '}' || c == ']') {
        if (--depth == 0) return k + 1;
      }
    }
    return Fail("bad_request", "unterminated JSON object");
  };
  if (body[i] == '{') {
    auto end = scan_object(i);
    if (!end) return tl::unexpected(end.error());
    out.push_back(body.substr(i, *end - i));
    i = *end;
    skip_ws();
    if (i != body.size()) return Fail("bad_request", "trailing bytes after the JSON object");
    return out;
  }
  if (body[i] != '[') return Fail("bad_request", "expected a JSON object or array");
  ++i;
  skip_ws();
  if (i < body.size() && body[i] == ']') {
    ++i;
  } else {
    while (true) {
      skip_ws();
      if (i >= body.size()) return Fail("bad_request", "unterminated JSON array");
      auto end = scan_object(i);
      if (!end) return tl::unexpected(end.error());
      out.push_back(body.substr(i, *end - i));
      i = *end;
      skip_ws();
      if (i < body.size() && body[i] == ',') {
        ++i;
        continue;
      }
      if (i < body.size() && body[i] == ']') {
        ++i;
        break;
      }
      return Fail("bad_request", "expected ',' or ']' in the array at byte " + std::to_string(i));
    }
  }
  skip_ws();
  if (i != body.size()) return Fail("bad_request", "trailing bytes after the JSON array");
  return out;
}

bool IsOpen(MissionStatus s) {
  return s == MissionStatus::kFired || s == MissionStatus::kDelivered ||
         s == MissionStatus::kUndelivered || s == MissionStatus::kFilled;
}

}  // namespace

telegram::AlertView AlertViewOf(const venom::Signal& s) {
  telegram::AlertView v;
  v.signal_id = s.signal_id;
  v.symbol = s.symbol;
  v.side = std::string(market::ToString(s.side));
  v.signal_class = std::string(venom::ToString(s.signal_class));
  v.confidence = s.confidence;
  v.shield_band = std::string(venom::ToString(s.shield.band));
  v.shield_score = s.shield.score;
  v.entry = FormatFixed(s.entry, s.digits);
  v.sl = FormatFixed(s.sl, s.digits);
  v.tp = FormatFixed(s.tp, s.digits);
  v.sl_pips = s.sl_pips;
  v.tp_pips = s.tp_pips;
  v.expires_at = s.expires_at;
  return v;
}

telegram::MissionDmView DmViewOf(const Mission& m) {
  telegram::MissionDmView v;
  v.mission_id = m.mission_id;
  v.signal_id = m.signal_id;
  v.symbol = m.symbol;
  v.side = std::string(market::ToString(m.side));
  v.signal_class = std::string(venom::ToString(m.signal_class));
  v.lots = m.lots;
  v.risk_money = m.risk_money;
  v.reward_money = m.reward_money;
  v.currency = m.account_ccy;
  v.entry = FormatFixed(m.entry, m.digits);
  v.sl = FormatFixed(m.sl, m.digits);
  v.tp = FormatFixed(m.tp, m.digits);
  v.expires_at = m.expires_at;
  v.can_fire = m.status == MissionStatus::kPending && m.blocked_code.empty() && m.lots > 0;
  v.blocked_reason = m.blocked_reason;
  return v;
}

Status QueueGroupAlertEdit(store::Txn& txn, const TelegramConfig& tg, const std::string& signal_id,
                           TimeMs now) {
  return QueueAlertEdit(txn, tg, signal_id, now);
}

CoreReply ErrorReply(int status, std::string code, std::string message) {
  return CoreReply{status,
                   json{{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}}};
}

CoreReply StoreUnavailable(const Error& e) {
  return ErrorReply(
      503, "store_unavailable",
      "The database cannot take writes right now (" + e.code + "); nothing was done.");
}

store::OutboxMessage OutboxRow(const telegram::OutMessage& msg, int tg_priority,
                               std::string dedup_key, TimeMs now) {
  store::OutboxMessage row;
  row.priority = kOutboxPriorityBase - tg_priority;  // store: lower first
  row.chat_id = msg.params.value("chat_id", std::int64_t{0});
  row.method = msg.method;
  row.payload = msg.params.dump();
  row.dedup_key = std::move(dedup_key);
  row.created_at = now;
  return row;
}

// ---------------------------------------------------------------------------------------------
// QuoteBook

void QuoteBook::Update(const market::Tick& tick) {
  quotes_[tick.symbol] = Entry{tick.bid, tick.ask, tick.time};
  last_tick_at_ = std::max(last_tick_at_, tick.time);
}

std::optional<std::pair<double, double>> QuoteBook::Quote(const std::string& symbol) const {
  auto it = quotes_.find(symbol);
  if (it == quotes_.end()) return std::nullopt;
  return std::make_pair(it->second.bid, it->second.ask);
}

std::vector<market::Tick> QuoteBook::Latest(const std::vector<std::string>& symbols) const {
  std::vector<market::Tick> out;
  auto add = [&out](const std::string& symbol, const Entry& e) {
    out.push_back(market::Tick{symbol, e.time, e.bid, e.ask});
  };
  if (symbols.empty()) {
    for (const auto& [symbol, e] : quotes_) add(symbol, e);
    return out;
  }
  for (const std::string& symbol : symbols) {
    if (auto it = quotes_.find(symbol); it != quotes_.end()) add(symbol, it->second);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

Core::Core(const Config& config, const Clock& clock, store::Writer& writer,
           std::function<void()> wake_outbox)
    : config_(config),
      clock_(clock),
      writer_(writer),
      wake_outbox_(std::move(wake_outbox)),
      instruments_(market::InstrumentTable::Defaults()) {
  engine_ = std::make_unique<venom::Engine>(EngineOptionsFrom(config.engine, config.citadel),
                                            clock_, instruments_);
  kill_switch_ = config.engine.kill_switch;
}

Core::~Core() { Stop(); }

template <typename F>
void Core::Post(F&& fn) {
  boost::asio::post(io_, std::forward<F>(fn));
}

void Core::Submit(store::Writer::Work work, std::function<void(Status)> on_core,
                  store::Urgency urgency) {
  in_flight_works_.fetch_add(1);
  writer_.Submit(
      std::move(work),
      [this, on_core = std::move(on_core)](Status s) mutable {
        boost::asio::post(io_, [this, on_core = std::move(on_core), s = std::move(s)]() mutable {
          if (on_core) on_core(std::move(s));
          in_flight_works_.fetch_sub(1);
        });
      },
      urgency);
}

Status Core::Recover(const store::Database& reader) {
  const TimeMs now = clock_.NowMs();
  if (!config_.citadel.news_calendar.empty()) {
    auto calendar = venom::citadel::NewsCalendar::Load(config_.citadel.news_calendar);
    if (!calendar) {
      return Fail(calendar.error().code, "citadel.news_calendar: " + calendar.error().message);
    }
    engine_->SetNewsCalendar(
        std::make_shared<const venom::citadel::NewsCalendar>(std::move(*calendar)));
  }
  auto users = store::ListUsers(reader);
  if (!users) return tl::unexpected(users.error());
  auto flags = store::ListUserFlags(reader);
  if (!flags) return tl::unexpected(flags.error());
  for (User& u : *users) {
    if (u.telegram_id != 0) user_by_telegram_[u.telegram_id] = u.user_id;
    if (auto f = flags->find(u.user_id); f != flags->end()) {
      u.paused = f->second.paused;
      u.killed = f->second.killed;
    }
    auto [it, added] = users_.try_emplace(u.user_id);
    if (!added) ranking_.Erase(RankKeyOf(it->second));
    it->second = std::move(u);
    ranking_.Insert(RankKeyOf(it->second));
  }
  // The global kill switch: on when the config says so or when it was last switched on at runtime
  // (kv); failing closed, a runtime "off" does not override the config's "on".
  auto kill = store::KvGet(reader, "kill_switch");
  if (!kill) return tl::unexpected(kill.error());
  if (*kill && **kill == "1") kill_switch_ = true;
  auto terminals = store::ListTerminals(reader);
  if (!terminals) return tl::unexpected(terminals.error());
  for (store::Terminal& t : *terminals) {
    TerminalState st;
    auto secret = FromHex(t.secret_hex);
    if (!secret) {
      return Fail("store_corrupt", reader.path().string() + ": terminal " + t.terminal_id +
                                       " has a secret that is not hex");
    }
    st.secret = std::move(*secret);
    for (const TerminalConfig& tc : config_.terminals) {
      if (tc.terminal_id == t.terminal_id) st.ttl_ms = tc.heartbeat_ttl_ms;
    }
    st.row = std::move(t);
    terminals_[st.row.terminal_id] = std::move(st);
  }

  // Missions: every live one, plus today's finished ones per user (for the HUD and the counters).
  auto remember_signal = [&](const std::string& signal_id) -> Status {
    if (signals_.count(signal_id)) return Ok();
    auto sj = store::GetSignalJson(reader, signal_id);
    if (!sj) return tl::unexpected(sj.error());
    if (!*sj) return Fail("store_corrupt", "mission names unknown signal " + signal_id);
    auto s = SignalFromJson(**sj);
    if (!s) return tl::unexpected(s.error());
    signals_[signal_id] = SignalInfo{std::move(*s)};
    return Ok();
  };
  // Today's missions: created since the day began, less the longest TTL (under an hour), so a
  // fire made today on a mission built late yesterday counts too.
  const TimeMs day_start = UtcDayStart(now);
  const TimeMs recent_since = day_start - 3600 * 1000;
  // The fires of the live and today's missions, in one read (one per mission took minutes at
  // 1,000,000 users). Today's counters come from them: a fire made today belongs to a mission of
  // today's (the TTLs above), and each mission has at most one fire.
  auto fires = store::ListFiresOfLiveOrRecentMissions(reader, recent_since);
  if (!fires) return tl::unexpected(fires.error());
  std::unordered_map<std::string, Fire*> fire_of_mission;
  fire_of_mission.reserve(fires->size());
  std::map<std::string, missions::DayCounters::Today> today;
  for (Fire& f : *fires) {
    fire_of_mission.emplace(f.mission_id, &f);
    if (f.fired_at < day_start || !users_.count(f.user_id)) continue;
    missions::DayCounters::Today& t = today[f.user_id];
    ++t.fires;
    if (f.status == FireStatus::kClosed) t.realised_pnl += f.profit;
  }
  for (const auto& [user_id, t] : today) counters_.Restore(user_id, now, t);
  auto remember_fire = [&](const std::string& mission_id) {
    auto it = fire_of_mission.find(mission_id);
    if (it == fire_of_mission.end()) return;
    fire_by_mission_[mission_id] = it->second->fire_id;
    fires_[it->second->fire_id] = *it->second;
  };
  auto live = store::ListLiveMissions(reader);
  if (!live) return tl::unexpected(live.error());
  for (Mission& m : *live) {
    CORE_TRY(remember_signal(m.signal_id));
    remember_fire(m.mission_id);
    HoldMission(std::move(m));
  }
  // Today's finished missions too (the HUD lists them), by user in user_id order, each user's
  // newest first.
  auto finished = store::ListFinishedMissionsCreatedSince(reader, recent_since);
  if (!finished) return tl::unexpected(finished.error());
  for (Mission& m : *finished) {
    if (!users_.count(m.user_id) || missions_.count(m.mission_id)) continue;
    remember_fire(m.mission_id);
    CORE_TRY(remember_signal(m.signal_id));
    HoldMission(std::move(m));
  }

  // Missions whose time ran out while the server was down.
  std::vector<std::string> overdue;
  for (const auto& [id, lm] : missions_) {
    if (lm.mission.status == MissionStatus::kPending && now >= lm.mission.expires_at) {
      overdue.push_back(id);
    }
  }
  if (!overdue.empty()) {
    struct Item {
      std::string mission_id, signal_id, user_id;
      TimeMs expires_at;
    };
    std::vector<Item> items;
    for (const std::string& id : overdue) {
      const Mission& m = missions_.at(id).mission;
      items.push_back({id, m.signal_id, m.user_id, m.expires_at});
    }
    auto moved = std::make_shared<std::vector<std::string>>();
    Status s = writer_.SubmitAndWait([items, moved](store::Txn& txn) -> Status {
      for (const Item& it : items) {
        auto cas = store::CompareAndSetMissionStatus(txn, it.mission_id, MissionStatus::kPending,
                                                     MissionStatus::kExpired);
        if (!cas) return tl::unexpected(cas.error());
        if (!*cas) continue;
        moved->push_back(it.mission_id);
        store::Event e;
        e.type = "mission_expired";
        e.mission_id = it.mission_id;
        e.signal_id = it.signal_id;
        e.user_id = it.user_id;
        e.payload = {{"expires_at", it.expires_at}, {"found_at", "startup"}};
        CORE_TRY(Journal(txn, e));
      }
      return Ok();
    });
    if (!s) return s;
    for (const std::string& id : *moved) {
      SetMissionStatus(missions_.at(id), MissionStatus::kExpired);
    }
    spdlog::info("recovery: {} missions expired while the server was down", moved->size());
  }

  auto undelivered = store::ListUndeliveredFires(reader);
  if (!undelivered) return tl::unexpected(undelivered.error());
  redeliver_ = std::move(*undelivered);
  for (const Fire& f : redeliver_) {
    fires_[f.fire_id] = f;
    fire_by_mission_[f.mission_id] = f.fire_id;
    if (!missions_.count(f.mission_id)) {
      auto m = store::GetMission(reader, f.mission_id);
      if (!m) return tl::unexpected(m.error());
      if (*m) {
        CORE_TRY(remember_signal((*m)->signal_id));
        HoldMission(std::move(**m));
      }
    }
  }
  CORE_TRY(RecoverStats(reader));
  spdlog::info("recovery: {} users, {} terminals, {} missions held, {} fires to deliver again",
               users_.size(), terminals_.size(), missions_.size(), redeliver_.size());
  return Ok();
}

std::vector<store::Terminal> Core::terminals() const {
  std::vector<store::Terminal> out;
  for (const auto& [id, t] : terminals_) out.push_back(t.row);
  return out;
}

void Core::Start() {
  if (running_.exchange(true)) return;
  timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  Post([this] {
    for (const Fire& f : redeliver_) {
      auto it = missions_.find(f.mission_id);
      if (it == missions_.end()) {
        spdlog::error("recovery: fire {} names unknown mission {}", f.fire_id, f.mission_id);
        continue;
      }
      SendCommand(f, it->second.mission);
    }
    redeliver_.clear();
    ScheduleHousekeeping();
  });
  thread_ = std::thread([this] {
    SetThreadName("bitten-core");
    auto guard = boost::asio::make_work_guard(io_);
    io_.run();
  });
}

void Core::Stop(int drain_ms) {
  if (!running_.load() || stopping_.load()) return;
  // The offsets reported since the last housekeeping round, saved before the drain below.
  RunSync([this] { SaveDueResultOffsets(); });
  if (stopping_.exchange(true)) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_ms);
  while (in_flight_works_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (in_flight_works_.load() > 0) {
    spdlog::warn("core stop: {} store works still unanswered after {} ms", in_flight_works_.load(),
                 drain_ms);
  }
  std::promise<void> closed;
  Post([this, &closed] {
    if (timer_) timer_->cancel();
    hub_.CloseAll();
    closed.set_value();
  });
  closed.get_future().wait_for(std::chrono::seconds(5));
  io_.stop();
  if (thread_.joinable()) thread_.join();
  running_.store(false);
}

void Core::RunSync(std::function<void()> fn) {
  std::promise<void> done;
  Post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void Core::ScheduleHousekeeping() {
  if (!timer_ || stopping_.load()) return;
  timer_->expires_after(std::chrono::milliseconds(kHousekeepingMs));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_.load()) return;
    Housekeeping();
    ScheduleHousekeeping();
  });
}

void Core::Housekeeping() {
  const TimeMs now = clock_.NowMs();
  ExpireDue();
  SaveDueResultOffsets();
  QueueDueAlertEdits(now);
  ExpireAlerts(now);
  if (quotes_.last_tick_at() != 0 && std::llabs(now - quotes_.last_tick_at()) < kLiveTickWindowMs) {
    for (const market::Bar& bar : aggregator_.FlushBefore(now)) OnBar(bar);
  }
  hub_.Prune();
  counters_.Prune(now);
  // Finished missions a day past their expiry (finished_by_expiry_), then signals no held
  // mission refers to (held_of_signal_).
  std::vector<std::string> old;
  for (auto it = finished_by_expiry_.begin();
       it != finished_by_expiry_.end() && now - it->first > kKeepFinishedMs; ++it) {
    old.push_back(it->second);
  }
  for (const std::string& id : old) {
    auto fid = fire_by_mission_.find(id);
    if (fid != fire_by_mission_.end()) {
      fires_.erase(fid->second);
      fire_by_mission_.erase(fid);
    }
    DropMission(missions_.find(id));
  }
  for (auto it = signals_.begin(); it != signals_.end();) {
    const bool used = held_of_signal_.count(it->first) > 0;
    it = (!used && now - it->second.signal.expires_at > kKeepFinishedMs) ? signals_.erase(it)
                                                                         : std::next(it);
  }
}

void Core::ExpireDue() {
  const TimeMs now = clock_.NowMs();
  std::vector<std::string> due;
  // Pending missions by expiry (pending_by_expiry_): only those due are looked at.
  for (auto it = pending_by_expiry_.begin(); it != pending_by_expiry_.end() && it->first <= now;
       ++it) {
    LiveMission& lm = missions_.at(it->second);
    if (!lm.expiring && !fires_in_flight_.count(it->second)) {
      lm.expiring = true;
      due.push_back(it->second);
    }
  }
  if (due.empty()) return;
  struct Item {
    std::string mission_id, signal_id, user_id;
    TimeMs expires_at;
  };
  std::vector<Item> items;
  for (const std::string& id : due) {
    const Mission& m = missions_.at(id).mission;
    items.push_back({id, m.signal_id, m.user_id, m.expires_at});
  }
  auto moved = std::make_shared<std::vector<std::string>>();
  const TelegramConfig tg = config_.telegram;
  Submit(
      [items, moved, now, tg](store::Txn& txn) -> Status {
        std::set<std::string> signals;
        for (const Item& it : items) {
          auto cas = store::CompareAndSetMissionStatus(txn, it.mission_id, MissionStatus::kPending,
                                                       MissionStatus::kExpired);
          if (!cas) return tl::unexpected(cas.error());
          if (!*cas) continue;
          moved->push_back(it.mission_id);
          signals.insert(it.signal_id);
          store::Event e;
          e.type = "mission_expired";
          e.mission_id = it.mission_id;
          e.signal_id = it.signal_id;
          e.user_id = it.user_id;
          e.payload = {{"expires_at", it.expires_at}};
          CORE_TRY(Journal(txn, e));
        }
        for (const std::string& sid : signals) CORE_TRY(QueueAlertEdit(txn, tg, sid, now));
        return Ok();
      },
      [this, due, moved](Status s) {
        if (!s) spdlog::error("expiring {} missions failed: {}", due.size(), s.error().message);
        for (const std::string& id : due) {
          auto it = missions_.find(id);
          if (it != missions_.end()) it->second.expiring = false;
        }
        for (const std::string& id : *moved) {
          auto it = missions_.find(id);
          if (it == missions_.end()) continue;
          SetMissionStatus(it->second, MissionStatus::kExpired);
          PushMission(it->second.mission);
        }
        if (!moved->empty() && wake_outbox_) wake_outbox_();
      });
}

// ---------------------------------------------------------------------------------------------
// Identity and views

const User* Core::Resolve(const Principal& who) const {
  if (!who.user_id.empty()) {
    auto it = users_.find(who.user_id);
    return it == users_.end() ? nullptr : &it->second;
  }
  if (who.telegram_id != 0) {
    auto it = user_by_telegram_.find(who.telegram_id);
    if (it == user_by_telegram_.end()) return nullptr;
    auto u = users_.find(it->second);
    return u == users_.end() ? nullptr : &u->second;
  }
  return nullptr;
}

const missions::TierRules& Core::RulesFor(missions::Tier tier) const {
  for (const missions::TierRules& r : config_.tiers) {
    if (r.tier == tier) return r;
  }
  static const std::vector<missions::TierRules> kDefaults = missions::DefaultTierRules();
  return kDefaults.at(static_cast<std::size_t>(tier));
}

missions::TerminalView Core::TerminalViewFor(const User& user) const {
  missions::TerminalView v;
  auto it = terminals_.find(user.terminal_id);
  if (user.terminal_id.empty() || it == terminals_.end()) return v;
  const TerminalState& t = it->second;
  v.exists = true;
  v.last_heartbeat_at = t.last_heartbeat_at;
  v.connected = t.connected;
  v.trade_allowed = t.trade_allowed;
  v.ttl_ms = t.ttl_ms;
  return v;
}

missions::AccountView Core::AccountFor(const User& user) const {
  missions::AccountView a;
  auto it = terminals_.find(user.terminal_id);
  if (user.terminal_id.empty() || it == terminals_.end()) return a;
  const TerminalState& t = it->second;
  if (t.last_heartbeat_at == 0 || t.currency.empty()) return a;
  a.known = true;
  a.balance = t.balance;
  a.currency = t.currency;
  return a;
}

json Core::MissionJson(const Mission& m) const {
  std::optional<Fire> fire;
  auto fid = fire_by_mission_.find(m.mission_id);
  if (fid != fire_by_mission_.end()) {
    auto f = fires_.find(fid->second);
    if (f != fires_.end()) fire = f->second;
  }
  const User* user = nullptr;
  auto u = users_.find(m.user_id);
  if (u != users_.end()) user = &u->second;
  const missions::TierRules& rules = RulesFor(user ? user->tier : missions::Tier::kPressPass);
  auto s = signals_.find(m.signal_id);
  if (s != signals_.end()) return missions::HudPayload(m, s->second.signal, rules, fire);
  // A signal the core no longer holds: the mission carries every field the HUD needs but the
  // signal-only ones (setup, confidence, shield), which stay at their empty values.
  venom::Signal sig;
  sig.signal_id = m.signal_id;
  sig.symbol = m.symbol;
  sig.side = m.side;
  sig.signal_class = m.signal_class;
  sig.entry = m.entry;
  sig.sl = m.sl;
  sig.tp = m.tp;
  sig.digits = m.digits;
  sig.expires_at = m.expires_at;
  return missions::HudPayload(m, sig, rules, fire);
}

void Core::PushMission(const Mission& m) {
  if (hub_.Watching(m.user_id)) hub_.Push(m.user_id, "mission", MissionJson(m).dump());
}

void Core::AdoptFire(const Fire& fire, std::optional<MissionStatus> mission_status) {
  fires_[fire.fire_id] = fire;
  fire_by_mission_[fire.mission_id] = fire.fire_id;
  auto it = missions_.find(fire.mission_id);
  if (it == missions_.end()) return;
  if (mission_status) SetMissionStatus(it->second, *mission_status);
  PushMission(it->second.mission);
}

// ---------------------------------------------------------------------------------------------
// Terminals

Status Core::VerifyCall(const TerminalCall& call, TerminalState** terminal) {
  if (call.terminal_id.empty()) return Fail("unauthorized", "missing X-Bitten-Terminal header");
  auto it = terminals_.find(call.terminal_id);
  if (it == terminals_.end()) {
    return Fail("unauthorized", "unknown terminal '" + call.terminal_id + "'");
  }
  Status s = verifier_.Verify(it->second.secret, call.timestamp, call.signature, call.method,
                              call.target, call.body, clock_.NowMs());
  if (!s) return s;
  *terminal = &it->second;
  return Ok();
}

void Core::ApplyHeartbeat(TerminalState& t, const bridge::Heartbeat& hb) {
  t.last_heartbeat_at = clock_.NowMs();
  t.connected = hb.connected;
  t.trade_allowed = hb.trade_allowed;
  t.balance = hb.balance;
  t.equity = hb.equity;
  t.positions = hb.positions;
  t.currency = hb.currency;
  if (hb.symbols) {
    for (const bridge::SymbolSpec& spec : *hb.symbols) {
      market::Instrument inst;
      if (const market::Instrument* known = instruments_.Find(spec.name)) {
        inst = *known;
      } else {
        inst.symbol = spec.name;
        // Unknown symbol: a pip is ten points on fractional-pip quotes (5 and 3 digits), else a
        // point.
        inst.pip_size = (spec.digits == 5 || spec.digits == 3) ? spec.point * 10 : spec.point;
      }
      inst.digits = spec.digits;
      inst.contract_size = spec.contract_size;
      inst.volume_min = spec.volume_min;
      inst.volume_max = spec.volume_max;
      inst.volume_step = spec.volume_step;
      instruments_.Upsert(std::move(inst));
    }
  }
}

void Core::PostHeartbeat(TerminalCall call, ReplyFn reply) {
  if (stopping_.load()) return reply(ErrorReply(503, "shutting_down", "the server is stopping"));
  Post([this, call = std::move(call), reply = std::move(reply)] {
    TerminalState* t = nullptr;
    if (Status s = VerifyCall(call, &t); !s)
      return reply(ErrorReply(401, "unauthorized", s.error().message));
    auto hb = bridge::ParseHeartbeat(call.body, t->secret);
    if (!hb) {
      const int status = hb.error().code == "bad_signature" ? 401 : 400;
      return reply(ErrorReply(status, status == 401 ? "unauthorized" : "bad_request",
                              "heartbeat: " + hb.error().message));
    }
    if (hb->terminal != call.terminal_id) {
      return reply(ErrorReply(400, "bad_request",
                              "heartbeat names terminal '" + hb->terminal +
                                  "' but the request is signed by '" + call.terminal_id + "'"));
    }
    ApplyHeartbeat(*t, *hb);
    reply(CoreReply{200, json{{"ok", true}, {"server_time", clock_.NowMs()}}});
  });
}

void Core::OnHeartbeat(std::string terminal, bridge::Heartbeat heartbeat) {
  Post([this, terminal = std::move(terminal), hb = std::move(heartbeat)] {
    auto it = terminals_.find(terminal);
    if (it == terminals_.end()) return;
    if (hb.terminal != terminal) {
      spdlog::warn("heartbeat.txt of terminal {} names terminal {}: ignored", terminal,
                   hb.terminal);
      return;
    }
    ApplyHeartbeat(it->second, hb);
  });
}

void Core::PostTicks(TerminalCall call, ReplyFn reply) {
  if (stopping_.load()) return reply(ErrorReply(503, "shutting_down", "the server is stopping"));
  Post([this, call = std::move(call), reply = std::move(reply)] {
    TerminalState* t = nullptr;
    if (Status s = VerifyCall(call, &t); !s)
      return reply(ErrorReply(401, "unauthorized", s.error().message));
    auto batch = bridge::ParseTickBatch(call.body);
    if (!batch) return reply(ErrorReply(400, "bad_request", "ticks: " + batch.error().message));
    if (batch->terminal != call.terminal_id) {
      return reply(ErrorReply(400, "bad_request",
                              "tick batch names terminal '" + batch->terminal +
                                  "' but the request is signed by '" + call.terminal_id + "'"));
    }
    for (const market::Tick& tick : batch->ticks) IngestTick(tick);
    reply(CoreReply{200, json{{"accepted", batch->ticks.size()}}});
  });
}

void Core::PostReport(TerminalCall call, ReplyFn reply) {
  if (stopping_.load()) return reply(ErrorReply(503, "shutting_down", "the server is stopping"));
  Post([this, call = std::move(call), reply = std::move(reply)] {
    TerminalState* t = nullptr;
    if (Status s = VerifyCall(call, &t); !s)
      return reply(ErrorReply(401, "unauthorized", s.error().message));
    auto raw = SplitRecords(call.body);
    if (!raw) return reply(ErrorReply(400, "bad_request", "report: " + raw.error().message));
    std::vector<std::pair<bridge::ResultRecord, std::string>> records;
    for (std::size_t i = 0; i < raw->size(); ++i) {
      auto r = bridge::ParseResultLine((*raw)[i], t->secret);
      if (!r) {
        const int status = r.error().code == "bad_signature" ? 401 : 400;
        return reply(ErrorReply(status, status == 401 ? "unauthorized" : "bad_request",
                                "report record " + std::to_string(i) + ": " + r.error().message));
      }
      if (r->terminal != call.terminal_id) {
        return reply(ErrorReply(400, "bad_request",
                                "report record " + std::to_string(i) + " names terminal '" +
                                    r->terminal + "' but the request is signed by '" +
                                    call.terminal_id + "'"));
      }
      records.emplace_back(std::move(*r), std::string((*raw)[i]));
    }
    ProcessResults(call.terminal_id, std::move(records), std::move(reply));
  });
}

void Core::OnResult(std::string terminal, bridge::ResultRecord record, std::string line) {
  Post([this, terminal = std::move(terminal), record = std::move(record),
        line = std::move(line)]() mutable {
    if (record.terminal != terminal) {
      spdlog::warn("trade_result.txt of terminal {} has a record of terminal {}: ignored", terminal,
                   record.terminal);
      return;
    }
    std::vector<std::pair<bridge::ResultRecord, std::string>> records;
    records.emplace_back(std::move(record), std::move(line));
    ProcessResults(terminal, std::move(records), nullptr);
  });
}

void Core::SaveResultOffset(std::string terminal, std::int64_t offset) {
  // Kept until the next housekeeping round (or Stop), then saved in one work per round: the
  // transport reports an offset after the results it covers, and those were posted (and their
  // works submitted) before this, so the saved offset always commits after them. A later save
  // replaces an earlier one; a crash in between replays at most a round's lines, which the
  // store's (terminal, seq) check answers as duplicates (bridge/transport.h).
  Post([this, terminal = std::move(terminal), offset] { offsets_due_[terminal] = offset; });
}

void Core::SaveDueResultOffsets() {
  if (offsets_due_.empty()) return;
  auto due = std::make_shared<std::map<std::string, std::int64_t>>(std::move(offsets_due_));
  offsets_due_.clear();
  Submit(
      [due](store::Txn& txn) -> Status {
        for (const auto& [terminal, offset] : *due) {
          CORE_TRY(store::KvSet(txn, "result_offset:" + terminal, std::to_string(offset)));
        }
        return Ok();
      },
      [due](Status s) {
        if (!s) {
          spdlog::error("saving the result offsets of {} terminal(s) failed: {}", due->size(),
                        s.error().message);
        }
      },
      store::Urgency::kSoon);
}

void Core::ProcessResults(const std::string& terminal,
                          std::vector<std::pair<bridge::ResultRecord, std::string>> records,
                          ReplyFn reply) {
  struct Tally {
    std::size_t left = 0;
    int processed = 0, duplicates = 0;
    std::optional<Error> error;
    ReplyFn reply;
    // One record settled: the reply goes out with the last one.
    void Settle() {
      if (--left != 0 || !reply) return;
      if (error) {
        reply(IsStoreFailure(*error) ? StoreUnavailable(*error)
                                     : ErrorReply(500, error->code, error->message));
      } else {
        reply(CoreReply{200, json{{"accepted", processed}, {"duplicates", duplicates}}});
      }
    }
  };
  auto tally = std::make_shared<Tally>();
  tally->left = records.size();
  tally->reply = std::move(reply);
  if (records.empty()) {
    if (tally->reply) tally->reply(CoreReply{200, json{{"accepted", 0}, {"duplicates", 0}}});
    return;
  }
  const TimeMs now = clock_.NowMs();
  const TelegramConfig tg = config_.telegram;
  for (auto& [record, line] : records) {
    if (ResultRemembered(terminal, record.seq)) {
      // Already committed (the EA reports every result twice: trade_result.txt and POST
      // /api/report): the same answer as the store's (terminal, seq) check, without a work.
      ++stats_.results_duplicate;
      ++tally->duplicates;
      tally->Settle();
      continue;
    }
    const auto key = std::make_pair(terminal, record.seq);
    if (auto it = results_in_flight_.find(key); it != results_in_flight_.end()) {
      // The other copy of this record is in its store work now: this one gets the answer the
      // store's (terminal, seq) key would give it after that commit (a duplicate), or its error.
      it->second.push_back([this, tally](const Status& s) {
        if (s) {
          ++stats_.results_duplicate;
          ++tally->duplicates;
        } else if (!tally->error) {
          tally->error = s.error();
        }
        tally->Settle();
      });
      continue;
    }
    results_in_flight_[key];
    ++stats_.result_works;
    struct Outcome {
      bool duplicate = false;
      std::optional<Fire> fire;
      std::optional<MissionStatus> mission_status;
      std::string user_id;
      double realised = 0;
      bool closed = false;
      XpResult xp;
      std::optional<Mission> mission;
      bool messaged = false;  // the trader has Telegram: the work may have queued messages
    };
    auto out = std::make_shared<Outcome>();
    Submit(
        [terminal, r = record, line = line, now, tg, out](store::Txn& txn) -> Status {
          auto fresh = store::InsertResult(txn, terminal, r.seq, r.fire_id,
                                           bridge::ToString(r.type), line, now);
          if (!fresh) return tl::unexpected(fresh.error());
          if (!*fresh) {
            out->duplicate = true;
            return Ok();
          }
          store::Event e;
          e.terminal_id = terminal;
          e.fire_id = r.fire_id;
          e.payload = json::parse(line, nullptr, false);
          if (e.payload.is_discarded()) e.payload = json{{"line", line}};
          auto fire = store::GetFire(txn, r.fire_id);
          if (!fire) return tl::unexpected(fire.error());
          if (!*fire || (*fire)->terminal_id != terminal) {
            e.type = "result_unmatched";
            return Journal(txn, e);
          }
          ResultEffect eff = ApplyResult(**fire, r, now);
          e.type = eff.event;
          e.mission_id = eff.fire.mission_id;
          e.user_id = eff.fire.user_id;
          CORE_TRY(store::UpdateFire(txn, eff.fire));
          if (eff.mission_status) {
            CORE_TRY(store::SetMissionStatus(txn, eff.fire.mission_id, *eff.mission_status));
          }
          auto mission = store::GetMission(txn, eff.fire.mission_id);
          if (!mission) return tl::unexpected(mission.error());
          if (*mission) e.signal_id = (*mission)->signal_id;
          CORE_TRY(Journal(txn, e));

          // Messages: the trader hears about the result; the group alert shows the counts.
          auto user = store::GetUser(txn, eff.fire.user_id);
          if (!user) return tl::unexpected(user.error());
          if (*user) {
            auto xp = AwardXpForResult(txn, eff.fire, r.type, (*user)->telegram_id, now);
            if (!xp) return tl::unexpected(xp.error());
            out->xp = std::move(*xp);
            out->messaged = (*user)->telegram_id != 0;
          }
          if (*mission && *user && (*user)->telegram_id != 0) {
            const Mission& m = **mission;
            const std::int64_t chat = (*user)->telegram_id;
            const std::string key = "result:" + terminal + ":" + std::to_string(r.seq);
            const std::string side(market::ToString(m.side));
            std::optional<telegram::OutMessage> msg;
            switch (r.type) {
              case bridge::ResultType::kFill:
                msg = telegram::KillConfirmed(
                    telegram::FillView{m.symbol, side, FormatFixed(r.price, m.digits), r.volume,
                                       eff.fire.ticket, m.mission_id},
                    chat);
                break;
              case bridge::ResultType::kClose:
                msg = telegram::Closed(
                    telegram::CloseView{m.symbol, side, FormatFixed(r.price, m.digits),
                                        eff.fire.fill_volume, eff.fire.ticket, m.mission_id,
                                        eff.fire.profit, m.account_ccy, r.reason, out->xp.points},
                    chat);
                break;
              case bridge::ResultType::kReject:
                msg = telegram::Refused(
                    {"Fire " + m.symbol + " " + side, "rejected by the broker: " + r.reason}, chat);
                break;
              case bridge::ResultType::kExpired:
                msg = telegram::Refused({"Fire " + m.symbol + " " + side,
                                         "the terminal saw the command after it expired"},
                                        chat);
                break;
              case bridge::ResultType::kBadSignature:
                msg = telegram::Refused(
                    {"Fire " + m.symbol + " " + side, "the terminal could not verify the command"},
                    chat);
                break;
              case bridge::ResultType::kDuplicate:
                break;
            }
            if (msg) CORE_TRY(Enqueue(txn, *msg, telegram::kPriorityResult, key, now));
          }
          // The group alert's counts are edited later, once per signal per housekeeping round
          // (Core::QueueDueAlertEdits), not in every fill's work.
          out->fire = eff.fire;
          out->mission_status = eff.mission_status;
          out->user_id = eff.fire.user_id;
          out->closed = r.type == bridge::ResultType::kClose;
          out->realised = eff.fire.profit;
          if (*mission) out->mission = **mission;
          return Ok();
        },
        [this, tally, out, terminal, seq = record.seq, type = record.type](Status s) {
          if (!s) {
            spdlog::error("result {} seq {} of terminal {} not processed: {}",
                          bridge::ToString(type), seq, terminal, s.error().message);
            if (!tally->error) tally->error = s.error();
          } else if (out->duplicate) {
            ++stats_.results_duplicate;
            ++tally->duplicates;
          } else {
            ++stats_.results_processed;
            ++tally->processed;
            if (out->fire) {
              if (out->closed) counters_.AddRealised(out->user_id, clock_.NowMs(), out->realised);
              if (out->closed && out->mission) CountClosedTrade(*out->fire, *out->mission);
              OnTradeXp(out->user_id, out->xp);
              AdoptFire(*out->fire, out->mission_status);
              if (out->mission &&
                  (type == bridge::ResultType::kFill || type == bridge::ResultType::kClose)) {
                AlertEditDue(out->mission->signal_id);
              }
              if (hub_.Watching(out->user_id) && type == bridge::ResultType::kFill) {
                hub_.Push(out->user_id, "fill", FireJson(*out->fire).dump());
              } else if (hub_.Watching(out->user_id) && type == bridge::ResultType::kClose) {
                json j = FireJson(*out->fire);
                j["profit"] = out->fire->profit;
                j["close_reason"] = out->fire->close_reason;
                hub_.Push(out->user_id, "close", j.dump());
              }
            }
            if (out->messaged && wake_outbox_) wake_outbox_();
          }
          if (s) RememberResult(terminal, seq);
          tally->Settle();
          auto waiting = results_in_flight_.extract(std::make_pair(terminal, seq));
          if (!waiting.empty()) {
            for (auto& settle : waiting.mapped()) settle(s);
          }
        },
        store::Urgency::kSoon);
  }
}

void Core::RememberResult(const std::string& terminal, std::int64_t seq) {
  std::set<std::int64_t>& done = results_done_[terminal];
  done.insert(seq);
  if (done.size() > kResultsRemembered) done.erase(done.begin());
}

bool Core::ResultRemembered(const std::string& terminal, std::int64_t seq) const {
  auto it = results_done_.find(terminal);
  return it != results_done_.end() && it->second.contains(seq);
}

void Core::OnDelivered(std::string terminal, std::string fire_id, TimeMs at) {
  Post([this, terminal = std::move(terminal), fire_id = std::move(fire_id), at] {
    auto tq = terminals_.find(terminal);
    if (tq != terminals_.end() && tq->second.queued > 0) --tq->second.queued;
    struct Outcome {
      std::optional<Fire> fire;
      std::optional<MissionStatus> mission_status;
    };
    auto out = std::make_shared<Outcome>();
    Submit(
        [terminal, fire_id, at, out](store::Txn& txn) -> Status {
          auto fire = store::GetFire(txn, fire_id);
          if (!fire) return tl::unexpected(fire.error());
          store::Event e;
          e.type = "command_delivered";
          e.fire_id = fire_id;
          e.terminal_id = terminal;
          e.time = at;
          if (!*fire) {
            e.payload = {{"problem", "unknown fire_id"}};
            return Journal(txn, e);
          }
          Fire f = **fire;
          e.mission_id = f.mission_id;
          e.user_id = f.user_id;
          if (f.delivered_at == 0) f.delivered_at = at;
          if (f.status == FireStatus::kFired || f.status == FireStatus::kUndelivered) {
            f.status = FireStatus::kDelivered;
            for (MissionStatus from : {MissionStatus::kFired, MissionStatus::kUndelivered}) {
              auto cas = store::CompareAndSetMissionStatus(txn, f.mission_id, from,
                                                           MissionStatus::kDelivered);
              if (!cas) return tl::unexpected(cas.error());
              if (*cas) out->mission_status = MissionStatus::kDelivered;
            }
          }
          CORE_TRY(store::UpdateFire(txn, f));
          CORE_TRY(Journal(txn, e));
          out->fire = f;
          return Ok();
        },
        [this, out, fire_id](Status s) {
          if (!s) {
            spdlog::error("recording delivery of fire {} failed: {}", fire_id, s.error().message);
            return;
          }
          if (out->fire) AdoptFire(*out->fire, out->mission_status);
        },
        store::Urgency::kSoon);
  });
}

// ---------------------------------------------------------------------------------------------
// Market → signals → missions

void Core::IngestTick(const market::Tick& tick) {
  ++stats_.ticks;
  quotes_.Update(tick);
  const auto& symbols = config_.engine.symbols;
  if (!symbols.empty() && std::find(symbols.begin(), symbols.end(), tick.symbol) == symbols.end()) {
    return;
  }
  if (auto bar = aggregator_.Add(tick)) OnBar(*bar);
}

void Core::OnBar(const market::Bar& bar) {
  ++stats_.bars;
  std::deque<market::Bar>& recent = recent_bars_[bar.symbol];  // the HUD chart (core_hud.cc)
  recent.push_back(bar);
  if (recent.size() > kRecentM1Bars) recent.pop_front();
  // CITADEL weighs the signal against the positions open (or on their way) right now.
  engine_->SetOpenExposure(OpenExposure());
  auto signal = engine_->OnBar(bar);
  if (signal && !DropWhilePaused(*signal)) EmitSignal(*signal);
}

// One entry per (symbol, side) with an open mission, in the order of each one's lowest open
// mission id: the order a walk of every held mission (by id) gave, which the shield's text depends
// on (the first of equally correlated positions is named). CheckMissionIndex compares it with that
// walk.
std::vector<venom::citadel::OpenPosition> Core::OpenExposure() const {
  std::vector<std::pair<const std::string*, venom::citadel::OpenPosition>> firsts;
  firsts.reserve(open_of_exposure_.size());
  for (const auto& [key, ids] : open_of_exposure_) {
    firsts.push_back({&*ids.begin(), venom::citadel::OpenPosition{key.first, key.second}});
  }
  std::sort(firsts.begin(), firsts.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  std::vector<venom::citadel::OpenPosition> exposure;
  exposure.reserve(firsts.size());
  for (auto& [first, p] : firsts) exposure.push_back(std::move(p));
  return exposure;
}

void Core::EmitSignal(const venom::Signal& signal) {
  const market::Instrument* inst = instruments_.Find(signal.symbol);
  BITTEN_CHECK(inst != nullptr, "the engine emitted a signal for an unknown instrument");
  // Every tier sees every signal (CONTRACTS §2): one mission per user.
  std::vector<Mission> built;
  built.reserve(users_.size());
  struct Dm {
    std::int64_t chat;
    std::size_t index;
  };
  std::vector<Dm> dms;
  // What the missions share is prepared once, and the ids come in one batch (docs/performance.md
  // "(b)"); each mission is still exactly what missions::BuildMission would build.
  const missions::SignalMissionBuilder builder(signal, *inst);
  std::vector<std::string> ids = NewUuidV7Batch(clock_, users_.size());
  std::size_t next_id = 0;
  for (const auto& [user_id, user] : users_) {
    const missions::AccountView account = AccountFor(user);
    std::optional<double> pip_value;
    if (account.known) {
      auto pv = market::PipValuePerLot(*inst, account.currency, quotes_);
      if (pv) pip_value = *pv;
    }
    built.push_back(builder.Build(std::move(ids[next_id++]), clock_.NowMs(), user,
                                  RulesFor(user.tier), account, pip_value));
    if (user.telegram_id != 0) dms.push_back({user.telegram_id, built.size() - 1});
  }
  const TimeMs now = clock_.NowMs();
  const TelegramConfig tg = config_.telegram;
  const std::string hud_url = hud_url_;
  auto duplicate = std::make_shared<bool>(false);
  auto missions = std::make_shared<std::vector<Mission>>(std::move(built));
  Submit(
      [signal, missions, dms, now, tg, hud_url, duplicate](store::Txn& txn) -> Status {
        auto stored = store::InsertSignal(txn, signal);
        if (!stored) return tl::unexpected(stored.error());
        if (!*stored) {
          *duplicate = true;
          return Ok();
        }
        store::Event e;
        e.type = "signal_emitted";
        e.signal_id = signal.signal_id;
        e.payload = venom::ToJson(signal);
        CORE_TRY(Journal(txn, e));
        CORE_TRY(store::InsertMissions(txn, *missions));
        json ids = json::array();
        ids.get_ref<json::array_t&>().reserve(missions->size());
        for (const Mission& m : *missions) ids.push_back(m.mission_id);
        store::Event built = e;  // moved into the journal: it carries every id
        built.type = "missions_built";
        built.payload = json::object();
        built.payload["count"] = missions->size();
        built.payload["mission_ids"] = std::move(ids);
        CORE_TRY(Journal(txn, std::move(built)));
        bool group = false;
        if (tg.group_chat_id != 0) {
          telegram::AlertTarget target{tg.group_chat_id, tg.bot_username, tg.webapp_short_name};
          CORE_TRY(Enqueue(txn, telegram::GroupAlert(AlertViewOf(signal), target),
                           telegram::kPriorityAlert, "alert:" + signal.signal_id, now));
          group = true;
        }
        for (const Dm& dm : dms) {
          const Mission& m = (*missions)[dm.index];
          CORE_TRY(Enqueue(txn, telegram::MissionDm(DmViewOf(m), dm.chat, hud_url),
                           telegram::kPriorityMission, "dm:" + m.mission_id, now));
        }
        e.type = "alert_queued";
        e.payload = {{"group", group}, {"dms", dms.size()}};
        return Journal(txn, e);
      },
      [this, signal, missions, duplicate](Status s) {
        if (!s) {
          spdlog::error("signal {} {} not stored: {}", signal.symbol, signal.signal_id,
                        s.error().message);
          return;
        }
        if (*duplicate) {
          ++stats_.duplicate_signals;
          spdlog::info("signal {} dropped: hash {} already emitted", signal.signal_id,
                       signal.signal_hash);
          return;
        }
        ++stats_.signals;
        signals_[signal.signal_id] = SignalInfo{signal};
        recent_signals_.push_front(SignalInfo{signal});
        while (recent_signals_.size() > kMaxRecentSignals) recent_signals_.pop_back();
        for (Mission& m : *missions) {
          PushMission(HoldMission(std::move(m)).mission);
        }
        AutoFire(signal);
        spdlog::info("signal {} {} {} conf {} → {} missions", signal.symbol,
                     market::ToString(signal.side), venom::ToString(signal.signal_class),
                     signal.confidence, missions->size());
        if (wake_outbox_) wake_outbox_();
      });
}

// ---------------------------------------------------------------------------------------------
// Fire path (docs/internals.md "The fire path", ARCHITECTURE invariants 1–3)

void Core::FireMission(Principal who, std::string mission_id, ReplyFn reply) {
  if (metrics_) reply = MeasureFire(metrics_, mission_id, std::move(reply));  // core_metrics.cc
  if (stopping_.load()) return reply(ErrorReply(503, "shutting_down", "the server is stopping"));
  Post([this, who = std::move(who), mission_id = std::move(mission_id),
        reply = std::move(reply)]() mutable {
    const User* user = Resolve(who);
    if (!user) return reply(ErrorReply(401, "unauthorized", kNotLinked));
    DoFire(*user, mission_id, std::move(reply));
  });
}

void Core::RefuseFire(const User& user, const std::string& mission_id, const Error& why,
                      ReplyFn reply) {
  ++stats_.fires_refused;
  const bool known =
      missions_.count(mission_id) && missions_.at(mission_id).mission.user_id == user.user_id;
  store::Event e;
  e.type = "fire_refused";
  e.user_id = user.user_id;
  if (known) {
    e.mission_id = mission_id;
    e.signal_id = missions_.at(mission_id).mission.signal_id;
  }
  e.payload = {{"code", why.code}, {"message", why.message}, {"requested_mission_id", mission_id}};
  Submit([e](store::Txn& txn) { return Journal(txn, e); },
         [](Status s) {
           if (!s) spdlog::error("journaling a fire refusal failed: {}", s.error().message);
         });
  reply(ErrorReply(missions::HttpStatusFor(why.code), why.code, why.message));
}

void Core::DoFire(const User& user, const std::string& mission_id, ReplyFn reply) {
  const TimeMs now = clock_.NowMs();
  auto it = missions_.find(mission_id);
  const Mission* mission = (it != missions_.end() && it->second.mission.user_id == user.user_id)
                               ? &it->second.mission
                               : nullptr;
  // Already fired by this user: the existing fire, never a second order.
  if (mission) {
    auto fid = fire_by_mission_.find(mission_id);
    if (fid != fire_by_mission_.end()) {
      json body = FireJson(fires_.at(fid->second));
      body["duplicate"] = true;
      return reply(CoreReply{200, std::move(body)});
    }
  }
  missions::FireCheckInput in;
  in.mission = mission;
  in.user = &user;
  const missions::TierRules& rules = RulesFor(user.tier);
  in.rules = &rules;
  in.now = now;
  in.kill_switch = kill_switch_;
  in.fires_today = counters_.Get(user.user_id, now).fires;
  in.realised_loss_today = counters_.RealisedLossToday(user.user_id, now);
  const OpenCount open = CountOpen(user.user_id, mission_id);
  in.open_positions = open.positions;
  in.open_risk = open.risk;
  in.fires_today += open.in_flight;
  in.balance = AccountFor(user).balance;
  in.terminal = TerminalViewFor(user);
  if (Status s = missions::CheckFire(in); !s) {
    if (s.error().code == "terminal_offline" || s.error().code == "no_terminal") {
      // CONTRACTS §4: the body says how old the heartbeat is.
      Error e = s.error();
      if (in.terminal.exists && in.terminal.last_heartbeat_at == 0) {
        e.message += " (no heartbeat received since the server started)";
      }
      return RefuseFire(user, mission_id, e, std::move(reply));
    }
    return RefuseFire(user, mission_id, s.error(), std::move(reply));
  }
  auto folder = folders_.find(user.terminal_id);
  if (transport_ == nullptr || folder == folders_.end() || !folder->second) {
    return RefuseFire(user, mission_id,
                      Error{"terminal_offline", "Terminal " + user.terminal_id +
                                                    " has no command folder on this server, so an "
                                                    "order could not reach it."},
                      std::move(reply));
  }
  // A full command queue would leave an accepted fire's command waiting for a restart: refused
  // before the commit instead, in words (the transport's limit per terminal).
  if (auto t = terminals_.find(user.terminal_id); t != terminals_.end()) {
    const std::size_t waiting = t->second.queued + t->second.in_flight;
    if (waiting >= kMaxQueuedCommands) {
      return RefuseFire(
          user, mission_id,
          Error{"terminal_offline",
                fmt::format("Terminal {} has {} orders waiting to be picked up and takes no more "
                            "until it catches up.",
                            user.terminal_id, waiting)},
          std::move(reply));
    }
  }
  if (Status h = writer_.health(); !h) return reply(StoreUnavailable(h.error()));

  Fire fire;
  fire.fire_id = NewUuidV7(clock_);
  fire.mission_id = mission_id;
  fire.user_id = user.user_id;
  fire.terminal_id = user.terminal_id;
  fire.status = FireStatus::kFired;
  fire.fired_at = now;
  const Mission m = *mission;
  MarkInFlight(mission_id, user.user_id);
  if (auto t = terminals_.find(user.terminal_id); t != terminals_.end()) ++t->second.in_flight;
  auto result = std::make_shared<store::FireInsert>();
  const int fires_per_day = rules.fires_per_day;
  SubmitFire(
      [fire, m, result, now, fires_per_day](store::Txn& txn) -> Status {
        auto ins = store::InsertFire(txn, fire);
        if (!ins) return tl::unexpected(ins.error());
        *result = *ins;
        if (!ins->inserted) return Ok();
        CORE_TRY(CheckUserRulesInTxn(txn, fire.user_id, fires_per_day, now));
        // The mission must still be pending in the store (an expiry may have committed first).
        auto cas = store::CompareAndSetMissionStatus(txn, m.mission_id, MissionStatus::kPending,
                                                     MissionStatus::kFired);
        if (!cas) return tl::unexpected(cas.error());
        if (!*cas) {
          auto cur = store::GetMission(txn, m.mission_id);
          const bool expired = cur && *cur && (*cur)->status == MissionStatus::kExpired;
          return expired ? Fail("mission_expired",
                                "This mission expired at " + FormatHhMmUtc(m.expires_at) + ".")
                         : Fail("mission_closed", "This mission is no longer open.");
        }
        store::Event e;
        e.type = "fire_accepted";
        e.time = now;
        e.signal_id = m.signal_id;
        e.mission_id = m.mission_id;
        e.fire_id = fire.fire_id;
        e.user_id = fire.user_id;
        e.terminal_id = fire.terminal_id;
        e.payload = {{"symbol", m.symbol}, {"side", market::ToString(m.side)},
                     {"lots", m.lots},     {"sl", m.sl},
                     {"tp", m.tp},         {"expires_at", m.expires_at}};
        // The group alert's counts: edited once per signal per housekeeping round
        // (Core::QueueDueAlertEdits), not in every fire's work.
        return Journal(txn, e);
      },
      result, user.user_id, mission_id, std::move(reply),
      [this, result, user_id = user.user_id, terminal_id = user.terminal_id, mission_id](
          Status s, ReplyFn reply) {
        ClearInFlight(mission_id);
        TerminalDone(terminal_id);
        auto u = users_.find(user_id);
        if (!s) {
          if (IsStoreFailure(s.error())) {
            spdlog::error("fire of mission {} not stored: {}", mission_id, s.error().message);
            return reply(StoreUnavailable(s.error()));
          }
          if (u == users_.end()) return reply(ErrorReply(500, s.error().code, s.error().message));
          return RefuseFire(u->second, mission_id, s.error(), reply);
        }
        // Not inserted: a concurrent fire of the same mission won the store's one-time lock.
        // (An accepted fire never comes here: SubmitFire answers it and runs AcceptedFire.)
        const Fire& f = result->fire;
        ++stats_.fires_settled_by_lock;
        if (!fires_.count(f.fire_id)) AdoptFire(f, std::nullopt);
        json body = FireJson(f);
        body["duplicate"] = true;
        reply(CoreReply{200, std::move(body)});
      });
}

void Core::SubmitFire(store::Writer::Work work, std::shared_ptr<store::FireInsert> result,
                      std::string user_id, std::string mission_id, ReplyFn reply,
                      std::function<void(Status, ReplyFn)> on_core) {
  // As Submit, with the accepted path separate: on the core thread, AcceptedFire (the fire joins
  // the core's state and its command is queued for the terminal) runs first, then the 202 is
  // sent. So a trader who has the 202 has a command on its way, whatever happens next (an
  // answer sent from the writer thread, one hop earlier, let a test's clock jump past the
  // command's delivery deadline before the command was queued: docs/performance.md "Session 4").
  // Refusals and failures go to `on_core`.
  in_flight_works_.fetch_add(1);
  writer_.Submit(std::move(work), [this, result = std::move(result), user_id = std::move(user_id),
                                   mission_id = std::move(mission_id), reply = std::move(reply),
                                   on_core = std::move(on_core)](Status s) mutable {
    if (s && result->inserted) {
      boost::asio::post(
          io_, [this, f = result->fire, user_id, mission_id, reply = std::move(reply)]() mutable {
            AcceptedFire(f, user_id, mission_id);
            reply(CoreReply{202, json{{"fire_id", f.fire_id},
                                      {"mission_id", f.mission_id},
                                      {"status", "fired"},
                                      {"fired_at", f.fired_at}}});
            in_flight_works_.fetch_sub(1);
          });
      return;
    }
    boost::asio::post(io_, [this, on_core = std::move(on_core), reply = std::move(reply),
                            s = std::move(s)]() mutable {
      on_core(std::move(s), std::move(reply));
      in_flight_works_.fetch_sub(1);
    });
  });
}

void Core::TerminalDone(const std::string& terminal_id) {
  auto t = terminals_.find(terminal_id);
  if (t != terminals_.end() && t->second.in_flight > 0) --t->second.in_flight;
}

void Core::AcceptedFire(const Fire& f, const std::string& user_id, const std::string& mission_id) {
  ClearInFlight(mission_id);
  TerminalDone(f.terminal_id);
  ++stats_.fires_accepted;
  counters_.AddFire(user_id, f.fired_at);
  AdoptFire(f, MissionStatus::kFired);
  // Only now, after the commit (and before the answer), does the command leave for the terminal.
  auto it = missions_.find(mission_id);
  if (it != missions_.end()) {
    SendCommand(f, it->second.mission);
    AlertEditDue(it->second.mission.signal_id);
  }
  // The fire's work queues no message (the group alert's counts are edited by housekeeping).
}

void Core::AlertEditDue(const std::string& signal_id) {
  if (config_.telegram.group_chat_id != 0) alert_edits_due_.insert(signal_id);
}

void Core::QueueDueAlertEdits(TimeMs now) {
  if (alert_edits_due_.empty()) return;
  auto due = std::make_shared<std::set<std::string>>(std::move(alert_edits_due_));
  alert_edits_due_.clear();
  const TelegramConfig tg = config_.telegram;
  Submit(
      [due, tg, now](store::Txn& txn) -> Status {
        for (const std::string& sid : *due) CORE_TRY(QueueAlertEdit(txn, tg, sid, now));
        return Ok();
      },
      [this, due](Status s) {
        if (!s) {
          spdlog::error("queueing {} alert edits failed: {}", due->size(), s.error().message);
          return;
        }
        if (wake_outbox_) wake_outbox_();
      },
      store::Urgency::kSoon);
}

namespace {

// Erases `id` from index[user], and the user's entry once it is empty.
template <typename Ids>
void Unindex(std::map<std::string, Ids>& index, const std::string& user, const std::string& id) {
  auto it = index.find(user);
  if (it == index.end()) return;
  it->second.erase(id);
  if (it->second.empty()) index.erase(it);
}

}  // namespace

void Core::IndexMission(const Mission& m) {
  missions_of_user_[m.user_id].insert(m.mission_id);
  ++held_of_signal_[m.signal_id];
  IndexStatus(m);
}

void Core::UnindexMission(const Mission& m) {
  Unindex(missions_of_user_, m.user_id, m.mission_id);
  if (auto it = held_of_signal_.find(m.signal_id);
      it != held_of_signal_.end() && --it->second <= 0) {
    held_of_signal_.erase(it);
  }
  UnindexStatus(m);
}

void Core::IndexStatus(const Mission& m) {
  if (IsOpen(m.status)) {
    open_of_user_[m.user_id].emplace(m.mission_id, &m);  // `m` is the held mission
    open_of_exposure_[{m.symbol, m.side}].insert(m.mission_id);
  }
  if (m.status == MissionStatus::kPending) pending_by_expiry_.emplace(m.expires_at, m.mission_id);
  if (missions::IsTerminal(m.status)) finished_by_expiry_.emplace(m.expires_at, m.mission_id);
  ++held_of_status_[m.status];
}

void Core::UnindexStatus(const Mission& m) {
  Unindex(open_of_user_, m.user_id, m.mission_id);
  if (auto it = open_of_exposure_.find({m.symbol, m.side}); it != open_of_exposure_.end()) {
    it->second.erase(m.mission_id);
    if (it->second.empty()) open_of_exposure_.erase(it);
  }
  pending_by_expiry_.erase({m.expires_at, m.mission_id});
  finished_by_expiry_.erase({m.expires_at, m.mission_id});
  if (auto it = held_of_status_.find(m.status); it != held_of_status_.end() && --it->second <= 0) {
    held_of_status_.erase(it);
  }
}

void Core::CountHudOpened(const LiveMission& lm, int delta) {
  if (!lm.hud_opened) return;
  auto [it, added] = hud_opened_of_signal_.try_emplace(lm.mission.signal_id, 0);
  if ((it->second += delta) <= 0) hud_opened_of_signal_.erase(it);
}

Core::LiveMission& Core::HoldMission(Mission m) {
  std::string id = m.mission_id;  // copied first: `m` is moved into the map below
  LiveMission& lm = missions_[id];
  if (!lm.mission.mission_id.empty()) {  // replaced (recovery)
    UnindexMission(lm.mission);
    CountHudOpened(lm, -1);
  }
  lm = LiveMission{std::move(m), false};
  IndexMission(lm.mission);
  return lm;
}

std::map<std::string, Core::LiveMission>::iterator Core::DropMission(
    std::map<std::string, LiveMission>::iterator it) {
  UnindexMission(it->second.mission);
  CountHudOpened(it->second, -1);
  return missions_.erase(it);
}

void Core::SetMissionStatus(LiveMission& lm, MissionStatus status) {
  UnindexStatus(lm.mission);
  lm.mission.status = status;
  IndexStatus(lm.mission);
}

void Core::MarkInFlight(const std::string& mission_id, const std::string& user_id) {
  fires_in_flight_[mission_id] = user_id;
  in_flight_of_user_[user_id].insert(mission_id);
}

void Core::ClearInFlight(const std::string& mission_id) {
  auto it = fires_in_flight_.find(mission_id);
  if (it == fires_in_flight_.end()) return;
  Unindex(in_flight_of_user_, it->second, mission_id);
  fires_in_flight_.erase(it);
}

// Was a walk of every held mission of every user per fire, then of the user's held missions
// (docs/performance.md "Fire path"); now O(the user's open and in-flight missions). The two sorted
// sets are merged so that the risk is summed in mission-id order, as the walk did.
Core::OpenCount Core::CountOpen(const std::string& user_id, const std::string& except) const {
  static const std::map<std::string, const Mission*> kNoneOpen;
  static const std::set<std::string> kNoneFlying;
  auto o = open_of_user_.find(user_id);
  auto f = in_flight_of_user_.find(user_id);
  const auto& open = o == open_of_user_.end() ? kNoneOpen : o->second;
  const std::set<std::string>& flying = f == in_flight_of_user_.end() ? kNoneFlying : f->second;
  OpenCount out;
  auto count = [&](const Mission* m, bool in_flight) {
    if (m == nullptr) return;
    ++out.positions;
    out.risk += m->risk_money;
    if (in_flight) ++out.in_flight;
  };
  auto held = [&](const std::string& id) -> const Mission* {
    auto m = missions_.find(id);
    return m == missions_.end() ? nullptr : &m->second.mission;
  };
  auto a = open.begin();
  auto b = flying.begin();
  while (a != open.end() || b != flying.end()) {
    if (b == flying.end() || (a != open.end() && a->first < *b)) {
      count(a++->second, false);
    } else if (a == open.end() || *b < a->first) {
      if (*b != except) count(held(*b), true);
      ++b;
    } else {  // open and in flight (a second fire of a fired mission)
      count(a->second, a->first != except);
      ++a;
      ++b;
    }
  }
  return out;
}

Status Core::CheckMissionIndex() const {
  std::map<std::string, std::set<std::string>> walked, open, flying;
  std::set<std::pair<TimeMs, std::string>> pending, finished;
  std::map<std::string, int> per_signal, hud_opened;
  std::map<MissionStatus, int> per_status;
  std::map<std::pair<std::string, market::Side>, std::set<std::string>> exposure;
  for (const auto& [id, lm] : missions_) {
    walked[lm.mission.user_id].insert(id);
    if (IsOpen(lm.mission.status)) {
      open[lm.mission.user_id].insert(id);
      exposure[{lm.mission.symbol, lm.mission.side}].insert(id);
    }
    if (lm.mission.status == MissionStatus::kPending) pending.emplace(lm.mission.expires_at, id);
    if (missions::IsTerminal(lm.mission.status)) finished.emplace(lm.mission.expires_at, id);
    ++per_signal[lm.mission.signal_id];
    ++per_status[lm.mission.status];
    if (lm.hud_opened) ++hud_opened[lm.mission.signal_id];
  }
  // An index and the same thing walked: equal, or an error naming the index.
  auto same = [](const char* index, const auto& walked, const auto& kept) -> Status {
    if (walked == kept) return Ok();
    return Fail("index_drift", fmt::format("the {} index holds {} entries, a walk finds {}", index,
                                           kept.size(), walked.size()));
  };
  CORE_TRY(same("status", per_status, held_of_status_));
  CORE_TRY(same("exposure", exposure, open_of_exposure_));
  // OpenExposure's order is the walk's: each (symbol, side) where its first open mission comes.
  std::vector<venom::citadel::OpenPosition> walked_exposure;
  for (const auto& [id, lm] : missions_) {
    if (!IsOpen(lm.mission.status)) continue;
    const bool seen = std::any_of(
        walked_exposure.begin(), walked_exposure.end(),
        [&](const auto& q) { return q.symbol == lm.mission.symbol && q.side == lm.mission.side; });
    if (!seen) walked_exposure.push_back({lm.mission.symbol, lm.mission.side});
  }
  const std::vector<venom::citadel::OpenPosition> indexed_exposure = OpenExposure();
  const bool same_order = std::equal(
      walked_exposure.begin(), walked_exposure.end(), indexed_exposure.begin(),
      indexed_exposure.end(),
      [](const auto& a, const auto& b) { return a.symbol == b.symbol && a.side == b.side; });
  if (!same_order) {
    return Fail("index_drift", "the open exposure is not in the order of the missions' ids");
  }
  CORE_TRY(same("HUD-opened", hud_opened, hud_opened_of_signal_));
  CORE_TRY(same("expiry", pending, pending_by_expiry_));
  CORE_TRY(same("drop", finished, finished_by_expiry_));
  CORE_TRY(same("signal", per_signal, held_of_signal_));
  for (const auto& [id, user_id] : fires_in_flight_) flying[user_id].insert(id);
  std::map<std::string, std::set<std::string>> open_ids;
  for (const auto& [user_id, entries] : open_of_user_) {
    for (const auto& [id, m] : entries) {
      auto held = missions_.find(id);
      if (held == missions_.end() || m != &held->second.mission) {
        return Fail("index_drift", fmt::format("user {}: the open index's entry for mission {} "
                                               "does not point at the held mission",
                                               user_id, id));
      }
      open_ids[user_id].insert(id);
    }
  }
  for (const auto& [name, index, truth] :
       {std::tuple{"held", &missions_of_user_, &walked},
        std::tuple{"open", static_cast<const decltype(open_ids)*>(&open_ids), &open},
        std::tuple{"in-flight", &in_flight_of_user_, &flying}}) {
    if (*index == *truth) continue;
    for (const auto& [user_id, ids] : *truth) {
      auto it = index->find(user_id);
      if (it == index->end() || it->second != ids) {
        return Fail("index_drift",
                    fmt::format("user {}: {} {} missions, {} in the index", user_id, ids.size(),
                                name, it == index->end() ? 0 : it->second.size()));
      }
    }
    return Fail("index_drift",
                fmt::format("the {} index names a user without such missions", name));
  }
  return Ok();
}

void Core::SendCommand(const Fire& fire, const Mission& mission) {
  auto t = terminals_.find(fire.terminal_id);
  if (t == terminals_.end() || transport_ == nullptr) {
    spdlog::error("fire {}: terminal {} has no transport; the command waits for a restart",
                  fire.fire_id, fire.terminal_id);
    return;
  }
  bridge::FireCommand cmd;
  cmd.fire_id = fire.fire_id;
  cmd.mission_id = fire.mission_id;
  cmd.action = bridge::FireAction::kOpen;
  cmd.symbol = mission.symbol;
  cmd.side = mission.side;
  cmd.volume = mission.lots;
  cmd.sl = mission.sl;
  cmd.tp = mission.tp;
  cmd.max_slippage_points = kMaxSlippagePoints;
  cmd.expires_at = mission.expires_at;
  cmd.magic = kMagic;
  cmd.comment = "BITTEN " + fire.fire_id.substr(0, 8);
  const market::Instrument* inst = instruments_.Find(mission.symbol);
  const int price_digits = inst ? inst->digits : mission.digits;
  const int volume_digits = missions::VolumeDecimals(mission.volume_step);
  std::string text = bridge::EncodeFireCommand(cmd, t->second.secret, price_digits, volume_digits);
  if (Status s = transport_->Enqueue(fire.terminal_id, fire.fire_id, std::move(text)); !s) {
    spdlog::error("fire {}: enqueue for terminal {} failed: {}", fire.fire_id, fire.terminal_id,
                  s.error().message);
    return;
  }
  ++t->second.queued;
}

// ---------------------------------------------------------------------------------------------
// Reads for the HUD

void Core::GetMe(Principal who, ReplyFn reply) {
  Post([this, who = std::move(who), reply = std::move(reply)] {
    const User* user = Resolve(who);
    if (!user) return reply(ErrorReply(401, "unauthorized", kNotLinked));
    const TimeMs now = clock_.NowMs();
    const missions::TierRules& rules = RulesFor(user->tier);
    int open = 0;
    double open_risk = 0;
    if (auto mine = open_of_user_.find(user->user_id); mine != open_of_user_.end()) {
      for (const auto& [id, m] : mine->second) {
        ++open;
        open_risk += m->risk_money;
      }
    }
    const auto today = counters_.Get(user->user_id, now);
    const missions::AccountView account = AccountFor(*user);
    json terminal = nullptr;
    if (!user->terminal_id.empty()) {
      const missions::TerminalView tv = TerminalViewFor(*user);
      const bool online = tv.last_heartbeat_at != 0 && now - tv.last_heartbeat_at <= tv.ttl_ms &&
                          tv.connected && tv.trade_allowed;
      terminal = {{"terminal_id", user->terminal_id},
                  {"online", online},
                  {"last_heartbeat_at",
                   tv.last_heartbeat_at == 0 ? json(nullptr) : json(tv.last_heartbeat_at)},
                  {"heartbeat_age_ms",
                   tv.last_heartbeat_at == 0 ? json(nullptr) : json(now - tv.last_heartbeat_at)},
                  {"connected", tv.connected},
                  {"trade_allowed", tv.trade_allowed},
                  {"balance", account.known ? json(RoundTo(account.balance, 2)) : json(nullptr)},
                  {"currency", account.known ? json(account.currency) : json(nullptr)}};
    }
    json body = {
        {"user",
         {{"user_id", user->user_id},
          {"name", user->name},
          {"tier", missions::ToString(user->tier)},
          {"xp", user->xp},
          {"level", XpJson(*user)["level"]},
          {"rank", XpJson(*user)["rank"]},
          {"next_level_xp", XpJson(*user)["next_level_xp"]},
          {"paused", user->paused},
          {"killed", user->killed}}},
        {"stats", missions::ToJson(stats_book_.Get(user->user_id))},
        {"limits",
         {{"fires_used", today.fires},
          {"fires_allowed", rules.fires_per_day},
          {"open", open},
          {"max_open", rules.max_open},
          {"daily_pnl", RoundTo(today.realised_pnl, 2)},
          // What the daily loss cap counts: today's realised loss plus the risk of open positions.
          {"open_risk", RoundTo(open_risk, 2)},
          {"daily_exposure",
           RoundTo(counters_.RealisedLossToday(user->user_id, now) + open_risk, 2)},
          {"daily_loss_cap_pct", rules.daily_loss_cap_pct},
          {"daily_loss_cap",
           account.known ? json(RoundTo(account.balance * rules.daily_loss_cap_pct / 100, 2))
                         : json(nullptr)}}},
        {"terminal", terminal},
        {"kill_switch", kill_switch_},
        {"server_time", now}};
    reply(CoreReply{200, std::move(body)});
  });
}

void Core::ListMissions(Principal who, std::string status, ReplyFn reply) {
  Post([this, who = std::move(who), status = std::move(status), reply = std::move(reply)] {
    const User* user = Resolve(who);
    if (!user) return reply(ErrorReply(401, "unauthorized", kNotLinked));
    std::optional<MissionStatus> only;
    const bool active = status == "active";
    if (!status.empty() && !active) {
      only = missions::ParseMissionStatus(status);
      if (!only) {
        return reply(
            ErrorReply(400, "bad_request",
                       "status must be 'active' or a mission status, not '" + status + "'"));
      }
    }
    std::vector<const Mission*> mine;
    static const std::set<std::string> kNone;
    auto held = missions_of_user_.find(user->user_id);
    for (const std::string& id : held == missions_of_user_.end() ? kNone : held->second) {
      const Mission& m = missions_.at(id).mission;
      if (active && missions::IsTerminal(m.status)) continue;
      if (only && m.status != *only) continue;
      mine.push_back(&m);
    }
    std::sort(mine.begin(), mine.end(), [](const Mission* a, const Mission* b) {
      return a->mission_id > b->mission_id;  // UUIDv7: newest first
    });
    json list = json::array();
    for (const Mission* m : mine) list.push_back(MissionJson(*m));
    reply(CoreReply{200, json{{"missions", std::move(list)}, {"server_time", clock_.NowMs()}}});
  });
}

void Core::GetMission(Principal who, std::string mission_id, ReplyFn reply) {
  Post([this, who = std::move(who), mission_id = std::move(mission_id), reply = std::move(reply)] {
    const User* user = Resolve(who);
    if (!user) return reply(ErrorReply(401, "unauthorized", kNotLinked));
    auto it = missions_.find(mission_id);
    if (it == missions_.end() || it->second.mission.user_id != user->user_id) {
      return reply(ErrorReply(404, "mission_not_found", "You have no mission " + mission_id + "."));
    }
    NoteHudOpened(it->second);
    reply(CoreReply{200, MissionJson(it->second.mission)});
  });
}

void Core::GetMissionForSignal(Principal who, std::string signal_id, ReplyFn reply) {
  Post([this, who = std::move(who), signal_id = std::move(signal_id), reply = std::move(reply)] {
    const User* user = Resolve(who);
    if (!user) return reply(ErrorReply(401, "unauthorized", kNotLinked));
    // The user's held missions, not every held mission: each trader who opens the group alert's
    // button comes here.
    if (auto mine = missions_of_user_.find(user->user_id); mine != missions_of_user_.end()) {
      for (const std::string& id : mine->second) {
        auto it = missions_.find(id);
        if (it == missions_.end() || it->second.mission.signal_id != signal_id) continue;
        NoteHudOpened(it->second);
        return reply(CoreReply{200, MissionJson(it->second.mission)});
      }
    }
    reply(
        ErrorReply(404, "mission_not_found", "You have no mission for signal " + signal_id + "."));
  });
}

void Core::Subscribe(Principal who, std::shared_ptr<web::SseStream> stream) {
  Post([this, who = std::move(who), stream = std::move(stream)] {
    const User* user = Resolve(who);
    if (!user) {
      stream->Send("error",
                   json{{"error", {{"code", "unauthorized"}, {"message", kNotLinked}}}}.dump());
      stream->Close();
      return;
    }
    if (!hub_.Subscribe(user->user_id, stream)) return;
    std::vector<const Mission*> mine;
    if (auto held = missions_of_user_.find(user->user_id); held != missions_of_user_.end()) {
      for (const std::string& id : held->second) {
        const Mission& m = missions_.at(id).mission;
        if (!missions::IsTerminal(m.status)) mine.push_back(&m);
      }
    }
    for (const Mission* m : mine) stream->Send("mission", MissionJson(*m).dump());
  });
}

// ---------------------------------------------------------------------------------------------
// Bot support

void Core::WhoIs(std::int64_t telegram_id, ReplyFn reply) {
  Post([this, telegram_id, reply = std::move(reply)] {
    Principal p;
    p.telegram_id = telegram_id;
    const User* u = Resolve(p);
    if (!u) return reply(ErrorReply(401, "unauthorized", "this Telegram account is not linked"));
    reply(CoreReply{
        200,
        json{{"user_id", u->user_id}, {"name", u->name}, {"tier", missions::ToString(u->tier)}}});
  });
}

void Core::LinkTelegram(std::string user_id, std::int64_t telegram_id, ReplyFn reply) {
  Post([this, user_id = std::move(user_id), telegram_id, reply = std::move(reply)] {
    auto it = users_.find(user_id);
    if (it == users_.end()) return reply(ErrorReply(404, "user_not_found", "no such user"));
    auto other = user_by_telegram_.find(telegram_id);
    if (other != user_by_telegram_.end()) {
      if (other->second == user_id) {
        return reply(CoreReply{200, json{{"user_id", user_id}, {"name", it->second.name}}});
      }
      return reply(ErrorReply(409, "already_linked",
                              "this Telegram account is already linked to another user"));
    }
    Submit(
        [user_id, telegram_id](store::Txn& txn) -> Status {
          CORE_TRY(store::SetUserTelegramId(txn, user_id, telegram_id));
          store::Event e;
          e.type = "user_linked";
          e.user_id = user_id;
          e.payload = {{"telegram_id", telegram_id}};
          return Journal(txn, e);
        },
        [this, user_id, telegram_id, reply](Status s) {
          if (!s) {
            return reply(IsStoreFailure(s.error())
                             ? StoreUnavailable(s.error())
                             : ErrorReply(409, s.error().code, s.error().message));
          }
          auto u = users_.find(user_id);
          if (u == users_.end()) return reply(ErrorReply(404, "user_not_found", "no such user"));
          if (u->second.telegram_id != 0) user_by_telegram_.erase(u->second.telegram_id);
          u->second.telegram_id = telegram_id;
          user_by_telegram_[telegram_id] = user_id;
          reply(CoreReply{200, json{{"user_id", user_id}, {"name", u->second.name}}});
        });
  });
}

void Core::QueueMessage(telegram::OutMessage msg, int priority, std::string dedup_key) {
  Post([this, msg = std::move(msg), priority, dedup_key = std::move(dedup_key)] {
    const TimeMs now = clock_.NowMs();
    Submit([msg, priority, dedup_key,
            now](store::Txn& txn) { return Enqueue(txn, msg, priority, dedup_key, now); },
           [this](Status s) {
             if (!s)
               spdlog::error("queueing a bot message failed: {}", s.error().message);
             else if (wake_outbox_)
               wake_outbox_();
           });
  });
}

// ---------------------------------------------------------------------------------------------
// Operators

void Core::SetKillSwitch(bool on) {
  Post([this, on] {
    if (kill_switch_ == on) return;
    kill_switch_ = on;
    Submit(
        [on](store::Txn& txn) -> Status {
          CORE_TRY(store::KvSet(txn, "kill_switch", on ? "1" : "0"));
          store::Event e;
          e.type = on ? "kill_switch_on" : "kill_switch_off";
          return Journal(txn, e);
        },
        nullptr);
  });
}

void Core::Snapshot(std::function<void(CoreSnapshot)> done) {
  Post([this, done = std::move(done)] {
    CoreSnapshot s = stats_;
    s.now = clock_.NowMs();
    s.kill_switch = kill_switch_;
    s.late_ticks = aggregator_.late_ticks();
    s.engine = engine_->stats();
    s.recent_blocked.assign(engine_->recent_blocked().begin(), engine_->recent_blocked().end());
    s.last_tick_at = quotes_.last_tick_at();
    s.users = users_.size();
    s.sse_streams = hub_.size();
    s.quotes = quotes_.size();
    for (const auto& [status, n] : held_of_status_)
      s.missions_by_status[std::string(missions::ToString(status))] = n;
    for (const SignalInfo& si : recent_signals_) {
      const venom::Signal& sig = si.signal;
      s.recent_signals.push_back(
          {sig.signal_id, sig.symbol, std::string(market::ToString(sig.side)),
           std::string(venom::ToString(sig.signal_class)), sig.confidence,
           std::string(venom::ToString(sig.shield.band)), sig.created_at, sig.expires_at});
    }
    for (const auto& [id, t] : terminals_) {
      CoreSnapshot::TerminalRow row;
      row.terminal_id = id;
      row.last_heartbeat_at = t.last_heartbeat_at;
      row.connected = t.connected;
      row.trade_allowed = t.trade_allowed;
      row.online = t.last_heartbeat_at != 0 && s.now - t.last_heartbeat_at <= t.ttl_ms &&
                   t.connected && t.trade_allowed;
      row.balance = t.balance;
      row.currency = t.currency;
      row.queued_commands = t.queued;
      s.terminals.push_back(std::move(row));
    }
    Status h = writer_.health();
    s.store_health = h ? "ok" : h.error().message;
    done(std::move(s));
  });
}

}  // namespace bitten::app
