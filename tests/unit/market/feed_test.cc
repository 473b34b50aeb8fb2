#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include "common/paths.h"
#include "market/aggregator.h"
#include "market/replay_feed.h"
#include "market/synthetic_feed.h"

namespace bitten::market {
namespace {

TEST(ReplayFeed, BarFileRoundTripsThroughTheAggregator) {
  BITTEN_REQUIRE_MARKET_FILE(path, "XAUUSD_M1_bidask_oanda-lean_2014-05.csv");
  auto bars = ReadBars(path);
  ASSERT_TRUE(bars) << bars.error().message;
  auto feed = ReplayFeed::Open(path);
  ASSERT_TRUE(feed) << feed.error().message;
  EXPECT_EQ(feed->size(), bars->bars.size() * 4);
  M1Aggregator agg;
  std::vector<Bar> got;
  TimeMs last = INT64_MIN;
  std::size_t n = 0;
  while (auto t = feed->Next()) {
    ASSERT_GE(t->time, last);
    last = t->time;
    ++n;
    if (auto b = agg.Add(*t)) got.push_back(*b);
  }
  for (auto& b : agg.FlushAll()) got.push_back(b);
  EXPECT_EQ(n, feed->size());
  ASSERT_EQ(got.size(), bars->bars.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Bar& w = bars->bars[i];
    ASSERT_EQ(got[i].time, w.time);
    ASSERT_EQ(got[i].ticks, 4);
    // Open and close are exact; high/low are exact when the bar's own OHLC are consistent.
    ASSERT_EQ(got[i].open, w.open);
    ASSERT_EQ(got[i].close, w.close);
    ASSERT_EQ(got[i].ask_open, w.ask_open);
    ASSERT_EQ(got[i].ask_close, w.ask_close);
    ASSERT_EQ(got[i].high, std::max({w.open, w.high, w.low, w.close}));
    ASSERT_EQ(got[i].low, std::min({w.open, w.high, w.low, w.close}));
  }
}

TEST(ReplayFeed, SynthesizedQuotesFollowTheBarsLikelyPath) {
  BarData d;
  d.symbol = "EURUSD";
  d.side = QuoteSide::kBidAsk;
  Bar up{"EURUSD", Timeframe::kM1, 600'000, 1.1, 1.3, 1.0, 1.2, 1.11, 1.31, 1.01, 1.21, 0};
  Bar down{"EURUSD", Timeframe::kM1, 660'000, 1.2, 1.3, 1.0, 1.1, 1.21, 1.31, 1.01, 1.11, 0};
  d.bars = {up, down};
  ReplayFeed f = ReplayFeed::FromBars(d, 0, TimeMs{1'000'000});
  EXPECT_EQ(f.offset(), 400'000);
  std::vector<Tick> q;
  while (auto t = f.Next()) q.push_back(*t);
  ASSERT_EQ(q.size(), 8u);
  const double up_bids[] = {1.1, 1.0, 1.3, 1.2}, down_bids[] = {1.2, 1.3, 1.0, 1.1};
  const TimeMs offs[] = {0, 15'000, 30'000, 59'000};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(q[i].bid, up_bids[i]);
    EXPECT_NEAR(q[i].ask, up_bids[i] + 0.01, 1e-12) << i;
    EXPECT_EQ(q[i].time, 1'000'000 + offs[i]);
    EXPECT_EQ(q[4 + i].bid, down_bids[i]);
    EXPECT_EQ(q[4 + i].time, 1'060'000 + offs[i]);
  }
}

TEST(ReplayFeed, OneSideFileGetsTheDefaultSpreadAndStartsAtTheGivenTime) {
  BITTEN_REQUIRE_MARKET_FILE(path, "USDJPY_M1_bid_fxcm-nautilus_2013-02.csv");
  ReplayOptions o;
  o.start_time = 1'722'289'995'123;
  auto f = ReplayFeed::Open(path, o);
  ASSERT_TRUE(f) << f.error().message;
  auto first = f->Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->time, *o.start_time);
  EXPECT_EQ(first->symbol, "USDJPY");
  const double spread = DefaultSpreadPips("USDJPY") * 0.01;
  EXPECT_NEAR(first->ask - first->bid, spread, 1e-9);
  EXPECT_EQ(first->bid, 91.715);  // the file's first bid open
  for (int i = 0; i < 1000; ++i) {
    auto t = f->Next();
    ASSERT_TRUE(t);
    ASSERT_NEAR(t->ask - t->bid, spread, 1e-9);
  }
  o.spread_pips = 3;
  auto g = ReplayFeed::Open(path, o);
  ASSERT_TRUE(g);
  auto t = g->Next();
  EXPECT_NEAR(t->ask - t->bid, 0.03, 1e-9);
}

TEST(ReplayFeed, TickFileGivesItsTicks) {
  BITTEN_REQUIRE_MARKET_FILE(path, "USDJPY_ticks_bidask_truefx-nautilus_2013-01.csv");
  auto ticks = ReadTicks(path);
  ASSERT_TRUE(ticks);
  auto f = ReplayFeed::Open(path);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->offset(), 0);
  std::size_t i = 0;
  while (auto t = f->Next()) {
    ASSERT_LT(i, ticks->ticks.size());
    EXPECT_EQ(t->time, ticks->ticks[i].time);
    EXPECT_EQ(t->bid, ticks->ticks[i].bid);
    EXPECT_EQ(t->ask, ticks->ticks[i].ask);
    ++i;
  }
  EXPECT_EQ(i, ticks->ticks.size());
}

TEST(ReplayFeed, BidAskPairSpecReplaysBothRealSides) {
  BITTEN_REQUIRE_MARKET_FILE(bid_path, "GBPUSD_M1_bid_fxcm-nautilus_2012-02.csv");
  BITTEN_REQUIRE_MARKET_FILE(ask_path, "GBPUSD_M1_ask_fxcm-nautilus_2012-02.csv");
  auto pair = ReadBarsPair(bid_path, ask_path);
  ASSERT_TRUE(pair) << pair.error().message;
  auto f = ReplayFeed::Open(bid_path.string() + "," + ask_path.string());
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->size(), pair->bars.size() * 4);
  // The first bar's open quote: bid open and the real ask open (no synthetic spread).
  auto t = f->Next();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->symbol, "GBPUSD");
  EXPECT_EQ(t->bid, pair->bars.front().open);
  EXPECT_EQ(t->ask, pair->bars.front().ask_open);
  EXPECT_FALSE(ReplayFeed::Open(bid_path.string() + ",missing_ask.csv"));
}

TEST(ReplayFeed, OneColumnTickFileGetsTheReplaySpread) {
  testing::TempDir dir;
  const auto p = dir.path() / "USDJPY_bid_ticks.csv";
  std::ofstream(p) << "time,bid\n2024-01-02 00:00:00,150.000\n2024-01-02 00:00:01,150.010\n";
  ReplayOptions o;
  o.spread_pips = 2;
  auto f = ReplayFeed::Open(p, o);
  ASSERT_TRUE(f) << f.error().message;
  auto t = f->Next();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->bid, 150.0);
  EXPECT_NEAR(t->ask, 150.02, 1e-9);
}

