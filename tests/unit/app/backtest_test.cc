// The backtester's pieces in process: date options, data loading (errors naming file and line,
// crossed quotes, one-side files, filters, merging), the statistics on constructed trades, and the
// run loop on a real M1 file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "app/backtest/data.h"
#include "app/backtest/runner.h"
#include "app/backtest/stats.h"
#include "common/paths.h"
#include "market/reader.h"

namespace bitten::app::backtest {
namespace {

using bitten::testing::TempDir;

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

const market::InstrumentTable& Table() {
  static const market::InstrumentTable t = market::InstrumentTable::Defaults();
  return t;
}

constexpr char kLeanHeader[] =
    "date_utc,ms_since_midnight_utc,bid_open,bid_high,bid_low,bid_close,last_bid_size,ask_open,"
    "ask_high,ask_low,ask_close,last_ask_size\n";

TEST(BacktestDates, DateAndTimeForms) {
  EXPECT_EQ(*ParseDateOption("--from", "2014-05-02", false), market::CivilToUnixMs(2014, 5, 2));
  EXPECT_EQ(*ParseDateOption("--to", "2014-05-02", true), market::CivilToUnixMs(2014, 5, 3));
  EXPECT_EQ(*ParseDateOption("--to", "2014-05-02T13:45", true),
            market::CivilToUnixMs(2014, 5, 2, 13, 45));
  EXPECT_EQ(*ParseDateOption("--from", "2014-05-02T13:45:10Z", false),
            market::CivilToUnixMs(2014, 5, 2, 13, 45, 10));
  for (const char* bad : {"", "2014-5-2", "2014-13-01", "2014-02-30", "2013-02-29", "yesterday",
                          "2014-05-02T25:00", "2014-05-02T10:00:00+01:00", "2014/05/02"}) {
    auto t = ParseDateOption("--from", bad, false);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().code, "usage");
    EXPECT_NE(t.error().message.find("--from"), std::string::npos);
  }
  EXPECT_TRUE(ParseDateOption("--from", "2016-02-29", false));
}

TEST(BacktestData, MissingFileAndBadLineNameTheFile) {
  TempDir dir;
  LoadOptions o;
  o.data = {(dir.path() / "nope.csv").string()};
  auto missing = LoadBacktestData(o, Table());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.csv"), std::string::npos);

  const std::string bad =
      Write(dir, "EURUSD_bad.csv",
            std::string(kLeanHeader) +
                "20140501,0,1.38,1.39,1.37,1.38,1,1.3801,1.3901,1.3701,1.3801,1\n"
                "20140501,60000,1.38,oops,1.37,1.38,1,1.3801,1.3901,1.3701,"
                "1.3801,1\n");
  o.data = {bad};
  auto r = LoadBacktestData(o, Table());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_data");
  EXPECT_NE(r.error().message.find("EURUSD_bad.csv:3"), std::string::npos) << r.error().message;
}

TEST(BacktestData, CrossedQuotesAreClampedAndCounted) {
  TempDir dir;
  // The second bar's ask low and close are below the bid.
  const std::string f = Write(dir, "EURUSD_x.csv",
                              std::string(kLeanHeader) +
                                  "20140501,0,1.38000,1.38100,1.37900,1.38000,1,1.38010,1.38110,"
                                  "1.37910,1.38010,1\n"
                                  "20140501,60000,1.38000,1.38100,1.37900,1.38000,1,1.38010,"
                                  "1.38110,1.37890,1.37990,1\n");
  LoadOptions o;
  o.data = {f};
  auto d = LoadBacktestData(o, Table());
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->bars.size(), 2u);
  EXPECT_EQ(d->sources[0].crossed, 1);  // counted by the reader, whose rule clamps
  EXPECT_DOUBLE_EQ(d->bars[1].ask_low, 1.37900);
  EXPECT_DOUBLE_EQ(d->bars[1].ask_close, 1.38000);
  EXPECT_DOUBLE_EQ(d->bars[1].ask_high, 1.38110);  // untouched
}

TEST(BacktestData, OneSideFileGetsTheAssumedSpread) {
  TempDir dir;
  const std::string f = Write(dir, "USDJPY_M1_bid_test.csv",
                              "20160103 170000;120.000;120.100;119.900;120.050;0\n"
                              "20160103 170100;120.050;120.150;119.950;120.100;0\n");
  LoadOptions o;
  o.data = {f};
  o.spread_pips = 1.5;
  auto d = LoadBacktestData(o, Table());
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->bars.size(), 2u);
  EXPECT_DOUBLE_EQ(d->sources[0].assumed_spread_pips, 1.5);
  EXPECT_NEAR(d->bars[0].ask_close - d->bars[0].close, 0.015, 1e-9);
  EXPECT_NEAR(d->bars[0].ask_low - d->bars[0].low, 0.015, 1e-9);
  EXPECT_EQ(d->bars[0].time, market::CivilToUnixMs(2016, 1, 3, 22));  // EST + 5 h
}

