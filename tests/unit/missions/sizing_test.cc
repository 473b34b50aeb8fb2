#include "missions/sizing.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bitten::missions {
namespace {

// 10 USD per pip per lot (USD account): EURUSD (0.0001 × 100000) and XAUUSD (0.1 × 100 oz).
SizingInput TenUsdPerPip(double balance, double risk_pct, double sl_pips) {
  return SizingInput{.balance = balance,
                     .risk_pct = risk_pct,
                     .sl_pips = sl_pips,
                     .pip_value_per_lot = 10.0,
                     .volume_step = 0.01,
                     .volume_min = 0.01,
                     .volume_max = 100,
                     .size_multiplier = 1.0,
                     .currency = "USD"};
}

TEST(SizeLots, EurusdTenThousandAtTwoPercent) {
  // budget 10000 × 2 % = 200; 25 pips × 10 = 250 per lot → 0.80 lots, risk 0.8 × 250 = 200.00.
  const auto r = SizeLots(TenUsdPerPip(10000, 2.0, 25));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->lots, 0.80);
  EXPECT_DOUBLE_EQ(r->risk_money, 200.00);
}

TEST(SizeLots, RoundsDownToTheStep) {
  // budget 10000 × 1 % = 100; 23 pips × 10 = 230 per lot → 0.43478 → 0.43; risk 0.43 × 230 = 98.90.
  const auto r = SizeLots(TenUsdPerPip(10000, 1.0, 23));
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 0.43);
  EXPECT_DOUBLE_EQ(r->risk_money, 98.90);
  EXPECT_LE(r->risk_money, 100.0);
}

TEST(SizeLots, ExactMultiplesSurviveFloatingError) {
  // budget 1450 × 2 % = 29; 10 pips × 10 = 100 per lot → exactly 0.29 lots, but in binary
  // 0.29 / 0.01 = 28.999999999999996, which a naive floor turns into 0.28.
  ASSERT_EQ(std::floor(0.29 / 0.01), 28.0);  // the trap is real
  auto r = SizeLots(TenUsdPerPip(1450, 2.0, 10));
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 0.29);
  EXPECT_DOUBLE_EQ(r->risk_money, 29.00);

  // budget 1500 × 2 % = 30; 25 × 10 = 250 per lot → 0.12 (must not become 0.11); risk 30.00.
  r = SizeLots(TenUsdPerPip(1500, 2.0, 25));
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 0.12);
  EXPECT_DOUBLE_EQ(r->risk_money, 30.00);

  // Step 0.1: budget 30 over 100 per lot = 0.3, and 0.3 / 0.1 = 2.9999999999999996 in binary.
  SizingInput in = TenUsdPerPip(1500, 2.0, 10);
  in.volume_step = 0.1;
  in.volume_min = 0.1;
  r = SizeLots(in);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 0.3);
  EXPECT_DOUBLE_EQ(r->risk_money, 30.00);
}

TEST(SizeLots, UsdjpyPipValueAt150) {
  // Pip value 0.01 × 100000 / 150.00 = 6.6667 USD. budget 5000 × 2 % = 100; 20 pips → 133.334 per
  // lot → 0.749996 → 0.74 (0.75 would risk 100.0005 > 100); risk 0.74 × 133.334 = 98.667 → 98.67.
  SizingInput in = TenUsdPerPip(5000, 2.0, 20);
  in.pip_value_per_lot = 6.6667;
  auto r = SizeLots(in);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 0.74);
  EXPECT_DOUBLE_EQ(r->risk_money, 98.67);

  // With the unrounded 1000/150: 20 × 6.666… = 133.333… per lot → exactly 0.75, risk 100.00.
  in.pip_value_per_lot = 1000.0 / 150.0;
  r = SizeLots(in);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 0.75);
  EXPECT_DOUBLE_EQ(r->risk_money, 100.00);
}

