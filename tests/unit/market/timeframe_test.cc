// TimeframeAggregator against an independent resample of the real Lean M1 files, plus the gap
// rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "common/paths.h"
#include "market/aggregator.h"
#include "market/reader.h"

namespace bitten::market {
namespace {

// Straightforward resample: group the M1 bars by (UTC day, hour, minute / n) computed with civil
// arithmetic on seconds, then take first/max/min/last of each group.
std::vector<Bar> Resample(const std::vector<Bar>& m1, int minutes) {
  std::map<std::int64_t, std::vector<const Bar*>> groups;
  for (const Bar& b : m1) {
    const std::int64_t secs = b.time / 1000;
    const std::int64_t day = secs / 86400;
    const std::int64_t minute_of_day = (secs % 86400) / 60;
    const std::int64_t key = day * 1440 + (minute_of_day / minutes) * minutes;
    groups[key].push_back(&b);
  }
  std::vector<Bar> out;
  for (const auto& [key, bars] : groups) {
    Bar r;
    r.symbol = bars.front()->symbol;
    r.time = key * 60'000;
    r.open = bars.front()->open;
    r.ask_open = bars.front()->ask_open;
    r.close = bars.back()->close;
    r.ask_close = bars.back()->ask_close;
    r.high = r.ask_high = 0;
    r.low = r.ask_low = 1e300;
    for (const Bar* b : bars) {
      r.high = std::max(r.high, b->high);
      r.low = std::min(r.low, b->low);
      r.ask_high = std::max(r.ask_high, b->ask_high);
      r.ask_low = std::min(r.ask_low, b->ask_low);
      r.ticks += b->ticks;
    }
    out.push_back(r);
  }
  return out;
}

std::vector<Bar> Stream(const std::vector<Bar>& m1, Timeframe tf) {
  TimeframeAggregator agg(tf);
  std::vector<Bar> out;
  for (const Bar& b : m1) {
    if (auto r = agg.Add(b)) out.push_back(*r);
  }
  if (auto r = agg.Flush()) out.push_back(*r);
  return out;
}

void ExpectSame(const std::vector<Bar>& got, const std::vector<Bar>& want, Timeframe tf) {
  ASSERT_EQ(got.size(), want.size()) << ToString(tf);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].timeframe, tf);
    EXPECT_EQ(got[i].symbol, want[i].symbol);
    EXPECT_EQ(got[i].time, want[i].time);
    EXPECT_EQ(got[i].open, want[i].open);
    EXPECT_EQ(got[i].high, want[i].high);
    EXPECT_EQ(got[i].low, want[i].low);
    EXPECT_EQ(got[i].close, want[i].close);
    EXPECT_EQ(got[i].ask_open, want[i].ask_open);
    EXPECT_EQ(got[i].ask_high, want[i].ask_high);
    EXPECT_EQ(got[i].ask_low, want[i].ask_low);
    EXPECT_EQ(got[i].ask_close, want[i].ask_close);
    EXPECT_EQ(got[i].ticks, want[i].ticks);
    if (::testing::Test::HasFailure()) FAIL() << ToString(tf) << ": first difference at " << i;
  }
}

TEST(TimeframeAggregator, LeanM1ToEveryTimeframeEqualsADirectResample) {
  for (const char* name :
       {"EURUSD_M1_bidask_oanda-lean_2014-05.csv", "XAUUSD_M1_bidask_oanda-lean_2014-05.csv"}) {
    BITTEN_REQUIRE_MARKET_FILE(path, name);
    auto m1 = ReadBars(path);
    ASSERT_TRUE(m1) << m1.error().message;
    const std::pair<Timeframe, int> tfs[] = {
        {Timeframe::kM5, 5}, {Timeframe::kM15, 15}, {Timeframe::kH1, 60}, {Timeframe::kH4, 240}};
    for (const auto& [tf, minutes] : tfs) {
      const std::vector<Bar> got = Stream(m1->bars, tf);
      ExpectSame(got, Resample(m1->bars, minutes), tf);
      // Far fewer bars than M1, and none inside the weekend close (Fri 21:00 .. Sun 21:00 UTC).
      EXPECT_LT(got.size(), m1->bars.size());
    }
  }
}

