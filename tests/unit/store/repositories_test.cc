// Users, terminals, signals, missions, fires, results, outbox and kv against a real database file.
#include <gtest/gtest.h>

#include "store/fires.h"
#include "store/kv.h"
#include "store/missions.h"
#include "store/outbox.h"
#include "store/results.h"
#include "store/signals.h"
#include "store/statement.h"
#include "store/terminals.h"
#include "store/trades.h"
#include "store/users.h"
#include "store_fixture.h"

namespace bitten::store {
namespace {

using missions::FireStatus;
using missions::MissionStatus;
using testing::kT0;

class RepositoryTest : public testing::StoreTest {
 protected:
  void SetUp() override { StartWriter(); }
};

TEST_F(RepositoryTest, UsersInsertFindListAndUpdate) {
  auto alice = MakeUser("alice", 1001);
  auto bob = MakeUser("bob");  // not linked to Telegram yet
  Write([&](Txn& txn) -> Status {
    if (auto s = InsertUser(txn, alice); !s) return s;
    return InsertUser(txn, bob);
  });
  auto reader = Reader();
  auto got = GetUser(*reader, alice.user_id);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->name, "alice");
  EXPECT_EQ((*got)->tier, missions::Tier::kFang);
  EXPECT_EQ((*got)->telegram_id, 1001);
  auto by_tg = GetUserByTelegramId(*reader, 1001);
  ASSERT_TRUE(by_tg && by_tg->has_value());
  EXPECT_EQ((*by_tg)->user_id, alice.user_id);
  EXPECT_EQ(ListUsers(*reader)->size(), 2u);

  Write([&](Txn& txn) -> Status {
    if (auto s = SetUserTier(txn, bob.user_id, missions::Tier::kCommander); !s) return s;
    if (auto s = SetUserTelegramId(txn, bob.user_id, 2002); !s) return s;
    if (auto s = AddUserXp(txn, bob.user_id, 50); !s) return s;
    return SetUserTerminal(txn, bob.user_id, "t1");
  });
  auto b = GetUser(*reader, bob.user_id);
  ASSERT_TRUE(b && b->has_value());
  EXPECT_EQ((*b)->tier, missions::Tier::kCommander);
  EXPECT_EQ((*b)->telegram_id, 2002);
  EXPECT_EQ((*b)->terminal_id, "t1");
  EXPECT_EQ((*b)->xp, 50);

  // A telegram id belongs to one user; an unknown user is named.
  auto taken =
      writer_->SubmitAndWait([&](Txn& txn) { return SetUserTelegramId(txn, bob.user_id, 1001); });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, "store_conflict");
  auto missing = writer_->SubmitAndWait(
      [&](Txn& txn) { return SetUserTier(txn, "no-such-user", missions::Tier::kFang); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "user_not_found");
  EXPECT_FALSE(GetUser(*reader, "no-such-user")->has_value());
}

TEST_F(RepositoryTest, TerminalsInsertGetListAndRotateSecret) {
  Write([&](Txn& txn) -> Status {
    if (auto s = InsertTerminal(txn, {"t2", "bb", "/srv/t2", kT0}); !s) return s;
    return InsertTerminal(txn, {"t1", "aa", "/srv/t1", kT0});
  });
  auto dup = writer_->SubmitAndWait([&](Txn& txn) {
    return InsertTerminal(txn, {"t1", "cc", "", kT0});
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "store_conflict");
  Write([&](Txn& txn) { return SetTerminalSecret(txn, "t1", "dd"); });
  auto reader = Reader();
  auto list = ListTerminals(*reader);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].terminal_id, "t1");
  EXPECT_EQ((*list)[0].secret_hex, "dd");
  EXPECT_EQ((*list)[1].dir, "/srv/t2");
  EXPECT_FALSE(GetTerminal(*reader, "t9")->has_value());
  auto unknown =
      writer_->SubmitAndWait([&](Txn& txn) { return SetTerminalSecret(txn, "t9", "x"); });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "terminal_not_found");
}

