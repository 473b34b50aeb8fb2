// Core members for the Commander Throne (docs/admin.md): the console's view of core state and its
// controls. Same thread rules as core.cc: everything here runs on the core thread; store writes go
// through Submit() and the core adopts a change only in the work's Done, after the commit. Every
// control journals its event with the operator in the payload ("by").
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "app/core.h"
#include "app/core_telegram.h"
#include "app/outbox_adapter.h"
#include "base/crypto.h"
#include "base/format.h"
#include "store/journal.h"
#include "store/kv.h"
#include "store/missions.h"
#include "store/outbox.h"
#include "store/terminals.h"
#include "store/users.h"
#include "telegram/messages.h"
#include "telegram/outbox.h"

namespace bitten::app {

using missions::Mission;
using missions::MissionStatus;
using nlohmann::json;

namespace {

constexpr char kEnginePausedKey[] = "engine_paused";

Status AppendOrFail(store::Txn& txn, const store::Event& e) {
  auto r = store::AppendEvent(txn, e);
  if (!r) return tl::unexpected(r.error());
  return Ok();
}

json ShieldJson(const venom::Shield& s) {
  return {{"score", s.score},
          {"band", venom::ToString(s.band)},
          {"explanation", s.explanation},
          {"size_multiplier", s.size_multiplier}};
}

}  // namespace

void Core::NoteHudOpened(LiveMission& lm) {
  if (lm.hud_opened) return;
  lm.hud_opened = true;
  CountHudOpened(lm, +1);
}

bool Core::DropWhilePaused(const venom::Signal& signal) {
  if (!engine_paused_) return false;
  ++signals_dropped_paused_;
  spdlog::info("engine paused: signal {} {} {} (confidence {}) not emitted", signal.symbol,
               market::ToString(signal.side), signal.setup, signal.confidence);
  return true;
}

Status Core::RecoverAdmin(const store::Database& reader) {
  auto paused = store::KvGet(reader, kEnginePausedKey);
  if (!paused) return tl::unexpected(paused.error());
  engine_paused_ = *paused && **paused == "1";
  if (engine_paused_) spdlog::warn("the engine is paused (set from the console); no signals");
  return Ok();
}

void Core::AdminState(std::optional<std::vector<std::string>> only_users,
                      std::function<void(json)> done) {
  boost::asio::post(io_, [this, only_users = std::move(only_users), done = std::move(done)] {
    const TimeMs now = clock_.NowMs();
    json engine = {{"paused", engine_paused_},
                   {"signals_dropped_paused", signals_dropped_paused_},
                   {"kill_switch", kill_switch_},
                   {"ticks", stats_.ticks},
                   {"bars", stats_.bars},
                   {"signals", stats_.signals},
                   {"duplicate_signals", stats_.duplicate_signals},
                   {"late_ticks", aggregator_.late_ticks()},
                   {"last_tick_at", quotes_.last_tick_at()},
                   {"fires_accepted", stats_.fires_accepted},
                   {"fires_refused", stats_.fires_refused},
                   {"results_processed", stats_.results_processed},
                   {"sse_streams", hub_.size()}};
    Status h = writer_.health();
    engine["store_health"] = h ? "ok" : h.error().message;
    json blocked = json::array();
    for (const venom::BlockedSignal& b : engine_->recent_blocked()) {
      blocked.push_back({{"symbol", b.symbol},
                         {"side", market::ToString(b.side)},
                         {"setup", b.setup},
                         {"bar_time", b.bar_time},
                         {"confidence", b.confidence},
                         {"shield", ShieldJson(b.shield)},
                         {"reason", b.reason}});
    }
    json feeds = json::array();
    for (const market::Tick& t : quotes_.Latest({})) {
      feeds.push_back({{"symbol", t.symbol},
                       {"last_tick_at", t.time},
                       {"age_ms", now - t.time},
                       {"bid", t.bid},
                       {"ask", t.ask}});
    }
    // Live funnel counts only the core knows (HUD opened), per held signal.
    // (From the core's indexes: no walk of every held mission per poll.)
    auto opened_of = [this](const std::string& signal_id) {
      auto it = hud_opened_of_signal_.find(signal_id);
      return it == hud_opened_of_signal_.end() ? 0 : it->second;
    };
    std::map<std::string, std::int64_t> missions_by_status;
    for (const auto& [status, n] : held_of_status_) {
      missions_by_status[std::string(missions::ToString(status))] = n;
    }
    json opened = json::object();  // every held signal, also those recovered at start
    for (const auto& [signal_id, n] : held_of_signal_) opened[signal_id] = opened_of(signal_id);
    json signals = json::array();
    for (const SignalInfo& si : recent_signals_) {
      const venom::Signal& s = si.signal;
      const bool known = held_of_signal_.count(s.signal_id) > 0;
      signals.push_back({{"signal_id", s.signal_id},
                         {"symbol", s.symbol},
                         {"side", market::ToString(s.side)},
                         {"class", venom::ToString(s.signal_class)},
                         {"setup", s.setup},
                         {"confidence", s.confidence},
                         {"shield", ShieldJson(s.shield)},
                         {"created_at", s.created_at},
                         {"expires_at", s.expires_at},
                         {"hud_opened", known ? json(opened_of(s.signal_id)) : json(nullptr)}});
    }
    json terminals = json::array();
    for (const auto& [id, t] : terminals_) {
      const bool beat = t.last_heartbeat_at != 0;
      terminals.push_back(
          {{"terminal_id", id},
           {"last_heartbeat_at", t.last_heartbeat_at},
           {"heartbeat_age_ms", beat ? json(now - t.last_heartbeat_at) : json(nullptr)},
           {"ttl_ms", t.ttl_ms},
           {"online",
            beat && now - t.last_heartbeat_at <= t.ttl_ms && t.connected && t.trade_allowed},
           {"connected", t.connected},
           {"trade_allowed", t.trade_allowed},
           {"balance", t.balance},
           {"equity", t.equity},
           {"positions", t.positions},
           {"currency", t.currency},
           {"queued_commands", t.queued}});
    }
    // At most kAdminUsersShown users (the first by id, or the search's): the poll every 3 s
    // must not build, and the page must not draw, a row per user of 1,000,000.
    json users = json::array();
    auto add = [&users](const std::string& id, const missions::User& u) {
      users.push_back({{"user_id", id},
                       {"name", u.name},
                       {"tier", missions::ToString(u.tier)},
                       {"xp", u.xp},
                       {"paused", u.paused},
                       {"killed", u.killed},
                       {"terminal_id", u.terminal_id},
                       {"telegram", u.telegram_id != 0}});
    };
    if (only_users) {
      for (const std::string& id : *only_users) {
        if (users.size() >= kAdminUsersShown) break;
        if (auto it = users_.find(id); it != users_.end()) add(id, it->second);
      }
    } else {
      for (const auto& [id, u] : users_) {
        if (users.size() >= kAdminUsersShown) break;
        add(id, u);
      }
    }
    done(json{{"server_time", now},
              {"engine", std::move(engine)},
              {"blocked", std::move(blocked)},
              {"feeds", std::move(feeds)},
              {"signals", std::move(signals)},
              {"hud_opened", std::move(opened)},
              {"missions_by_status", missions_by_status},
              {"terminals", std::move(terminals)},
              {"users", std::move(users)},
              {"users_total", users_.size()}});
  });
}

void Core::AdminSetEnginePaused(std::string admin, bool paused, ReplyFn reply) {
  boost::asio::post(io_, [this, admin = std::move(admin), paused, reply = std::move(reply)] {
    Submit(
        [admin, paused](store::Txn& txn) -> Status {
          if (Status s = store::KvSet(txn, kEnginePausedKey, paused ? "1" : "0"); !s) return s;
          store::Event e;
          e.type = paused ? "engine_paused" : "engine_resumed";
          e.payload = {{"by", admin}};
          return AppendOrFail(txn, e);
        },
        [this, admin, paused, reply](Status s) {
          if (!s) return reply(StoreUnavailable(s.error()));
          engine_paused_ = paused;
          spdlog::warn("engine {} by {}", paused ? "paused" : "resumed", admin);
          reply(CoreReply{200, json{{"paused", engine_paused_}}});
        });
  });
}

void Core::AdminSetKillSwitch(std::string admin, bool on, ReplyFn reply) {
  boost::asio::post(io_, [this, admin = std::move(admin), on, reply = std::move(reply)] {
    Submit(
        [admin, on](store::Txn& txn) -> Status {
          if (Status s = store::KvSet(txn, "kill_switch", on ? "1" : "0"); !s) return s;
          store::Event e;
          e.type = on ? "kill_switch_on" : "kill_switch_off";
          e.payload = {{"by", admin}};
          return AppendOrFail(txn, e);
        },
        [this, admin, on, reply](Status s) {
          if (!s) return reply(StoreUnavailable(s.error()));
          kill_switch_ = on;
          spdlog::warn("kill switch {} by {}", on ? "on" : "off", admin);
          // Pending missions show whether they can be fired: tell the HUDs.
          for (const auto& [id, lm] : missions_) {
            if (lm.mission.status == MissionStatus::kPending) PushMission(lm.mission);
          }
          reply(CoreReply{200, json{{"kill_switch", kill_switch_}}});
        });
  });
}

void Core::AdminCancelSignal(std::string admin, std::string signal_id, ReplyFn reply) {
  boost::asio::post(io_, [this, admin = std::move(admin), signal_id = std::move(signal_id),
                          reply = std::move(reply)] {
    std::vector<std::string> pending;
    bool any = false;
    for (const auto& [id, lm] : missions_) {
      if (lm.mission.signal_id != signal_id) continue;
      any = true;
      if (lm.mission.status == MissionStatus::kPending && !fires_in_flight_.count(id)) {
        pending.push_back(id);
      }
    }
    if (!any && !signals_.count(signal_id)) {
      return reply(ErrorReply(404, "signal_not_found",
                              "The core holds no signal " + signal_id + " (unknown or too old)."));
    }
    auto moved = std::make_shared<std::vector<std::string>>();
    std::vector<std::pair<std::string, std::string>> owners;  // mission_id, user_id
    for (const std::string& id : pending) owners.emplace_back(id, missions_.at(id).mission.user_id);
    Submit(
        [admin, signal_id, owners, moved](store::Txn& txn) -> Status {
          for (const auto& [mission_id, user_id] : owners) {
            auto cas = store::CompareAndSetMissionStatus(txn, mission_id, MissionStatus::kPending,
                                                         MissionStatus::kCancelled);
            if (!cas) return tl::unexpected(cas.error());
            if (!*cas) continue;  // a fire or an expiry committed first
            moved->push_back(mission_id);
            store::Event e;
            e.type = "mission_cancelled";
            e.signal_id = signal_id;
            e.mission_id = mission_id;
            e.user_id = user_id;
            e.payload = {{"by", admin}};
            if (Status s = AppendOrFail(txn, e); !s) return s;
          }
          store::Event e;
          e.type = "signal_cancelled";
          e.signal_id = signal_id;
          json ids = json::array();
          for (const std::string& id : *moved) ids.push_back(id);
          e.payload = {{"by", admin}, {"cancelled", moved->size()}, {"mission_ids", ids}};
          return AppendOrFail(txn, e);
        },
        [this, signal_id, moved, reply](Status s) {
          if (!s) return reply(StoreUnavailable(s.error()));
          json ids = json::array();
          for (const std::string& id : *moved) {
            ids.push_back(id);
            auto it = missions_.find(id);
            if (it == missions_.end()) continue;
            SetMissionStatus(it->second, MissionStatus::kCancelled);
            PushMission(it->second.mission);
          }
          reply(CoreReply{200, json{{"signal_id", signal_id},
                                    {"cancelled", moved->size()},
                                    {"mission_ids", std::move(ids)}}});
        });
  });
}

void Core::AdminSetUserTier(std::string admin, std::string user_id, missions::Tier tier,
                            ReplyFn reply) {
  boost::asio::post(io_, [this, admin = std::move(admin), user_id = std::move(user_id), tier,
                          reply = std::move(reply)] {
    auto it = users_.find(user_id);
    if (it == users_.end()) {
      return reply(ErrorReply(404, "user_not_found", "There is no user " + user_id + "."));
    }
    const std::string from(missions::ToString(it->second.tier));
    Submit(
        [admin, user_id, tier, from](store::Txn& txn) -> Status {
          if (Status s = store::SetUserTier(txn, user_id, tier); !s) return s;
          store::Event e;
          e.type = "user_tier_set";
          e.user_id = user_id;
          e.payload = {{"by", admin}, {"from", from}, {"to", missions::ToString(tier)}};
          return AppendOrFail(txn, e);
        },
        [this, user_id, tier, reply](Status s) {
          if (!s) return reply(StoreUnavailable(s.error()));
          auto u = users_.find(user_id);
          if (u == users_.end()) {
            return reply(ErrorReply(404, "user_not_found", "There is no user " + user_id + "."));
          }
          u->second.tier = tier;
          reply(CoreReply{200, json{{"user_id", user_id},
                                    {"name", u->second.name},
                                    {"tier", missions::ToString(tier)}}});
        });
  });
}

void Core::AdminResendAlert(std::string admin, std::string signal_id, ReplyFn reply) {
  boost::asio::post(io_, [this, admin = std::move(admin), signal_id = std::move(signal_id),
                          reply = std::move(reply)] {
    auto sig = signals_.find(signal_id);
    if (sig == signals_.end()) {
      return reply(ErrorReply(404, "signal_not_found",
                              "The core holds no signal " + signal_id + " (unknown or too old)."));
    }
    const TimeMs now = clock_.NowMs();
    if (now >= sig->second.signal.expires_at) {
      return reply(ErrorReply(409, "signal_expired",
                              "Signal " + signal_id + " expired at " +
                                  FormatHhMmUtc(sig->second.signal.expires_at) +
                                  " UTC; its alert is not sent again."));
    }
    const TelegramConfig tg = config_.telegram;
    std::vector<store::OutboxMessage> rows;
    const std::string suffix = ":" + std::to_string(now);
    if (tg.group_chat_id != 0) {
      telegram::AlertTarget target{tg.group_chat_id, tg.bot_username, tg.webapp_short_name};
      rows.push_back(OutboxRow(telegram::GroupAlert(AlertViewOf(sig->second.signal), target),
                               telegram::kPriorityAlert, "resend:" + signal_id + suffix, now));
    }
    int dms = 0;
    for (const auto& [id, lm] : missions_) {
      if (lm.mission.signal_id != signal_id || lm.mission.status != MissionStatus::kPending)
        continue;
      auto u = users_.find(lm.mission.user_id);
      if (u == users_.end() || u->second.telegram_id == 0) continue;
      rows.push_back(
          OutboxRow(telegram::MissionDm(DmViewOf(lm.mission), u->second.telegram_id, hud_url_),
                    telegram::kPriorityMission, "resend-dm:" + id + suffix, now));
      ++dms;
    }
    const bool group = tg.group_chat_id != 0;
    Submit(
        [admin, signal_id, rows, group, dms](store::Txn& txn) -> Status {
          for (const store::OutboxMessage& row : rows) {
            auto r = store::EnqueueOutbox(txn, row);
            if (!r) return tl::unexpected(r.error());
          }
          store::Event e;
          e.type = "alert_resent";
          e.signal_id = signal_id;
          e.payload = {{"by", admin}, {"group", group}, {"dms", dms}};
          return AppendOrFail(txn, e);
        },
        [this, signal_id, group, dms, reply](Status s) {
          if (!s) return reply(StoreUnavailable(s.error()));
          if (wake_outbox_) wake_outbox_();
          reply(CoreReply{200, json{{"signal_id", signal_id}, {"group", group}, {"dms", dms}}});
        });
  });
}

void Core::AdminRotateTerminalSecret(std::string admin, std::string terminal_id, ReplyFn reply) {
  boost::asio::post(io_, [this, admin = std::move(admin), terminal_id = std::move(terminal_id),
                          reply = std::move(reply)] {
    if (!terminals_.count(terminal_id)) {
      return reply(
          ErrorReply(404, "terminal_not_found", "There is no terminal " + terminal_id + "."));
    }
    const std::string secret = RandomBytes(32);
    const std::string hex = ToHex(secret);
    bool in_config = false;
    std::string replaced_hash;  // of the secret being replaced, for Server::Seed at next start
    for (const TerminalConfig& tc : config_.terminals) {
      if (tc.terminal_id != terminal_id) continue;
      in_config = true;
      replaced_hash = Sha256Hex(tc.secret_hex);
    }
    Submit(
        [admin, terminal_id, hex, replaced_hash](store::Txn& txn) -> Status {
          if (Status s = store::SetTerminalSecret(txn, terminal_id, hex); !s) return s;
          if (!replaced_hash.empty()) {
            if (Status s = store::KvSet(txn, "secret_rotated_from:" + terminal_id, replaced_hash);
                !s) {
              return s;
            }
          }
          store::Event e;
          e.type = "terminal_secret_rotated";
          e.terminal_id = terminal_id;
          e.payload = {{"by", admin}};
          return AppendOrFail(txn, e);
        },
        [this, terminal_id, secret, hex, in_config, reply](Status s) {
          if (!s) return reply(StoreUnavailable(s.error()));
          auto t = terminals_.find(terminal_id);
          if (t != terminals_.end()) {
            t->second.secret = secret;
            t->second.row.secret_hex = hex;
          }
          if (on_secret_rotated_) on_secret_rotated_(terminal_id, secret);
          json body = {{"terminal_id", terminal_id}, {"secret_hex", hex}};
          if (in_config) {
            body["warning"] =
                "This terminal is also defined in the config file ([[terminals]] secret_hex): the "
                "server keeps this new secret across restarts while the config holds the old one; "
                "put the new secret in the config when convenient.";
          }
          spdlog::warn("terminal {}: secret rotated from the console", terminal_id);
          reply(CoreReply{200, std::move(body)});
        });
  });
}

}  // namespace bitten::app
