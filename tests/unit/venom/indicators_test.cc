#include "venom/indicators.h"

#include <gtest/gtest.h>
#include <ta_libc.h>  // test-only TA-Lib reference (talib_ref, tests/CMakeLists.txt)

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/paths.h"
#include "market/reader.h"

namespace bitten::venom {
namespace {

struct Series {
  std::vector<double> high, low, close;
};

Series LeanEurusdBid(const std::filesystem::path& path) {
  Series s;
  auto bars = market::ReadBars(path);
  EXPECT_TRUE(bars) << bars.error().message;
  if (!bars) return s;
  for (const auto& b : bars->bars) {
    s.high.push_back(b.high);
    s.low.push_back(b.low);
    s.close.push_back(b.close);
  }
  return s;
}

// Relative error, with an absolute floor for values near zero (RSI can be exactly 0).
void ExpectClose(double got, double want, std::size_t i, const char* what) {
  const double tol = 1e-9 * std::max(1.0, std::fabs(want));
  ASSERT_NEAR(got, want, tol) << what << " at input " << i;
}

class TaLib : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(TA_Initialize(), TA_SUCCESS); }
};

TEST_F(TaLib, EmaEqualsTaEmaOnLeanEurusdBidCloses) {
  BITTEN_REQUIRE_MARKET_FILE(path, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  const Series s = LeanEurusdBid(path);
  ASSERT_GT(s.close.size(), 1000u);
  for (int period : {9, 21, 50}) {
    std::vector<double> out(s.close.size());
    int beg = 0, n = 0;
    ASSERT_EQ(TA_EMA(0, static_cast<int>(s.close.size()) - 1, s.close.data(), period, &beg, &n,
                     out.data()),
              TA_SUCCESS);
    ASSERT_EQ(beg, period - 1);
    Ema ema(period);
    for (std::size_t i = 0; i < s.close.size(); ++i) {
      ema.Update(s.close[i]);
      ASSERT_EQ(ema.ready(), static_cast<int>(i) >= beg) << i;
      if (ema.ready()) ExpectClose(ema.value(), out[i - beg], i, "EMA");
    }
    EXPECT_EQ(static_cast<int>(s.close.size()) - beg, n);
  }
}

TEST_F(TaLib, RsiEqualsTaRsiOnLeanEurusdBidCloses) {
  BITTEN_REQUIRE_MARKET_FILE(path, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  const Series s = LeanEurusdBid(path);
  for (int period : {14, 2, 30}) {
    std::vector<double> out(s.close.size());
    int beg = 0, n = 0;
    ASSERT_EQ(TA_RSI(0, static_cast<int>(s.close.size()) - 1, s.close.data(), period, &beg, &n,
                     out.data()),
              TA_SUCCESS);
    ASSERT_EQ(beg, period);
    Rsi rsi(period);
    for (std::size_t i = 0; i < s.close.size(); ++i) {
      rsi.Update(s.close[i]);
      ASSERT_EQ(rsi.ready(), static_cast<int>(i) >= beg) << i;
      if (rsi.ready()) ExpectClose(rsi.value(), out[i - beg], i, "RSI");
    }
  }
}

TEST_F(TaLib, AtrEqualsTaAtrOnLeanEurusdBidBars) {
  BITTEN_REQUIRE_MARKET_FILE(path, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  const Series s = LeanEurusdBid(path);
  for (int period : {14, 1, 5}) {
    std::vector<double> out(s.close.size());
    int beg = 0, n = 0;
    ASSERT_EQ(TA_ATR(0, static_cast<int>(s.close.size()) - 1, s.high.data(), s.low.data(),
                     s.close.data(), period, &beg, &n, out.data()),
              TA_SUCCESS);
    ASSERT_EQ(beg, period);
    Atr atr(period);
    for (std::size_t i = 0; i < s.close.size(); ++i) {
      atr.Update(s.high[i], s.low[i], s.close[i]);
      ASSERT_EQ(atr.ready(), static_cast<int>(i) >= beg) << i;
      if (atr.ready()) ExpectClose(atr.value(), out[i - beg], i, "ATR");
    }
  }
}

// Checks that need no reference library: definitions worked by hand.
TEST(Indicators, EmaSeedsWithTheSimpleAverage) {
  Ema e(3);
  e.Update(1);
  e.Update(2);
  EXPECT_FALSE(e.ready());
  e.Update(6);
  ASSERT_TRUE(e.ready());
  EXPECT_DOUBLE_EQ(e.value(), 3.0);  // (1 + 2 + 6) / 3
  e.Update(7);
  EXPECT_DOUBLE_EQ(e.value(), 5.0);  // 3 + (7 − 3) × 2/4
}

TEST(Indicators, RsiOfOnlyGainsIsHundredAndFlatIsZero) {
  Rsi up(3), flat(3);
  for (int i = 0; i < 10; ++i) {
    up.Update(1.0 + 0.001 * i);
    flat.Update(1.0);
  }
  ASSERT_TRUE(up.ready());
  EXPECT_DOUBLE_EQ(up.value(), 100.0);
  EXPECT_DOUBLE_EQ(flat.value(), 0.0);  // TA-Lib's convention when gain + loss is zero
  Rsi r(2);
  r.Update(10);
  r.Update(11);  // +1
  EXPECT_FALSE(r.ready());
  r.Update(10);  // −1: avg gain 0.5, avg loss 0.5
  ASSERT_TRUE(r.ready());
  EXPECT_DOUBLE_EQ(r.value(), 50.0);
  r.Update(12);  // +2: gain (0.5 + 2) / 2 = 1.25, loss 0.25
  EXPECT_DOUBLE_EQ(r.value(), 100.0 * 1.25 / 1.5);
}

TEST(Indicators, AtrUsesThePreviousCloseForTheTrueRange) {
  Atr a(2);
  a.Update(10, 9, 9.5);  // only the close counts
  EXPECT_FALSE(a.ready());
  a.Update(12, 11, 11.5);  // TR = max(1, |9.5 − 12|, |9.5 − 11|) = 2.5
  EXPECT_FALSE(a.ready());
  a.Update(11.6, 11.4, 11.5);  // TR = max(0.2, 0.1, 0.1) = 0.2
  ASSERT_TRUE(a.ready());
  EXPECT_DOUBLE_EQ(a.value(), (2.5 + 0.2) / 2);
  a.Update(11, 10, 10.5);  // TR = max(1, 0.5, 1.5) = 1.5
  EXPECT_DOUBLE_EQ(a.value(), (1.35 * 1 + 1.5) / 2);
}

TEST(Indicators, SmaAveragesTheLastPeriodInputs) {
  Sma s(3);
  EXPECT_EQ(s.lookback(), 2);
  s.Update(1);
  s.Update(2);
  EXPECT_FALSE(s.ready());
  s.Update(3);
  ASSERT_TRUE(s.ready());
  EXPECT_DOUBLE_EQ(s.value(), 2.0);
  s.Update(10);
  EXPECT_DOUBLE_EQ(s.value(), 5.0);  // (2 + 3 + 10) / 3
}

TEST(Indicators, BBandsUsePopulationDeviation) {
  BBands b(3, 2.0);
  for (double x : {1.0, 2.0, 3.0}) b.Update(x);
  ASSERT_TRUE(b.ready());
  const double sd = std::sqrt(2.0 / 3.0);  // population: ((1 + 0 + 1) / 3)^0.5
  EXPECT_DOUBLE_EQ(b.middle(), 2.0);
  EXPECT_NEAR(b.upper(), 2.0 + 2 * sd, 1e-12);
  EXPECT_NEAR(b.lower(), 2.0 - 2 * sd, 1e-12);
  BBands flat(4, 2.0);
  for (int i = 0; i < 6; ++i) flat.Update(1.2345);
  EXPECT_DOUBLE_EQ(flat.upper(), flat.lower());  // zero deviation, not NaN
}

TEST(Indicators, MacdSeedsTheFastEmaLikeTaLib) {
  // fast 2, slow 4, signal 2: both EMAs start at input 3; the fast one ignores inputs 0 and 1.
  Macd m(2, 4, 2);
  EXPECT_EQ(m.lookback(), 4);
  for (double x : {1.0, 2.0, 3.0, 5.0}) m.Update(x);
  EXPECT_FALSE(m.ready());
  EXPECT_DOUBLE_EQ(m.macd(), (3.0 + 5.0) / 2 - (1.0 + 2.0 + 3.0 + 5.0) / 4);  // 1.25
  m.Update(7);  // slow 2.75 + 4.25 × 0.4 = 4.45, fast 4 + 3 × 2/3 = 6
  ASSERT_TRUE(m.ready());
  EXPECT_NEAR(m.macd(), 1.55, 1e-12);
  EXPECT_NEAR(m.signal(), 1.4, 1e-12);  // (1.25 + 1.55) / 2
  EXPECT_NEAR(m.hist(), 0.15, 1e-12);
  Macd swapped(4, 2, 2);  // slow < fast: swapped as TA-Lib does
  for (double x : {1.0, 2.0, 3.0, 5.0, 7.0}) swapped.Update(x);
  EXPECT_DOUBLE_EQ(swapped.macd(), m.macd());
}

TEST(Indicators, StochIsWhereTheCloseSitsInTheRange) {
  Stoch st(3, 1, 1);
  EXPECT_EQ(st.lookback(), 2);
  st.Update(2, 1, 1.5);
  st.Update(3, 1, 2);
  EXPECT_FALSE(st.ready());
  st.Update(4, 2, 2.5);  // highest 4, lowest 1
  ASSERT_TRUE(st.ready());
  EXPECT_DOUBLE_EQ(st.k(), 50.0);
  st.Update(4, 3, 4);  // window: bars 1..3, lowest 1 still
  EXPECT_DOUBLE_EQ(st.k(), 100.0);
  st.Update(3.5, 3, 3);  // bars 2..4: highest 4, lowest 2
  EXPECT_DOUBLE_EQ(st.k(), 50.0);
  EXPECT_DOUBLE_EQ(st.d(), 50.0);
  Stoch smooth(3, 2, 2);
  EXPECT_EQ(smooth.lookback(), 4);
}

TEST(Indicators, RollingExtremeEqualsABruteForceScan) {
  RollingExtreme hi(7, true), lo(7, false);
  std::vector<double> xs;
  for (int i = 0; i < 500; ++i) {
    const double x = std::sin(i * 0.7) + 0.3 * std::cos(i * 2.3) + (i % 11 == 0 ? 0.5 : 0.0);
    xs.push_back(x);
    hi.Push(x);
    lo.Push(x);
    const std::size_t from = xs.size() > 7 ? xs.size() - 7 : 0;
    const double want_hi = *std::max_element(xs.begin() + static_cast<long>(from), xs.end());
    const double want_lo = *std::min_element(xs.begin() + static_cast<long>(from), xs.end());
    ASSERT_EQ(hi.value(), want_hi) << i;
    ASSERT_EQ(lo.value(), want_lo) << i;
  }
}

TEST(Indicators, AdxOfASteadyRiseIsHundred) {
  Adx a(3);
  EXPECT_EQ(a.lookback(), 5);
  for (int i = 0; i < 5; ++i) {
    a.Update(11 + i, 10 + i, 10.5 + i);
    EXPECT_FALSE(a.ready()) << i;
  }
  a.Update(16, 15, 15.5);
  ASSERT_TRUE(a.ready());
  EXPECT_NEAR(a.value(), 100.0, 1e-9);  // only +DM, so every DX is 100
}

TEST(Indicators, CciIsZeroOnAFlatMarketAndSignedOnAMove) {
  Cci flat(4), rise(4);
  for (int i = 0; i < 6; ++i) {
    flat.Update(1.1, 1.0, 1.05);
    rise.Update(1.1 + 0.01 * i, 1.0 + 0.01 * i, 1.05 + 0.01 * i);
  }
  ASSERT_TRUE(flat.ready());
  EXPECT_EQ(flat.value(), 0.0);
  // Typical prices step 0.01: mean deviation 0.01, distance to the mean 0.015 -> 100.
  EXPECT_NEAR(rise.value(), 0.015 / (0.015 * 0.01), 1e-6);
}

}  // namespace
}  // namespace bitten::venom
