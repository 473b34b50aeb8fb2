#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/clock.h"
#include "base/crypto.h"
#include "bridge/codec.h"
#include "bridge/file_io.h"
#include "bridge/transport.h"
#include "bridge_fixtures.h"
#include "common/paths.h"

namespace bitten::bridge {
namespace {

using testing::MemoryPositions;
using testing::Recorder;
using testing::Slurp;
using testing::WaitForFile;

const std::string kSecret = std::string(32, '\x5a');

std::string ResultLine(std::int64_t seq, const std::string& terminal = "t1",
                       const std::string& secret = kSecret) {
  ResultRecord r;
  r.seq = seq;
  r.type = ResultType::kReject;
  r.terminal = terminal;
  r.fire_id = "f" + std::to_string(seq);
  r.retcode = 10016;
  r.reason = "invalid stops";
  r.time = 1722289995000 + seq;
  return EncodeResultLine(r, secret);
}

class FileTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<FileTransport> MakeTransport() {
    auto t = std::make_unique<FileTransport>(FileTransport::Options{.scan_ms = 100}, clock_,
                                             positions_, recorder_.Callbacks());
    EXPECT_TRUE(t->AddTerminal("t1", dir(), kSecret));
    EXPECT_TRUE(t->Start());
    return t;
  }
  std::filesystem::path dir() const { return tmp_.path() / "t1"; }
  std::filesystem::path fire() const { return dir() / "fire.txt"; }

  bitten::testing::TempDir tmp_;
  RealClock clock_;
  MemoryPositions positions_;
  Recorder recorder_;
};

TEST_F(FileTransportTest, SingleSlotWritesTheNextCommandOnlyAfterTheClaim) {
  auto transport = MakeTransport();
  ASSERT_TRUE(transport->Enqueue("t1", "a", "command A\n"));
  ASSERT_TRUE(transport->Enqueue("t1", "b", "command B\n"));
  ASSERT_TRUE(WaitForFile([&] { return Slurp(fire()) == "command A\n"; }));
  // Several scans later, B has still not replaced A: the slot is single.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Slurp(fire()), "command A\n");
  EXPECT_TRUE(recorder_.Read<bool>([](const Recorder& r) { return r.delivered_.empty(); }));
  EXPECT_FALSE(std::filesystem::exists(dir() / "fire.txt.tmp"));

  // The EA claims A: delivered(A), then B is written.
  std::filesystem::rename(fire(), dir() / "fire.a.claimed");
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.delivered_.size() == 1; }));
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& r) { return r.delivered_[0].fire_id; }),
            "a");
  ASSERT_TRUE(WaitForFile([&] { return Slurp(fire()) == "command B\n"; }));
  std::filesystem::rename(fire(), dir() / "fire.b.claimed");
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.delivered_.size() == 2; }));
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& r) { return r.delivered_[1].fire_id; }),
            "b");
}

TEST_F(FileTransportTest, EnqueueIsIdempotentBoundedAndKnowsItsTerminals) {
  FileTransport transport(FileTransport::Options{.max_queue = 2}, clock_, positions_,
                          recorder_.Callbacks());
  ASSERT_TRUE(transport.AddTerminal("t1", dir(), kSecret));
  // Not started: nothing is written, so the queue fills.
  ASSERT_TRUE(transport.Enqueue("t1", "a", "A"));
  ASSERT_TRUE(transport.Enqueue("t1", "a", "A"));  // same fire_id: not queued twice
  ASSERT_TRUE(transport.Enqueue("t1", "b", "B"));
  auto full = transport.Enqueue("t1", "c", "C");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, "queue_full");
  auto unknown = transport.Enqueue("t9", "a", "A");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "unknown_terminal");
  EXPECT_EQ(transport.AddTerminal("Bad_Id", dir(), kSecret).error().code, "bad_terminal_id");
}