TEST_F(RepositoryTest, SignalWithAnExistingHashIsNotStoredTwice) {
  const auto first = MakeSignal("EURUSD|BUY|...|1.08501");
  const auto again =
      MakeSignal("EURUSD|BUY|...|1.08501");  // same content, new id (e.g. after restart)
  const auto other = MakeSignal("GBPUSD|SELL|...");
  std::vector<bool> inserted;
  Write([&](Txn& txn) -> Status {
    for (const auto* s : {&first, &again, &other}) {
      auto r = InsertSignal(txn, *s);
      if (!r) return tl::unexpected(r.error());
      inserted.push_back(*r);
    }
    return Ok();
  });
  EXPECT_EQ(inserted, (std::vector<bool>{true, false, true}));
  auto reader = Reader();
  EXPECT_EQ(*FindSignalIdByHash(*reader, first.signal_hash), first.signal_id);
  EXPECT_FALSE(GetSignalJson(*reader, again.signal_id)->has_value());
  auto j = GetSignalJson(*reader, first.signal_id);
  ASSERT_TRUE(j && j->has_value());
  EXPECT_EQ((**j)["signal_id"], first.signal_id);
}

TEST_F(RepositoryTest, MissionsRoundTripAndQueries) {
  const auto user = MakeUser("u");
  const auto signal = MakeSignal("s");
  auto m1 = MakeMission(signal, user);
  m1.briefing = "EURUSD \"SELL\"\nrisk 1.5 %\t\\ 🎯 \x01";
  m1.entry = 0.1 + 0.2;  // not exactly representable: the text must read back bit for bit
  auto m2 = MakeMission(signal, user);
  m2.status = MissionStatus::kExpired;
  Write([&](Txn& txn) -> Status {
    if (auto s = InsertUser(txn, user); !s) return s;
    if (auto s = InsertSignal(txn, signal); !s) return tl::unexpected(s.error());
    return InsertMissions(txn, {m1, m2});
  });
  auto reader = Reader();
  auto got = GetMission(*reader, m1.mission_id);
  ASSERT_TRUE(got && got->has_value()) << (got ? "" : got.error().message);
  const auto& g = **got;
  EXPECT_EQ(g.signal_id, signal.signal_id);
  EXPECT_EQ(g.side, market::Side::kSell);
  EXPECT_EQ(g.signal_class, venom::SignalClass::kPrecisionStrike);
  EXPECT_EQ(g.entry, m1.entry);
  EXPECT_DOUBLE_EQ(g.lots, 0.12);
  EXPECT_DOUBLE_EQ(g.risk_money, 30.12);
  EXPECT_EQ(g.briefing, m1.briefing);
  EXPECT_EQ(g.expires_at, m1.expires_at);
  EXPECT_EQ(g.status, MissionStatus::kPending);

  EXPECT_EQ(ListMissionsBySignal(*reader, signal.signal_id)->size(), 2u);
  EXPECT_EQ(ListMissionsByUser(*reader, user.user_id)->size(), 2u);
  auto pending = ListMissionsByUser(*reader, user.user_id, MissionStatus::kPending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().mission_id, m1.mission_id);
  auto live = ListLiveMissions(*reader);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ(live->front().mission_id, m1.mission_id);

  bool moved = false, moved_again = true;
  Write([&](Txn& txn) -> Status {
    auto r = CompareAndSetMissionStatus(txn, m1.mission_id, MissionStatus::kPending,
                                        MissionStatus::kFired);
    if (!r) return tl::unexpected(r.error());
    moved = *r;
    r = CompareAndSetMissionStatus(txn, m1.mission_id, MissionStatus::kPending,
                                   MissionStatus::kFired);
    if (!r) return tl::unexpected(r.error());
    moved_again = *r;
    return SetMissionStatus(txn, m2.mission_id, MissionStatus::kCancelled);
  });
  EXPECT_TRUE(moved);
  EXPECT_FALSE(moved_again);
  EXPECT_EQ((*GetMission(*reader, m1.mission_id))->status, MissionStatus::kFired);
  EXPECT_EQ((*GetMission(*reader, m2.mission_id))->status, MissionStatus::kCancelled);
  auto none = writer_->SubmitAndWait(
      [&](Txn& txn) { return SetMissionStatus(txn, "nope", MissionStatus::kFired); });
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "mission_not_found");
}