TEST(BacktestData, FiltersAndMergeInTimeOrder) {
  BITTEN_REQUIRE_MARKET_FILE(eur, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  BITTEN_REQUIRE_MARKET_FILE(xau, "XAUUSD_M1_bidask_oanda-lean_2014-05.csv");
  LoadOptions o;
  o.data = {eur.string(), xau.string()};
  o.from = market::CivilToUnixMs(2014, 5, 5);
  o.to = market::CivilToUnixMs(2014, 5, 6);
  auto d = LoadBacktestData(o, Table());
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->sources.size(), 2u);
  EXPECT_GT(d->sources[0].bars, 1000);
  EXPECT_GT(d->sources[1].bars, 1000);
  EXPECT_EQ(d->bars.size(), static_cast<std::size_t>(d->sources[0].bars + d->sources[1].bars));
  for (std::size_t i = 1; i < d->bars.size(); ++i) {
    ASSERT_LE(d->bars[i - 1].time, d->bars[i].time);
    if (d->bars[i - 1].time == d->bars[i].time) {
      EXPECT_EQ(d->bars[i - 1].symbol, "EURUSD");  // ties keep the order of --data
      EXPECT_EQ(d->bars[i].symbol, "XAUUSD");
    }
  }
  EXPECT_GE(d->bars.front().time, *o.from);
  EXPECT_LT(d->bars.back().time, *o.to);

  o.symbol = "XAUUSD";
  auto x = LoadBacktestData(o, Table());
  ASSERT_TRUE(x);
  EXPECT_EQ(x->sources[0].bars, 0);
  for (const market::Bar& b : x->bars) ASSERT_EQ(b.symbol, "XAUUSD");

  o.symbol = "GBPUSD";
  auto none = LoadBacktestData(o, Table());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "no_data");
  EXPECT_NE(none.error().message.find("GBPUSD"), std::string::npos);
}

TEST(BacktestData, TicksAreAggregatedLikeTheLeanBars) {
  BITTEN_REQUIRE_MARKET_FILE(ticks, "XAUUSD_ticks_bidask_oanda-lean_2014-05-01_02.csv");
  BITTEN_REQUIRE_MARKET_FILE(bars, "XAUUSD_M1_bidask_oanda-lean_2014-05.csv");
  LoadOptions o;
  o.data = {ticks.string()};
  auto from_ticks = LoadBacktestData(o, Table());
  ASSERT_TRUE(from_ticks) << from_ticks.error().message;
  EXPECT_EQ(from_ticks->sources[0].kind, "ticks");
  o.data = {bars.string()};
  o.from = from_ticks->bars.front().time;
  o.to = from_ticks->bars.back().time + 60'000;
  auto from_bars = LoadBacktestData(o, Table());
  ASSERT_TRUE(from_bars);
  ASSERT_EQ(from_ticks->bars.size(), from_bars->bars.size());
  for (std::size_t i = 0; i < from_bars->bars.size(); ++i) {
    ASSERT_EQ(from_ticks->bars[i].time, from_bars->bars[i].time);
    ASSERT_DOUBLE_EQ(from_ticks->bars[i].close, from_bars->bars[i].close);
    ASSERT_DOUBLE_EQ(from_ticks->bars[i].ask_low, from_bars->bars[i].ask_low);
  }
}

Trade T(const std::string& reason, double r, double profit, int confidence,
        TimeMs exit_time = 1'400'000'000'000) {
  Trade t;
  t.symbol = "EURUSD";
  t.signal_class = "RAPID_ASSAULT";
  t.setup = "s";
  t.session = "london";
  t.exit_reason = reason;
  t.r = r;
  t.profit = profit;
  t.rr = 1.5;
  t.confidence = confidence;
  t.exit_time = exit_time;
  return t;
}

