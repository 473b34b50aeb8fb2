#include "telegram/outbox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "unit/telegram/emulator_fixture.h"
#include "unit/telegram/fault_server.h"

namespace bitten::telegram {
namespace {

using nlohmann::json;
using testing::FaultServer;

constexpr const char* kToken = "555:outbox-token";

// In-memory OutboxStore (the real one is in app/ over SQLite): same contract, thread-safe so the
// test can read it while the sender runs.
class MemoryOutbox : public OutboxStore {
 public:
  struct Row {
    OutboxItem item;
    std::string state = "pending";  // pending, sent, failed, unknown
    TimeMs due = 0;
    std::int64_t tg_message_id = 0;
    TimeMs sent_at = 0;
    std::string error;
    std::vector<std::pair<TimeMs, TimeMs>> defers;  // (called at, until)
  };

  explicit MemoryOutbox(const Clock& clock) : clock_(clock) {}

  std::int64_t Add(int priority, OutMessage msg) {
    std::lock_guard lock(mu_);
    Row r;
    r.item.id = next_id_++;
    r.item.priority = priority;
    r.item.chat_id = msg.params["chat_id"].get<std::int64_t>();
    r.item.msg = std::move(msg);
    rows_[r.item.id] = r;
    return r.item.id;
  }
  Row Get(std::int64_t id) {
    std::lock_guard lock(mu_);
    return rows_.at(id);
  }
  std::vector<std::int64_t> SentOrder() {
    std::lock_guard lock(mu_);
    return sent_order_;
  }
  void FailMarks(bool fail) {
    std::lock_guard lock(mu_);
    fail_marks_ = fail;
  }
  int pending_calls() {
    std::lock_guard lock(mu_);
    return pending_calls_;
  }

  Result<std::vector<OutboxItem>> Pending(std::size_t limit, TimeMs now) override {
    std::lock_guard lock(mu_);
    ++pending_calls_;
    std::vector<OutboxItem> out;
    for (const auto& [id, r] : rows_) {
      if (r.state == "pending" && r.due <= now) out.push_back(r.item);
    }
    std::sort(out.begin(), out.end(), [](const OutboxItem& a, const OutboxItem& b) {
      return a.priority != b.priority ? a.priority > b.priority : a.id < b.id;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  Status MarkSent(std::int64_t id, std::int64_t tg_message_id, TimeMs now) override {
    std::lock_guard lock(mu_);
    if (fail_marks_) return Fail("store_failed", "disk I/O error");
    Row& r = rows_.at(id);
    EXPECT_EQ(r.state, "pending") << "item " << id << " sent twice";
    r.state = "sent";
    r.tg_message_id = tg_message_id;
    r.sent_at = now;
    sent_order_.push_back(id);
    return Ok();
  }
  Status MarkFailed(std::int64_t id, const std::string& error) override {
    std::lock_guard lock(mu_);
    rows_.at(id).state = "failed";
    rows_.at(id).error = error;
    return Ok();
  }
  Status MarkUnknown(std::int64_t id, const std::string& error) override {
    std::lock_guard lock(mu_);
    rows_.at(id).state = "unknown";
    rows_.at(id).error = error;
    return Ok();
  }
  Status Defer(std::int64_t id, TimeMs until_ms, int attempts) override {
    std::lock_guard lock(mu_);
    Row& r = rows_.at(id);
    r.due = until_ms;
    r.item.attempts = attempts;
    r.defers.emplace_back(clock_.NowMs(), until_ms);
    return Ok();
  }

 private:
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::int64_t, Row> rows_;
  std::int64_t next_id_ = 1;
  std::vector<std::int64_t> sent_order_;
  bool fail_marks_ = false;
  int pending_calls_ = 0;
};

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

OutboxSender::Options At(const std::string& url) {
  OutboxSender::Options o;
  o.api.base_url = url;
  o.api.token = kToken;
  o.api.timeout_ms = 2000;
  o.poll_ms = 100;
  o.backoff_initial_ms = 100;
  return o;
}

const char* kOk = R"({"ok":true,"result":{"message_id":7,"chat":{"id":1},"text":"x"}})";

TEST(OutboxSender, SendsByPriorityAtOneMessagePerSecondPerChatThroughTheEmulator) {
  testing::TelegramEmulator emu;
  ASSERT_TRUE(emu.ok()) << emu.error();
  RealClock clock;
  MemoryOutbox store(clock);
  const auto low = store.Add(kPriorityEdit, PlainText(10, "low"));
  const auto high = store.Add(kPriorityResult, PlainText(10, "high"));
  const auto mid = store.Add(kPriorityMission, PlainText(10, "mid"));
  const auto other = store.Add(kPriorityEdit, PlainText(20, "other chat"));

  std::mutex mu;
  std::map<std::int64_t, std::int64_t> on_sent;  // outbox id -> message id
  OutboxSender sender(At(emu.url()), store, clock,
                      [&](const OutboxItem& item, std::int64_t message_id, TimeMs) {
                        std::lock_guard lock(mu);
                        on_sent[item.id] = message_id;
                      });
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return store.SentOrder().size() == 4; }))
      << store.SentOrder().size() << " sent";
  sender.Stop();

