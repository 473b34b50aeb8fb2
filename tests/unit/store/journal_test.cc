#include "store/journal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/crypto.h"
#include "store/fires.h"
#include "store/statement.h"
#include "store/terminals.h"
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

TEST_F(JournalTest, TheRecordedHeadIsTheLastEventKeptByItsBatch) {
  // The head (kv journal.head) is written once per commit (Txn::SetAtCommit), with the value of
  // the batch's last kept event: a failed work's event and its head value go together.
  AppendN(1);
  std::latch entered{1};
  std::latch release{1};
  std::promise<Status> held, kept, dropped;
  writer_->Submit(
      [&](Txn&) -> Status {
        entered.count_down();
        release.wait();
        return Ok();
      },
      [&](Status st) { held.set_value(st); });
  entered.wait();  // the next two works queue up and run in one batch
  writer_->Submit(
      [](Txn& txn) -> Status {
        auto r = AppendEvent(txn, {"kept", kT0, "", "", "", "", "", {}});
        return r ? Ok() : Status(tl::unexpected(r.error()));
      },
      [&](Status st) { kept.set_value(st); });
  writer_->Submit(
      [](Txn& txn) -> Status {
        auto r = AppendEvent(txn, {"dropped", kT0, "", "", "", "", "", {}});
        if (!r) return tl::unexpected(r.error());
        return Fail("terminal_offline", "refused after journaling");
      },
      [&](Status st) { dropped.set_value(st); });
  release.count_down();
  ASSERT_TRUE(held.get_future().get());
  ASSERT_TRUE(kept.get_future().get());
  ASSERT_FALSE(dropped.get_future().get());
  // AppendN's commit, the held work's, then the two queued behind it together.
  EXPECT_EQ(writer_->stats().commits, 3u);
  const VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.events, 2);
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

// The events an id's trace must hold, computed from whole tables in memory (no index): every event
// naming the id; for a signal also its missions (stored or named with it in the journal) and their
// fires' events; for a mission its fire's (docs/audit: "bitten audit trace").
std::set<std::int64_t> TraceByScan(const Database& db, const std::string& id) {
  struct Row {
    std::int64_t seq;
    std::string signal, mission, fire, user, terminal;
  };
  std::vector<Row> journal;
  auto st = Statement::Prepare(db.handle(),
                               "SELECT seq, IFNULL(signal_id, ''), IFNULL(mission_id, ''), "
                               "IFNULL(fire_id, ''), IFNULL(user_id, ''), IFNULL(terminal_id, '') "
                               "FROM journal");
  EXPECT_TRUE(st);
  while (st->Step().value()) {
    journal.push_back(
        {st->Int(0), st->Text(1), st->Text(2), st->Text(3), st->Text(4), st->Text(5)});
  }
  auto pairs = [&](const char* sql) {
    std::vector<std::pair<std::string, std::string>> out;
    auto q = Statement::Prepare(db.handle(), sql);
    EXPECT_TRUE(q);
    while (q->Step().value()) out.emplace_back(q->Text(0), q->Text(1));
    return out;
  };
  const auto mission_signal = pairs("SELECT mission_id, signal_id FROM missions");
  const auto fire_mission = pairs("SELECT fire_id, mission_id FROM fires");
  std::set<std::string> missions{id};
  for (const auto& [m, s] : mission_signal) {
    if (s == id) missions.insert(m);
  }
  for (const Row& r : journal) {
    if (r.signal == id && !r.mission.empty()) missions.insert(r.mission);
  }
  std::set<std::string> fires{id};
  for (const auto& [f, m] : fire_mission) {
    if (missions.count(m)) fires.insert(f);
  }
  for (const Row& r : journal) {
    if (missions.count(r.mission) && !r.fire.empty()) fires.insert(r.fire);
  }
  std::set<std::int64_t> out;
  for (const Row& r : journal) {
    if (r.signal == id || r.user == id || r.terminal == id || missions.count(r.mission) ||
        fires.count(r.fire)) {
      out.insert(r.seq);
    }
  }
  return out;
}

