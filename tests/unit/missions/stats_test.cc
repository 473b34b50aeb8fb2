#include "missions/stats.h"

#include <gtest/gtest.h>

namespace bitten::missions {
namespace {

using venom::SignalClass;

TEST(TradePips, SignedBySide) {
  EXPECT_DOUBLE_EQ(TradePips(market::Side::kBuy, 1.08500, 1.08750, 0.0001), 25.0);
  EXPECT_DOUBLE_EQ(TradePips(market::Side::kSell, 1.08500, 1.08750, 0.0001), -25.0);
  EXPECT_DOUBLE_EQ(TradePips(market::Side::kSell, 150.000, 149.625, 0.01), 37.5);
  EXPECT_DOUBLE_EQ(TradePips(market::Side::kBuy, 2400.0, 2397.5, 0.1), -25.0);
}

TEST(StatsBook, CountsTradesWinRatePipsPnlAndStreaks) {
  StatsBook book;
  EXPECT_EQ(book.Get("u1").all.trades, 0);
  const nlohmann::json empty = ToJson(book.Get("u1"));
  EXPECT_TRUE(empty["win_rate"].is_null());

  book.Add("u1", {"EURUSD", SignalClass::kRapidAssault, 25.0, 30.00});
  book.Add("u1", {"EURUSD", SignalClass::kRapidAssault, 12.5, 15.10});
  book.Add("u1", {"USDJPY", SignalClass::kPrecisionStrike, -25.0, -20.05});
  book.Add("u1", {"XAUUSD", SignalClass::kPrecisionStrike, 30.0, 33.00});
  book.Add("u1", {"EURUSD", SignalClass::kRapidAssault, 0.0, 0.00});  // breakeven
  book.Add("u2", {"EURUSD", SignalClass::kRapidAssault, -10.0, -12.00});

  const UserStats& s = book.Get("u1");
  EXPECT_EQ(s.all.trades, 5);
  EXPECT_EQ(s.all.wins, 3);
  EXPECT_EQ(s.all.losses, 1);
  EXPECT_EQ(s.all.breakeven, 1);
  EXPECT_DOUBLE_EQ(s.all.pips, 42.5);
  EXPECT_DOUBLE_EQ(s.all.pnl, 58.05);
  EXPECT_EQ(s.best_streak, 2);
  EXPECT_EQ(s.streak, 1);  // the win after the loss; breakeven kept it

  const nlohmann::json j = ToJson(s);
  EXPECT_DOUBLE_EQ(j["win_rate"].get<double>(), 60.0);
  EXPECT_EQ(j["by_class"]["RAPID_ASSAULT"]["trades"], 3);
  EXPECT_EQ(j["by_class"]["PRECISION_STRIKE"]["wins"], 1);
  EXPECT_DOUBLE_EQ(j["by_class"]["PRECISION_STRIKE"]["win_rate"].get<double>(), 50.0);
  EXPECT_EQ(j["by_symbol"]["EURUSD"]["trades"], 3);
  EXPECT_DOUBLE_EQ(j["by_symbol"]["EURUSD"]["pips"].get<double>(), 37.5);
  EXPECT_DOUBLE_EQ(j["by_symbol"]["USDJPY"]["pnl"].get<double>(), -20.05);
  EXPECT_EQ(j["best_streak"], 2);

  // Users are independent.
  EXPECT_EQ(book.Get("u2").all.trades, 1);
  EXPECT_EQ(book.Get("u2").best_streak, 0);
}

}  // namespace
}  // namespace bitten::missions