  // Chat 10 in priority order, each at least a second after the previous one (sender's own times).
  const auto order = store.SentOrder();
  std::vector<std::int64_t> chat10;
  for (auto id : order) {
    if (id != other) chat10.push_back(id);
  }
  EXPECT_EQ(chat10, (std::vector<std::int64_t>{high, mid, low}));
  EXPECT_GE(store.Get(mid).sent_at - store.Get(high).sent_at, 1000);
  EXPECT_GE(store.Get(low).sent_at - store.Get(mid).sent_at, 1000);
  // Chat 20 did not wait behind chat 10's limit: it went out before chat 10's second message.
  EXPECT_LT(store.Get(other).sent_at, store.Get(mid).sent_at);

  // The emulator's chat shows the same order, and OnSent / MarkSent carry its message ids.
  const json shown = emu.BotMessages(kToken, 10);
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[0]["message"]["text"], "high");
  EXPECT_EQ(shown[1]["message"]["text"], "mid");
  EXPECT_EQ(shown[2]["message"]["text"], "low");
  std::lock_guard lock(mu);
  EXPECT_EQ(on_sent[high], shown[0]["messageId"].get<std::int64_t>());
  EXPECT_EQ(store.Get(high).tg_message_id, shown[0]["messageId"].get<std::int64_t>());
}

TEST(OutboxSender, RateLimitDefersTheItemAndPausesAllSending) {
  FaultServer server({
      FaultServer::Json(
          429,
          R"({"ok":false,"error_code":429,)"
          R"("description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}})"),
      FaultServer::Json(200, kOk),
  });
  RealClock clock;
  MemoryOutbox store(clock);
  const auto a = store.Add(kPriorityAlert, PlainText(1, "a"));
  const auto b = store.Add(kPriorityResult, PlainText(2, "b"));  // another chat: no per-chat wait
  OutboxSender sender(At(server.url()), store, clock);
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return store.SentOrder().size() == 2; }));
  sender.Stop();

  const auto row_a = store.Get(a);
  ASSERT_EQ(row_a.defers.size(), 1u);
  // retry_after honoured (the store reads its clock a moment after the sender computed `until`).
  EXPECT_GE(row_a.defers[0].second - row_a.defers[0].first, 990);
  EXPECT_EQ(row_a.item.attempts, 1);
  // Nothing at all went out during the pause, not even to the other chat.
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_GE(reqs[1].at - reqs[0].at, std::chrono::milliseconds(990));
  EXPECT_GE(store.Get(b).sent_at, row_a.defers[0].second);
  EXPECT_EQ(store.SentOrder(), (std::vector<std::int64_t>{a, b}));  // a's priority still first
}

