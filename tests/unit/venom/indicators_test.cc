#include "venom/indicators.h"

#include <gtest/gtest.h>
#include <ta_libc.h>  // test-only TA-Lib reference (talib_ref, tests/CMakeLists.txt)

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

}  // namespace
}  // namespace bitten::venom
