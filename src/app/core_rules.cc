// Core members for the trader rules that are not the fire check itself (docs/rules.md): per-user
// pause and kill switches, the persisted global kill switch, and auto-fire.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "app/core.h"
#include "app/core_telegram.h"
#include "app/outbox_adapter.h"
#include "base/format.h"
#include "missions/sizing.h"
#include "store/journal.h"
#include "store/kv.h"
#include "store/outbox.h"
#include "store/user_flags.h"
#include "telegram/messages.h"
#include "telegram/outbox.h"

namespace bitten::app {

using missions::Mission;
using missions::MissionStatus;
using missions::User;
using nlohmann::json;

namespace {

json FlagsJson(const User& u) {
  return {{"user_id", u.user_id}, {"name", u.name}, {"paused", u.paused}, {"killed", u.killed}};
}

}  // namespace

void Core::SetUserFlag(std::string user_id, UserFlag flag, bool on, ReplyFn reply) {
  boost::asio::post(
      io_, [this, user_id = std::move(user_id), flag, on, reply = std::move(reply)]() mutable {
        auto answer = [&reply](CoreReply r) {
          if (reply) reply(std::move(r));
        };
        auto it = users_.find(user_id);
        if (it == users_.end()) {
          return answer(ErrorReply(404, "user_not_found", "There is no user " + user_id + "."));
        }
        const bool paused = flag == UserFlag::kPaused;
        const char* type = paused ? (on ? "user_paused" : "user_resumed")
                                  : (on ? "user_killed" : "user_kill_lifted");
        Submit(
            [user_id, paused, on, type](store::Txn& txn) -> Status {
              Status s = paused ? store::SetUserPaused(txn, user_id, on)
                                : store::SetUserKilled(txn, user_id, on);
              if (!s) return s;
              store::Event e;
              e.type = type;
              e.user_id = user_id;
              auto r = store::AppendEvent(txn, e);
              if (!r) return tl::unexpected(r.error());
              return Ok();
            },
            [this, user_id, paused, on, reply = std::move(reply)](Status s) {
              auto u = users_.find(user_id);
              if (!s) {
                spdlog::error("setting a flag of user {} failed: {}", user_id, s.error().message);
                if (reply) reply(ErrorReply(503, "store_unavailable", s.error().message));
                return;
              }
              if (u == users_.end()) {
                if (reply) reply(ErrorReply(404, "user_not_found", "There is no user " + user_id));
                return;
              }
              (paused ? u->second.paused : u->second.killed) = on;
              if (auto mine = missions_of_user_.find(user_id); mine != missions_of_user_.end()) {
                for (const std::string& id : mine->second) {
                  auto it = missions_.find(id);
                  if (it != missions_.end() && it->second.mission.status == MissionStatus::kPending)
                    PushMission(it->second.mission);
                }
              }
              if (reply) reply(CoreReply{200, FlagsJson(u->second)});
            });
      });
}

void Core::SetUserPaused(std::string user_id, bool paused, ReplyFn reply) {
  SetUserFlag(std::move(user_id), UserFlag::kPaused, paused, std::move(reply));
}

void Core::SetUserKilled(std::string user_id, bool killed, ReplyFn reply) {
  SetUserFlag(std::move(user_id), UserFlag::kKilled, killed, std::move(reply));
}

void Core::AutoFire(const venom::Signal& signal) {
  std::vector<std::pair<std::string, std::string>> eligible;  // (user_id, mission_id)
  for (const auto& [id, lm] : missions_) {
    const Mission& m = lm.mission;
    if (m.signal_id != signal.signal_id || m.status != MissionStatus::kPending) continue;
    auto u = users_.find(m.user_id);
    if (u == users_.end()) continue;
    const missions::TierRules& rules = RulesFor(u->second.tier);
    if (!rules.auto_fire || signal.confidence < rules.auto_fire_min_confidence) continue;
    // A mission the trader could not fire by hand (tier, sizing) is not auto-fired either; its
    // mission already says why.
    if (!m.blocked_code.empty() || m.lots <= 0) continue;
    eligible.emplace_back(m.user_id, id);
  }
  for (const auto& [user_id, mission_id] : eligible) {
    const User& user = users_.at(user_id);
    const int min_conf = RulesFor(user.tier).auto_fire_min_confidence;
    spdlog::info("auto-fire: mission {} of user {} (confidence {} >= {})", mission_id, user.name,
                 signal.confidence, min_conf);
    DoFire(user, mission_id,
           [this, user_id = user_id, mission_id = mission_id, confidence = signal.confidence,
            min_conf](CoreReply r) { TellAutoFire(user_id, mission_id, confidence, min_conf, r); });
  }
}

void Core::TellAutoFire(const std::string& user_id, const std::string& mission_id, int confidence,
                        int min_confidence, const CoreReply& r) {
  auto u = users_.find(user_id);
  auto m = missions_.find(mission_id);
  if (u == users_.end() || m == missions_.end()) return;
  if (r.status == 200) return;  // a hand fire won the one-time lock: it was already told
  const Mission& mission = m->second.mission;
  const bool fired = r.status == 202;
  const std::string what =
      fmt::format("{} {} {} lots", mission.symbol, market::ToString(mission.side),
                  FormatFixed(mission.lots, missions::VolumeDecimals(mission.volume_step)));
  std::string text;
  json event = {{"mission_id", mission_id}, {"fired", fired}, {"confidence", confidence}};
  if (fired) {
    text = fmt::format("🤖 Auto-fired {} (confidence {} ≥ your auto-fire bar {}).", what,
                       confidence, min_confidence);
    event["fire_id"] = r.body.value("fire_id", "");
  } else {
    const json err = r.body.value("error", json::object());
    const std::string why = err.value("message", "refused");
    text = fmt::format("🤖 Auto-fire of {} did not go out: {}", what, why);
    event["code"] = err.value("code", "");
    event["message"] = why;
  }
  hub_.Push(user_id, "autofire", event.dump());
  const std::int64_t chat = u->second.telegram_id;
  const TimeMs now = clock_.NowMs();
  Submit(
      [chat, text, event, user_id, mission_id, signal_id = mission.signal_id,
       now](store::Txn& txn) -> Status {
        store::Event e;
        e.type = "auto_fire";
        e.user_id = user_id;
        e.mission_id = mission_id;
        e.signal_id = signal_id;
        e.payload = event;
        auto r = store::AppendEvent(txn, e);
        if (!r) return tl::unexpected(r.error());
        if (chat == 0) return Ok();
        const telegram::OutMessage msg = telegram::PlainText(chat, text);
        auto q = store::EnqueueOutbox(
            txn, OutboxRow(msg, telegram::kPriorityResult, "autofire:" + mission_id, now));
        if (!q) return tl::unexpected(q.error());
        return Ok();
      },
      [this](Status s) {
        if (!s) {
          spdlog::error("telling an auto-fire failed: {}", s.error().message);
        } else if (wake_outbox_) {
          wake_outbox_();
        }
      });
}

}  // namespace bitten::app
