#include "app/outbox_adapter.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "store/kv.h"
#include "store/outbox.h"
#include "store/statement.h"

namespace bitten::app {

StoreOutbox::StoreOutbox(std::unique_ptr<store::Database> reader, store::Writer& writer)
    : reader_(std::move(reader)), writer_(writer) {}

Result<std::vector<telegram::OutboxItem>> StoreOutbox::Pending(std::size_t limit, TimeMs now) {
  // store/outbox.h offers only the single next message; the sender wants a batch (so one
  // rate-limited chat does not hold the others back). Same order and due rule as
  // store::NextPendingOutbox.
  auto st = store::Statement::Prepare(
      reader_->handle(),
      "SELECT id, priority, chat_id, method, payload, attempts, COALESCE(dedup_key, '') FROM "
      "outbox "
      "WHERE status = 'pending' AND not_before <= ?1 ORDER BY priority, id LIMIT ?2");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, static_cast<std::int64_t>(now)).Bind(2, static_cast<std::int64_t>(limit));
  std::vector<telegram::OutboxItem> items;
  for (;;) {
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    telegram::OutboxItem item;
    item.id = st->Int(0);
    item.priority = kOutboxPriorityBase - static_cast<int>(st->Int(1));
    item.chat_id = st->Int(2);
    item.msg.method = st->Text(3);
    item.msg.params = nlohmann::json::parse(st->Text(4), nullptr, false);
    if (item.msg.params.is_discarded()) {
      return Fail("store_corrupt", "outbox row " + std::to_string(item.id) + " has a bad payload");
    }
    item.attempts = static_cast<int>(st->Int(5));
    dedup_keys_[item.id] = st->Text(6);
    items.push_back(std::move(item));
  }
  auto depth = store::CountOutbox(*reader_, store::OutboxStatus::kPending);
  if (depth) depth_.store(*depth);
  return items;
}

Status StoreOutbox::MarkSent(std::int64_t id, std::int64_t tg_message_id, TimeMs now) {
  std::string key;
  if (auto it = dedup_keys_.find(id); it != dedup_keys_.end()) {
    key = std::move(it->second);
    dedup_keys_.erase(it);
  }
  return writer_.SubmitAndWait([id, tg_message_id, now, key](store::Txn& txn) -> Status {
    if (Status s = store::MarkOutboxSent(txn, id, tg_message_id, now); !s) return s;
    // The group alert's message id, so that later works can edit it in place.
    if (key.rfind("alert:", 0) == 0 && tg_message_id != 0) {
      return store::KvSet(txn, "alert_msg:" + key.substr(6), std::to_string(tg_message_id));
    }
    return Ok();
  });
}

Status StoreOutbox::MarkFailed(std::int64_t id, const std::string& error) {
  dedup_keys_.erase(id);
  return writer_.SubmitAndWait(
      [id, error](store::Txn& txn) { return store::MarkOutboxFailed(txn, id, error); });
}

Status StoreOutbox::MarkUnknown(std::int64_t id, const std::string& error) {
  dedup_keys_.erase(id);
  return writer_.SubmitAndWait(
      [id, error](store::Txn& txn) { return store::MarkOutboxUnknown(txn, id, error); });
}

Status StoreOutbox::Defer(std::int64_t id, TimeMs until_ms, int attempts) {
  dedup_keys_.erase(id);
  return writer_.SubmitAndWait([id, until_ms, attempts](store::Txn& txn) {
    return store::DeferOutbox(txn, id, until_ms, "deferred, attempt " + std::to_string(attempts));
  });
}

// ---------------------------------------------------------------------------------------------

LogOutboxSender::LogOutboxSender(StoreOutbox& store, const Clock& clock)
    : store_(store), clock_(clock) {}

LogOutboxSender::~LogOutboxSender() { Stop(); }

void LogOutboxSender::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void LogOutboxSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void LogOutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LogOutboxSender::Run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return woken_ || stopping_; });
      if (stopping_) return;
      woken_ = false;
    }
    for (;;) {
      auto items = store_.Pending(64, clock_.NowMs());
      if (!items) {
        spdlog::error("outbox (log mode): cannot read the outbox: {}; stopped",
                      items.error().message);
        return;
      }
      if (items->empty()) break;
      for (const telegram::OutboxItem& item : *items) {
        std::string text = item.msg.params.value("text", std::string());
        for (char& c : text) {
          if (c == '\n') c = '|';
        }
        spdlog::info("outbox (Telegram off) → chat {} {}: {}", item.chat_id, item.msg.method, text);
        if (Status s = store_.MarkSent(item.id, 0, clock_.NowMs()); !s) {
          spdlog::error("outbox (log mode): cannot mark {} sent: {}; stopped", item.id,
                        s.error().message);
          return;
        }
        sent_.fetch_add(1);
      }
    }
  }
}

}  // namespace bitten::app
