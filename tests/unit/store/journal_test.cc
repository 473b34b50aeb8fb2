#include "store/journal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/crypto.h"
#include "store/fires.h"
#include "store/statement.h"
#include "store_fixture.h"

namespace bitten::store {
namespace {

using testing::kT0;

class JournalTest : public testing::StoreTest {
 protected:
  void SetUp() override { StartWriter(); }

  JournalEvent Append(Event e) {
    JournalEvent out;
    Write([&](Txn& txn) -> Status {
      auto r = AppendEvent(txn, e);
      if (!r) return tl::unexpected(r.error());
      out = *r;
      return Ok();
    });
    return out;
  }

  void AppendN(int n) {
    for (int i = 0; i < n; ++i) {
      Append({"tick_" + std::to_string(i), kT0 + i, "", "", "", "", "", {{"i", i}}});
    }
  }

  // Stops the writer and runs raw SQL on the file, as an attacker or a broken tool would.
  void Tamper(const char* sql) {
    writer_.reset();
    auto db = Database::Open(DbPath());
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(Exec((*db)->handle(), sql));
  }

  VerifyReport Verify() {
    auto report = VerifyJournal(*Reader());
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : VerifyReport{};
  }
};

// A reader verifying while the writer appends must see rows and the recorded head from one
// snapshot: without it, a commit landing between the row scan and the head read looks like a broken
// chain.
TEST_F(JournalTest, VerifyDuringConcurrentAppendsNeverReportsABreak) {
  AppendN(5);
  std::atomic<bool> done{false};
  std::thread appender([&] {
    for (int i = 0; i < 400; ++i) {
      Append({"tick", kT0 + i, "", "", "", "", "", {{"i", i}}});
    }
    done = true;
  });
  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  int verifications = 0;
  while (!done || verifications == 0) {
    auto report = VerifyJournal(*reader);
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_TRUE(report->ok) << report->message;
    ++verifications;
  }
  appender.join();
  const auto final_report = Verify();
  EXPECT_TRUE(final_report.ok) << final_report.message;
  EXPECT_EQ(final_report.events, 405);
}

TEST_F(JournalTest, AppendChainsHashesFromGenesis) {
  const auto e1 = Append({"signal_emitted", kT0, "s1", "", "", "", "", {{"symbol", "EURUSD"}}});
  const auto e2 = Append({"fire_requested", 0, "", "m1", "", "u1", "", {}});
  EXPECT_EQ(e1.seq, 1);
  EXPECT_EQ(e2.seq, 2);
  EXPECT_EQ(e1.prev_hash, kGenesisHash);
  EXPECT_EQ(e2.prev_hash, e1.hash);
  EXPECT_EQ(e2.event.time, clock_.NowMs()) << "time 0 takes the writer clock";
  EXPECT_NE(e1.event_id, e2.event_id);
  // The hash is exactly the documented formula.
  const std::string expected =
      Sha256Hex(std::string(kGenesisHash) + "\n" + "1\n" + e1.event_id + "\n" +
                std::to_string(kT0) + "\nsignal_emitted\ns1\n\n\n\n\n" + R"({"symbol":"EURUSD"})");
  EXPECT_EQ(e1.hash, expected);

  const VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.events, 2);
  EXPECT_EQ(report.head_hash, e2.hash);
}

TEST_F(JournalTest, EmptyJournalVerifies) {
  const VerifyReport report = Verify();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, 0);
  EXPECT_EQ(report.head_hash, kGenesisHash);
}

TEST_F(JournalTest, AnEventRolledBackWithItsWorkLeavesNoHoleInTheChain) {
  AppendN(2);
  auto failed = writer_->SubmitAndWait([](Txn& txn) -> Status {
    if (auto r = AppendEvent(txn, {"fire_accepted", kT0, "", "m", "f", "", "", {}}); !r) {
      return tl::unexpected(r.error());
    }
    return Fail("terminal_offline", "refused after journaling: both must vanish");
  });
  ASSERT_FALSE(failed);
  const auto next = Append({"after", kT0, "", "", "", "", "", {}});
  EXPECT_EQ(next.seq, 3);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(JournalTest, TamperedPayloadIsReportedAtItsSeq) {
  AppendN(5);
  ASSERT_TRUE(Verify().ok);
  Tamper(R"(UPDATE journal SET payload = '{"i":999}' WHERE seq = 3)");
  const VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_seq, 3);
  EXPECT_EQ(report.problem, "hash_mismatch");
  EXPECT_NE(report.message.find("seq 3"), std::string::npos) << report.message;
  EXPECT_EQ(report.events, 2) << "rows before the break were verified";
}

