// Backtest statistics over closed trades (runner.h). Pure functions of the trades; deterministic.
//
// Definitions (docs/backtest.md):
//   win / loss / other  exit "tp" / "sl" / "end" (still open when the data ended, closed at the
//                       last quote); trades = wins + losses + other.
//   win_rate            wins / (wins + losses); null without decided trades.
//   profit_factor       gross profit / gross loss in money over all trades; null without a loss.
//   expectancy          mean R and mean money per trade (all trades).
//   max_drawdown        largest fall of the realised balance (after each close, in exit order) from
//                       its running peak, starting from the start balance; money and % of the peak.
//   sharpe_per_trade    mean(R) / sample stdev(R) over trades, not annualised; null below 2 trades.
//   sharpe_daily        mean / sample stdev of daily returns (P&L of the trades closed on a UTC day
//                       / start balance) over every day with market data, × sqrt(252).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/backtest/runner.h"

namespace bitten::app::backtest {

struct GroupStats {
  std::int64_t trades = 0, wins = 0, losses = 0, other = 0;
  std::optional<double> win_rate;           // 0..1
  double gross_profit = 0, gross_loss = 0;  // money; gross_loss <= 0
  std::optional<double> profit_factor;
  double net_profit = 0;  // money
  double total_r = 0;
  std::optional<double> expectancy_r, expectancy_money;
};

struct CalibrationRow {
  int from = 0, to = 0;  // confidence bucket [from, to]
  std::int64_t trades = 0, wins = 0, losses = 0;
  std::optional<double> win_rate;            // realised
  std::optional<double> breakeven_win_rate;  // mean of 1 / (1 + rr): the rate where R nets 0
  std::optional<double> expectancy_r;
  double mean_confidence = 0;
};

struct Summary {
  GroupStats all;
  double max_drawdown = 0;      // money, >= 0
  double max_drawdown_pct = 0;  // of the running peak
  std::optional<double> sharpe_per_trade;
  std::optional<double> sharpe_daily;
  std::map<std::string, GroupStats> by_class, by_setup, by_session, by_symbol, by_side;
  std::vector<CalibrationRow> calibration;  // buckets of 10 points with trades, ascending
};

GroupStats Group(const std::vector<const Trade*>& trades);
Summary Summarize(const RunResult& run);

}  // namespace bitten::app::backtest
