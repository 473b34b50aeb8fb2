// FileTransport and PaperBridge together in one temp folder: real files, real inotify, real
// threads.
#include "bridge/paper_bridge.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/crypto.h"
#include "base/uuid.h"
#include "bridge/codec.h"
#include "bridge/file_io.h"
#include "bridge/transport.h"
#include "bridge_fixtures.h"
#include "common/paths.h"

namespace bitten::bridge {
namespace {

using market::Side;
using testing::MemoryPositions;
using testing::Recorder;
using testing::Slurp;
using testing::VectorFeed;
using testing::WaitForFile;

const std::string kSecret =
    *FromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

struct PostCall {
  std::string path, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

class PostLog {
 public:
  Poster MakePoster() {
    return [this](std::string path, std::string body,
                  std::vector<std::pair<std::string, std::string>> headers) -> Result<int> {
      std::lock_guard lock(mu_);
      if (fail_) return Fail("connect", "connection refused");
      calls_.push_back(PostCall{std::move(path), std::move(body), std::move(headers)});
      return 200;
    };
  }
  std::vector<PostCall> Calls(const std::string& path) {
    std::lock_guard lock(mu_);
    std::vector<PostCall> out;
    for (const PostCall& c : calls_) {
      if (c.path == path) out.push_back(c);
    }
    return out;
  }
  void SetFailing(bool f) {
    std::lock_guard lock(mu_);
    fail_ = f;
  }

 private:
  std::mutex mu_;
  std::vector<PostCall> calls_;
  bool fail_ = false;
};

class PaperBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transport_ = std::make_unique<FileTransport>(FileTransport::Options{.scan_ms = 100}, clock_,
                                                 positions_, recorder_.Callbacks());
    ASSERT_TRUE(transport_->AddTerminal("t1", dir(), kSecret));
    ASSERT_TRUE(transport_->Start());
  }
  void TearDown() override {
    StopRun();
    transport_->Stop();
  }

  std::unique_ptr<PaperBridge> OpenBridge(
      const Clock& clock, Poster poster = nullptr, bool exit_at_end = false,
      const std::function<void(PaperBridge::Options&)>& tweak = nullptr) {
    PaperBridge::Options o;
    o.exit_at_end = exit_at_end;
    o.dir = dir();
    o.terminal_id = "t1";
    o.secret = kSecret;
    o.heartbeat_every_ms = 200;
    o.tick_batch_ms = 50;
    if (tweak) tweak(o);
    auto b = PaperBridge::Open(o, clock, market::InstrumentTable::Defaults(), std::move(poster));
    EXPECT_TRUE(b) << b.error().message;
    return b ? std::move(*b) : nullptr;
  }

  // Runs the bridge on its own thread over `ticks`, then keeps it serving commands. The fixture
  // owns the bridge so that the thread is joined before the bridge dies.
  PaperBridge& StartRun(std::unique_ptr<PaperBridge> bridge, std::vector<market::Tick> ticks) {
    running_ = std::move(bridge);
    feed_ = std::make_unique<VectorFeed>(std::move(ticks));
    run_ = std::jthread([this](std::stop_token stop) { running_->Run(*feed_, 0, stop); });
    return *running_;
  }
  void StopRun() {
    if (run_.joinable()) {
      run_.request_stop();
      run_.join();
    }
  }

  FireCommand Open(Side side, double volume, double sl, double tp, TimeMs expires_in = 60'000) {
    FireCommand c;
    c.fire_id = NewUuidV7(clock_);
    c.mission_id = NewUuidV7(clock_);
    c.action = FireAction::kOpen;
    c.symbol = "EURUSD";
    c.side = side;
    c.volume = volume;
    c.sl = sl;
    c.tp = tp;
    c.max_slippage_points = 20;
    c.expires_at = clock_.NowMs() + expires_in;
    c.magic = 7;
    c.comment = "BITTEN test";
    return c;
  }
  Status Send(const FireCommand& c, const std::string& secret = kSecret) {
    return transport_->Enqueue("t1", c.fire_id, EncodeFireCommand(c, secret, 5, 2));
  }
  // Waits until the transport has seen `n` result records and returns the last.
  ResultRecord WaitForResults(std::size_t n) {
    EXPECT_TRUE(recorder_.WaitFor([n](const Recorder& r) { return r.results_.size() >= n; }))
        << "waiting for result " << n;
    return recorder_.Read<ResultRecord>([n](const Recorder& r) {
      return r.results_.size() >= n ? r.results_[n - 1] : ResultRecord{};
    });
  }
  std::filesystem::path dir() const { return tmp_.path() / "t1"; }