TEST_F(JournalTest, ARowForgedWithAValidHashIsCaughtByTheNextLink) {
  AppendN(4);
  // The forger rewrites row 2's payload and recomputes its hash correctly; row 3 still points at
  // the old hash.
  writer_.reset();
  auto db = Database::Open(DbPath());
  ASSERT_TRUE(db);
  auto st = Statement::Prepare((*db)->handle(),
                               "SELECT event_id, time, type, prev_hash FROM journal WHERE seq = 2");
  ASSERT_TRUE(st && *st->Step());
  Event forged{st->Text(2), st->Int(1), "", "", "", "", "", {{"i", 1000}}};
  const std::string payload = forged.payload.dump();
  const std::string hash =
      Sha256Hex(st->Text(3) + "\n" + EventCanonicalText(2, st->Text(0), forged, payload));
  auto up = Statement::Prepare((*db)->handle(),
                               "UPDATE journal SET payload = ?1, hash = ?2 WHERE seq = 2");
  ASSERT_TRUE(up);
  up->Bind(1, payload).Bind(2, hash);
  ASSERT_TRUE(up->Run());

  const VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_seq, 3);
  EXPECT_EQ(report.problem, "prev_link");
}

TEST_F(JournalTest, BrokenPrevLinkIsReported) {
  AppendN(4);
  Tamper("UPDATE journal SET prev_hash = 'ffff' WHERE seq = 4");
  const VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_seq, 4);
  EXPECT_EQ(report.problem, "prev_link");
}

TEST_F(JournalTest, DeletedMiddleRowIsReportedAsAGap) {
  AppendN(6);
  Tamper("DELETE FROM journal WHERE seq = 4");
  const VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.broken_seq, 4);
  EXPECT_EQ(report.problem, "gap");
  EXPECT_NE(report.message.find("4..4"), std::string::npos) << report.message;
}

TEST_F(JournalTest, RowsCutOffTheEndAreReported) {
  AppendN(6);
  Tamper("DELETE FROM journal WHERE seq >= 5");
  const VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "head_mismatch");
  EXPECT_EQ(report.broken_seq, 5);
}

TEST_F(JournalTest, TraceOfASignalFollowsItsMissionsAndFires) {
  const auto user = MakeUser("trace");
  const auto signal = MakeSignal("trace");
  const auto m1 = MakeMission(signal, user);
  const auto m2 = MakeMission(signal, user);
  const auto fire = MakeFire(m1);
  const auto unrelated = SeedMission("other");
  Write([&](Txn& txn) -> Status {
    if (auto s = InsertUser(txn, user); !s) return s;
    if (auto s = InsertSignal(txn, signal); !s) return tl::unexpected(s.error());
    if (auto s = InsertMissions(txn, {m1, m2}); !s) return s;
    if (auto s = InsertFire(txn, fire); !s) return tl::unexpected(s.error());
    return Ok();
  });
  // Appended out of time order on purpose: the trace is ordered by time, then seq.
  Append({"signal_emitted", kT0 + 10, signal.signal_id, "", "", "", "", {}});
  Append({"command_delivered", kT0 + 50, "", "", fire.fire_id, "", "t1", {}});
  Append({"missions_built", kT0 + 20, signal.signal_id, "", "", "", "", {{"count", 2}}});
  Append({"fire_accepted", kT0 + 40, "", m1.mission_id, fire.fire_id, user.user_id, "t1", {}});
  Append({"hud_opened", kT0 + 30, "", m2.mission_id, "", user.user_id, "", {}});
  Append({"fire_accepted", kT0 + 45, "", unrelated.mission_id, "", "", "", {}});
  Append({"filled", kT0 + 60, "", "", fire.fire_id, "", "t1", {{"price", 1.08501}}});

  auto trace = TraceJournal(*Reader(), signal.signal_id);
  ASSERT_TRUE(trace) << trace.error().message;
  std::vector<std::string> types;
  for (const auto& e : *trace) types.push_back(e.event.type);
  EXPECT_EQ(types, (std::vector<std::string>{"signal_emitted", "missions_built", "hud_opened",
                                             "fire_accepted", "command_delivered", "filled"}));
  EXPECT_DOUBLE_EQ(trace->back().event.payload["price"].get<double>(), 1.08501);

  auto by_mission = TraceJournal(*Reader(), m1.mission_id);
  ASSERT_TRUE(by_mission);
  types.clear();
  for (const auto& e : *by_mission) types.push_back(e.event.type);
  EXPECT_EQ(types, (std::vector<std::string>{"fire_accepted", "command_delivered", "filled"}));

  auto by_fire = TraceJournal(*Reader(), fire.fire_id);
  ASSERT_TRUE(by_fire);
  EXPECT_EQ(by_fire->size(), 3u);
  auto nothing = TraceJournal(*Reader(), "no-such-id");
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->empty());
}

}  // namespace
}  // namespace bitten::store
