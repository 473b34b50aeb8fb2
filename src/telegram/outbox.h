// The outbox sender: the one thread that talks to Telegram for outgoing messages (ARCHITECTURE
// "Threads"). Alerts, DMs and edits are first written durably to the outbox by app/ (OutboxStore
// over the SQLite store, CONTRACTS §5: "an alert or DM survives a restart and is sent once"); this
// thread pulls what is due, respects Telegram's limits (RateLimiter) and records each outcome in
// the store:
//
// Before each request the sender calls MarkSending(id): a durable store remembers the item in
// flight, so that after a crash between the request and its outcome the item is recorded unknown
// rather than sent again (StoreOutbox does this; the outcome calls below clear it).
//
//   kOk           MarkSent(id, result.message_id, sent_at), then OnSent(item, message_id, sent_at)
//   kRateLimited  Defer(id, now + retry_after, attempts + 1) and no send at all until then
//   kTransient    Defer(id, now + backoff, attempts + 1), backoff = min(initial × 2^attempts, max);
//                 MarkFailed once attempts reaches max_attempts
//   kPermanent    MarkFailed(id, "<error_code>: <description>")
//   kUnknown      MarkUnknown(id, description): Telegram may have shown it; never sent again
//                 automatically (a duplicate alert is worse than a missing one; the operator
//                 decides)
//
// Order: the store's Pending() returns due items most urgent first (higher `priority`, then lower
// id); the sender keeps that order except that an item whose chat is rate-limited waits while
// items for other chats go ahead. Within one round, items of one chat keep the store's order (an
// item waiting or deferred holds back the later items of its chat); a deferred item lets later
// ones pass once its round is over.
//
// Store failure is sticky (STYLE habit 2): if any OutboxStore call fails the sender stops sending,
// logs the error and reports it through failure(); an item is never re-sent because its outcome
// could not be recorded.
//
// Time: `clock` stamps sends and drives the waits, so it must advance in real time (RealClock or
// an OffsetClock over it).
//
// Thread-safety: Start(), Wake(), Stop() and failure() may be called from any thread. The store
// and the OnSent callback are called only on the sender's thread, which owns its BotApi.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "telegram/bot_api.h"
#include "telegram/messages.h"
#include "telegram/rate_limiter.h"

namespace bitten::telegram {

// Priorities (higher is sent first), in the order issue 6 sets: the group alert is the product's
// front door and goes first; then fire results (the trader is waiting); then mission DMs; then the
// rest. A command reply sits with the results: the person who typed it is waiting too.
inline constexpr int kPriorityAlert = 400;    // the group alert
inline constexpr int kPriorityResult = 300;   // Kill Confirmed, closes, refusals
inline constexpr int kPriorityReply = 250;    // answers to commands and confirmations
inline constexpr int kPriorityMission = 200;  // personal mission DMs
inline constexpr int kPriorityEdit = 50;      // alert edits (counts, expiry), stats

struct OutboxItem {
  std::int64_t id = 0;       // the store's row id
  int priority = 0;          // higher first
  std::int64_t chat_id = 0;  // the chat the limits are counted against (= msg.params["chat_id"])
  OutMessage msg;
  int attempts = 0;  // sends tried so far
};

// Implemented by app/ over the store. Every call comes from the sender's thread.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Up to `limit` items neither sent, failed nor unknown, and not deferred past `now`; most urgent
  // first (priority descending, then id ascending).
  virtual Result<std::vector<OutboxItem>> Pending(std::size_t limit, TimeMs now) = 0;
  // The request for this item is about to be made. A durable store records it so that a restart
  // after a crash before the outcome was recorded treats the item as unknown, never resends it.
  virtual Status MarkSending(std::int64_t id) = 0;
  // Telegram accepted it; tg_message_id is the Message's id (0 for edits and deletes answered
  // `true`). now: when the request was started.
  virtual Status MarkSent(std::int64_t id, std::int64_t tg_message_id, TimeMs now) = 0;
  // Will never be sent (permanent error or too many attempts).
  virtual Status MarkFailed(std::int64_t id, const std::string& error) = 0;
  // Sent but the answer was lost: do not resend automatically.
  virtual Status MarkUnknown(std::int64_t id, const std::string& error) = 0;
  // Try again at until_ms; attempts is the new attempt count.
  virtual Status Defer(std::int64_t id, TimeMs until_ms, int attempts) = 0;
};

class OutboxSender {
 public:
  struct Options {
    BotApi::Options api;     // base URL, token, deadlines
    RateLimits limits;       // Default: CONTRACTS §5 limits
    std::size_t batch = 64;  // items read from the store per round. Default: 64
    // Re-read the store at least this often (deferred items become due without a Wake()).
    // Default: 1000
    TimeMs poll_ms = 1000;
    TimeMs backoff_initial_ms = 1000;  // transient retry backoff. Default: 1 s, doubling
    TimeMs backoff_max_ms = 300000;    // Default: 5 min
    int max_attempts = 10;             // transient failures before MarkFailed. Default: 10
  };
  // Called on the sender's thread after MarkSent succeeded. sent_at is when the request started
  // (the time the rate limiter charged).
  using OnSent =
      std::function<void(const OutboxItem& item, std::int64_t message_id, TimeMs sent_at)>;

  // The store and clock must outlive the sender. on_sent may be empty.
  OutboxSender(Options options, OutboxStore& store, const Clock& clock, OnSent on_sent = {});
  ~OutboxSender();  // Stop()
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  void Start();
  // New items are in the store: look now rather than at the next poll.
  void Wake();
  // Lets the call in flight finish (bounded by the API deadline; aborting it would turn a good send
  // into an unknown one), then joins. Idempotent.
  void Stop();
  // The sticky store error that stopped sending, if any.
  std::optional<Error> failure() const;

 private:
  void Run();
  // One round: returns the time of the next round (or now when there may be more work).
  TimeMs Round(BotApi& api);
  bool Check(const Status& s, const char* what);
  void WaitUntil(TimeMs t);

  Options options_;
  OutboxStore& store_;
  const Clock& clock_;
  OnSent on_sent_;
  RateLimiter limiter_;
  TimeMs paused_until_ = 0;  // after a 429: nothing is sent before this

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::optional<Error> failure_;
  std::thread thread_;
};

}  // namespace bitten::telegram
