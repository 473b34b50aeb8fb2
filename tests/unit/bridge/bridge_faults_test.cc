// Fault tests of the bridge (issue 5, "Proof"): the file transport and the paper bridge (the EA's
// twin) in one temp folder with real files, inotify and threads. Each test breaks one thing (EA
// stopped mid-stream, a torn result line, a server restart between fire and claim, a terminal gone
// quiet during a fire, a duplicated command file, clock skew) and checks that no command or record
// is lost or doubled and that what the server hears is the truth. The core's side of the same
// faults (mission states, HTTP dedup) is covered by the app tests and tests/e2e.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "base/crypto.h"
#include "base/uuid.h"
#include "bridge/codec.h"
#include "bridge/file_io.h"
#include "bridge/paper_bridge.h"
#include "bridge/transport.h"
#include "bridge_fixtures.h"
#include "common/paths.h"

namespace bitten::bridge {
namespace {

using market::Side;
using testing::MemoryPositions;
using testing::Recorder;
using testing::Slurp;
using testing::WaitForFile;

const std::string kSecret =
    *FromHex("8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677");

class BridgeFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    TransportCallbacks cb = recorder_.Callbacks();
    cb.on_undelivered = [this](const std::string&, const std::string& fire_id, TimeMs) {
      std::lock_guard lock(mu_);
      undelivered_.push_back(fire_id);
    };
    callbacks_ = cb;
    StartTransport();
  }
  void TearDown() override { transport_->Stop(); }

  void StartTransport() {
    transport_ = std::make_unique<FileTransport>(
        FileTransport::Options{.scan_ms = 20, .delivery_timeout_ms = 200}, clock_, positions_,
        callbacks_);
    ASSERT_TRUE(transport_->AddTerminal("t1", dir(), kSecret));
    ASSERT_TRUE(transport_->Start());
  }

  std::unique_ptr<PaperBridge> OpenBridge(const Clock& clock, Poster poster = nullptr) {
    PaperBridge::Options o;
    o.dir = dir();
    o.terminal_id = "t1";
    o.secret = kSecret;
    auto b = PaperBridge::Open(o, clock, market::InstrumentTable::Defaults(), std::move(poster));
    EXPECT_TRUE(b) << b.error().message;
    if (!b) return nullptr;
    (*b)->OnTick({"EURUSD", 1722289995000, 1.08500, 1.08510});
    return std::move(*b);
  }

  FireCommand Command(TimeMs expires_at) {
    FireCommand c;
    c.fire_id = NewUuidV7(clock_);
    c.mission_id = NewUuidV7(clock_);
    c.symbol = "EURUSD";
    c.side = Side::kBuy;
    c.volume = 0.10;
    c.sl = 1.0825;
    c.tp = 1.0875;
    c.max_slippage_points = 20;
    c.expires_at = expires_at;
    c.magic = 1;
    c.comment = "BITTEN fault";
    return c;
  }
  Status Send(const FireCommand& c) {
    return transport_->Enqueue("t1", c.fire_id, EncodeFireCommand(c, kSecret, 5, 2));
  }
  // Handles commands on this thread (the bridge thread) until `n` were handled.
  void Handle(PaperBridge& b, int n) {
    int handled = 0;
    ASSERT_TRUE(WaitForFile([&] { return (handled += b.ProcessCommands()) >= n; }))
        << "handled " << handled << " of " << n;
  }
  std::size_t Results() {
    return recorder_.Read<std::size_t>([](const Recorder& r) { return r.results_.size(); });
  }
  std::vector<ResultRecord> ResultsCopy() {
    return recorder_.Read<std::vector<ResultRecord>>([](const Recorder& r) { return r.results_; });
  }
  std::vector<std::string> Undelivered() {
    std::lock_guard lock(mu_);
    return undelivered_;
  }
  // Every seq once, 1..n in order, and every fire_id's records as expected.
  void ExpectSeqsOnce(std::size_t n) {
    const auto results = ResultsCopy();
    ASSERT_EQ(results.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(results[i].seq, static_cast<std::int64_t>(i + 1));
    }
  }
  std::filesystem::path dir() const { return tmp_.path() / "t1"; }

  bitten::testing::TempDir tmp_;
  RealClock clock_;
  MemoryPositions positions_;
  Recorder recorder_;
  TransportCallbacks callbacks_;
  std::unique_ptr<FileTransport> transport_;
  std::mutex mu_;
  std::vector<std::string> undelivered_;
};

