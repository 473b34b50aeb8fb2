// HttpTransport (GET /api/bridge/next's queue and long poll) and RoutingTransport: real threads,
// generous deadlines, no timing assertions.
#include "bridge/http_transport.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "bridge_fixtures.h"

namespace bitten::bridge {
namespace {

using testing::Recorder;

struct Answers {
  std::mutex mu;
  std::vector<std::optional<std::string>> got;
  HttpTransport::Answer Sink() {
    return [this](std::optional<std::string> c) {
      std::lock_guard lock(mu);
      got.push_back(std::move(c));
    };
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return got.size();
  }
  std::optional<std::string> at(std::size_t i) {
    std::lock_guard lock(mu);
    return got.at(i);
  }
};

TEST(HttpTransport, QueuedCommandsAreFetchedInOrderAndCountAsDelivered) {
  RealClock clock;
  Recorder rec;
  HttpTransport http({}, clock, rec.Callbacks());
  http.AddTerminal("t9");
  ASSERT_TRUE(http.Enqueue("t9", "f1", "one"));
  ASSERT_TRUE(http.Enqueue("t9", "f1", "one"));  // the same command again: not queued twice
  ASSERT_TRUE(http.Enqueue("t9", "f2", "two"));
  EXPECT_EQ(http.queued("t9"), 2u);
  Answers a;
  ASSERT_TRUE(http.Next("t9", 0, a.Sink()));
  ASSERT_TRUE(http.Next("t9", 0, a.Sink()));
  ASSERT_TRUE(http.Next("t9", 0, a.Sink()));  // empty, no wait: answered with nothing
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.at(0), "one");
  EXPECT_EQ(a.at(1), "two");
  EXPECT_EQ(a.at(2), std::nullopt);
  rec.Read<int>([](const Recorder& r) {
    EXPECT_EQ(r.delivered_.size(), 2u);
    EXPECT_EQ(r.delivered_.at(0).fire_id, "f1");
    EXPECT_EQ(r.delivered_.at(1).fire_id, "f2");
    return 0;
  });
  EXPECT_FALSE(http.Next("nobody", 0, a.Sink()));
  EXPECT_FALSE(http.Enqueue("nobody", "f3", "x"));
}

TEST(HttpTransport, AParkedPollGetsTheNextCommandOrEndsEmpty) {
  RealClock clock;
  Recorder rec;
  HttpTransport http({.tick_ms = 10}, clock, rec.Callbacks());
  http.AddTerminal("t9");
  http.Start();
  Answers a;
  ASSERT_TRUE(http.Next("t9", 20'000, a.Sink()));
  EXPECT_EQ(a.size(), 0u);  // parked
  ASSERT_TRUE(http.Enqueue("t9", "f1", "one"));
  ASSERT_EQ(a.size(), 1u);  // handed over by Enqueue itself
  EXPECT_EQ(a.at(0), "one");
  EXPECT_EQ(http.queued("t9"), 0u);
  EXPECT_TRUE(rec.WaitFor([](const Recorder& r) { return r.delivered_.size() == 1; }));

  // A short wait ends with nothing; a newer poll replaces a parked one.
  ASSERT_TRUE(http.Next("t9", 30, a.Sink()));
  EXPECT_TRUE(testing::WaitForFile([&] { return a.size() == 2; }));
  EXPECT_EQ(a.at(1), std::nullopt);
  ASSERT_TRUE(http.Next("t9", 20'000, a.Sink()));
  ASSERT_TRUE(http.Next("t9", 20'000, a.Sink()));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.at(2), std::nullopt);
  http.Stop();  // the parked one is answered
  EXPECT_EQ(a.size(), 4u);
}

TEST(HttpTransport, ACommandNotFetchedInTimeIsReportedUndeliveredOnceAndStaysQueued) {
  SimClock clock(1'000'000);
  Recorder rec;
  std::vector<std::pair<std::string, TimeMs>> late;
  std::mutex mu;
  TransportCallbacks cb = rec.Callbacks();
  cb.on_undelivered = [&](const std::string&, const std::string& fire_id, TimeMs since) {
    std::lock_guard lock(mu);
    late.emplace_back(fire_id, since);
  };
  HttpTransport http({.delivery_timeout_ms = 5'000, .tick_ms = 5}, clock, cb);
  http.AddTerminal("t9");
  http.Start();
  ASSERT_TRUE(http.Enqueue("t9", "f1", "one"));
  clock.Advance(5'001);
  ASSERT_TRUE(testing::WaitForFile([&] {
    std::lock_guard lock(mu);
    return late.size() == 1;
  }));
  clock.Advance(60'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // more ticks: still once
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(late.size(), 1u);
    EXPECT_EQ(late[0].first, "f1");
    EXPECT_EQ(late[0].second, 1'000'000);
  }
  // The terminal comes back: it still gets the command.
  Answers a;
  ASSERT_TRUE(http.Next("t9", 0, a.Sink()));
  EXPECT_EQ(a.at(0), "one");
  EXPECT_TRUE(rec.WaitFor([](const Recorder& r) { return r.delivered_.size() == 1; }));
  http.Stop();
}

TEST(RoutingTransport, SendsEachTerminalToItsTransport) {
  RealClock clock;
  Recorder rec;
  HttpTransport a({}, clock, rec.Callbacks()), b({}, clock, rec.Callbacks());
  a.AddTerminal("ta");
  b.AddTerminal("tb");
  RoutingTransport routing;
  routing.Route("ta", &a);
  routing.Route("tb", &b);
  ASSERT_TRUE(routing.Enqueue("ta", "f1", "x"));
  ASSERT_TRUE(routing.Enqueue("tb", "f2", "y"));
  EXPECT_EQ(a.queued("ta"), 1u);
  EXPECT_EQ(b.queued("tb"), 1u);
  const Status unknown = routing.Enqueue("tc", "f3", "z");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "unknown_terminal");
}

}  // namespace
}  // namespace bitten::bridge
