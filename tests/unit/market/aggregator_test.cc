#include "market/aggregator.h"

#include <gtest/gtest.h>

#include <map>

#include "common/paths.h"
#include "market/reader.h"

namespace bitten::market {
namespace {

void ExpectSameBar(const Bar& got, const Bar& want) {
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.open, want.open) << got.time;
  EXPECT_EQ(got.high, want.high) << got.time;
  EXPECT_EQ(got.low, want.low) << got.time;
  EXPECT_EQ(got.close, want.close) << got.time;
  EXPECT_EQ(got.ask_open, want.ask_open) << got.time;
  EXPECT_EQ(got.ask_high, want.ask_high) << got.time;
  EXPECT_EQ(got.ask_low, want.ask_low) << got.time;
  EXPECT_EQ(got.ask_close, want.ask_close) << got.time;
}

// Aggregates every tick and returns the bars in order.
std::vector<Bar> Aggregate(const std::vector<Tick>& ticks) {
  M1Aggregator agg;
  std::vector<Bar> bars;
  for (const Tick& t : ticks) {
    if (auto b = agg.Add(t)) bars.push_back(std::move(*b));
  }
  for (Bar& b : agg.FlushAll()) bars.push_back(std::move(b));
  return bars;
}

TEST(M1Aggregator, LeanEurusdTicksGiveExactlyTheLeanM1Bars) {
  BITTEN_REQUIRE_MARKET_FILE(ticks_file, "EURUSD_ticks_bidask_oanda-lean_2014-05.csv");
  BITTEN_REQUIRE_MARKET_FILE(bars_file, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  auto ticks = ReadTicks(ticks_file);
  ASSERT_TRUE(ticks) << ticks.error().message;
  auto bars = ReadBars(bars_file);
  ASSERT_TRUE(bars) << bars.error().message;
  const std::vector<Bar> got = Aggregate(ticks->ticks);
  ASSERT_EQ(got.size(), bars->bars.size());
  std::int64_t tick_total = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ExpectSameBar(got[i], bars->bars[i]);
    EXPECT_EQ(got[i].symbol, "EURUSD");
    EXPECT_GE(got[i].ticks, 1);
    tick_total += got[i].ticks;
    if (HasFailure()) FAIL() << "first difference at bar " << i;
  }
  EXPECT_EQ(tick_total, static_cast<std::int64_t>(ticks->ticks.size()));
}

TEST(M1Aggregator, LeanXauusdTickDaysGiveTheLeanM1Bars) {
  BITTEN_REQUIRE_MARKET_FILE(ticks_file, "XAUUSD_ticks_bidask_oanda-lean_2014-05-01_02.csv");
  BITTEN_REQUIRE_MARKET_FILE(bars_file, "XAUUSD_M1_bidask_oanda-lean_2014-05.csv");
  auto ticks = ReadTicks(ticks_file);
  ASSERT_TRUE(ticks) << ticks.error().message;
  auto bars = ReadBars(bars_file);
  ASSERT_TRUE(bars) << bars.error().message;
  const std::vector<Bar> got = Aggregate(ticks->ticks);
  ASSERT_FALSE(got.empty());
  std::vector<Bar> want;
  for (const Bar& b : bars->bars) {
    if (b.time >= got.front().time && b.time <= got.back().time) want.push_back(b);
  }
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ExpectSameBar(got[i], want[i]);
    if (HasFailure()) FAIL() << "first difference at bar " << i;
  }
}

Tick T(const char* sym, TimeMs t, double bid, double ask) { return Tick{sym, t, bid, ask}; }

TEST(M1Aggregator, SymbolsAreIndependentAndLateTicksAreCounted) {
  M1Aggregator agg;
  EXPECT_FALSE(agg.Add(T("EURUSD", 60'000, 1.1, 1.1001)));
  EXPECT_FALSE(agg.Add(T("USDJPY", 60'500, 150.0, 150.01)));
  EXPECT_FALSE(agg.Add(T("EURUSD", 119'999, 1.2, 1.2001)));
  // A later minute of USDJPY closes only USDJPY's bar.
  auto j = agg.Add(T("USDJPY", 120'000, 151.0, 151.01));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->symbol, "USDJPY");
  EXPECT_EQ(j->time, 60'000);
  EXPECT_EQ(j->ticks, 1);
  // A tick from a minute before EURUSD's open bar cannot be placed.
  EXPECT_FALSE(agg.Add(T("EURUSD", 59'999, 1.3, 1.3001)));
  EXPECT_EQ(agg.late_ticks(), 1);
  auto e = agg.Add(T("EURUSD", 185'000, 1.0, 1.0001));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->time, 60'000);
  EXPECT_EQ(e->open, 1.1);
  EXPECT_EQ(e->high, 1.2);
  EXPECT_EQ(e->low, 1.1);
  EXPECT_EQ(e->close, 1.2);
  EXPECT_EQ(e->ask_close, 1.2001);
  EXPECT_EQ(e->ticks, 2);

  // FlushBefore closes only minutes that have ended.
  auto closed = agg.FlushBefore(180'000);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].symbol, "USDJPY");
  EXPECT_FALSE(agg.Flush("USDJPY"));
  auto last = agg.Flush("EURUSD");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->time, 180'000);
  EXPECT_TRUE(agg.FlushAll().empty());
}

TEST(M1Aggregator, MinuteOfFloorsNegativeTimes) {
  EXPECT_EQ(M1Aggregator::MinuteOf(0), 0);
  EXPECT_EQ(M1Aggregator::MinuteOf(59'999), 0);
  EXPECT_EQ(M1Aggregator::MinuteOf(-1), -60'000);
  EXPECT_EQ(M1Aggregator::MinuteOf(-60'000), -60'000);
}

}  // namespace
}  // namespace bitten::market
