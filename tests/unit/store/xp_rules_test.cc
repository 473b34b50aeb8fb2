// The stores of issue 4's rules and XP: the XP ledger (idempotent per (user, fire, reason)), the
// per-user pause / kill flags (schema 2) and the daily fire count the fire path reads.
#include <gtest/gtest.h>

#include "base/format.h"
#include "store/fires.h"
#include "store/user_flags.h"
#include "store/users.h"
#include "store/xp.h"
#include "store_fixture.h"

namespace bitten::store {
namespace {

using testing::kT0;
using testing::StoreTest;

TEST_F(StoreTest, XpLedgerPaysEachUserFireReasonOnce) {
  StartWriter();
  const missions::User u = MakeUser("alice");
  Write([&](Txn& txn) { return InsertUser(txn, u); });
  bool first = false, again = false, other_reason = false;
  Write([&](Txn& txn) -> Status {
    auto a = AwardXp(txn, {u.user_id, "f1", "fire_executed", 10, kT0});
    if (!a) return tl::unexpected(a.error());
    first = *a;
    auto b = AwardXp(txn, {u.user_id, "f1", "fire_executed", 10, kT0 + 5});
    if (!b) return tl::unexpected(b.error());
    again = *b;
    auto c = AwardXp(txn, {u.user_id, "f1", "win", 25, kT0 + 9});
    if (!c) return tl::unexpected(c.error());
    other_reason = *c;
    return Ok();
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(again);
  EXPECT_TRUE(other_reason);
  // A later transaction (a replayed result) pays nothing either.
  Write([&](Txn& txn) -> Status {
    auto a = AwardXp(txn, {u.user_id, "f1", "win", 25, kT0 + 20});
    if (!a) return tl::unexpected(a.error());
    EXPECT_FALSE(*a);
    return Ok();
  });
  auto reader = Reader();
  auto user = GetUser(*reader, u.user_id);
  ASSERT_TRUE(user && *user);
  EXPECT_EQ((*user)->xp, 35);
  auto ledger = ListXp(*reader, u.user_id, 10);
  ASSERT_TRUE(ledger);
  ASSERT_EQ(ledger->size(), 2u);
  EXPECT_EQ((*ledger)[0].reason, "win");  // newest first
  EXPECT_EQ((*ledger)[1].reason, "fire_executed");
}

TEST_F(StoreTest, XpForAnUnknownUserFailsAndPaysNothing) {
  StartWriter();
  auto s = writer_->SubmitAndWait([&](Txn& txn) -> Status {
    auto a = AwardXp(txn, {"nobody", "f1", "win", 25, kT0});
    if (!a) return tl::unexpected(a.error());
    return Ok();
  });
  EXPECT_FALSE(s);
}

TEST_F(StoreTest, UserFlagsPersistAndCountFiresOfTheDay) {
  StartWriter();
  const missions::User u = MakeUser("bob");
  const venom::Signal sig = MakeSignal("s1");
  const missions::Mission m1 = MakeMission(sig, u);
  const missions::Mission m2 = MakeMission(sig, u);
  Write([&](Txn& txn) -> Status {
    if (Status s = InsertUser(txn, u); !s) return s;
    if (auto r = InsertSignal(txn, sig); !r) return tl::unexpected(r.error());
    return InsertMissions(txn, {m1, m2});
  });
  Write([&](Txn& txn) -> Status {
    if (Status s = SetUserPaused(txn, u.user_id, true); !s) return s;
    return SetUserKilled(txn, u.user_id, true);
  });
  {
    auto reader = Reader();
    auto f = GetUserFlags(*reader, u.user_id);
    ASSERT_TRUE(f && *f);
    EXPECT_TRUE((*f)->paused);
    EXPECT_TRUE((*f)->killed);
    auto none = GetUserFlags(*reader, "nobody");
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
  }
  Write([&](Txn& txn) { return SetUserPaused(txn, u.user_id, false); });
  auto missing =
      writer_->SubmitAndWait([&](Txn& txn) { return SetUserKilled(txn, "nobody", true); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "user_not_found");

  missions::Fire f1 = MakeFire(m1);
  missions::Fire f2 = MakeFire(m2);
  f2.fired_at = f1.fired_at + 24LL * 3600 * 1000;  // the next day
  Write([&](Txn& txn) -> Status {
    if (auto r = InsertFire(txn, f1); !r) return tl::unexpected(r.error());
    if (auto r = InsertFire(txn, f2); !r) return tl::unexpected(r.error());
    return Ok();
  });
  auto reader = Reader();
  auto all = ListUserFlags(*reader);
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->at(u.user_id).paused);
  EXPECT_TRUE(all->at(u.user_id).killed);
  const TimeMs day = UtcDayStart(f1.fired_at);
  auto today = CountUserFires(*reader, u.user_id, day, day + 24LL * 3600 * 1000);
  ASSERT_TRUE(today);
  EXPECT_EQ(*today, 1);
  auto both = CountUserFires(*reader, u.user_id, day, day + 48LL * 3600 * 1000);
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, 2);
}

}  // namespace
}  // namespace bitten::store