TEST_F(BridgeFaults, EaStoppedMidStreamLosesAndDoublesNothing) {
  const TimeMs expires = clock_.NowMs() + 120'000;
  const FireCommand c1 = Command(expires), c2 = Command(expires), c3 = Command(expires);
  {
    auto ea = OpenBridge(clock_);
    ASSERT_TRUE(ea);
    ASSERT_TRUE(Send(c1));
    Handle(*ea, 1);
  }  // the EA stops
  ASSERT_TRUE(Send(c2));
  ASSERT_TRUE(Send(c3));
  // Nobody claims: both are reported undelivered; c2 waits in fire.txt, c3 behind it.
  auto reported = [&](const std::string& id) {
    const auto u = Undelivered();
    return std::count(u.begin(), u.end(), id);
  };
  ASSERT_TRUE(WaitForFile([&] { return reported(c2.fire_id) && reported(c3.fire_id); }));
  EXPECT_EQ(PeekFireId(Slurp(dir() / "fire.txt")), c2.fire_id);

  auto ea = OpenBridge(clock_);  // the EA comes back
  ASSERT_TRUE(ea);
  Handle(*ea, 2);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() >= 3; }));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.delivered_.size() >= 3; }));
  ExpectSeqsOnce(3);
  const auto results = ResultsCopy();
  EXPECT_EQ(results[0].fire_id, c1.fire_id);
  EXPECT_EQ(results[1].fire_id, c2.fire_id);
  EXPECT_EQ(results[2].fire_id, c3.fire_id);
  for (const auto& r : results) EXPECT_EQ(r.type, ResultType::kFill);
  EXPECT_EQ(ea->broker().positions().size(), 2u);  // c2, c3 (c1's broker state died with it)
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // more scans: nothing new
  EXPECT_EQ(Results(), 3u);
  EXPECT_EQ(reported(c2.fire_id), 1);  // once each, however long they waited
  EXPECT_EQ(reported(c3.fire_id), 1);
}

TEST_F(BridgeFaults, ATornResultLineIsReadOnlyWhenCompleteAndGarbageIsSkipped) {
  ResultRecord r;
  r.seq = 1;
  r.type = ResultType::kReject;
  r.terminal = "t1";
  r.fire_id = NewUuidV7(clock_);
  r.retcode = 10016;
  r.reason = "invalid stops";
  r.time = clock_.NowMs();
  const std::string line = EncodeResultLine(r, kSecret);
  const std::filesystem::path journal = dir() / "trade_result.txt";
  ASSERT_TRUE(AppendDurably(journal, line.substr(0, 40)));  // the EA is mid-write
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Results(), 0u);  // a line without its LF is not yet written
  ASSERT_TRUE(AppendDurably(journal, line.substr(40)));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& rec) { return rec.results_.size() == 1; }));

  // A complete line of garbage (e.g. an EA that ended a torn line after a crash) is reported and
  // skipped; the next good line still arrives, and the read position covers everything.
  ASSERT_TRUE(AppendDurably(journal, "{\"v\":1,\"seq\":2,\"type\":\"fi\n"));
  r.seq = 2;
  ASSERT_TRUE(AppendDurably(journal, EncodeResultLine(r, kSecret)));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& rec) { return rec.results_.size() == 2; }));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& rec) { return rec.errors_.size() == 1; }));
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& rec) { return rec.errors_[0].code; }),
            "malformed");
  ExpectSeqsOnce(2);
  ASSERT_TRUE(WaitForFile(
      [&] { return positions_.offset("t1") == static_cast<std::int64_t>(Slurp(journal).size()); }));

  // A server restart reads on from the saved position: nothing is passed on twice.
  transport_->Stop();
  StartTransport();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Results(), 2u);
}

TEST_F(BridgeFaults, ServerRestartBetweenFireAndClaimWritesTheCommandOnce) {
  const FireCommand c = Command(clock_.NowMs() + 120'000);
  ASSERT_TRUE(Send(c));
  ASSERT_TRUE(WaitForFile([&] { return std::filesystem::exists(dir() / "fire.txt"); }));
  const std::string written = Slurp(dir() / "fire.txt");
  transport_->Stop();  // the server dies before the EA claims

  StartTransport();      // restart: the fire.txt left behind is adopted ...
  ASSERT_TRUE(Send(c));  // ... and the core's redelivery of the same command is not written again
  auto ea = OpenBridge(clock_);
  ASSERT_TRUE(ea);
  Handle(*ea, 1);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.delivered_.size() == 1; }));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(std::filesystem::exists(dir() / "fire.txt"));  // nothing rewritten
  EXPECT_EQ(ea->ProcessCommands(), 0);
  ExpectSeqsOnce(1);
  EXPECT_EQ(ResultsCopy()[0].type, ResultType::kFill);
  EXPECT_EQ(Slurp(dir() / ("fire." + c.fire_id + ".claimed")), written);
  EXPECT_EQ(ea->broker().positions().size(), 1u);
}