TEST(BacktestStats, SummaryOfConstructedTrades) {
  RunResult run;
  run.start_balance = 1000;
  run.trades = {T("tp", 1.5, 150, 55), T("sl", -1, -100, 62), T("sl", -1, -100, 65),
                T("tp", 1.5, 150, 81), T("end", 0.2, 20, 81)};
  double balance = 1000;
  for (Trade& t : run.trades) t.balance_after = balance += t.profit;
  const Summary s = Summarize(run);
  EXPECT_EQ(s.all.trades, 5);
  EXPECT_EQ(s.all.wins, 2);
  EXPECT_EQ(s.all.losses, 2);
  EXPECT_EQ(s.all.other, 1);
  EXPECT_DOUBLE_EQ(*s.all.win_rate, 0.5);
  EXPECT_DOUBLE_EQ(*s.all.profit_factor, 320.0 / 200.0);
  EXPECT_DOUBLE_EQ(s.all.net_profit, 120);
  EXPECT_DOUBLE_EQ(*s.all.expectancy_r, 1.2 / 5);
  EXPECT_DOUBLE_EQ(*s.all.expectancy_money, 24);
  // Peak 1150 after the first trade, trough 950 after the third.
  EXPECT_DOUBLE_EQ(s.max_drawdown, 200);
  EXPECT_NEAR(s.max_drawdown_pct, 100.0 * 200 / 1150, 1e-9);
  ASSERT_TRUE(s.sharpe_per_trade);
  ASSERT_EQ(s.calibration.size(), 3u);  // 50-59, 60-69, 80-89
  EXPECT_EQ(s.calibration[1].from, 60);
  EXPECT_EQ(s.calibration[1].losses, 2);
  EXPECT_DOUBLE_EQ(*s.calibration[1].win_rate, 0.0);
  EXPECT_DOUBLE_EQ(*s.calibration[1].breakeven_win_rate, 0.4);
  EXPECT_EQ(s.calibration[2].trades, 2);
  EXPECT_DOUBLE_EQ(*s.calibration[2].win_rate, 1.0);  // the "end" trade is not decided
  EXPECT_EQ(s.by_session.at("london").trades, 5);
}

TEST(BacktestStats, NoLossMeansNoProfitFactor) {
  RunResult run;
  run.start_balance = 1000;
  run.trades = {T("tp", 1.5, 150, 55)};
  const Summary s = Summarize(run);
  EXPECT_FALSE(s.all.profit_factor);
  EXPECT_FALSE(s.sharpe_per_trade);
  EXPECT_DOUBLE_EQ(s.max_drawdown, 0);
}

TEST(BacktestRun, RealFileInvariants) {
  BITTEN_REQUIRE_MARKET_FILE(eur, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  LoadOptions o;
  o.data = {eur.string()};
  auto d = LoadBacktestData(o, Table());
  ASSERT_TRUE(d) << d.error().message;
  RunOptions ro;
  const RunResult run = RunBacktest(d->bars, ro, Table());
  EXPECT_EQ(run.bars, static_cast<std::int64_t>(d->bars.size()));
  std::int64_t refused = 0;
  for (const auto& [reason, n] : run.refused) refused += n;
  EXPECT_EQ(run.signals, static_cast<std::int64_t>(run.trades.size()) + refused);
  double sum = 0;
  TimeMs last_exit = 0;
  for (const Trade& t : run.trades) {
    sum += t.profit;
    EXPECT_GE(t.exit_time, last_exit);
    last_exit = t.exit_time;
    EXPECT_GT(t.exit_time, t.entry_time - 1);
    EXPECT_GT(t.volume, 0);
    // Risk is about 1 % of 10,000 (the volume is rounded down to 0.01 lot).
    EXPECT_LE(t.risk_money, 100.0 + 1e-9);
    if (t.exit_reason == "sl") {
      EXPECT_LT(t.r, 0);
    }
    if (t.exit_reason == "tp") {
      EXPECT_GT(t.r, 0);
    }
    // A stop exit without a gap loses exactly 1 R (no slippage).
    if (t.exit_reason == "sl" && t.exit_price == t.sl) {
      EXPECT_NEAR(t.r, -1.0, 1e-3);
    }
  }
  EXPECT_NEAR(run.end_balance - run.start_balance, sum, 0.005);
  ASSERT_FALSE(run.trades.empty());
  EXPECT_NEAR(run.trades.back().balance_after, run.end_balance, 0.005);
  // Same input, same trades.
  const RunResult again = RunBacktest(d->bars, ro, Table());
  ASSERT_EQ(again.trades.size(), run.trades.size());
  for (std::size_t i = 0; i < run.trades.size(); ++i) {
    EXPECT_EQ(again.trades[i].signal_hash, run.trades[i].signal_hash);
    EXPECT_EQ(again.trades[i].profit, run.trades[i].profit);
  }
}

TEST(BacktestRun, SessionsByUtcHour) {
  const TimeMs day = market::CivilToUnixMs(2014, 5, 5);
  EXPECT_EQ(SessionOf(day + 3 * 3'600'000), "asia");
  EXPECT_EQ(SessionOf(day + 7 * 3'600'000), "london");
  EXPECT_EQ(SessionOf(day + 12 * 3'600'000), "overlap");
  EXPECT_EQ(SessionOf(day + 16 * 3'600'000), "new_york");
  EXPECT_EQ(SessionOf(day + 23 * 3'600'000), "late");
}

}  // namespace
}  // namespace bitten::app::backtest