TEST(OutboxSender, TransientFailuresBackOffExponentiallyThenSucceed) {
  FaultServer server({
      FaultServer::Json(502, "<html>Bad Gateway</html>"),
      FaultServer::Json(500, R"({"ok":false,"error_code":500,"description":"Internal"})"),
      FaultServer::Json(200, kOk),
  });
  RealClock clock;
  MemoryOutbox store(clock);
  const auto id = store.Add(kPriorityMission, PlainText(1, "x"));
  OutboxSender sender(At(server.url()), store, clock);
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return store.Get(id).state == "sent"; }));
  sender.Stop();
  const auto row = store.Get(id);
  ASSERT_EQ(row.defers.size(), 2u);
  EXPECT_GE(row.defers[0].second - row.defers[0].first, 100);
  EXPECT_LT(row.defers[0].second - row.defers[0].first, 200);
  EXPECT_GE(row.defers[1].second - row.defers[1].first, 200);  // doubled
  EXPECT_EQ(row.tg_message_id, 7);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(OutboxSender, GivesUpAfterMaxAttempts) {
  FaultServer server({FaultServer::Json(503, "")});
  RealClock clock;
  MemoryOutbox store(clock);
  const auto id = store.Add(kPriorityMission, PlainText(1, "x"));
  auto options = At(server.url());
  options.backoff_initial_ms = 10;
  options.max_attempts = 3;
  OutboxSender sender(options, store, clock);
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return store.Get(id).state == "failed"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  sender.Stop();
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_NE(store.Get(id).error.find("gave up after 3 attempts"), std::string::npos);
}

TEST(OutboxSender, PermanentFailsAndUnknownIsNeverResent) {
  FaultServer server({
      FaultServer::Json(403, R"({"ok":false,"error_code":403,)"
                             R"("description":"Forbidden: bot was blocked by the user"})"),
      FaultServer::Close(),  // the second item reached the server, the answer was lost
  });
  RealClock clock;
  MemoryOutbox store(clock);
  const auto blocked = store.Add(kPriorityAlert, PlainText(1, "x"));
  const auto lost = store.Add(kPriorityResult, PlainText(2, "y"));
  OutboxSender sender(At(server.url()), store, clock);
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return store.Get(lost).state != "pending"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // several poll rounds
  sender.Stop();
  EXPECT_EQ(store.Get(blocked).state, "failed");
  EXPECT_EQ(store.Get(blocked).error, "403: Forbidden: bot was blocked by the user");
  EXPECT_EQ(store.Get(lost).state, "unknown");
  EXPECT_EQ(server.requests().size(), 2u);  // neither was tried again
}

TEST(OutboxSender, StoreFailureIsStickyAndNothingIsResent) {
  FaultServer server({FaultServer::Json(200, kOk)});
  RealClock clock;
  MemoryOutbox store(clock);
  store.FailMarks(true);
  store.Add(kPriorityResult, PlainText(1, "x"));
  store.Add(kPriorityResult, PlainText(2, "y"));
  OutboxSender sender(At(server.url()), store, clock);
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return sender.failure().has_value(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sender.failure()->code, "store_failed");
  EXPECT_EQ(server.requests().size(), 1u);  // stopped at the first unrecordable outcome
  sender.Stop();
}

TEST(OutboxSender, WakeSendsWithoutWaitingForThePoll) {
  FaultServer server({FaultServer::Json(200, kOk)});
  RealClock clock;
  MemoryOutbox store(clock);
  auto options = At(server.url());
  options.poll_ms = 600000;  // would wait ten minutes without Wake()
  OutboxSender sender(options, store, clock);
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return store.pending_calls() >= 1; }));
  const auto id = store.Add(kPriorityReply, PlainText(1, "x"));
  sender.Wake();
  EXPECT_TRUE(WaitFor([&] { return store.Get(id).state == "sent"; }, 5000));
  sender.Stop();
}

}  // namespace
}  // namespace bitten::telegram
