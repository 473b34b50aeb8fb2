// Per-user trading statistics (docs/xp.md "Stats"): trades, wins, losses, win rate, pips, P&L,
// current and best win streak, each also by signal class and by symbol, plus the leaderboard
// order. StatsBook accumulates closed trades in the order they closed; owned by the core thread
// (not thread-safe). TradePips and the JSON functions are pure.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "market/types.h"
#include "missions/xp.h"
#include "venom/signal.h"

namespace bitten::missions {

// One closed position as statistics see it.
struct ClosedTradeView {
  std::string symbol;
  venom::SignalClass signal_class = venom::SignalClass::kRapidAssault;
  double pips = 0;    // signed: positive in the trade's favour
  double profit = 0;  // profit + swap + commission, account currency
};

// Signed pips between fill and close for `side` (BUY gains when close > fill), 1 decimal.
// pip_size must be > 0.
double TradePips(market::Side side, double fill_price, double close_price, double pip_size);

struct StatsBucket {
  int trades = 0, wins = 0, losses = 0, breakeven = 0;
  double pips = 0;  // 1 decimal
  double pnl = 0;   // 2 decimals
  void Add(const ClosedTradeView& t);
};

struct UserStats {
  StatsBucket all;
  int streak = 0;                                // current win streak
  int best_streak = 0;                           // longest win streak
  std::map<std::string, StatsBucket> by_class;   // "RAPID_ASSAULT" -> ...
  std::map<std::string, StatsBucket> by_symbol;  // "EURUSD" -> ...
};

class StatsBook {
 public:
  void Add(const std::string& user_id, const ClosedTradeView& trade);
  // Zeros when the user has no closed trade.
  const UserStats& Get(const std::string& user_id) const;

 private:
  std::unordered_map<std::string, UserStats> by_user_;
};

// {"trades","wins","losses","breakeven","win_rate"(0–100, 1 decimal; null without trades),
//  "pips","pnl"}
nlohmann::json ToJson(const StatsBucket& b);
// ToJson(all) plus "streak","best_streak","by_class":{name: bucket},"by_symbol":{name: bucket}.
nlohmann::json ToJson(const UserStats& s);

}  // namespace bitten::missions
