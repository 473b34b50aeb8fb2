// The durable Telegram outbox (app::StoreOutbox over a real SQLite file) with the real OutboxSender
// and the telegram-test-api emulator (issue 6: "a restart resumes it; nothing is sent twice"):
// a graceful stop while a request hangs, and a crash between a delivered request and the record
// of its outcome, each followed by a restart on the same file. Also the coalescing of alert edits
// (app/core_telegram.h EnqueueAlertEdit) and an edit replaced while its request is in flight.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/core_telegram.h"
#include "app/outbox_adapter.h"
#include "base/clock.h"
#include "common/paths.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/outbox.h"
#include "store/statement.h"
#include "store/writer.h"
#include "telegram/messages.h"
#include "telegram/outbox.h"
#include "unit/telegram/emulator_fixture.h"
#include "unit/telegram/fault_server.h"

namespace bitten::app {
namespace {

using bitten::testing::TempDir;
using nlohmann::json;
using telegram::testing::FaultServer;
using telegram::testing::TelegramEmulator;

constexpr const char* kToken = "6161:durable-outbox";

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms = 20000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// One "process lifetime" of the store: a read-write Writer and the sender's read-only connection
// over the same file. Destroying it closes both (a restart opens a new one).
struct StoreSession {
  std::unique_ptr<store::Writer> writer;
  std::unique_ptr<StoreOutbox> outbox;