  static market::Tick Eurusd(double bid, double ask) {
    return market::Tick{"EURUSD", 1722289995000, bid, ask};
  }

  bitten::testing::TempDir tmp_;
  RealClock clock_;
  MemoryPositions positions_;
  Recorder recorder_;
  std::unique_ptr<FileTransport> transport_;
  std::unique_ptr<VectorFeed> feed_;
  std::unique_ptr<PaperBridge> running_;
  std::jthread run_;
};

TEST_F(PaperBridgeTest, CommandIsClaimedDeliveredFilledAndReportedOverHttp) {
  PostLog posts;
  auto opened = OpenBridge(clock_, posts.MakePoster());
  ASSERT_TRUE(opened);
  StartRun(std::move(opened), {Eurusd(1.08500, 1.08510)});

  const FireCommand cmd = Open(Side::kBuy, 0.12, 1.0825, 1.0875);
  ASSERT_TRUE(Send(cmd));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.delivered_.size() == 1; }));
  const ResultRecord fill = WaitForResults(1);
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& r) { return r.delivered_[0].fire_id; }),
            cmd.fire_id);
  EXPECT_EQ(fill.type, ResultType::kFill);
  EXPECT_EQ(fill.fire_id, cmd.fire_id);
  EXPECT_EQ(fill.mission_id, cmd.mission_id);
  EXPECT_EQ(fill.retcode, 10009);
  EXPECT_EQ(fill.seq, 1);
  EXPECT_DOUBLE_EQ(fill.price, 1.08510);
  EXPECT_DOUBLE_EQ(fill.volume, 0.12);
  EXPECT_TRUE(std::filesystem::exists(dir() / ("fire." + cmd.fire_id + ".claimed")));
  EXPECT_FALSE(std::filesystem::exists(dir() / "fire.txt"));

  // The same record went to POST /api/report, signed per §3.4, and the server side verifies it.
  ASSERT_TRUE(WaitForFile([&] { return !posts.Calls("/api/report").empty(); }));
  const PostCall report = posts.Calls("/api/report")[0];
  EXPECT_EQ(report.body + "\n", Slurp(dir() / "trade_result.txt"));
  EXPECT_EQ(report.Header("X-Bitten-Terminal"), "t1");
  RequestVerifier verifier;
  EXPECT_TRUE(verifier.Verify(kSecret, report.Header("X-Bitten-Timestamp"),
                              report.Header("X-Bitten-Signature"), "POST", "/api/report",
                              report.body, clock_.NowMs()));
  // Heartbeats (file and HTTP) and the tick batch.
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return !r.heartbeats_.empty(); }));
  recorder_.Read<int>([](const Recorder& r) {
    const Heartbeat& hb = r.heartbeats_.back();
    EXPECT_TRUE(hb.connected);
    EXPECT_TRUE(hb.trade_allowed);
    EXPECT_EQ(hb.currency, "USD");
    EXPECT_TRUE(hb.symbols && hb.symbols->size() == 11);
    return 0;
  });
  ASSERT_TRUE(WaitForFile([&] { return !posts.Calls("/api/heartbeat").empty(); }));
  ASSERT_TRUE(WaitForFile([&] { return !posts.Calls("/api/ticks").empty(); }));
  auto ticks = ParseTickBatch(posts.Calls("/api/ticks")[0].body);
  ASSERT_TRUE(ticks) << ticks.error().message;
  EXPECT_DOUBLE_EQ(ticks->ticks.at(0).ask, 1.08510);
}

