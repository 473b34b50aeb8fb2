#include "app/outbox_adapter.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "base/thread_name.h"
#include "store/kv.h"
#include "store/outbox.h"
#include "store/statement.h"

namespace bitten::app {

namespace {

// Inside an outcome's transaction: clears the in-flight marker and tells whether the row's content
// was replaced since it was handed out (`handed_out` empty: not an edit, never replaced).
Result<bool> SettleInFlight(store::Txn& txn, std::int64_t id, const std::string& handed_out) {
  if (Status s = store::KvSet(txn, kOutboxInFlightKey, ""); !s) return tl::unexpected(s.error());
  if (handed_out.empty()) return false;
  auto st = store::Statement::Prepare(txn.handle(), "SELECT payload FROM outbox WHERE id = ?1");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, id);
  auto row = st->Step();
  if (!row) return tl::unexpected(row.error());
  return *row && st->Text(0) != handed_out;
}

}  // namespace

StoreOutbox::StoreOutbox(std::unique_ptr<store::Database> reader, store::Writer& writer)
    : reader_(std::move(reader)), writer_(writer) {}

Status StoreOutbox::Recover() {
  return writer_.SubmitAndWait([](store::Txn& txn) -> Status {
    auto marker = store::KvGet(txn, kOutboxInFlightKey);
    if (!marker) return tl::unexpected(marker.error());
    if (!*marker || (*marker)->empty()) return Ok();
    std::int64_t id = 0;
    try {
      id = std::stoll(**marker);
    } catch (...) {
      return Fail("store_corrupt", std::string("kv ") + kOutboxInFlightKey + " is not an id");
    }
    auto row = store::GetOutbox(txn.db(), id);
    if (!row) return tl::unexpected(row.error());
    if (*row && (*row)->status == store::OutboxStatus::kPending) {
      spdlog::warn(
          "telegram outbox: item {} was in flight when the sender stopped; recorded "
          "unknown, not resent",
          id);
      if (Status s = store::MarkOutboxUnknown(
              txn, id, "in flight when the sender stopped: outcome unknown, not resent");
          !s) {
        return s;
      }
    }
    return store::KvSet(txn, kOutboxInFlightKey, "");
  });
}

Status StoreOutbox::MarkSending(std::int64_t id) {
  return writer_.SubmitAndWait(
      [id](store::Txn& txn) { return store::KvSet(txn, kOutboxInFlightKey, std::to_string(id)); });
}

Result<std::vector<telegram::OutboxItem>> StoreOutbox::Pending(std::size_t limit, TimeMs now) {
  if (!recovered_) {
    if (Status s = Recover(); !s) return tl::unexpected(s.error());
    recovered_ = true;
  }
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
    if (item.msg.method == "editMessageText") edit_payloads_[item.id] = st->Text(4);
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
  const std::string handed_out = TakeEditPayload(id);
  return writer_.SubmitAndWait(
      [id, tg_message_id, now, key, handed_out](store::Txn& txn) -> Status {
        auto replaced = SettleInFlight(txn, id, handed_out);
        if (!replaced) return tl::unexpected(replaced.error());
        if (*replaced) return Ok();  // the new content is still to be sent
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
  const std::string handed_out = TakeEditPayload(id);
  return writer_.SubmitAndWait([id, error, handed_out](store::Txn& txn) -> Status {
    auto replaced = SettleInFlight(txn, id, handed_out);
    if (!replaced) return tl::unexpected(replaced.error());
    if (*replaced) return Ok();
    return store::MarkOutboxFailed(txn, id, error);
  });
}

Status StoreOutbox::MarkUnknown(std::int64_t id, const std::string& error) {
  dedup_keys_.erase(id);
  const std::string handed_out = TakeEditPayload(id);
  return writer_.SubmitAndWait([id, error, handed_out](store::Txn& txn) -> Status {
    auto replaced = SettleInFlight(txn, id, handed_out);
    if (!replaced) return tl::unexpected(replaced.error());
    if (*replaced) return Ok();
    return store::MarkOutboxUnknown(txn, id, error);
  });
}

Status StoreOutbox::Defer(std::int64_t id, TimeMs until_ms, int attempts) {
  dedup_keys_.erase(id);
  edit_payloads_.erase(id);
  return writer_.SubmitAndWait([id, until_ms, attempts](store::Txn& txn) -> Status {
    if (Status s = store::KvSet(txn, kOutboxInFlightKey, ""); !s) return s;
    return store::DeferOutbox(txn, id, until_ms, "deferred, attempt " + std::to_string(attempts));
  });
}

std::string StoreOutbox::TakeEditPayload(std::int64_t id) {
  auto it = edit_payloads_.find(id);
  if (it == edit_payloads_.end()) return {};
  std::string p = std::move(it->second);
  edit_payloads_.erase(it);
  return p;
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
  SetThreadName("bitten-outbox");
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