  StoreSession(const std::filesystem::path& path, const Clock& clock) {
    auto db = store::Database::Open(path);
    EXPECT_TRUE(db) << db.error().message;
    writer = std::make_unique<store::Writer>(std::move(*db), clock);
    auto reader = store::Database::Open(path, store::OpenMode::kReadOnly);
    EXPECT_TRUE(reader) << reader.error().message;
    outbox = std::make_unique<StoreOutbox>(std::move(*reader), *writer);
  }
};

struct Row {
  std::string status;
  std::string text;
  int attempts = 0;
};

// Every outbox row by id, read through a fresh connection.
std::map<std::int64_t, Row> Rows(const std::filesystem::path& path) {
  std::map<std::int64_t, Row> out;
  auto db = store::Database::Open(path, store::OpenMode::kReadOnly);
  EXPECT_TRUE(db);
  if (!db) return out;
  auto st = store::Statement::Prepare(
      (*db)->handle(), "SELECT id, status, payload, attempts FROM outbox ORDER BY id");
  EXPECT_TRUE(st);
  while (st && *st->Step()) {
    out[st->Int(0)] = Row{st->Text(1), json::parse(st->Text(2)).value("text", std::string()),
                          static_cast<int>(st->Int(3))};
  }
  return out;
}

// Texts the bot showed in the emulator, with how often each was shown.
std::map<std::string, int> Shown(TelegramEmulator& emu) {
  std::map<std::string, int> out;
  for (const json& h : emu.History(kToken)) {
    if (h.contains("message") && h["message"].contains("chat_id") &&
        h["message"].contains("text")) {
      ++out[h["message"]["text"].get<std::string>()];
    }
  }
  return out;
}

// Six DMs to three chats, queued durably (as the core does, one work).
std::vector<std::string> QueueSix(store::Writer& writer, TimeMs now) {
  std::vector<std::string> texts;
  EXPECT_TRUE(writer.SubmitAndWait([&](store::Txn& txn) -> Status {
    for (int i = 0; i < 6; ++i) {
      const std::string text = "durable " + std::to_string(i);
      texts.push_back(text);
      const telegram::OutMessage msg = telegram::PlainText(300 + i % 3, text);
      store::OutboxMessage row;
      row.priority = kOutboxPriorityBase - telegram::kPriorityMission;
      row.chat_id = msg.params["chat_id"];
      row.method = msg.method;
      row.payload = msg.params.dump();
      row.dedup_key = "dm:test-" + std::to_string(i);
      row.created_at = now;
      auto r = store::EnqueueOutbox(txn, row);
      if (!r) return tl::unexpected(r.error());
    }
    return Ok();
  }));
  return texts;
}

telegram::OutboxSender::Options At(const std::string& url) {
  telegram::OutboxSender::Options o;
  o.api.base_url = url;
  o.api.token = kToken;
  o.api.timeout_ms = 1500;
  o.poll_ms = 100;
  o.backoff_initial_ms = 100;
  return o;
}

// Stopped while a delivered request hangs unanswered: the item is recorded unknown (the stop waits
// for the request's deadline); after a restart on the same file the rest goes out once and the
// unknown one is not sent again.
TEST(DurableOutbox, StopWhileARequestHangsThenRestartSendsEveryMessageOnce) {
  TelegramEmulator emu;
  ASSERT_TRUE(emu.ok()) << emu.error();
  FaultServer proxy({FaultServer::Forward(), FaultServer::Forward(),
                     FaultServer::ForwardThenStall(), FaultServer::Forward()});
  proxy.SetUpstream(emu.url());
  TempDir dir;
  const auto path = dir.path() / "bitten.sqlite";
  RealClock clock;
  std::vector<std::string> texts;
  {
    StoreSession s1(path, clock);
    texts = QueueSix(*s1.writer, clock.NowMs());
    telegram::OutboxSender sender(At(proxy.url()), *s1.outbox, clock);
    sender.Start();
    ASSERT_TRUE(WaitFor([&] { return proxy.requests().size() >= 3; }));
    sender.Stop();  // mid-send: the third request is delivered and held unanswered
    EXPECT_FALSE(sender.failure());
  }
  const auto reqs_before = proxy.requests().size();
  auto rows = Rows(path);
  ASSERT_EQ(rows.size(), 6u);
  int unknown = 0, pending = 0;
  for (const auto& [id, r] : rows) {
    unknown += r.status == "unknown";
    pending += r.status == "pending";
  }
  EXPECT_EQ(unknown, 1);
  EXPECT_EQ(pending, 3);  // a non-empty outbox across the restart

  {
    StoreSession s2(path, clock);
    telegram::OutboxSender sender(At(proxy.url()), *s2.outbox, clock);
    sender.Start();
    ASSERT_TRUE(WaitFor([&] {
      for (const auto& [id, r] : Rows(path)) {
        if (r.status == "pending") return false;
      }
      return true;
    }));
    sender.Stop();
  }
  // Only the three pending ones were requested again: the unknown one never.
  EXPECT_EQ(proxy.requests().size(), reqs_before + 3);
  std::map<std::string, int> requested;
  for (const auto& r : proxy.requests()) ++requested[json::parse(r.body).value("text", "")];
  const auto shown = Shown(emu);
  for (const auto& [id, r] : Rows(path)) {
    EXPECT_TRUE(r.status == "sent" || r.status == "unknown") << r.text << ": " << r.status;
    EXPECT_EQ(requested[r.text], 1) << r.text;
    EXPECT_EQ(shown.count(r.text) ? shown.at(r.text) : 0, 1) << r.text << " shown once";
  }
}

// Crash: the process dies after a request was delivered and answered but before its outcome was
// written. A store that stops writing at that moment leaves the file exactly as a kill would (the
// row pending, the in-flight marker set). The restart records that item unknown and never resends
// it; everything else is delivered once.
class CrashingOutbox final : public telegram::OutboxStore {
 public:
  CrashingOutbox(StoreOutbox& real, int crash_on_send) : real_(real), crash_on_(crash_on_send) {}
  Result<std::vector<telegram::OutboxItem>> Pending(std::size_t limit, TimeMs now) override {
    if (dead_) return Fail("crashed", "the process is gone");
    return real_.Pending(limit, now);
  }
  Status MarkSending(std::int64_t id) override {
    if (dead_) return Fail("crashed", "the process is gone");
    if (++sends_ == crash_on_) dying_ = true;
    return real_.MarkSending(id);
  }
  Status MarkSent(std::int64_t id, std::int64_t m, TimeMs now) override {
    if (Die()) return Fail("crashed", "the process is gone");
    return real_.MarkSent(id, m, now);
  }
  Status MarkFailed(std::int64_t id, const std::string& e) override {
    if (Die()) return Fail("crashed", "the process is gone");
    return real_.MarkFailed(id, e);
  }
  Status MarkUnknown(std::int64_t id, const std::string& e) override {
    if (Die()) return Fail("crashed", "the process is gone");
    return real_.MarkUnknown(id, e);
  }
  Status Defer(std::int64_t id, TimeMs until, int attempts) override {
    if (Die()) return Fail("crashed", "the process is gone");
    return real_.Defer(id, until, attempts);
  }