TEST_F(PaperBridgeTest, DuplicateExpiredForgedAndInvalidStopsAreReported) {
  auto opened = OpenBridge(clock_);
  ASSERT_TRUE(opened);
  PaperBridge& bridge = StartRun(std::move(opened), {Eurusd(1.08500, 1.08510)});

  const FireCommand first = Open(Side::kBuy, 0.12, 1.0825, 1.0875);
  ASSERT_TRUE(Send(first));
  EXPECT_EQ(WaitForResults(1).type, ResultType::kFill);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.delivered_.size() == 1; }));

  // The same fire_id again (e.g. redelivered after a server crash): duplicate, no second position.
  ASSERT_TRUE(Send(first));
  const ResultRecord dup = WaitForResults(2);
  EXPECT_EQ(dup.type, ResultType::kDuplicate);
  EXPECT_EQ(dup.fire_id, first.fire_id);

  const FireCommand stale = Open(Side::kBuy, 0.12, 1.0825, 1.0875, /*expires_in=*/-1000);
  ASSERT_TRUE(Send(stale));
  const ResultRecord expired = WaitForResults(3);
  EXPECT_EQ(expired.type, ResultType::kExpired);
  EXPECT_EQ(expired.fire_id, stale.fire_id);

  const FireCommand forged = Open(Side::kBuy, 50, 1.0825, 1.0875);
  ASSERT_TRUE(Send(forged, std::string(32, '\x07')));
  const ResultRecord bad = WaitForResults(4);
  EXPECT_EQ(bad.type, ResultType::kBadSignature);
  EXPECT_EQ(bad.fire_id, forged.fire_id);

  const FireCommand wrong_side = Open(Side::kBuy, 0.12, 1.0860, 1.0875);  // sl above the bid
  ASSERT_TRUE(Send(wrong_side));
  const ResultRecord reject = WaitForResults(5);
  EXPECT_EQ(reject.type, ResultType::kReject);
  EXPECT_EQ(reject.retcode, 10016);
  EXPECT_EQ(reject.reason, "invalid stops");

  StopRun();
  EXPECT_EQ(bridge.broker().positions().size(), 1u);
  recorder_.Read<int>([](const Recorder& r) {
    for (std::size_t i = 0; i < r.results_.size(); ++i) {
      EXPECT_EQ(r.results_[i].seq, static_cast<std::int64_t>(i + 1));
    }
    EXPECT_EQ(r.delivered_.size(), 5u);
    return 0;
  });
}

TEST_F(PaperBridgeTest, StopsHitOnLaterQuotesBecomeCloseRecordsWithTheRightSign) {
  auto bridge = OpenBridge(clock_);  // step-wise: this thread is the bridge thread
  ASSERT_TRUE(bridge);
  bridge->OnTick(Eurusd(1.08500, 1.08510));
  const FireCommand win = Open(Side::kBuy, 0.12, 1.0825, 1.0875);
  const FireCommand loss = Open(Side::kSell, 0.10, 1.0860, 1.0800);
  ASSERT_TRUE(Send(win));
  ASSERT_TRUE(Send(loss));
  // Single slot: the second command appears only after the first was claimed.
  for (int handled = 0; handled < 2;) {
    ASSERT_TRUE(WaitForFile([&] { return std::filesystem::exists(dir() / "fire.txt"); }));
    handled += bridge->ProcessCommands();
  }
  EXPECT_EQ(WaitForResults(2).type, ResultType::kFill);

  bridge->OnTick(Eurusd(1.08605, 1.08615));  // SELL stop at the ask
  const ResultRecord sl = WaitForResults(3);
  EXPECT_EQ(sl.type, ResultType::kClose);
  EXPECT_EQ(sl.fire_id, loss.fire_id);
  EXPECT_EQ(sl.reason, "sl");
  EXPECT_LT(sl.profit, 0);
  EXPECT_DOUBLE_EQ(sl.profit, -11.5);

  bridge->OnTick(Eurusd(1.08760, 1.08770));  // BUY target at the bid
  const ResultRecord tp = WaitForResults(4);
  EXPECT_EQ(tp.type, ResultType::kClose);
  EXPECT_EQ(tp.fire_id, win.fire_id);
  EXPECT_EQ(tp.reason, "tp");
  EXPECT_GT(tp.profit, 0);
  EXPECT_DOUBLE_EQ(tp.profit, 30.0);
  EXPECT_DOUBLE_EQ(bridge->broker().balance(), 10018.5);
}