TEST_F(FileTransportTest, AForeignFireTxtIsNeverOverwritten) {
  std::filesystem::create_directories(dir());
  std::ofstream(fire()) << "left by someone\n";
  auto transport = MakeTransport();
  ASSERT_TRUE(transport->Enqueue("t1", "a", "command A\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Slurp(fire()), "left by someone\n");
  std::filesystem::remove(fire());
  ASSERT_TRUE(WaitForFile([&] { return Slurp(fire()) == "command A\n"; }));
}

TEST_F(FileTransportTest, AdoptsTheCommandInTheSlotAfterARestart) {
  std::filesystem::create_directories(dir());
  std::ofstream(fire()) << "BITTEN-FIRE 1\nfire_id=x1\nsig=00\n";
  auto transport = MakeTransport();
  // The server redelivers its committed, unclaimed fire: it is already in the slot.
  ASSERT_TRUE(transport->Enqueue("t1", "x1", "BITTEN-FIRE 1\nfire_id=x1\nsig=00\n"));
  ASSERT_TRUE(transport->Enqueue("t1", "x2", "second\n"));
  std::filesystem::rename(fire(), dir() / "fire.x1.claimed");
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return !r.delivered_.empty(); }));
  ASSERT_TRUE(WaitForFile([&] { return Slurp(fire()) == "second\n"; }));
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& r) { return r.delivered_[0].fire_id; }),
            "x1");
}

TEST_F(FileTransportTest, TailsOnlyCompleteLinesAndSkipsBadOnes) {
  auto transport = MakeTransport();
  const auto journal = dir() / "trade_result.txt";
  ASSERT_TRUE(AppendDurably(journal, ResultLine(1)));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 1; }));

  // A torn line (no LF yet) is not delivered...
  const std::string second = ResultLine(2);
  ASSERT_TRUE(AppendDurably(journal, second.substr(0, 40)));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(recorder_.Read<std::size_t>([](const Recorder& r) { return r.results_.size(); }), 1u);
  EXPECT_TRUE(recorder_.Read<bool>([](const Recorder& r) { return r.errors_.empty(); }));
  // ...until it is completed.
  ASSERT_TRUE(AppendDurably(journal, second.substr(40)));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 2; }));

  // Garbage, a forged line and another terminal's line are reported and skipped.
  ASSERT_TRUE(AppendDurably(journal, "not json\n" + ResultLine(3, "t1", std::string(32, 'x')) +
                                         ResultLine(4, "t2") + ResultLine(5)));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 3; }));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.errors_.size() == 3; }));
  recorder_.Read<int>([](const Recorder& r) {
    EXPECT_EQ(r.results_[0].seq, 1);
    EXPECT_EQ(r.results_[1].seq, 2);
    EXPECT_EQ(r.results_[2].seq, 5);
    EXPECT_EQ(r.lines_[2] + "\n", ResultLine(5));
    EXPECT_EQ(r.errors_[0].code, "malformed");
    EXPECT_EQ(r.errors_[1].code, "bad_signature");
    EXPECT_EQ(r.errors_[2].code, "malformed");
    EXPECT_NE(r.errors_[2].message.find("t2"), std::string::npos);
    return 0;
  });
  EXPECT_TRUE(WaitForFile([&] {
    return positions_.offset("t1") ==
           static_cast<std::int64_t>(std::filesystem::file_size(journal));
  }));
}

TEST_F(FileTransportTest, RestartResumesFromTheSavedOffsetWithoutReplaying) {
  const auto journal = dir() / "trade_result.txt";
  {
    auto transport = MakeTransport();
    ASSERT_TRUE(AppendDurably(journal, ResultLine(1) + ResultLine(2)));
    ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 2; }));
    ASSERT_TRUE(WaitForFile([&] { return positions_.offset("t1") > 0; }));
    transport->Stop();
  }
  ASSERT_TRUE(AppendDurably(journal, ResultLine(3)));
  Recorder second;
  FileTransport transport(FileTransport::Options{.scan_ms = 100}, clock_, positions_,
                          second.Callbacks());
  ASSERT_TRUE(transport.AddTerminal("t1", dir(), kSecret));
  ASSERT_TRUE(transport.Start());
  ASSERT_TRUE(second.WaitFor([](const Recorder& r) { return !r.results_.empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  second.Read<int>([](const Recorder& r) {
    EXPECT_EQ(r.results_.size(), 1u);
    EXPECT_EQ(r.results_[0].seq, 3);
    return 0;
  });
}

TEST_F(FileTransportTest, ATruncatedJournalIsReportedAndReadAgain) {
  const auto journal = dir() / "trade_result.txt";
  std::filesystem::create_directories(dir());
  ASSERT_TRUE(positions_.Save("t1", 100000));
  ASSERT_TRUE(AppendDurably(journal, ResultLine(1)));
  auto transport = MakeTransport();
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 1; }));
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& r) { return r.errors_.at(0).code; }),
            "journal_truncated");
}

