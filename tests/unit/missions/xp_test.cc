#include "missions/xp.h"

#include <gtest/gtest.h>

#include <numeric>

namespace bitten::missions {
namespace {

std::int64_t Sum(const std::vector<XpAward>& a) {
  return std::accumulate(a.begin(), a.end(), std::int64_t{0},
                         [](std::int64_t s, const XpAward& x) { return s + x.points; });
}

TEST(Xp, FillPaysForTheExecutedFire) {
  const auto a = AwardsForFill();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].reason, "fire_executed");
  EXPECT_EQ(a[0].points, 10);
}

TEST(Xp, WinLossAtStopAndOtherLosses) {
  const auto win = AwardsForClose(30.00, "tp", 1);
  ASSERT_EQ(win.size(), 1u);
  EXPECT_EQ(win[0].reason, "win");
  EXPECT_EQ(win[0].points, 25);
  // A loss taken at the stop earns discipline XP; a manual loss earns nothing.
  const auto at_stop = AwardsForClose(-20.00, "sl", 0);
  ASSERT_EQ(at_stop.size(), 1u);
  EXPECT_EQ(at_stop[0].reason, "loss_at_stop");
  EXPECT_EQ(at_stop[0].points, 10);
  EXPECT_TRUE(AwardsForClose(-20.00, "manual", 0).empty());
  // Breakeven (to the cent) pays nothing, whatever the reason.
  EXPECT_TRUE(AwardsForClose(0.004, "tp", 0).empty());
  EXPECT_TRUE(AwardsForClose(-0.004, "sl", 0).empty());
}

TEST(Xp, StreakBonusesAtThreeFiveAndEveryFifthFromTen) {
  EXPECT_EQ(StreakBonus(1), 0);
  EXPECT_EQ(StreakBonus(2), 0);
  EXPECT_EQ(StreakBonus(3), 25);
  EXPECT_EQ(StreakBonus(4), 0);
  EXPECT_EQ(StreakBonus(5), 50);
  EXPECT_EQ(StreakBonus(9), 0);
  EXPECT_EQ(StreakBonus(10), 100);
  EXPECT_EQ(StreakBonus(12), 0);
  EXPECT_EQ(StreakBonus(15), 100);
  const auto third = AwardsForClose(5.0, "tp", 3);
  ASSERT_EQ(third.size(), 2u);
  EXPECT_EQ(third[1].reason, "streak_3");
  EXPECT_EQ(Sum(third), 50);
}

TEST(Xp, StreakFollowsOutcomes) {
  int s = 0;
  s = NextWinStreak(s, OutcomeOf(10));
  s = NextWinStreak(s, OutcomeOf(10));
  EXPECT_EQ(s, 2);
  s = NextWinStreak(s, OutcomeOf(0));  // breakeven keeps it
  EXPECT_EQ(s, 2);
  s = NextWinStreak(s, OutcomeOf(-1));
  EXPECT_EQ(s, 0);
}

TEST(Xp, LevelsAndRanks) {
  EXPECT_EQ(XpForLevel(1), 0);
  EXPECT_EQ(XpForLevel(2), 100);
  EXPECT_EQ(XpForLevel(3), 300);
  EXPECT_EQ(XpForLevel(5), 1000);
  EXPECT_EQ(LevelForXp(-5), 1);
  EXPECT_EQ(LevelForXp(0), 1);
  EXPECT_EQ(LevelForXp(99), 1);
  EXPECT_EQ(LevelForXp(100), 2);
  EXPECT_EQ(LevelForXp(299), 2);
  EXPECT_EQ(LevelForXp(300), 3);
  EXPECT_EQ(LevelForXp(1000), 5);
  EXPECT_EQ(RankForLevel(1), "RECRUIT");
  EXPECT_EQ(RankForLevel(3), "PRIVATE");
  EXPECT_EQ(RankForLevel(5), "CORPORAL");
  EXPECT_EQ(RankForLevel(7), "SERGEANT");
  EXPECT_EQ(RankForLevel(10), "LIEUTENANT");
  EXPECT_EQ(RankForLevel(15), "CAPTAIN");
  EXPECT_EQ(RankForLevel(20), "MAJOR");
  EXPECT_EQ(RankForLevel(30), "COLONEL");
  EXPECT_EQ(RankForLevel(40), "GENERAL");
  EXPECT_EQ(RankForLevel(LevelForXp(XpForLevel(40))), "GENERAL");
}

}  // namespace
}  // namespace bitten::missions