std::vector<Tick> Take(SyntheticFeed& f, int n) {
  std::vector<Tick> v;
  for (int i = 0; i < n; ++i) v.push_back(*f.Next());
  return v;
}

TEST(SyntheticFeed, SameSeedSameQuotesDifferentSeedDifferentQuotes) {
  SyntheticFeed a("EURUSD", 42, 1'700'000'000'000), b("EURUSD", 42, 1'700'000'000'000),
      c("EURUSD", 43, 1'700'000'000'000);
  auto qa = Take(a, 20'000), qb = Take(b, 20'000), qc = Take(c, 20'000);
  int same_as_c = 0;
  for (std::size_t i = 0; i < qa.size(); ++i) {
    ASSERT_EQ(qa[i].time, qb[i].time);
    ASSERT_EQ(qa[i].bid, qb[i].bid);
    ASSERT_EQ(qa[i].ask, qb[i].ask);
    if (qa[i].bid == qc[i].bid && qa[i].time == qc[i].time) ++same_as_c;
  }
  EXPECT_LT(same_as_c, 100);
}

// Median spread in pips and the quote spacing for one symbol over six hours of quotes.
void CheckRealism(const char* symbol, double pip, int digits, double want_median_pips) {
  SyntheticFeed f(symbol, 7, 1'700'000'000'000);
  auto q = Take(f, 6 * 3600);
  std::vector<double> spreads;
  const double scale = std::pow(10.0, digits);
  for (std::size_t i = 0; i < q.size(); ++i) {
    ASSERT_GT(q[i].ask, q[i].bid) << symbol;
    ASSERT_NEAR(q[i].bid * scale, std::round(q[i].bid * scale), 1e-6) << symbol;
    if (i > 0) {
      ASSERT_GE(q[i].time - q[i - 1].time, 500);
      ASSERT_LE(q[i].time - q[i - 1].time, 1500);
    }
    spreads.push_back((q[i].ask - q[i].bid) / pip);
  }
  std::nth_element(spreads.begin(), spreads.begin() + spreads.size() / 2, spreads.end());
  EXPECT_NEAR(spreads[spreads.size() / 2], want_median_pips, 0.35 * want_median_pips) << symbol;
  // Stays in a plausible range of its start over six hours.
  EXPECT_NEAR(q.back().bid / q.front().bid, 1.0, 0.03) << symbol;
}

TEST(SyntheticFeed, RealisticSpreadsAndQuoteRate) {
  CheckRealism("EURUSD", 0.0001, 5, 1.0);
  CheckRealism("USDJPY", 0.01, 3, 1.2);
  CheckRealism("XAUUSD", 0.1, 2, 2.5);
}

}  // namespace
}  // namespace bitten::market