TEST_F(JournalTest, TraceFindsFireBoundEventsThroughTheirFireExactlyAsAFullScan) {
  // Migration 5 leaves fire-bound events (a stored fire, and that fire's mission, user and
  // terminal where named) out of the mission, user and terminal indexes: the fire path's events
  // then cost no page keyed by a mission, a user or a terminal. Every other shape stays indexed.
  const auto u1 = MakeUser("u1");
  const auto u2 = MakeUser("u2");
  const auto s1 = MakeSignal("s1");
  const auto s2 = MakeSignal("s2");
  const auto m1 = MakeMission(s1, u1);
  const auto m2 = MakeMission(s1, u2);
  const auto m3 = MakeMission(s2, u1);
  const auto f1 = MakeFire(m1);
  auto f2 = MakeFire(m2);
  f2.terminal_id = "t2";
  Write([&](Txn& txn) -> Status {
    for (const auto* u : {&u1, &u2}) {
      if (auto s = InsertUser(txn, *u); !s) return s;
    }
    for (const auto* sig : {&s1, &s2}) {
      if (auto s = InsertSignal(txn, *sig); !s) return tl::unexpected(s.error());
    }
    if (auto s = InsertMissions(txn, {m1, m2, m3}); !s) return s;
    for (const char* t : {"t1", "t2", "t9"}) {
      if (auto s = InsertTerminal(txn, {t, "aa", "", kT0}); !s) return s;
    }
    for (const missions::Fire* f : {&f1, static_cast<const missions::Fire*>(&f2)}) {
      if (auto s = InsertFire(txn, *f); !s) return tl::unexpected(s.error());
    }
    return Ok();
  });
  struct Shape {
    Event event;
    bool bound;
  };
  const std::vector<Shape> shapes = {
      {{"signal_emitted", kT0 + 1, s1.signal_id, "", "", "", "", {}}, false},
      {{"fire_accepted", kT0 + 2, s1.signal_id, m1.mission_id, f1.fire_id, u1.user_id, "t1", {}},
       true},
      {{"command_delivered", kT0 + 3, "", "", f1.fire_id, "", "t1", {}}, true},
      {{"xp_awarded", kT0 + 4, "", m1.mission_id, f1.fire_id, u1.user_id, "", {}}, true},
      {{"filled", kT0 + 5, "", m2.mission_id, f2.fire_id, u2.user_id, "t2", {}}, true},
      // Not the fire's terminal, user or mission, or no stored fire: indexed by what it names.
      {{"command_delivered", kT0 + 6, "", "", f2.fire_id, "", "t9", {}}, false},
      {{"result_unmatched", kT0 + 7, "", "", "no-such-fire", "", "t1", {}}, false},
      {{"odd", kT0 + 8, "", m2.mission_id, f2.fire_id, u1.user_id, "", {}}, false},
      {{"odd", kT0 + 9, "", m3.mission_id, f1.fire_id, "", "", {}}, false},
      {{"fire_refused", kT0 + 10, s2.signal_id, m3.mission_id, "", u1.user_id, "", {}}, false},
      {{"mission_expired", kT0 + 11, "", m3.mission_id, "", "", "", {}}, false},
      {{"user_linked", kT0 + 12, "", "", "", u2.user_id, "", {}}, false},
      {{"bridge_fault", kT0 + 13, "", "", "", "", "t2", {}}, false},
  };
  for (const Shape& shape : shapes) Append(shape.event);

  auto reader = Reader();
  auto st = Statement::Prepare(reader->handle(), "SELECT fire_bound FROM journal ORDER BY seq");
  ASSERT_TRUE(st);
  for (const Shape& shape : shapes) {
    auto more = st->Step();
    ASSERT_TRUE(more && *more);
    EXPECT_EQ(st->Int(0), shape.bound ? 1 : 0) << shape.event.type << " at " << shape.event.time;
  }
  for (const std::string& id :
       {s1.signal_id, s2.signal_id, m1.mission_id, m2.mission_id, m3.mission_id, f1.fire_id,
        f2.fire_id, u1.user_id, u2.user_id, std::string("t1"), std::string("t2"), std::string("t9"),
        std::string("no-such-fire")}) {
    auto trace = TraceJournal(*reader, id);
    ASSERT_TRUE(trace) << trace.error().message;
    std::set<std::int64_t> seqs;
    for (const auto& e : *trace) seqs.insert(e.seq);
    EXPECT_EQ(seqs.size(), trace->size()) << id;
    EXPECT_EQ(seqs, TraceByScan(*reader, id)) << id;
    EXPECT_FALSE(seqs.empty()) << id;
  }
  // The trace's reads of the partial indexes use them (a condition SQLite cannot match to the
  // index's WHERE would scan the whole journal once per mission of a signal).
  for (const char* column : {"mission_id", "user_id", "terminal_id"}) {
    auto plan = Statement::Prepare(
        reader->handle(), std::string("EXPLAIN QUERY PLAN SELECT seq FROM journal WHERE ") +
                              column + " = ?1 AND fire_bound = 0");
    ASSERT_TRUE(plan);
    ASSERT_TRUE(plan->Step().value());
    const std::string index = std::string(column).substr(0, std::string(column).find('_'));
    EXPECT_NE(plan->Text(3).find("USING INDEX journal_" + index), std::string::npos)
        << plan->Text(3);
  }
}

}  // namespace
}  // namespace bitten::store