TEST_F(BridgeFaults, ATerminalQuietPastExpiryReportsExpiredNotAFill) {
  // The terminal stopped (heartbeat going stale) while a fire was on its way.
  const FireCommand c = Command(clock_.NowMs() + 300);
  ASSERT_TRUE(Send(c));
  ASSERT_TRUE(WaitForFile([&] { return Undelivered().size() == 1; }));
  ASSERT_TRUE(WaitForFile([&] { return clock_.NowMs() > c.expires_at; }));  // it expires meanwhile
  auto ea = OpenBridge(clock_);  // the terminal comes back late
  ASSERT_TRUE(ea);
  Handle(*ea, 1);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 1; }));
  const ResultRecord r = ResultsCopy()[0];
  EXPECT_EQ(r.type, ResultType::kExpired);  // the truth: it was never executed
  EXPECT_EQ(r.fire_id, c.fire_id);
  EXPECT_EQ(r.mission_id, c.mission_id);
  EXPECT_TRUE(ea->broker().positions().empty());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& rec) { return rec.delivered_.size() == 1; }));
}

TEST_F(BridgeFaults, ADuplicatedCommandFileIsRefusedAsDuplicate) {
  const FireCommand c = Command(clock_.NowMs() + 120'000);
  auto ea = OpenBridge(clock_);
  ASSERT_TRUE(ea);
  ASSERT_TRUE(Send(c));
  Handle(*ea, 1);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 1; }));
  // The same command text appears again (a restored backup, a second writer).
  ASSERT_TRUE(WriteFileAtomically(dir(), "fire.txt", EncodeFireCommand(c, kSecret, 5, 2),
                                  Replace::kRefuse, Durability::kNone));
  Handle(*ea, 1);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 2; }));
  ExpectSeqsOnce(2);
  const auto results = ResultsCopy();
  EXPECT_EQ(results[0].type, ResultType::kFill);
  EXPECT_EQ(results[1].type, ResultType::kDuplicate);
  EXPECT_EQ(results[1].fire_id, c.fire_id);
  EXPECT_EQ(ea->broker().positions().size(), 1u);
}

TEST_F(BridgeFaults, ClockSkewIsReportedTruthfullyAndRecordsStillArriveOnce) {
  // EA clock two minutes ahead: a command valid for one more minute by the server is expired for
  // the EA. It says so and does not trade.
  const TimeMs ahead = 120'000, behind = -40'000;
  OffsetClock ea_ahead(clock_, ahead);
  {
    auto ea = OpenBridge(ea_ahead);
    ASSERT_TRUE(ea);
    ASSERT_TRUE(Send(Command(clock_.NowMs() + 60'000)));
    Handle(*ea, 1);
    ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 1; }));
    EXPECT_EQ(ResultsCopy()[0].type, ResultType::kExpired);
    EXPECT_TRUE(ea->broker().positions().empty());
  }
  // EA clock 40 s behind: it trades, but its signed HTTP report is outside the server's 30 s
  // window and refused (401). The report waits for retry; the file journal still delivers it,
  // exactly once.
  OffsetClock ea_behind(clock_, behind);
  RequestVerifier server;
  int refused = 0;
  Poster poster = [&](std::string path, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers) -> Result<int> {
    std::string ts, sig;
    for (const auto& [k, v] : headers) {
      if (k == "X-Bitten-Timestamp") ts = v;
      if (k == "X-Bitten-Signature") sig = v;
    }
    if (!server.Verify(kSecret, ts, sig, "POST", path, body, clock_.NowMs())) {
      ++refused;
      return 401;
    }
    return 200;
  };
  auto ea = OpenBridge(ea_behind, poster);
  ASSERT_TRUE(ea);
  const FireCommand c = Command(clock_.NowMs() + 60'000);
  ASSERT_TRUE(Send(c));
  Handle(*ea, 1);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 2; }));
  ExpectSeqsOnce(2);
  EXPECT_EQ(ResultsCopy()[1].type, ResultType::kFill);
  EXPECT_EQ(ResultsCopy()[1].fire_id, c.fire_id);
  EXPECT_GE(refused, 1);
  EXPECT_EQ(ea->pending_reports(), 1u);  // kept, not lost
}

}  // namespace
}  // namespace bitten::bridge