TEST_F(PaperBridgeTest, RestartKeepsSeqAndExecutedIdsAndCutsATornLine) {
  FireCommand cmd = Open(Side::kBuy, 0.12, 1.0825, 1.0875);
  {
    auto bridge = OpenBridge(clock_);
    ASSERT_TRUE(bridge);
    bridge->OnTick(Eurusd(1.08500, 1.08510));
    ASSERT_TRUE(Send(cmd));
    ASSERT_TRUE(WaitForFile([&] { return bridge->ProcessCommands() == 1; }));
    EXPECT_EQ(bridge->next_seq(), 2);
  }
  EXPECT_EQ(WaitForResults(1).type, ResultType::kFill);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.delivered_.size() == 1; }));
  // A crash mid-append left half a line.
  ASSERT_TRUE(AppendDurably(dir() / "trade_result.txt", R"({"v":1,"seq":2,"type":"fi)"));

  auto bridge = OpenBridge(clock_);
  ASSERT_TRUE(bridge);
  EXPECT_EQ(bridge->next_seq(), 2);
  const std::string journal = Slurp(dir() / "trade_result.txt");
  EXPECT_EQ(journal.back(), '\n');
  EXPECT_EQ(journal.find("\"fi\""), std::string::npos);
  bridge->OnTick(Eurusd(1.08500, 1.08510));
  ASSERT_TRUE(Send(cmd));  // executed before the restart
  ASSERT_TRUE(WaitForFile([&] { return bridge->ProcessCommands() == 1; }));
  const ResultRecord dup = WaitForResults(2);
  EXPECT_EQ(dup.type, ResultType::kDuplicate);
  EXPECT_EQ(dup.seq, 2);
  EXPECT_TRUE(bridge->broker().positions().empty());
}

TEST_F(PaperBridgeTest, FailedPostsNeverBlockAndAreRetriedInOrder) {
  SimClock sim(1722289995000);
  PostLog posts;
  posts.SetFailing(true);
  auto bridge = OpenBridge(sim, posts.MakePoster());
  ASSERT_TRUE(bridge);
  bridge->OnTick(Eurusd(1.08500, 1.08510));
  FireCommand a = Open(Side::kBuy, 0.12, 1.0825, 1.0875);
  a.expires_at = sim.NowMs() + 60'000;
  FireCommand b = Open(Side::kBuy, 0.12, 1.0825, 1.0875);
  b.expires_at = sim.NowMs() + 60'000;
  ASSERT_TRUE(Send(a));
  ASSERT_TRUE(WaitForFile([&] { return bridge->ProcessCommands() == 1; }));
  ASSERT_TRUE(Send(b));
  ASSERT_TRUE(WaitForFile([&] { return bridge->ProcessCommands() == 1; }));
  // Executed and journaled although the server is unreachable.
  EXPECT_EQ(bridge->broker().positions().size(), 2u);
  EXPECT_EQ(WaitForResults(2).type, ResultType::kFill);
  EXPECT_EQ(bridge->pending_reports(), 2u);

  posts.SetFailing(false);
  bridge->Service();  // not yet due
  EXPECT_EQ(posts.Calls("/api/report").size(), 0u);
  sim.Advance(1000);
  bridge->Service();
  EXPECT_EQ(bridge->pending_reports(), 0u);
  const auto reports = posts.Calls("/api/report");
  ASSERT_EQ(reports.size(), 2u);
  auto r1 = ParseResultLine(reports[0].body, kSecret);
  auto r2 = ParseResultLine(reports[1].body, kSecret);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->seq, 1);
  EXPECT_EQ(r2->seq, 2);
  // Re-signed at the retry time: the verifier accepts it at that clock.
  RequestVerifier verifier;
  EXPECT_EQ(reports[0].Header("X-Bitten-Timestamp"), std::to_string(sim.NowMs()));
  EXPECT_TRUE(verifier.Verify(kSecret, reports[0].Header("X-Bitten-Timestamp"),
                              reports[0].Header("X-Bitten-Signature"), "POST", "/api/report",
                              reports[0].body, sim.NowMs()));
}

