#include "venom/citadel/shield.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "market/reader.h"

namespace bitten::venom::citadel {
namespace {

std::size_t Count(const std::string& text, const std::string& word) {
  std::size_t n = 0;
  for (auto p = text.find(word); p != std::string::npos; p = text.find(word, p + 1)) ++n;
  return n;
}

TimeMs At(int hour, int minute = 0) { return market::CivilToUnixMs(2014, 5, 6, hour, minute); }

TEST(Shield, SpreadComponent) {
  EXPECT_DOUBLE_EQ(SpreadScore(0.8, 1.0), 10);
  EXPECT_DOUBLE_EQ(SpreadScore(1.0, 1.0), 10);
  EXPECT_NEAR(SpreadScore(1.75, 1.0), 5, 1e-12);
  EXPECT_DOUBLE_EQ(SpreadScore(2.5, 1.0), 0);
  EXPECT_DOUBLE_EQ(SpreadScore(9.0, 1.0), 0);
  EXPECT_NEAR(SpreadScore(3.5, 2.0), 10.0 * (2.5 - 1.75) / 1.5, 1e-12);
}

TEST(Shield, AtrRegimeComponent) {
  EXPECT_DOUBLE_EQ(AtrRegimeScore(1.0, 1.0), 10);
  EXPECT_DOUBLE_EQ(AtrRegimeScore(1.5, 1.0), 10);
  EXPECT_DOUBLE_EQ(AtrRegimeScore(0.8, 1.0), 10);
  EXPECT_NEAR(AtrRegimeScore(0.4, 1.0), 5, 1e-12);   // dead market
  EXPECT_NEAR(AtrRegimeScore(2.25, 1.0), 5, 1e-12);  // spike
  EXPECT_DOUBLE_EQ(AtrRegimeScore(3.5, 1.0), 0);
}

TEST(Shield, SessionComponentByUtcHour) {
  EXPECT_EQ(SessionScore(At(13)), 10);
  EXPECT_EQ(SessionScore(At(15, 59)), 10);
  EXPECT_EQ(SessionScore(At(16)), 6);
  EXPECT_EQ(SessionScore(At(8)), 8);
  EXPECT_EQ(SessionScore(At(21)), 4);
  EXPECT_EQ(SessionScore(At(3)), 3);
  EXPECT_EQ(SessionScore(At(23)), 3);
  EXPECT_STREQ(SessionName(At(13)), "London/New York overlap");
}

TEST(Shield, WeightedMeanOfAllComponents) {
  ShieldInputs in;
  in.spread_pips = 1.75;
  in.median_spread_pips = 1.0;  // 5
  in.atr_pips = 2.25;
  in.average_atr_pips = 1.0;  // 5
  in.bar_time = At(13);       // 10
  const Shield s = ScoreShield(in);
  EXPECT_DOUBLE_EQ(s.score, 6.3);  // (0.40 × 5 + 0.35 × 5 + 0.25 × 10) / 1.0 = 6.25 → 6.3
  EXPECT_EQ(s.band, ShieldBand::kActive);
  EXPECT_EQ(Count(s.explanation, "insufficient data"), 0u);
  EXPECT_NE(s.explanation.find("volatile"), std::string::npos) << s.explanation;
  EXPECT_NE(s.explanation.find("median 1.0"), std::string::npos) << s.explanation;
}

TEST(Shield, InsufficientDataIsSaidAndNotInvented) {
  ShieldInputs in;
  in.spread_pips = 9.0;  // would score 0 with any sane median
  in.bar_time = At(13);
  const Shield none = ScoreShield(in);
  EXPECT_EQ(Count(none.explanation, "insufficient data"), 2u) << none.explanation;
  EXPECT_DOUBLE_EQ(none.score, 10.0);  // session only
  // With spread data only: (0.40 × 0 + 0.25 × 3) / 0.65 at 03:00.
  in.median_spread_pips = 1.0;
  in.bar_time = At(3);
  const Shield partial = ScoreShield(in);
  EXPECT_EQ(Count(partial.explanation, "insufficient data"), 1u) << partial.explanation;
  EXPECT_NE(partial.explanation.find("ATR regime: insufficient data"), std::string::npos);
  EXPECT_DOUBLE_EQ(partial.score, std::round(0.75 / 0.65 * 10) / 10);
  EXPECT_EQ(partial.band, ShieldBand::kUnverified);
}

TEST(ShieldHistory, MedianAfterEnoughSamplesAndAtrAverage) {
  ShieldHistoryOptions o;
  o.spread_window = 50;
  o.min_spread_samples = 10;
  o.atr_average_period = 5;
  ShieldHistory h(o);
  std::vector<double> spreads;
  for (int i = 0; i < 9; ++i) {
    const double sp = 1.0 + 0.1 * ((i * 7) % 5);
    h.Update(sp, std::nullopt);
    spreads.push_back(sp);
  }
  ShieldInputs early = h.Inputs(1.0, std::nullopt, At(13));
  EXPECT_FALSE(early.median_spread_pips);
  EXPECT_EQ(early.spread_history_note, "9 of 10 bars");
  EXPECT_FALSE(early.average_atr_pips);
  h.Update(3.0, 2.0);
  spreads.push_back(3.0);
  for (double a : {4.0, 6.0, 8.0, 10.0}) {
    h.Update(1.0, a);
    spreads.push_back(1.0);
  }
  ShieldInputs later = h.Inputs(1.0, 5.0, At(13));
  std::sort(spreads.begin(), spreads.end());
  const std::size_t n = spreads.size();
  const double median = n % 2 ? spreads[n / 2] : (spreads[n / 2 - 1] + spreads[n / 2]) / 2;
  ASSERT_TRUE(later.median_spread_pips);
  EXPECT_DOUBLE_EQ(*later.median_spread_pips, median);
  ASSERT_TRUE(later.average_atr_pips);
  EXPECT_DOUBLE_EQ(*later.average_atr_pips, (2.0 + 4 + 6 + 8 + 10) / 5);  // EMA seed = SMA
  // The window is bounded: after 50 wide spreads the old narrow ones are gone.
  for (int i = 0; i < 50; ++i) h.Update(5.0, 5.0);
  EXPECT_DOUBLE_EQ(*h.Inputs(1.0, 5.0, At(13)).median_spread_pips, 5.0);
}

}  // namespace
}  // namespace bitten::venom::citadel
