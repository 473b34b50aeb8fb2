#include "missions/xp.h"

#include "base/format.h"

namespace bitten::missions {

TradeOutcome OutcomeOf(double profit) {
  const double cents = RoundTo(profit, 2);
  if (cents > 0) return TradeOutcome::kWin;
  if (cents < 0) return TradeOutcome::kLoss;
  return TradeOutcome::kBreakeven;
}

int NextWinStreak(int streak_before, TradeOutcome outcome) {
  switch (outcome) {
    case TradeOutcome::kWin:
      return streak_before + 1;
    case TradeOutcome::kLoss:
      return 0;
    case TradeOutcome::kBreakeven:
      break;
  }
  return streak_before;
}

std::int64_t StreakBonus(int streak) {
  if (streak == 3) return 25;
  if (streak == 5) return 50;
  if (streak >= 10 && streak % 5 == 0) return 100;
  return 0;
}

std::vector<XpAward> AwardsForFill() { return {{"fire_executed", kXpFireExecuted}}; }

std::vector<XpAward> AwardsForClose(double profit, std::string_view close_reason,
                                    int streak_after) {
  std::vector<XpAward> out;
  switch (OutcomeOf(profit)) {
    case TradeOutcome::kWin:
      out.push_back({"win", kXpWin});
      if (const std::int64_t bonus = StreakBonus(streak_after); bonus > 0) {
        out.push_back({"streak_" + std::to_string(streak_after), bonus});
      }
      break;
    case TradeOutcome::kLoss:
      if (close_reason == "sl") out.push_back({"loss_at_stop", kXpLossAtStop});
      break;
    case TradeOutcome::kBreakeven:
      break;
  }
  return out;
}

std::int64_t XpForLevel(int level) {
  if (level <= 1) return 0;
  return 50LL * level * (level - 1);
}

int LevelForXp(std::int64_t xp) {
  int level = 1;
  while (XpForLevel(level + 1) <= xp) ++level;
  return level;
}

std::string_view RankForLevel(int level) {
  if (level >= 40) return "GENERAL";
  if (level >= 30) return "COLONEL";
  if (level >= 20) return "MAJOR";
  if (level >= 15) return "CAPTAIN";
  if (level >= 10) return "LIEUTENANT";
  if (level >= 7) return "SERGEANT";
  if (level >= 5) return "CORPORAL";
  if (level >= 3) return "PRIVATE";
  return "RECRUIT";
}

}  // namespace bitten::missions