TEST_F(PaperBridgeTest, CloseCommandClosesThePositionOfItsFire) {
  auto bridge = OpenBridge(clock_);
  ASSERT_TRUE(bridge);
  bridge->OnTick(Eurusd(1.08500, 1.08510));
  FireCommand open = Open(Side::kBuy, 0.10, 1.0825, 1.0875);
  ASSERT_TRUE(Send(open));
  ASSERT_TRUE(WaitForFile([&] { return bridge->ProcessCommands() == 1; }));
  bridge->OnTick(Eurusd(1.08600, 1.08610));
  FireCommand close = open;
  close.action = FireAction::kClose;
  ASSERT_TRUE(Send(close));
  ASSERT_TRUE(WaitForFile([&] { return bridge->ProcessCommands() == 1; }));
  const ResultRecord r = WaitForResults(2);
  EXPECT_EQ(r.type, ResultType::kClose);
  EXPECT_EQ(r.reason, "expert");
  EXPECT_DOUBLE_EQ(r.profit, 9.0);  // (1.08600 - 1.08510) x 100000 x 0.10
  EXPECT_TRUE(bridge->broker().positions().empty());
}

TEST_F(PaperBridgeTest, RunPacesTheFeedByItsSpeedAndEndsWithItWhenAsked) {
  PostLog posts;
  auto bridge = OpenBridge(clock_, posts.MakePoster(), /*exit_at_end=*/true);
  ASSERT_TRUE(bridge);
  const TimeMs t0 = 1722289995000;
  VectorFeed feed({{"EURUSD", t0, 1.08500, 1.08510},
                   {"EURUSD", t0 + 1000, 1.08520, 1.08530},
                   {"EURUSD", t0 + 2000, 1.08540, 1.08550}});
  std::stop_source never;
  const auto start = std::chrono::steady_clock::now();
  bridge->Run(feed, /*speed=*/10, never.get_token());  // 2 s of market time at 10x: >= 200 ms
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(195));
  const auto quote = bridge->broker().Quote("EURUSD");
  ASSERT_TRUE(quote);
  EXPECT_DOUBLE_EQ(quote->second, 1.08550);
  // Every tick went out in some batch, in order.
  std::vector<double> asks;
  for (const PostCall& c : posts.Calls("/api/ticks")) {
    auto batch = ParseTickBatch(c.body);
    ASSERT_TRUE(batch) << batch.error().message;
    for (const market::Tick& t : batch->ticks) asks.push_back(t.ask);
  }
  EXPECT_EQ(asks, (std::vector<double>{1.08510, 1.08530, 1.08550}));
}

