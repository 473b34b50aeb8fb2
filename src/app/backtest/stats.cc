#include "app/backtest/stats.h"

#include <algorithm>
#include <cmath>

#include "base/format.h"

namespace bitten::app::backtest {
namespace {

std::optional<double> Sharpe(const std::vector<double>& x) {
  if (x.size() < 2) return std::nullopt;
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / static_cast<double>(x.size() - 1));
  if (!(sd > 0)) return std::nullopt;
  return mean / sd;
}

}  // namespace

GroupStats Group(const std::vector<const Trade*>& trades) {
  GroupStats g;
  for (const Trade* t : trades) {
    ++g.trades;
    if (t->exit_reason == "tp") {
      ++g.wins;
    } else if (t->exit_reason == "sl") {
      ++g.losses;
    } else {
      ++g.other;
    }
    if (t->profit > 0) g.gross_profit += t->profit;
    if (t->profit < 0) g.gross_loss += t->profit;
    g.total_r += t->r;
  }
  g.gross_profit = RoundTo(g.gross_profit, 2);
  g.gross_loss = RoundTo(g.gross_loss, 2);
  g.net_profit = RoundTo(g.gross_profit + g.gross_loss, 2);
  g.total_r = RoundTo(g.total_r, 4);
  if (g.wins + g.losses > 0) {
    g.win_rate = static_cast<double>(g.wins) / static_cast<double>(g.wins + g.losses);
  }
  if (g.gross_loss < 0) g.profit_factor = g.gross_profit / -g.gross_loss;
  if (g.trades > 0) {
    g.expectancy_r = g.total_r / static_cast<double>(g.trades);
    g.expectancy_money = g.net_profit / static_cast<double>(g.trades);
  }
  return g;
}

Summary Summarize(const RunResult& run) {
  Summary s;
  std::vector<const Trade*> all;
  std::map<std::string, std::vector<const Trade*>> cls, setup, session, symbol, side;
  std::map<int, std::vector<const Trade*>> buckets;
  for (const Trade& t : run.trades) {
    all.push_back(&t);
    cls[t.signal_class].push_back(&t);
    setup[t.setup].push_back(&t);
    session[t.session].push_back(&t);
    symbol[t.symbol].push_back(&t);
    side[std::string(market::ToString(t.side))].push_back(&t);
    buckets[std::min(t.confidence, 99) / 10].push_back(&t);
  }
  s.all = Group(all);
  auto fill = [](std::map<std::string, GroupStats>& out,
                 const std::map<std::string, std::vector<const Trade*>>& in) {
    for (const auto& [key, trades] : in) out[key] = Group(trades);
  };
  fill(s.by_class, cls);
  fill(s.by_setup, setup);
  fill(s.by_session, session);
  fill(s.by_symbol, symbol);
  fill(s.by_side, side);

  for (const auto& [bucket, trades] : buckets) {
    CalibrationRow row;
    row.from = bucket * 10;
    row.to = bucket == 9 ? 100 : bucket * 10 + 9;
    double breakeven = 0, conf = 0, r = 0;
    for (const Trade* t : trades) {
      ++row.trades;
      if (t->exit_reason == "tp") ++row.wins;
      if (t->exit_reason == "sl") ++row.losses;
      breakeven += 1.0 / (1.0 + t->rr);
      conf += t->confidence;
      r += t->r;
    }
    const double n = static_cast<double>(row.trades);
    if (row.wins + row.losses > 0) {
      row.win_rate = static_cast<double>(row.wins) / static_cast<double>(row.wins + row.losses);
    }
    row.breakeven_win_rate = breakeven / n;
    row.expectancy_r = r / n;
    row.mean_confidence = conf / n;
    s.calibration.push_back(row);
  }

  double balance = run.start_balance, peak = run.start_balance;
  for (const Trade& t : run.trades) {
    balance += t.profit;
    peak = std::max(peak, balance);
    const double dd = peak - balance;
    if (dd > s.max_drawdown) {
      s.max_drawdown = dd;
      s.max_drawdown_pct = peak > 0 ? 100.0 * dd / peak : 0.0;
    }
  }
  s.max_drawdown = RoundTo(s.max_drawdown, 2);

  std::vector<double> rs;
  for (const Trade& t : run.trades) rs.push_back(t.r);
  s.sharpe_per_trade = Sharpe(rs);

  std::map<TimeMs, double> daily;
  for (TimeMs d : run.trading_days) daily[d] = 0;
  for (const Trade& t : run.trades) daily[UtcDayStart(t.exit_time)] += t.profit;
  std::vector<double> returns;
  for (const auto& [day, pnl] : daily) returns.push_back(pnl / run.start_balance);
  if (auto d = Sharpe(returns)) s.sharpe_daily = *d * std::sqrt(252.0);
  return s;
}

}  // namespace bitten::app::backtest