TEST_F(RepositoryTest, MissionForAnUnknownSignalIsRefusedByForeignKey) {
  const auto user = MakeUser("u");
  Write([&](Txn& txn) { return InsertUser(txn, user); });
  const auto orphan = MakeMission(MakeSignal("never stored"), user);
  auto s = writer_->SubmitAndWait([&](Txn& txn) { return InsertMissions(txn, {orphan}); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "store_conflict");
  EXPECT_NE(s.error().message.find(orphan.mission_id), std::string::npos);
}

TEST_F(RepositoryTest, HundredThousandMissionsInOneWork) {
  const auto user = MakeUser("fan-out");
  const auto signal = MakeSignal("big");
  std::vector<missions::Mission> list;
  constexpr int kMissions = 100000;
  list.reserve(kMissions);
  for (int i = 0; i < kMissions; ++i) list.push_back(MakeMission(signal, user));
  Write([&](Txn& txn) -> Status {
    if (auto s = InsertUser(txn, user); !s) return s;
    if (auto s = InsertSignal(txn, signal); !s) return tl::unexpected(s.error());
    return InsertMissions(txn, list);
  });
  auto reader = Reader();
  auto st =
      Statement::Prepare(reader->handle(), "SELECT COUNT(*) FROM missions WHERE signal_id = ?1");
  ASSERT_TRUE(st);
  st->Bind(1, signal.signal_id);
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Int(0), kMissions);
  EXPECT_EQ(writer_->stats().commits, 1u);
}