// The EA's refusals that come before the broker: the stops level (never dropping SL/TP
// silently), volume normalisation, and a closed market. Each is a reject record that says why.
TEST_F(PaperBridgeTest, StopsLevelVolumeStepAndClosedMarketAreRefusedWithAClearReason) {
  SimClock sim(1722289995000);
  auto bridge = OpenBridge(sim, nullptr, false, [](PaperBridge::Options& o) {
    o.stops_level_points = 50;          // 5 pips on EURUSD
    o.market_closed_after_ms = 60'000;  // a symbol quiet for a minute is closed
  });
  ASSERT_TRUE(bridge);
  // Volumes written with 3 decimals, as a server with another volume step might.
  auto run = [&](const FireCommand& c, std::size_t n) {
    EXPECT_TRUE(transport_->Enqueue("t1", c.fire_id, EncodeFireCommand(c, kSecret, 5, 3)));
    EXPECT_TRUE(WaitForFile([&] { return bridge->ProcessCommands() == 1; }));
    return WaitForResults(n);
  };
  auto at_sim = [&](FireCommand c) {
    c.expires_at = sim.NowMs() + 60'000;
    return c;
  };

  // No quote of GBPUSD ever: market closed (10018), before any stops or broker check.
  FireCommand gbp = at_sim(Open(Side::kBuy, 0.10, 1.2000, 1.3000));
  gbp.symbol = "GBPUSD";
  ResultRecord r = run(gbp, 1);
  EXPECT_EQ(r.type, ResultType::kReject);
  EXPECT_EQ(r.retcode, 10018);
  EXPECT_NE(r.reason.find("market closed"), std::string::npos) << r.reason;

  bridge->OnTick(Eurusd(1.08500, 1.08510));
  // sl 3 pips under the bid: on the right side but inside the 50-point stops level.
  r = run(at_sim(Open(Side::kBuy, 0.10, 1.08470, 1.08750)), 2);
  EXPECT_EQ(r.type, ResultType::kReject);
  EXPECT_EQ(r.retcode, 10016);
  EXPECT_NE(r.reason.find("BUY sl 1.08470"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("stops level of 50 points"), std::string::npos) << r.reason;
  // tp inside the level on a SELL (the ask is the reference).
  r = run(at_sim(Open(Side::kSell, 0.10, 1.08750, 1.08480)), 3);
  EXPECT_EQ(r.retcode, 10016);
  EXPECT_NE(r.reason.find("SELL tp 1.08480"), std::string::npos) << r.reason;

  // Volume: rounded down to the 0.01 step (0.129 -> 0.12); under the minimum after it: 10014.
  r = run(at_sim(Open(Side::kBuy, 0.129, 1.08250, 1.08750)), 4);
  EXPECT_EQ(r.type, ResultType::kFill);
  EXPECT_DOUBLE_EQ(r.volume, 0.12);
  EXPECT_DOUBLE_EQ(r.sl, 1.0825);  // the stops went with the order
  EXPECT_DOUBLE_EQ(r.tp, 1.0875);
  r = run(at_sim(Open(Side::kBuy, 0.004, 1.08250, 1.08750)), 5);
  EXPECT_EQ(r.type, ResultType::kReject);
  EXPECT_EQ(r.retcode, 10014);

  // The market goes quiet for longer than the limit: closed, although a quote exists.
  sim.Advance(61'000);
  r = run(at_sim(Open(Side::kBuy, 0.10, 1.08250, 1.08750)), 6);
  EXPECT_EQ(r.retcode, 10018);
  EXPECT_NE(r.reason.find("for 61 s"), std::string::npos) << r.reason;
  EXPECT_EQ(bridge->broker().positions().size(), 1u);

  // The heartbeat tells the server the stops level it enforces.
  bridge->WriteHeartbeat();
  auto hb = ParseHeartbeat(Slurp(dir() / "heartbeat.txt"), kSecret);
  ASSERT_TRUE(hb) << hb.error().message;
  ASSERT_TRUE(hb->symbols);
  EXPECT_EQ(hb->symbols->at(0).stops_level, 50);
}

}  // namespace
}  // namespace bitten::bridge