TEST(TimeframeAggregator, WeekendGapProducesNoBars) {
  BITTEN_REQUIRE_MARKET_FILE(path, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  auto m1 = ReadBars(path);
  ASSERT_TRUE(m1) << m1.error().message;
  const std::vector<Bar> h1 = Stream(m1->bars, Timeframe::kH1);
  // Saturday 2014-05-03 has no quote at all: no H1 bar may fall on it.
  const TimeMs sat = CivilToUnixMs(2014, 5, 3), sun = CivilToUnixMs(2014, 5, 4);
  std::int64_t on_saturday = 0, gaps = 0;
  for (std::size_t i = 0; i < h1.size(); ++i) {
    if (h1[i].time >= sat && h1[i].time < sun) ++on_saturday;
    EXPECT_EQ(h1[i].time % 3'600'000, 0);
    if (i > 0 && h1[i].time - h1[i - 1].time > 24 * 3'600'000LL) ++gaps;
  }
  EXPECT_EQ(on_saturday, 0);
  EXPECT_GE(gaps, 2);  // the two weekends inside 2014-05-01 .. 05-15
}

Bar M1(TimeMs t, double o, double h, double l, double c) {
  Bar b;
  b.symbol = "EURUSD";
  b.time = t;
  b.open = o, b.high = h, b.low = l, b.close = c;
  b.ask_open = o + 0.0001, b.ask_high = h + 0.0001, b.ask_low = l + 0.0001;
  b.ask_close = c + 0.0001;
  b.ticks = 3;
  return b;
}

TEST(TimeframeAggregator, MissingMinutesAndEmptyBucketsAndLateBars) {
  const TimeMs base = CivilToUnixMs(2024, 1, 2, 10, 0, 0);
  TimeframeAggregator agg(Timeframe::kM5);
  // 10:01 and 10:04 only (10:00, 10:02, 10:03 missing): one bar at 10:00.
  EXPECT_FALSE(agg.Add(M1(base + 60'000, 1.10, 1.12, 1.09, 1.11)));
  EXPECT_FALSE(agg.Add(M1(base + 240'000, 1.11, 1.13, 1.10, 1.12)));
  // 10:05..10:14 empty; 10:17 closes the 10:00 bucket, and no bar is made for 10:05 or 10:10.
  auto first = agg.Add(M1(base + 17 * 60'000, 1.20, 1.21, 1.19, 1.2));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->time, base);
  EXPECT_EQ(first->timeframe, Timeframe::kM5);
  EXPECT_EQ(first->open, 1.10);
  EXPECT_EQ(first->high, 1.13);
  EXPECT_EQ(first->low, 1.09);
  EXPECT_EQ(first->close, 1.12);
  EXPECT_EQ(first->ask_close, 1.12 + 0.0001);
  EXPECT_EQ(first->ticks, 6);
  // A bar of an earlier bucket cannot be placed.
  EXPECT_FALSE(agg.Add(M1(base + 4 * 60'000, 1.0, 1.0, 1.0, 1.0)));
  EXPECT_EQ(agg.late_bars(), 1);
  auto second = agg.Flush();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->time, base + 15 * 60'000);  // aligned to the bucket, not the first minute
  EXPECT_EQ(second->open, 1.20);
  EXPECT_FALSE(agg.Flush());
}

TEST(TimeframeAggregator, H4BucketsAreAlignedToUtcMidnight) {
  EXPECT_EQ(TimeframeAggregator::BucketOf(Timeframe::kH4, CivilToUnixMs(2024, 1, 2, 3, 59, 0)),
            CivilToUnixMs(2024, 1, 2, 0, 0, 0));
  EXPECT_EQ(TimeframeAggregator::BucketOf(Timeframe::kH4, CivilToUnixMs(2024, 1, 2, 22, 0, 0)),
            CivilToUnixMs(2024, 1, 2, 20, 0, 0));
  EXPECT_EQ(TimeframeAggregator::BucketOf(Timeframe::kM15, -1), -900'000);
  TimeframeAggregator m1(Timeframe::kM1);
  EXPECT_FALSE(m1.Add(M1(60'000, 1, 1, 1, 1)));
  auto r = m1.Add(M1(120'000, 2, 2, 2, 2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time, 60'000);
}

}  // namespace
}  // namespace bitten::market
