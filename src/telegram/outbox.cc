#include "telegram/outbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>
#include <utility>

#include "base/thread_name.h"

namespace bitten::telegram {

OutboxSender::OutboxSender(Options options, OutboxStore& store, const Clock& clock, OnSent on_sent)
    : options_(std::move(options)),
      store_(store),
      clock_(clock),
      on_sent_(std::move(on_sent)),
      limiter_(options_.limits) {}

OutboxSender::~OutboxSender() { Stop(); }

void OutboxSender::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void OutboxSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void OutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::optional<Error> OutboxSender::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

bool OutboxSender::Check(const Status& s, const char* what) {
  if (s) return true;
  spdlog::error("telegram outbox: store {} failed ({}: {}); outbox sending stopped", what,
                s.error().code, s.error().message);
  std::lock_guard lock(mu_);
  failure_ = s.error();
  stopping_ = true;
  return false;
}

void OutboxSender::WaitUntil(TimeMs t) {
  std::unique_lock lock(mu_);
  const TimeMs delay = t - clock_.NowMs();
  if (delay > 0 && !woken_ && !stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(delay), [this] { return woken_ || stopping_; });
  }
  woken_ = false;
}

void OutboxSender::Run() {
  SetThreadName("bitten-outbox");
  BotApi api(options_.api);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    WaitUntil(Round(api));
  }
}

TimeMs OutboxSender::Round(BotApi& api) {
  TimeMs now = clock_.NowMs();
  if (now < paused_until_) return paused_until_;
  auto pending = store_.Pending(options_.batch, now);
  if (!pending) {
    Check(tl::unexpected(pending.error()), "Pending");
    return now;
  }
  TimeMs next = now + options_.poll_ms;
  bool sent_any = false;
  std::unordered_set<std::int64_t> held;  // chats whose earlier item waits: keep their order

  for (const OutboxItem& item : *pending) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return now;
    }
    if (held.contains(item.chat_id)) continue;
    now = clock_.NowMs();
    const TimeMs allowed = limiter_.When(item.chat_id, now);
    if (allowed > now) {
      held.insert(item.chat_id);
      next = std::min(next, allowed);
      continue;
    }
    if (!Check(store_.MarkSending(item.id), "MarkSending")) return now;
    now = clock_.NowMs();  // still allowed: windows only empty as time passes
    limiter_.Record(item.chat_id, now);
    const TimeMs sent_at = now;
    const CallResult r = api.Call(item.msg.method, item.msg.params);
    const int attempts = item.attempts + 1;
    switch (r.kind) {
      case CallKind::kOk: {
        sent_any = true;
        const std::int64_t message_id = r.message_id();
        if (!Check(store_.MarkSent(item.id, message_id, sent_at), "MarkSent")) return now;
        if (on_sent_) on_sent_(item, message_id, sent_at);
        break;
      }
      case CallKind::kRateLimited: {
        const TimeMs until = clock_.NowMs() + r.retry_after_s * 1000;
        spdlog::warn("telegram outbox: 429 from Telegram, pausing all sends for {} s (item {})",
                     r.retry_after_s, item.id);
        paused_until_ = until;
        Check(store_.Defer(item.id, until, attempts), "Defer");
        return until;
      }
      case CallKind::kTransient: {
        held.insert(item.chat_id);
        if (attempts >= options_.max_attempts) {
          spdlog::error("telegram outbox: item {} failed after {} attempts: {}", item.id, attempts,
                        r.description);
          if (!Check(store_.MarkFailed(item.id, "gave up after " + std::to_string(attempts) +
                                                    " attempts: " + r.description),
                     "MarkFailed")) {
            return now;
          }
          break;
        }
        TimeMs backoff = options_.backoff_initial_ms;
        for (int i = 1; i < attempts && backoff < options_.backoff_max_ms; ++i) backoff *= 2;
        backoff = std::min(backoff, options_.backoff_max_ms);
        spdlog::warn("telegram outbox: item {} transient failure ({}), retry in {} ms", item.id,
                     r.description, backoff);
        if (!Check(store_.Defer(item.id, clock_.NowMs() + backoff, attempts), "Defer")) return now;
        break;
      }
      case CallKind::kPermanent: {
        spdlog::error("telegram outbox: item {} refused by Telegram ({}: {})", item.id,
                      r.error_code, r.description);
        if (!Check(store_.MarkFailed(item.id, std::to_string(r.error_code) + ": " + r.description),
                   "MarkFailed")) {
          return now;
        }
        break;
      }
      case CallKind::kUnknown: {
        held.insert(item.chat_id);
        spdlog::error("telegram outbox: item {} outcome unknown ({}); not resent", item.id,
                      r.description);
        if (!Check(store_.MarkUnknown(item.id, r.description), "MarkUnknown")) return now;
        break;
      }
    }
  }
  // After a send there may be more due items than one batch held: look again at once.
  return sent_any ? clock_.NowMs() : next;
}

}  // namespace bitten::telegram