TEST(SizeLots, XauusdTenDollarsPerPip) {
  // Gold: pip 0.1 × 100 oz = 10 USD per lot. budget 25000 × 2 % = 500; 35 pips ($3.50) × 10 = 350
  // per lot → 1.4286 → 1.42; risk 1.42 × 350 = 497.00.
  const auto r = SizeLots(TenUsdPerPip(25000, 2.0, 35));
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 1.42);
  EXPECT_DOUBLE_EQ(r->risk_money, 497.00);
}

TEST(SizeLots, MultiplierScalesTheBudget) {
  // 0.80 lots at multiplier 1 (first test); at 0.5 the budget is 100 → 100 / 250 = 0.40.
  SizingInput in = TenUsdPerPip(10000, 2.0, 25);
  in.size_multiplier = 0.5;
  const auto r = SizeLots(in);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 0.40);
  EXPECT_DOUBLE_EQ(r->risk_money, 100.00);
}

TEST(SizeLots, ClampsToTheVolumeMax) {
  // budget 10,000,000 × 2 % = 200,000; 10 pips × 10 = 100 per lot → 2000 lots → clamped to 100;
  // risk 100 × 100 = 10,000.00.
  const auto r = SizeLots(TenUsdPerPip(10'000'000, 2.0, 10));
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->lots, 100.0);
  EXPECT_DOUBLE_EQ(r->risk_money, 10000.00);
}

TEST(SizeLots, RefusesWhenTheMinimumLotExceedsTheBudget) {
  // budget 100 × 1 % = 1.00; the minimum 0.01 lot at 25 pips risks 0.01 × 250 = 2.50 > 1.00.
  const auto r = SizeLots(TenUsdPerPip(100, 1.0, 25));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "min_lot_exceeds_risk");
  EXPECT_NE(r.error().message.find("0.01"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("2.50 USD"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("1.00 USD"), std::string::npos) << r.error().message;
}

TEST(SizeLots, MinimumLotExactlyAtTheBudgetIsAllowed) {
  // budget 250 × 1 % = 2.50 = the 0.01 lot's risk at 25 pips → 0.01 lots, risk 2.50.
  const auto r = SizeLots(TenUsdPerPip(250, 1.0, 25));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->lots, 0.01);
  EXPECT_DOUBLE_EQ(r->risk_money, 2.50);
}

TEST(SizeLots, ZeroOrNegativeBalanceIsAMinLotRefusal) {
  EXPECT_EQ(SizeLots(TenUsdPerPip(0, 2.0, 25)).error().code, "min_lot_exceeds_risk");
  EXPECT_EQ(SizeLots(TenUsdPerPip(-50, 2.0, 25)).error().code, "min_lot_exceeds_risk");
}

TEST(SizeLots, RejectsImpossibleInput) {
  EXPECT_EQ(SizeLots(TenUsdPerPip(10000, 2.0, 0)).error().code, "bad_sizing_input");
  SizingInput in = TenUsdPerPip(10000, 2.0, 25);
  in.pip_value_per_lot = 0;
  EXPECT_EQ(SizeLots(in).error().code, "bad_sizing_input");
  in = TenUsdPerPip(10000, 2.0, 25);
  in.volume_step = 0;
  EXPECT_EQ(SizeLots(in).error().code, "bad_sizing_input");
  in = TenUsdPerPip(10000, 2.0, 25);
  in.volume_max = 0.001;  // below the minimum
  EXPECT_EQ(SizeLots(in).error().code, "bad_sizing_input");
  in = TenUsdPerPip(10000, 2.0, std::nan(""));
  EXPECT_EQ(SizeLots(in).error().code, "bad_sizing_input");
}

TEST(VolumeDecimals, FromTheStep) {
  EXPECT_EQ(VolumeDecimals(0.01), 2);
  EXPECT_EQ(VolumeDecimals(0.1), 1);
  EXPECT_EQ(VolumeDecimals(1), 0);
  EXPECT_EQ(VolumeDecimals(0.001), 3);
  EXPECT_EQ(VolumeDecimals(0.05), 2);
}

}  // namespace
}  // namespace bitten::missions