TEST_F(FileTransportTest, PassesOnEachVerifiedHeartbeat) {
  auto transport = MakeTransport();
  Heartbeat hb;
  hb.terminal = "t1";
  hb.time = 1;
  hb.connected = hb.trade_allowed = true;
  ASSERT_TRUE(WriteFileAtomically(dir(), "heartbeat.txt", EncodeHeartbeat(hb, kSecret),
                                  Replace::kAllow, Durability::kNone));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.heartbeats_.size() == 1; }));
  hb.time = 2;
  ASSERT_TRUE(WriteFileAtomically(dir(), "heartbeat.txt", EncodeHeartbeat(hb, kSecret),
                                  Replace::kAllow, Durability::kNone));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.heartbeats_.size() == 2; }));
  EXPECT_EQ(recorder_.Read<TimeMs>([](const Recorder& r) { return r.heartbeats_[1].time; }), 2);
  // Forged: reported, not passed on.
  hb.time = 3;
  ASSERT_TRUE(WriteFileAtomically(dir(), "heartbeat.txt", EncodeHeartbeat(hb, std::string(32, 'q')),
                                  Replace::kAllow, Durability::kNone));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return !r.errors_.empty(); }));
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& r) { return r.errors_[0].code; }),
            "bad_signature");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(recorder_.Read<std::size_t>([](const Recorder& r) { return r.heartbeats_.size(); }),
            2u);
}

// Issue 5, "a malformed file moved aside, reported, never crashing anything": a bad line of the
// journal is copied to trade_result.bad with its byte offset and reason, reported, and the lines
// after it are still read; the journal itself is never edited.
TEST_F(FileTransportTest, ABadResultLineIsCopiedAsideWithItsOffsetAndReadingGoesOn) {
  auto transport = MakeTransport();
  const auto journal = dir() / "trade_result.txt";
  const std::string good1 = ResultLine(1), garbage = "{\"v\":1,\"seq\":2,\"ty\xff\n",
                    forged = ResultLine(3, "t1", std::string(32, 'x')), good4 = ResultLine(4);
  const std::string all = good1 + garbage + forged + good4;
  ASSERT_TRUE(AppendDurably(journal, all));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 2; }));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.errors_.size() == 2; }));
  recorder_.Read<int>([](const Recorder& r) {
    EXPECT_EQ(r.results_[0].seq, 1);
    EXPECT_EQ(r.results_[1].seq, 4);
    EXPECT_EQ(r.errors_[0].code, "malformed");
    EXPECT_EQ(r.errors_[1].code, "bad_signature");
    EXPECT_NE(r.errors_[0].message.find("trade_result.bad"), std::string::npos);
    return 0;
  });
  // Two entries, one JSON object a line, each naming the byte offset of its line.
  const std::string bad = Slurp(dir() / "trade_result.bad");
  std::vector<nlohmann::json> entries;
  for (std::size_t pos = 0, nl; (nl = bad.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    entries.push_back(nlohmann::json::parse(bad.substr(pos, nl - pos)));
  }
  ASSERT_EQ(entries.size(), 2u) << bad;
  EXPECT_EQ(entries[0]["offset"], good1.size());
  EXPECT_EQ(entries[0]["code"], "malformed");
  EXPECT_EQ(entries[0]["line"], "{\"v\":1,\"seq\":2,\"ty\xef\xbf\xbd");  // invalid byte: U+FFFD
  EXPECT_EQ(entries[1]["offset"], good1.size() + garbage.size());
  EXPECT_EQ(entries[1]["code"], "bad_signature");
  EXPECT_EQ(entries[1]["line"].get<std::string>() + "\n", forged);
  EXPECT_FALSE(entries[1]["reason"].get<std::string>().empty());
  // The journal is untouched and fully consumed.
  EXPECT_EQ(Slurp(journal), all);
  EXPECT_TRUE(WaitForFile(
      [&] { return positions_.offset("t1") == static_cast<std::int64_t>(all.size()); }));
}

