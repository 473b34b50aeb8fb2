// Core members for Telegram (issue 6): alert expiry/deletion and invite redemption. Same thread
// rules as core.cc: everything here runs on the core thread; store writes go through Submit().
#include "app/core_telegram.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "app/core.h"
#include "store/invites.h"
#include "store/journal.h"
#include "store/kv.h"
#include "store/statement.h"
#include "store/users.h"

namespace bitten::app {

using nlohmann::json;

int AlertCountdownMinutes(TimeMs expires_at, TimeMs now) {
  if (now >= expires_at) return 0;
  return static_cast<int>((expires_at - now + 59'999) / 60'000);
}

Status EnqueueAlertEdit(store::Txn& txn, const store::OutboxMessage& row,
                        const std::string& signal_id) {
  // Already queued (or sent) with this very content: nothing to do.
  auto same = store::Statement::Prepare(txn.handle(), "SELECT 1 FROM outbox WHERE dedup_key = ?1");
  if (!same) return tl::unexpected(same.error());
  same->Bind(1, row.dedup_key);
  auto found = same->Step();
  if (!found) return tl::unexpected(found.error());
  if (*found) return Ok();
  // A pending edit of the same alert takes the new content (coalescing).
  const std::string prefix = "edit:" + signal_id + ":";
  auto st = store::Statement::Prepare(
      txn.handle(),
      "UPDATE outbox SET payload = ?1, dedup_key = ?2, priority = ?3 WHERE id = (SELECT id FROM "
      "outbox WHERE status = 'pending' AND method = 'editMessageText' AND "
      "substr(dedup_key, 1, length(?4)) = ?4 ORDER BY id LIMIT 1)");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, row.payload).Bind(2, row.dedup_key).Bind(3, row.priority).Bind(4, prefix);
  if (Status s = st->Run(); !s) return s;
  if (st->changes() > 0) return Ok();
  auto r = store::EnqueueOutbox(txn, row);
  if (!r) return tl::unexpected(r.error());
  return Ok();
}

void Core::ExpireAlerts(TimeMs now) {
  // Forget signals the core no longer holds (Housekeeping drops them a day after expiry).
  for (auto it = alerts_expired_.begin(); it != alerts_expired_.end();) {
    it = signals_.count(*it) ? std::next(it) : alerts_expired_.erase(it);
  }
  if (config_.telegram.group_chat_id == 0) return;
  CountdownAlerts(now);
  auto due = std::make_shared<std::vector<std::string>>();
  for (const auto& [id, info] : signals_) {
    if (now >= info.signal.expires_at && !alerts_expired_.count(id)) {
      alerts_expired_.insert(id);
      due->push_back(id);
    }
  }
  if (due->empty()) return;
  const TelegramConfig tg = config_.telegram;
  // Alerts still waiting in the outbox at their expiry (a backlog, a 429 pause, a restart) have no
  // message id to edit yet: they are looked at again next round until sent (then edited and their
  // deletion queued) or given up by the outbox (failed / unknown: nothing in the group to edit).
  auto unsent = std::make_shared<std::vector<std::string>>();
  Submit(
      [due, unsent, tg, now](store::Txn& txn) -> Status {
        for (const std::string& id : *due) {
          auto msg_id = store::KvGet(txn, "alert_msg:" + id);
          if (!msg_id) return tl::unexpected(msg_id.error());
          if (!*msg_id) {
            auto st = store::Statement::Prepare(txn.db().handle(),
                                                "SELECT status FROM outbox WHERE dedup_key = ?1");
            if (!st) return tl::unexpected(st.error());
            st->Bind(1, "alert:" + id);
            auto row = st->Step();
            if (!row) return tl::unexpected(row.error());
            if (*row && st->Text(0) == "pending") unsent->push_back(id);
            continue;
          }
          if (Status s = QueueGroupAlertEdit(txn, tg, id, now); !s) return s;
        }
        return Ok();
      },
      [this, due, unsent](Status s) {
        if (!s) {
          spdlog::error("queueing the expiry of {} group alerts failed: {}", due->size(),
                        s.error().message);
          for (const std::string& id : *due) alerts_expired_.erase(id);  // retried next round
          return;
        }
        for (const std::string& id : *unsent) alerts_expired_.erase(id);  // not sent yet
        if (wake_outbox_) wake_outbox_();
      });
}

void Core::CountdownAlerts(TimeMs now) {
  const std::int64_t cadence_ms = config_.telegram.alert_countdown_s * 1000;
  for (auto it = alert_countdown_step_.begin(); it != alert_countdown_step_.end();) {
    auto s = signals_.find(it->first);
    it = (s == signals_.end() || now >= s->second.signal.expires_at)
             ? alert_countdown_step_.erase(it)
             : std::next(it);
  }
  if (cadence_ms <= 0) return;
  // A live alert is edited whenever its countdown step (the time left in whole cadences, rounded
  // up) changes. The edit shows whole minutes left; its dedup key is its content, so a restart or
  // a cadence shorter than a minute never queues the same text twice, and EnqueueAlertEdit keeps
  // at most one pending edit per alert when the group's 20/min holds edits back.
  auto due = std::make_shared<std::vector<std::string>>();
  for (const auto& [id, info] : signals_) {
    const TimeMs left = info.signal.expires_at - now;
    if (left <= 0) continue;
    const TimeMs step = (left + cadence_ms - 1) / cadence_ms;
    auto [it, inserted] = alert_countdown_step_.try_emplace(id, step);
    if (!inserted && it->second == step) continue;
    it->second = step;
    due->push_back(id);
  }
  if (due->empty()) return;
  const TelegramConfig tg = config_.telegram;
  Submit(
      [due, tg, now](store::Txn& txn) -> Status {
        for (const std::string& id : *due) {
          if (Status s = QueueGroupAlertEdit(txn, tg, id, now); !s) return s;
        }
        return Ok();
      },
      [this, due](Status s) {
        if (!s) {
          spdlog::warn("queueing the countdown of {} group alerts failed: {}", due->size(),
                       s.error().message);
          return;  // the next step tries again
        }
        if (wake_outbox_) wake_outbox_();
      });
}

void Core::RedeemInvite(std::string code, std::int64_t telegram_id, ReplyFn reply) {
  boost::asio::post(io_, [this, code = std::move(code), telegram_id, reply = std::move(reply)] {
    const TimeMs now = clock_.NowMs();
    auto user_id = std::make_shared<std::string>();
    Submit(
        [code, telegram_id, now, user_id](store::Txn& txn) -> Status {
          auto invite = store::RedeemInvite(txn, code, telegram_id, now);
          if (!invite) return tl::unexpected(invite.error());
          *user_id = invite->user_id;
          auto linked = store::GetUserByTelegramId(txn.db(), telegram_id);
          if (!linked) return tl::unexpected(linked.error());
          if (*linked && (*linked)->user_id != invite->user_id) {
            return Fail("telegram_linked",
                        "this Telegram account is already linked to another user");
          }
          if (!*linked) {
            if (Status s = store::SetUserTelegramId(txn, invite->user_id, telegram_id); !s) {
              return s;
            }
          }
          store::Event e;
          e.type = "user_linked";
          e.user_id = invite->user_id;
          e.payload = {{"telegram_id", telegram_id}, {"invite", code}};
          auto r = store::AppendEvent(txn, e);
          if (!r) return tl::unexpected(r.error());
          return Ok();
        },
        [this, telegram_id, user_id, reply](Status s) {
          if (!s) {
            const std::string& c = s.error().code;
            int status = 503;
            std::string message = "The invite could not be checked right now; try again.";
            if (c == "invite_not_found") {
              status = 404, message = "This invite code is not known.";
            } else if (c == "invite_expired") {
              status = 410, message = "This invite has expired.";
            } else if (c == "invite_used") {
              status = 409, message = "This invite was already used by another account.";
            } else if (c == "telegram_linked" || c == "store_conflict") {
              status = 409, message = "This Telegram account is already linked to another user.";
            }
            return reply(ErrorReply(status, status == 503 ? "store_unavailable" : c, message));
          }
          auto u = users_.find(*user_id);
          if (u == users_.end()) return reply(ErrorReply(404, "user_not_found", "no such user"));
          if (u->second.telegram_id != 0 && u->second.telegram_id != telegram_id) {
            user_by_telegram_.erase(u->second.telegram_id);
          }
          u->second.telegram_id = telegram_id;
          user_by_telegram_[telegram_id] = *user_id;
          reply(CoreReply{200, json{{"user_id", *user_id}, {"name", u->second.name}}});
        });
  });
}

}  // namespace bitten::app