TEST_F(RepositoryTest, FireRoundTripUpdateAndUndeliveredList) {
  const auto m1 = SeedMission("a");
  const auto m2 = SeedMission("b");
  auto f1 = MakeFire(m1);
  auto f2 = MakeFire(m2);
  f2.status = FireStatus::kUndelivered;
  Write([&](Txn& txn) -> Status {
    for (const auto* f : {&f1, &f2}) {
      auto r = InsertFire(txn, *f);
      if (!r) return tl::unexpected(r.error());
      if (!r->inserted) return Fail("test", "expected an insert");
    }
    return Ok();
  });
  auto reader = Reader();
  auto undelivered = ListUndeliveredFires(*reader);
  ASSERT_TRUE(undelivered);
  ASSERT_EQ(undelivered->size(), 2u);

  f1.status = FireStatus::kFilled;
  f1.delivered_at = kT0 + 1500;
  f1.fill_price = 1.08501;
  f1.fill_volume = 0.12;
  f1.ticket = 512331;
  Write([&](Txn& txn) { return UpdateFire(txn, f1); });
  auto got = GetFire(*reader, f1.fire_id);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->status, FireStatus::kFilled);
  EXPECT_EQ((*got)->delivered_at, kT0 + 1500);
  EXPECT_DOUBLE_EQ((*got)->fill_price, 1.08501);
  EXPECT_EQ((*got)->ticket, 512331);
  EXPECT_EQ((*GetFireByMission(*reader, m2.mission_id))->fire_id, f2.fire_id);
  undelivered = ListUndeliveredFires(*reader);
  ASSERT_EQ(undelivered->size(), 1u);
  EXPECT_EQ(undelivered->front().fire_id, f2.fire_id);

  // A fire_id reused for another mission is an error, not a silent duplicate.
  const auto m3 = SeedMission("c");
  auto reused = MakeFire(m3);
  reused.fire_id = f1.fire_id;
  auto r = writer_->SubmitAndWait([&](Txn& txn) -> Status {
    auto ins = InsertFire(txn, reused);
    return ins ? Ok() : Status(tl::unexpected(ins.error()));
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store_conflict");
}

TEST_F(RepositoryTest, ResultsAreProcessedOncePerTerminalAndSeq) {
  std::vector<bool> got;
  Write([&](Txn& txn) -> Status {
    for (auto [terminal, seq] :
         std::vector<std::pair<std::string, int>>{{"t1", 17}, {"t1", 18}, {"t1", 17}, {"t2", 17}}) {
      auto r = InsertResult(txn, terminal, seq, "f", "fill", "{\"seq\":17}", kT0);
      if (!r) return tl::unexpected(r.error());
      got.push_back(*r);
    }
    return Ok();
  });
  EXPECT_EQ(got, (std::vector<bool>{true, true, false, true}));
  // The same record arriving later (e.g. over HTTP after the file) is still a duplicate.
  bool late = true;
  Write([&](Txn& txn) -> Status {
    auto r = InsertResult(txn, "t1", 18, "f", "fill", "{}", kT0 + 1);
    if (!r) return tl::unexpected(r.error());
    late = *r;
    return Ok();
  });
  EXPECT_FALSE(late);
  auto reader = Reader();
  EXPECT_EQ(*LastResultSeq(*reader, "t1"), 18);
  EXPECT_EQ(*LastResultSeq(*reader, "t3"), 0);
}

TEST_F(RepositoryTest, ClosedTradesComeWithTheirCloseTimeOldestCloseFirst) {
  const auto m1 = SeedMission("a");
  const auto m2 = SeedMission("b");
  const auto m3 = SeedMission("c");
  auto f1 = MakeFire(m1);  // closed; two close results (partial closes) and a fill
  auto f2 = MakeFire(m2);  // closed; its close result was never stored: closed at fired_at
  auto f3 = MakeFire(m3);  // filled, not closed
  f2.fired_at = kT0 + 3000;
  Write([&](Txn& txn) -> Status {
    for (auto* f : {&f1, &f2, &f3}) {
      auto r = InsertFire(txn, *f);
      if (!r) return tl::unexpected(r.error());
      f->status = f == &f3 ? FireStatus::kFilled : FireStatus::kClosed;
      f->profit = f == &f1 ? 12.5 : -4.0;
      if (Status u = UpdateFire(txn, *f); !u) return u;
    }
    for (auto [seq, type, at] : std::vector<std::tuple<int, std::string, TimeMs>>{
             {1, "fill", kT0 + 100}, {2, "close", kT0 + 9000}, {3, "close", kT0 + 5000}}) {
      auto r = InsertResult(txn, "t1", seq, f1.fire_id, type, "{}", at);
      if (!r) return tl::unexpected(r.error());
    }
    auto r = InsertResult(txn, "t1", 4, f3.fire_id, "fill", "{}", kT0 + 200);
    return r ? Ok() : Status(tl::unexpected(r.error()));
  });
  auto reader = Reader();
  auto trades = ListClosedTrades(*reader);
  ASSERT_TRUE(trades) << trades.error().message;
  ASSERT_EQ(trades->size(), 2u);
  EXPECT_EQ((*trades)[0].fire.fire_id, f2.fire_id);
  EXPECT_EQ((*trades)[0].closed_at, kT0 + 3000);
  EXPECT_EQ((*trades)[0].mission.mission_id, m2.mission_id);
  EXPECT_DOUBLE_EQ((*trades)[0].fire.profit, -4.0);
  EXPECT_EQ((*trades)[1].fire.fire_id, f1.fire_id);
  EXPECT_EQ((*trades)[1].closed_at, kT0 + 5000);  // the first close, not the fill
  EXPECT_EQ((*trades)[1].mission.mission_id, m1.mission_id);

  // Each closed fire finds its close result through the index, never by scanning every result
  // once per fire (quadratic: a store with 200,000 closed trades did not start in 6 minutes).
  auto plan = Statement::Prepare(reader->handle(), "EXPLAIN QUERY PLAN " + ClosedTradesSql());
  ASSERT_TRUE(plan) << plan.error().message;
  std::vector<std::string> steps;
  for (;;) {
    auto row = plan->Step();
    ASSERT_TRUE(row) << row.error().message;
    if (!*row) break;
    steps.push_back(plan->Text(3));
  }
  std::string all;
  for (const auto& s : steps) all += s + "\n";
  EXPECT_NE(all.find("SEARCH r USING INDEX results_close"), std::string::npos) << all;
  for (const auto& s : steps) EXPECT_NE(s.rfind("SCAN r", 0), 0u) << all;
}

TEST_F(RepositoryTest, OutboxPriorityOrderDedupAndLifecycle) {
  auto msg = [](int priority, std::string key, TimeMs not_before = 0) {
    OutboxMessage m;
    m.priority = priority;
    m.chat_id = 42;
    m.method = "sendMessage";
    m.payload = R"({"text":"hi"})";
    m.dedup_key = std::move(key);
    m.not_before = not_before;
    m.created_at = kT0;
    return m;
  };
  std::vector<std::optional<std::int64_t>> ids;
  Write([&](Txn& txn) -> Status {
    for (const auto& m : {msg(10, "alert:s1"), msg(0, "dm:u1"), msg(10, "alert:s2"),
                          msg(10, "alert:s1"), msg(0, "later", kT0 + 60000), msg(5, "")}) {
      auto r = EnqueueOutbox(txn, m);
      if (!r) return tl::unexpected(r.error());
      ids.push_back(*r);
    }
    return Ok();
  });
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_FALSE(ids[3].has_value()) << "dedup_key alert:s1 is already queued";
  auto reader = Reader();
  EXPECT_EQ(*CountOutbox(*reader, OutboxStatus::kPending), 5);

  // Due now: dm:u1 (0), then the unkeyed one (5), then alert:s1 and alert:s2 (10) in id order.
  std::vector<std::int64_t> order;
  for (int i = 0; i < 4; ++i) {
    auto next = NextPendingOutbox(*reader, kT0);
    ASSERT_TRUE(next && next->has_value());
    order.push_back((*next)->id);
    const std::int64_t id = (*next)->id;
    Write([&](Txn& txn) { return MarkOutboxSent(txn, id, 9000 + i, kT0 + i); });
  }
  EXPECT_EQ(order, (std::vector<std::int64_t>{*ids[1], *ids[5], *ids[0], *ids[2]}));
  EXPECT_FALSE(NextPendingOutbox(*reader, kT0)->has_value()) << "'later' is not due yet";
  auto later = NextPendingOutbox(*reader, kT0 + 60000);
  ASSERT_TRUE(later && later->has_value());
  EXPECT_EQ((*later)->dedup_key, "later");

  const std::int64_t id = (*later)->id;
  Write([&](Txn& txn) { return DeferOutbox(txn, id, kT0 + 120000, "429 retry_after=60"); });
  EXPECT_FALSE(NextPendingOutbox(*reader, kT0 + 60000)->has_value());
  auto deferred = GetOutbox(*reader, id);
  EXPECT_EQ((*deferred)->attempts, 1);
  EXPECT_EQ((*deferred)->error, "429 retry_after=60");
  Write([&](Txn& txn) { return MarkOutboxUnknown(txn, id, "timeout after send"); });
  EXPECT_FALSE(NextPendingOutbox(*reader, kT0 + 999999)->has_value()) << "unknown is not resent";
  EXPECT_EQ((*GetOutbox(*reader, id))->status, OutboxStatus::kUnknown);

  auto sent = GetOutbox(*reader, *ids[1]);
  EXPECT_EQ((*sent)->status, OutboxStatus::kSent);
  EXPECT_EQ((*sent)->tg_message_id, 9000);
  Write([&](Txn& txn) { return MarkOutboxFailed(txn, *ids[0], "chat not found"); });
  EXPECT_EQ((*GetOutbox(*reader, *ids[0]))->status, OutboxStatus::kFailed);
  auto unknown_id =
      writer_->SubmitAndWait([](Txn& txn) { return MarkOutboxFailed(txn, 777, "x"); });
  ASSERT_FALSE(unknown_id);
  EXPECT_EQ(unknown_id.error().code, "outbox_not_found");
}

// The Txn& reads a work uses (through the writer's cached statements) see the work's own
// uncommitted writes, answer "none" for a missing row, stay right when the same statement is used
// again in the same and in a later transaction, and agree with the reader's after the commit.
TEST_F(RepositoryTest, WorkReadsSeeTheirOwnWritesAndAgreeWithTheReader) {
  const auto m = SeedMission("txn-reads");
  auto f = MakeFire(m);
  Write([&](Txn& txn) -> Status {
    auto ins = InsertFire(txn, f);
    if (!ins) return tl::unexpected(ins.error());
    if (auto s = KvSet(txn, "k", "v1"); !s) return s;
    auto fire = GetFire(txn, f.fire_id);
    if (!fire || !*fire || (*fire)->mission_id != m.mission_id) return Fail("test", "GetFire");
    auto by_mission = GetFireByMission(txn, m.mission_id);
    if (!by_mission || !*by_mission || (*by_mission)->fire_id != f.fire_id) {
      return Fail("test", "GetFireByMission");
    }
    auto mission = GetMission(txn, m.mission_id);
    if (!mission || !*mission || (*mission)->briefing != m.briefing) return Fail("test", "mission");
    auto user = GetUser(txn, m.user_id);
    if (!user || !*user || (*user)->name != "seed-txn-reads") return Fail("test", "GetUser");
    auto kv = KvGet(txn, "k");
    if (!kv || !*kv || **kv != "v1") return Fail("test", "KvGet");
    // Missing rows; then the same cached statements again after those misses.
    if (!GetFire(txn, "nope") || GetFire(txn, "nope")->has_value()) return Fail("test", "miss");
    if (!GetUser(txn, "nope") || GetUser(txn, "nope")->has_value()) return Fail("test", "miss");
    if (!GetMission(txn, "nope") || GetMission(txn, "nope")->has_value()) {
      return Fail("test", "miss");
    }
    if (!KvGet(txn, "nope") || KvGet(txn, "nope")->has_value()) return Fail("test", "miss");
    if (!GetFire(txn, f.fire_id)->has_value()) return Fail("test", "GetFire again");
    return Ok();
  });
  // A later transaction reuses the statements and sees the committed update.
  f.status = FireStatus::kDelivered;
  f.delivered_at = kT0 + 7;
  Write([&](Txn& txn) -> Status {
    if (auto s = UpdateFire(txn, f); !s) return s;
    if (auto s = KvSet(txn, "k", "v2"); !s) return s;
    auto fire = GetFire(txn, f.fire_id);
    if (!fire || !*fire || (*fire)->status != FireStatus::kDelivered) return Fail("test", "update");
    auto kv = KvGet(txn, "k");
    if (!kv || !*kv || **kv != "v2") return Fail("test", "KvGet v2");
    return Ok();
  });
  auto reader = Reader();
  auto fire = GetFire(*reader, f.fire_id);
  ASSERT_TRUE(fire && fire->has_value());
  EXPECT_EQ((*fire)->status, FireStatus::kDelivered);
  EXPECT_EQ((*fire)->delivered_at, kT0 + 7);
  EXPECT_EQ(**KvGet(*reader, "k"), "v2");
}

TEST_F(RepositoryTest, KvSetGetAndOverwrite) {
  Write([](Txn& txn) { return KvSet(txn, "bridge.t1.offset", "100"); });
  Write([](Txn& txn) { return KvSet(txn, "bridge.t1.offset", "250"); });
  auto reader = Reader();
  EXPECT_EQ(**KvGet(*reader, "bridge.t1.offset"), "250");
  EXPECT_FALSE(KvGet(*reader, "nothing")->has_value());
}

}  // namespace
}  // namespace bitten::store
