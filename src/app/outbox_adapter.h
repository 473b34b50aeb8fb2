// The Telegram outbox over the store (CONTRACTS §5: an alert or DM survives a restart and is sent
// once). StoreOutbox implements telegram::OutboxStore for the OutboxSender; LogOutboxSender is what
// runs instead when Telegram is off (no token): it prints each due message to the log and marks it
// sent, so the outbox still drains and every stage stays visible.
//
// Priorities: telegram/ says "higher first", store/ says "lower first"; rows are written with
// store priority = kOutboxPriorityBase − telegram priority (app/core.cc) and read back the same
// way.
//
// Threads: StoreOutbox is called only on the sender's thread (its read-only connection belongs to
// that thread); writes go through the store::Writer (SubmitAndWait, never from a work). depth() is
// thread-safe. When the group alert of a signal is sent, its Telegram message id is saved in kv
// "alert_msg:<signal_id>" so later works can edit the alert in place.
//
// Crash safety: MarkSending stores the id of the item in flight in kv "telegram.outbox_in_flight"
// (one write before each request); every outcome clears it in the same transaction. The first
// Pending() after a start finds a marker left by a crash and records that item unknown (it may
// have reached Telegram), so it is never sent twice.
//
// Coalesced edits (app/core_telegram.h EnqueueAlertEdit): when the content of an edit row changed
// while its request was in flight, the outcome belongs to the old content: the row stays pending
// and the new content is sent next (an edit is idempotent, so this is never a duplicate message).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "store/db.h"
#include "store/writer.h"
#include "telegram/outbox.h"

namespace bitten::app {

inline constexpr int kOutboxPriorityBase = 1000;
inline constexpr const char* kOutboxInFlightKey = "telegram.outbox_in_flight";

class StoreOutbox final : public telegram::OutboxStore {
 public:
  // `reader` is a read-only connection used only on the sender's thread; `writer` must outlive
  // this.
  StoreOutbox(std::unique_ptr<store::Database> reader, store::Writer& writer);

  Result<std::vector<telegram::OutboxItem>> Pending(std::size_t limit, TimeMs now) override;
  Status MarkSending(std::int64_t id) override;
  Status MarkSent(std::int64_t id, std::int64_t tg_message_id, TimeMs now) override;
  Status MarkFailed(std::int64_t id, const std::string& error) override;
  Status MarkUnknown(std::int64_t id, const std::string& error) override;
  Status Defer(std::int64_t id, TimeMs until_ms, int attempts) override;

  // Pending messages counted at the last Pending() call (-1 before the first). Thread-safe.
  std::int64_t depth() const { return depth_.load(); }

 private:
  std::unique_ptr<store::Database> reader_;
  store::Writer& writer_;
  // Records an item left in flight by a crash as unknown (once, at the first Pending()).
  Status Recover();
  std::string TakeEditPayload(std::int64_t id);  // "" when the item was not an edit

  std::map<std::int64_t, std::string> dedup_keys_;     // of items handed out, until marked
  std::map<std::int64_t, std::string> edit_payloads_;  // of edit items handed out, until marked
  bool recovered_ = false;
  std::atomic<std::int64_t> depth_{-1};
};

// Telegram off: drains the outbox into the log. One thread; Wake() from any thread.
class LogOutboxSender {
 public:
  // `store` and `clock` must outlive the sender.
  LogOutboxSender(StoreOutbox& store, const Clock& clock);
  ~LogOutboxSender();  // Stop()
  LogOutboxSender(const LogOutboxSender&) = delete;
  LogOutboxSender& operator=(const LogOutboxSender&) = delete;

  void Start();
  void Wake();
  void Stop();
  // Messages logged and marked sent so far.
  std::int64_t sent() const { return sent_.load(); }

 private:
  void Run();

  StoreOutbox& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::atomic<std::int64_t> sent_{0};
  std::thread thread_;
};

}  // namespace bitten::app
