// XP, levels and ranks (docs/xp.md). Pure functions of their input, any thread; the core applies
// the awards through the store's ledger (store/xp.h), which makes each (user, fire, reason) pay at
// most once.
//
// Awards:
//   fire_executed  +10  the broker filled the order of a fire
//   win            +25  the position closed with profit > 0
//   loss_at_stop   +10  the position closed at its stop loss (reason "sl") with a loss: discipline
//   streak_N       bonus when a win makes the win streak N: 3 → +25, 5 → +50, 10 and every 5th
//                  after it (15, 20, ...) → +100
// A loss resets the win streak to 0; a breakeven close (profit == 0) neither pays nor resets it.
// Levels: level L needs 50 × L × (L − 1) XP (L1 0, L2 100, L3 300, L4 600, L5 1000, ...).
// Ranks by level: RECRUIT 1–2, PRIVATE 3–4, CORPORAL 5–6, SERGEANT 7–9, LIEUTENANT 10–14,
// CAPTAIN 15–19, MAJOR 20–29, COLONEL 30–39, GENERAL 40+.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bitten::missions {

struct XpAward {
  std::string reason;
  std::int64_t points = 0;
};

inline constexpr std::int64_t kXpFireExecuted = 10;
inline constexpr std::int64_t kXpWin = 25;
inline constexpr std::int64_t kXpLossAtStop = 10;

enum class TradeOutcome { kWin, kLoss, kBreakeven };
// profit (profit + swap + commission, 2 decimals) > 0 win, < 0 loss, == 0 breakeven.
TradeOutcome OutcomeOf(double profit);

// The win streak after a close: win +1, loss 0, breakeven unchanged.
int NextWinStreak(int streak_before, TradeOutcome outcome);

// The awards of one fill.
std::vector<XpAward> AwardsForFill();
// The awards of one close. `close_reason` as CONTRACTS §3.2 ("tp", "sl", ...); `streak_after` is
// NextWinStreak of the user's streak before this close.
std::vector<XpAward> AwardsForClose(double profit, std::string_view close_reason, int streak_after);
// The streak bonus for reaching `streak` wins in a row (0 when none).
std::int64_t StreakBonus(int streak);

// Level 1.. of an XP total (negative totals read as 0).
int LevelForXp(std::int64_t xp);
// XP needed to reach `level` (level <= 1: 0).
std::int64_t XpForLevel(int level);
std::string_view RankForLevel(int level);

}  // namespace bitten::missions