 private:
  bool Die() {
    if (dying_) dead_ = true;
    return dead_;
  }
  StoreOutbox& real_;
  int crash_on_;
  int sends_ = 0;
  bool dying_ = false;
  bool dead_ = false;
};

TEST(DurableOutbox, CrashAfterADeliveredRequestThenRestartNeverResendsIt) {
  TelegramEmulator emu;
  ASSERT_TRUE(emu.ok()) << emu.error();
  TempDir dir;
  const auto path = dir.path() / "bitten.sqlite";
  RealClock clock;
  std::vector<std::string> texts;
  std::string in_flight;
  {
    StoreSession s1(path, clock);
    texts = QueueSix(*s1.writer, clock.NowMs());
    CrashingOutbox crashing(*s1.outbox, 3);
    telegram::OutboxSender sender(At(emu.url()), crashing, clock);
    sender.Start();
    ASSERT_TRUE(WaitFor([&] { return sender.failure().has_value(); }));
    sender.Stop();
    auto db = store::Database::Open(path, store::OpenMode::kReadOnly);
    ASSERT_TRUE(db);
    auto marker = store::KvGet(**db, kOutboxInFlightKey);
    ASSERT_TRUE(marker && *marker && !(*marker)->empty()) << "no in-flight marker left";
    const auto rows = Rows(path);
    const auto it = rows.find(std::stoll(**marker));
    ASSERT_NE(it, rows.end());
    EXPECT_EQ(it->second.status, "pending");  // as a kill would leave it
    in_flight = it->second.text;
  }
  EXPECT_EQ(Shown(emu)[in_flight], 1) << "the crashed request was delivered";

  {
    StoreSession s2(path, clock);
    telegram::OutboxSender sender(At(emu.url()), *s2.outbox, clock);
    sender.Start();
    ASSERT_TRUE(WaitFor([&] {
      for (const auto& [id, r] : Rows(path)) {
        if (r.status == "pending") return false;
      }
      return true;
    }));
    sender.Stop();
    EXPECT_FALSE(sender.failure());
  }
  const auto shown = Shown(emu);
  for (const auto& [id, r] : Rows(path)) {
    EXPECT_EQ(r.status, r.text == in_flight ? "unknown" : "sent") << r.text;
    EXPECT_EQ(shown.count(r.text) ? shown.at(r.text) : 0, 1) << r.text << " shown once";
  }
}

// ---------------------------------------------------------------------------------------------
// Coalescing of alert edits.

store::OutboxMessage EditRow(const std::string& signal, const std::string& text,
                             const std::string& key) {
  const telegram::OutMessage msg{"editMessageText",
                                 json{{"chat_id", -100900}, {"message_id", 5}, {"text", text}}};
  store::OutboxMessage row;
  row.priority = kOutboxPriorityBase - telegram::kPriorityEdit;
  row.chat_id = -100900;
  row.method = msg.method;
  row.payload = msg.params.dump();
  row.dedup_key = "edit:" + signal + ":" + key;
  return row;
}

int PendingEdits(const std::filesystem::path& path) {
  int n = 0;
  for (const auto& [id, r] : Rows(path)) n += r.status == "pending";
  return n;
}

TEST(AlertEditCoalescing, APendingEditIsReplacedNeverQueuedTwice) {
  TempDir dir;
  const auto path = dir.path() / "bitten.sqlite";
  RealClock clock;
  StoreSession s(path, clock);
  auto enqueue = [&](const std::string& signal, const std::string& text, const std::string& key) {
    ASSERT_TRUE(s.writer->SubmitAndWait([&](store::Txn& txn) {
      return EnqueueAlertEdit(txn, EditRow(signal, text, key), signal);
    }));
  };
  enqueue("sigA", "14 min", "0:0:t14");
  enqueue("sigA", "13 min", "0:0:t13");
  enqueue("sigA", "12 min · 🔥 1", "1:0:t12");
  enqueue("sigB", "B 9 min", "0:0:t9");  // another alert keeps its own edit
  auto rows = Rows(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.begin()->second.text, "12 min · 🔥 1");
  EXPECT_EQ(std::next(rows.begin())->second.text, "B 9 min");
  enqueue("sigA", "12 min · 🔥 1", "1:0:t12");  // the same content again: nothing
  EXPECT_EQ(Rows(path).size(), 2u);

  // Sent: the next state is a new row; a state already sent is never queued again.
  auto items = s.outbox->Pending(10, clock.NowMs());
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 2u);
  for (const auto& item : *items) {
    ASSERT_TRUE(s.outbox->MarkSending(item.id));
    ASSERT_TRUE(s.outbox->MarkSent(item.id, 0, clock.NowMs()));
  }
  EXPECT_EQ(PendingEdits(path), 0);
  enqueue("sigA", "12 min · 🔥 1", "1:0:t12");
  EXPECT_EQ(PendingEdits(path), 0);
  enqueue("sigA", "11 min · 🔥 1", "1:0:t11");
  EXPECT_EQ(PendingEdits(path), 1);
  EXPECT_EQ(Rows(path).size(), 3u);
}

TEST(AlertEditCoalescing, AnEditReplacedWhileInFlightStaysPendingWithItsNewContent) {
  TempDir dir;
  const auto path = dir.path() / "bitten.sqlite";
  RealClock clock;
  StoreSession s(path, clock);
  auto enqueue = [&](const std::string& text, const std::string& key) {
    ASSERT_TRUE(s.writer->SubmitAndWait([&](store::Txn& txn) {
      return EnqueueAlertEdit(txn, EditRow("sigA", text, key), "sigA");
    }));
  };
  enqueue("14 min", "0:0:t14");
  auto items = s.outbox->Pending(10, clock.NowMs());  // handed to the sender...
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 1u);
  const std::int64_t id = (*items)[0].id;
  ASSERT_TRUE(s.outbox->MarkSending(id));
  enqueue("13 min", "0:0:t13");  // ...and replaced while its request is in flight
  ASSERT_TRUE(s.outbox->MarkSent(id, 0, clock.NowMs()));
  auto rows = Rows(path);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.at(id).status, "pending") << "the new content must still be sent";
  EXPECT_EQ(rows.at(id).text, "13 min");
  // The same holds for an outcome that is not a success.
  items = s.outbox->Pending(10, clock.NowMs());
  ASSERT_TRUE(items && items->size() == 1u);
  ASSERT_TRUE(s.outbox->MarkSending(id));
  enqueue("12 min", "0:0:t12");
  ASSERT_TRUE(s.outbox->MarkUnknown(id, "timeout"));
  EXPECT_EQ(Rows(path).at(id).status, "pending");
  // Not replaced: the outcome is recorded as usual.
  items = s.outbox->Pending(10, clock.NowMs());
  ASSERT_TRUE(items && items->size() == 1u);
  EXPECT_EQ((*items)[0].msg.params.value("text", ""), "12 min");
  ASSERT_TRUE(s.outbox->MarkSending(id));
  ASSERT_TRUE(s.outbox->MarkSent(id, 0, clock.NowMs()));
  EXPECT_EQ(Rows(path).at(id).status, "sent");
}

TEST(AlertEditCoalescing, CountdownMinutesRoundUp) {
  EXPECT_EQ(AlertCountdownMinutes(900'000, 0), 15);
  EXPECT_EQ(AlertCountdownMinutes(900'000, 1), 15);
  EXPECT_EQ(AlertCountdownMinutes(900'000, 60'000), 14);
  EXPECT_EQ(AlertCountdownMinutes(900'000, 60'001), 14);
  EXPECT_EQ(AlertCountdownMinutes(900'000, 899'999), 1);
  EXPECT_EQ(AlertCountdownMinutes(900'000, 900'000), 0);
  EXPECT_EQ(AlertCountdownMinutes(900'000, 1'000'000), 0);
}

}  // namespace
}  // namespace bitten::app