// An over-long line (no LF within max_line_bytes) is set aside with its first bytes, flagged
// truncated; the line after it is read.
TEST_F(FileTransportTest, AnOverLongLineIsSetAsideTruncated) {
  auto transport = std::make_unique<FileTransport>(
      FileTransport::Options{.scan_ms = 100, .max_line_bytes = 1024}, clock_, positions_,
      recorder_.Callbacks());
  ASSERT_TRUE(transport->AddTerminal("t1", dir(), kSecret));
  const std::string huge(8000, 'z');
  ASSERT_TRUE(AppendDurably(dir() / "trade_result.txt", huge + "\n" + ResultLine(1)));
  ASSERT_TRUE(transport->Start());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.results_.size() == 1; }));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.errors_.size() == 1; }));
  const auto entry = nlohmann::json::parse(Slurp(dir() / "trade_result.bad"));
  EXPECT_EQ(entry["offset"], 0);
  EXPECT_EQ(entry["truncated"], true);
  EXPECT_EQ(entry["line"].get<std::string>(), huge.substr(0, 4096));
}

// A bad heartbeat.txt is moved to heartbeat.txt.bad and reported once per run of bad beats (a
// terminal with a wrong secret beats every 5 s); the next good beat is passed on.
TEST_F(FileTransportTest, ABadHeartbeatIsMovedAsideAndReportedOncePerStreak) {
  auto transport = MakeTransport();
  Heartbeat hb;
  hb.terminal = "t1";
  hb.connected = hb.trade_allowed = true;
  auto write = [&](TimeMs time, const std::string& secret) {
    hb.time = time;
    const std::string text = EncodeHeartbeat(hb, secret);
    EXPECT_TRUE(
        WriteFileAtomically(dir(), "heartbeat.txt", text, Replace::kAllow, Durability::kNone));
    return text;
  };
  auto errors = [&] {
    return recorder_.Read<std::size_t>([](const Recorder& r) { return r.errors_.size(); });
  };
  const std::string forged1 = write(1, std::string(32, 'q'));
  ASSERT_TRUE(WaitForFile([&] { return Slurp(dir() / "heartbeat.txt.bad") == forged1; }));
  EXPECT_FALSE(std::filesystem::exists(dir() / "heartbeat.txt"));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.errors_.size() == 1; }));
  const std::string forged2 = write(2, std::string(32, 'q'));
  ASSERT_TRUE(WaitForFile([&] { return Slurp(dir() / "heartbeat.txt.bad") == forged2; }));
  EXPECT_EQ(errors(), 1u);  // same streak
  const std::string good = write(3, kSecret);
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.heartbeats_.size() == 1; }));
  EXPECT_EQ(recorder_.Read<TimeMs>([](const Recorder& r) { return r.heartbeats_[0].time; }), 3);
  EXPECT_EQ(Slurp(dir() / "heartbeat.txt"), good);  // a good beat stays where it is
  write(4, std::string(32, 'q'));                   // a new streak: reported again
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.errors_.size() == 2; }));
  EXPECT_EQ(recorder_.Read<std::string>([](const Recorder& r) { return r.errors_[1].code; }),
            "bad_signature");
}

TEST_F(FileTransportTest, StopIsCleanAndIdempotent) {
  auto transport = MakeTransport();
  transport->Stop();
  transport->Stop();
  // Commands enqueued while stopped stay queued and go out after a restart.
  ASSERT_TRUE(transport->Enqueue("t1", "a", "A\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(std::filesystem::exists(fire()));
  ASSERT_TRUE(transport->Start());
  ASSERT_TRUE(WaitForFile([&] { return Slurp(fire()) == "A\n"; }));
}

}  // namespace
}  // namespace bitten::bridge
