#include "missions/ranking.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace bitten::missions {
namespace {

// The kept order is RankBefore's (XP, then P&L, then the older account, then the id), a key's
// position is its index in that order, and a changed user is found again once re-inserted.
TEST(RankingTest, KeepsTheLeaderboardOrderThroughChanges) {
  const std::vector<std::string> ids = {"u-a", "u-b", "u-c", "u-d", "u-e"};
  std::vector<RankKey> keys = {
      {10, 5.0, 100, &ids[0]},                         // same XP as u-b, less P&L
      {10, 7.5, 200, &ids[1]}, {0, 0.0, 50, &ids[2]},  // same XP and P&L as u-d, older
      {0, 0.0, 60, &ids[3]},   {0, 0.0, 60, &ids[4]},  // same as u-d but for the id
  };
  Ranking r;
  for (const RankKey& k : keys) EXPECT_TRUE(r.Insert(k));
  EXPECT_FALSE(r.Insert(keys[0]));  // the same user twice
  auto order = [&] {
    std::vector<std::string> out;
    for (const RankKey& k : r.Top(r.size())) out.push_back(*k.user_id);
    return out;
  };
  EXPECT_EQ(order(), (std::vector<std::string>{"u-b", "u-a", "u-c", "u-d", "u-e"}));
  EXPECT_EQ(r.PositionOf(keys[1]), 0u);
  EXPECT_EQ(r.PositionOf(keys[4]), 4u);
  EXPECT_EQ(r.Top(2).size(), 2u);
  EXPECT_EQ(r.Top(99).size(), 5u);

  // u-e wins a trade: out with its old key, in with the new one.
  EXPECT_TRUE(r.Erase(keys[4]));
  EXPECT_FALSE(r.Erase(keys[4]));
  keys[4].xp = 35;
  keys[4].pnl = 12.5;
  EXPECT_TRUE(r.Insert(keys[4]));
  EXPECT_EQ(order(), (std::vector<std::string>{"u-e", "u-b", "u-a", "u-c", "u-d"}));
  EXPECT_EQ(r.PositionOf(keys[3]), 4u);
  // A loss that leaves XP equal moves u-b below u-a by P&L.
  r.Erase(keys[1]);
  keys[1].pnl = -3.0;
  r.Insert(keys[1]);
  EXPECT_EQ(order(), (std::vector<std::string>{"u-e", "u-a", "u-b", "u-c", "u-d"}));
  EXPECT_EQ(r.size(), 5u);
}

}  // namespace
}  // namespace bitten::missions