namespace bitten::bridge {
namespace {

// Issue 5: "quotes from --data replay or from the server's ticks". RunOnQuotes polls a
// QuoteFetcher (in the app: the signed GET /api/quotes, tested against the real server in
// tests/unit/app/bridge_server_test.cc); a quote polled again unchanged is not a new tick, fills
// are at the server's latest quote, and the server's ticks are not posted back.
TEST_F(PaperBridgeTest, RunOnQuotesFillsAtTheServersLatestQuoteAndPostsNoTicks) {
  std::mutex mu;
  std::vector<market::Tick> served;
  int fetches = 0;
  bool fail = true;  // the server is not reachable at first
  QuoteFetcher fetch = [&]() -> Result<std::vector<market::Tick>> {
    std::lock_guard lock(mu);
    ++fetches;
    if (fail) return Fail("http_error", "connection refused");
    return served;
  };
  auto serve = [&](std::vector<market::Tick> ticks) {
    int seen = 0;
    {
      std::lock_guard lock(mu);
      fail = false;
      served = std::move(ticks);
      seen = fetches;
    }
    // Two more fetches: the new quotes have been applied.
    ASSERT_TRUE(WaitForFile([&] {
      std::lock_guard lock(mu);
      return fetches >= seen + 2;
    }));
  };
  PostLog posts;
  auto opened = OpenBridge(clock_, posts.MakePoster(), false, [](PaperBridge::Options& o) {
    o.stream_ticks = false;
    o.tick_batch_ms = 10;
  });
  ASSERT_TRUE(opened);
  running_ = std::move(opened);
  run_ = std::jthread([&](std::stop_token stop) { running_->RunOnQuotes(fetch, 10, stop); });

  auto fill_price = [&](std::size_t n) {
    const FireCommand cmd = Open(Side::kBuy, 0.10, 1.0000, 1.2000);
    EXPECT_TRUE(Send(cmd));
    const ResultRecord r = WaitForResults(n);
    EXPECT_EQ(r.type, ResultType::kFill) << r.reason;
    EXPECT_EQ(r.fire_id, cmd.fire_id);
    return r.price;
  };
  serve({{"EURUSD", 1000, 1.10000, 1.10010}, {"GBPUSD", 1000, 1.25000, 1.25020}});
  EXPECT_DOUBLE_EQ(fill_price(1), 1.10010);
  serve({{"EURUSD", 2000, 1.10100, 1.10110}});
  EXPECT_DOUBLE_EQ(fill_price(2), 1.10110);
  // A quote no newer than the last applied one is not a tick (the same poll answered again).
  serve({{"EURUSD", 2000, 1.20000, 1.20010}, {"EURUSD", 1500, 1.30000, 1.30010}});
  EXPECT_DOUBLE_EQ(fill_price(3), 1.10110);
  StopRun();
  EXPECT_TRUE(posts.Calls("/api/ticks").empty());
  EXPECT_FALSE(posts.Calls("/api/heartbeat").empty());
}

// A fire.txt too garbled to name its fire is still claimed (moved aside as
// fire.unreadable-<ms>.claimed, kept for a day) and reported as bad_signature, never executed.
TEST_F(PaperBridgeTest, AGarbledFireFileIsClaimedAsideAndReported) {
  auto bridge = OpenBridge(clock_);
  ASSERT_TRUE(bridge);
  bridge->OnTick(Eurusd(1.08500, 1.08510));
  ASSERT_TRUE(WriteFileAtomically(dir(), "fire.txt", "BITTEN-FIRE 1\n\x01\x02 garbage\n",
                                  Replace::kRefuse, Durability::kNone));
  EXPECT_EQ(bridge->ProcessCommands(), 1);
  const ResultRecord r = WaitForResults(1);
  EXPECT_EQ(r.type, ResultType::kBadSignature);
  EXPECT_TRUE(r.fire_id.empty());
  EXPECT_FALSE(r.reason.empty());
  EXPECT_TRUE(bridge->broker().positions().empty());
  std::vector<std::string> aside;
  for (const auto& e : std::filesystem::directory_iterator(dir())) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("fire.unreadable-") && name.ends_with(".claimed")) aside.push_back(name);
  }
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(Slurp(dir() / aside[0]), "BITTEN-FIRE 1\n\x01\x02 garbage\n");
  EXPECT_FALSE(std::filesystem::exists(dir() / "fire.txt"));
}

}  // namespace
}  // namespace bitten::bridge
