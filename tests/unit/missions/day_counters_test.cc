#include "missions/day_counters.h"

#include <gtest/gtest.h>

namespace bitten::missions {
namespace {

constexpr TimeMs kMidnight = 1722297600000;             // 2024-07-30T00:00:00Z
constexpr TimeMs kLateMonday = kMidnight - 1'000;       // 23:59:59 on the 29th
constexpr TimeMs kTuesday = kMidnight + 9 * 3'600'000;  // 09:00 on the 30th

TEST(DayCounters, CountsWithinADay) {
  DayCounters c;
  c.AddFire("u1", kLateMonday - 3'600'000);
  c.AddFire("u1", kLateMonday);
  c.AddFire("u2", kLateMonday);
  c.AddRealised("u1", kLateMonday, -30.00);
  c.AddRealised("u1", kLateMonday, 12.50);
  EXPECT_EQ(c.Get("u1", kLateMonday).fires, 2);
  EXPECT_EQ(c.Get("u2", kLateMonday).fires, 1);
  // Net P&L -30.00 + 12.50 = -17.50, a loss of 17.50.
  EXPECT_DOUBLE_EQ(c.Get("u1", kLateMonday).realised_pnl, -17.50);
  EXPECT_DOUBLE_EQ(c.RealisedLossToday("u1", kLateMonday), 17.50);
  EXPECT_DOUBLE_EQ(c.RealisedLossToday("u2", kLateMonday), 0.0);
  EXPECT_EQ(c.Get("nobody", kLateMonday).fires, 0);
}

TEST(DayCounters, ResetAtMidnightUtc) {
  DayCounters c;
  c.AddFire("u1", kLateMonday);
  c.AddRealised("u1", kLateMonday, -40.00);
  // One second later it is a new UTC day: reads are zero before any write.
  EXPECT_EQ(c.Get("u1", kMidnight).fires, 0);
  EXPECT_DOUBLE_EQ(c.RealisedLossToday("u1", kMidnight), 0.0);
  // ... and a write starts the new day from zero.
  c.AddFire("u1", kMidnight);
  EXPECT_EQ(c.Get("u1", kTuesday).fires, 1);
  EXPECT_DOUBLE_EQ(c.Get("u1", kTuesday).realised_pnl, 0.0);
}

TEST(DayCounters, LateEventOfYesterdayDoesNotTouchToday) {
  DayCounters c;
  c.AddFire("u1", kTuesday);
  c.AddRealised("u1", kLateMonday, -99.00);  // a close reported late for Monday
  EXPECT_EQ(c.Get("u1", kTuesday).fires, 1);
  EXPECT_DOUBLE_EQ(c.RealisedLossToday("u1", kTuesday), 0.0);
}

TEST(DayCounters, RealisedPnlKeptInCents) {
  DayCounters c;
  for (int i = 0; i < 10; ++i) c.AddRealised("u1", kTuesday, -0.1);  // 10 × 0.10 = 1.00 exactly
  EXPECT_EQ(c.Get("u1", kTuesday).realised_pnl, -1.00);
}

TEST(DayCounters, RestoreAndPrune) {
  DayCounters c;
  c.Restore("u1", kTuesday, {3, -25.0});
  EXPECT_EQ(c.Get("u1", kTuesday).fires, 3);
  EXPECT_DOUBLE_EQ(c.RealisedLossToday("u1", kTuesday), 25.0);
  c.AddFire("u2", kLateMonday);
  EXPECT_EQ(c.size(), 2u);
  c.Prune(kTuesday);  // u2's counters are Monday's
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.Get("u1", kTuesday).fires, 3);
}

}  // namespace
}  // namespace bitten::missions
