#include "venom/citadel/shield.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/paths.h"
#include "market/reader.h"
#include "venom/citadel/exposure.h"
#include "venom/citadel/liquidity.h"
#include "venom/citadel/news_calendar.h"

namespace bitten::venom::citadel {
namespace {

using market::Side;

const market::InstrumentTable& Table() {
  static const market::InstrumentTable kTable = market::InstrumentTable::Defaults();
  return kTable;
}

TimeMs At(int day, int hour, int minute = 0) {
  return market::CivilToUnixMs(2014, 5, day, hour, minute);
}

TEST(Shield, SpreadComponent) {
  EXPECT_DOUBLE_EQ(SpreadScore(0.8, 1.0), 10);
  EXPECT_DOUBLE_EQ(SpreadScore(1.0, 1.0), 10);
  EXPECT_NEAR(SpreadScore(1.75, 1.0), 5, 1e-12);
  EXPECT_DOUBLE_EQ(SpreadScore(2.5, 1.0), 0);
  EXPECT_DOUBLE_EQ(SpreadScore(9.0, 1.0), 0);
  const Component missing = SpreadComponent(1.2, std::nullopt, "12 of 30 bars", 0.2);
  EXPECT_FALSE(missing.score);
  EXPECT_EQ(missing.detail, "12 of 30 bars");
}

TEST(Shield, VolatilityComponent) {
  EXPECT_DOUBLE_EQ(AtrRegimeScore(1.0, 1.0), 10);
  EXPECT_DOUBLE_EQ(AtrRegimeScore(1.5, 1.0), 10);
  EXPECT_NEAR(AtrRegimeScore(0.4, 1.0), 5, 1e-12);   // dead market
  EXPECT_NEAR(AtrRegimeScore(2.25, 1.0), 5, 1e-12);  // spike
  EXPECT_DOUBLE_EQ(AtrRegimeScore(3.5, 1.0), 0);
  EXPECT_FALSE(VolatilityComponent(2.0, std::nullopt, "ATR average warming up", 0.15).score);
  EXPECT_FALSE(VolatilityComponent(std::nullopt, 2.0, "ATR not ready", 0.15).score);
  const Component c = VolatilityComponent(4.5, 2.0, "", 0.15);
  ASSERT_TRUE(c.score);
  EXPECT_NEAR(*c.score, 10.0 * (3 - 2.25) / 1.5, 1e-12);
  EXPECT_NE(c.detail.find("volatile"), std::string::npos);
}

TEST(Shield, SessionComponentByUtcHour) {
  EXPECT_EQ(SessionScore(At(6, 13)), 10);
  EXPECT_EQ(SessionScore(At(6, 8)), 8);
  EXPECT_EQ(SessionScore(At(6, 17)), 6);
  EXPECT_EQ(SessionScore(At(6, 21)), 4);
  EXPECT_EQ(SessionScore(At(6, 2)), 3);
  EXPECT_STREQ(SessionName(At(6, 13, 30)), "London/New York overlap");
}

TEST(Shield, AlignmentComponent) {
  // M5 with, M15 with, H1 neutral, H4 against: (0.2 + 0.3 + 0.15 + 0) / 1.0.
  const Component c = AlignmentComponent(Side::kBuy, {1, 1, 0, -1}, 0.15);
  ASSERT_TRUE(c.score);
  EXPECT_NEAR(*c.score, 6.5, 1e-12);
  EXPECT_EQ(c.detail, "M5+ M15+ H1= H4-");
  // The same for a SELL is mirrored.
  EXPECT_NEAR(*AlignmentComponent(Side::kSell, {-1, -1, 0, 1}, 0.15).score, 6.5, 1e-12);
  // Only the ready timeframes count; fewer than two: insufficient data.
  EXPECT_NEAR(*AlignmentComponent(Side::kBuy, {1, -1, std::nullopt, std::nullopt}, 0.15).score, 4.0,
              1e-12);
  const Component few =
      AlignmentComponent(Side::kBuy, {1, std::nullopt, std::nullopt, std::nullopt}, 0.15);
  EXPECT_FALSE(few.score);
  EXPECT_NE(few.detail.find("fewer than 2 timeframes ready"), std::string::npos);
}

TEST(Shield, CombineIsTheWeightedMeanOfComponentsWithData) {
  ShieldOptions o;
  std::vector<Component> parts = {
      {"spread", 0.2, 10.0, "a"},
      {"volatility", 0.15, 5.0, "b"},
      {"news", 0.1, std::nullopt, "no calendar"},
      {"session", 0.1, 3.0, "Asia/rollover"},
      {"correlation", 0.15, 10.0, "no open exposure"},
  };
  const Shield sh = Combine(parts, o);
  EXPECT_NEAR(sh.score, std::round((2 + 0.75 + 0.3 + 1.5) / 0.6 * 100) / 100, 0.051);
  EXPECT_EQ(sh.band, BandForScore(sh.score));
  EXPECT_DOUBLE_EQ(sh.size_multiplier, o.SizeMultiplier(sh.band));
  EXPECT_NE(sh.explanation.find("news: insufficient data (no calendar)"), std::string::npos);
  EXPECT_NE(sh.explanation.find("spread 10.0 (a)"), std::string::npos);
}

TEST(Shield, TooLittleDataIsUnverifiedNotADefault) {
  ShieldOptions o;
  // Only the session (0.10) and the spread (0.20) have data: 0.3 of 1.0 < min_coverage 0.5.
  std::vector<Component> parts = {{"spread", 0.2, 10.0, "a"},
                                  {"volatility", 0.15, std::nullopt, "warming up"},
                                  {"alignment", 0.15, std::nullopt, "x"},
                                  {"session", 0.1, 10.0, "overlap"},
                                  {"liquidity", 0.15, std::nullopt, "y"},
                                  {"news", 0.1, std::nullopt, "no calendar"},
                                  {"correlation", 0.15, std::nullopt, "z"}};
  const Shield sh = Combine(parts, o);
  EXPECT_DOUBLE_EQ(sh.score, 3.9);
  EXPECT_EQ(sh.band, ShieldBand::kUnverified);
  EXPECT_DOUBLE_EQ(sh.size_multiplier, 0.25);
  EXPECT_EQ(sh.explanation.rfind("only 2 of 7 components have data", 0), 0u) << sh.explanation;
}

TEST(Shield, SizeMultiplierPerBand) {
  ShieldOptions o;
  EXPECT_DOUBLE_EQ(o.SizeMultiplier(ShieldBand::kApproved), 1.0);
  EXPECT_DOUBLE_EQ(o.SizeMultiplier(ShieldBand::kActive), 0.75);
  EXPECT_DOUBLE_EQ(o.SizeMultiplier(ShieldBand::kVolatilityZone), 0.5);
  EXPECT_DOUBLE_EQ(o.SizeMultiplier(ShieldBand::kUnverified), 0.25);
  o.size_active = 0.6;
  std::vector<Component> parts = {{"spread", 1.0, 7.0, "a"}};
  const Shield sh = Combine(parts, o);
  EXPECT_EQ(sh.band, ShieldBand::kActive);
  EXPECT_DOUBLE_EQ(sh.size_multiplier, 0.6);
}

std::deque<SwingBar> Bars(const std::vector<std::pair<double, double>>& hl) {
  std::deque<SwingBar> out;
  for (std::size_t i = 0; i < hl.size(); ++i) {
    out.push_back({static_cast<TimeMs>(i) * 300'000, hl[i].first, hl[i].second});
  }
  return out;
}

TEST(Shield, LiquidityComponentInPips) {
  ShieldOptions o;
  const market::Instrument& eur = *Table().Find("EURUSD");
  // Twelve M5 bars with one swing high at 1.38420 (bar 5) and one swing low at 1.38100 (bar 8).
  std::vector<std::pair<double, double>> hl(12, {1.38300, 1.38200});
  hl[5] = {1.38420, 1.38250};
  hl[8] = {1.38280, 1.38100};
  const auto bars = Bars(hl);
  // BUY at 1.38300, target 12 pips: the swing high 12 pips ahead (the round 1.38500 is further).
  Component c = LiquidityComponent(Side::kBuy, 1.38300, 12, eur, bars, o);
  ASSERT_TRUE(c.score);
  EXPECT_NEAR(*c.score, 10.0, 1e-9);
  c = LiquidityComponent(Side::kBuy, 1.38300, 24, eur, bars, o);
  EXPECT_NEAR(*c.score, 5.0, 1e-9);
  EXPECT_NE(c.detail.find("swing high 12.0 pips ahead"), std::string::npos) << c.detail;
  // SELL at 1.38300: the swing low is 20 pips below; the round number 1.38000 is 30.
  c = LiquidityComponent(Side::kSell, 1.38300, 40, eur, bars, o);
  EXPECT_NEAR(*c.score, 5.0, 1e-9);
  // BUY at 1.38480: the round number 1.38500 is 2 pips ahead of a 12-pip target.
  c = LiquidityComponent(Side::kBuy, 1.38480, 12, eur, bars, o);
  EXPECT_NEAR(*c.score, 10.0 * 2 / 12, 1e-6);
  EXPECT_NE(c.detail.find("round number"), std::string::npos);
  // USDJPY: the round number grid is 50 pips of 0.01 (0.50): 102.37 BUY, next level 102.50.
  const market::Instrument& jpy = *Table().Find("USDJPY");
  std::vector<std::pair<double, double>> flat(12, {102.30, 102.20});
  c = LiquidityComponent(Side::kBuy, 102.37, 26, jpy, Bars(flat), o);
  EXPECT_NEAR(*c.score, 5.0, 1e-6);
  // Too few bars: insufficient data.
  hl.resize(8);
  c = LiquidityComponent(Side::kBuy, 1.38300, 12, eur, Bars(hl), o);
  EXPECT_FALSE(c.score);
  EXPECT_EQ(c.detail, "8 of 12 M5 bars for swing levels");
}

TEST(NewsCalendar, ParsesTheDocumentedFormat) {
  auto cal = NewsCalendar::Parse(
      "# sample\n"
      "time_utc,currency,impact,title\n"
      "2014-05-02 12:30,USD,high,Non-Farm Payrolls, April\n"
      "\n"
      "2014-05-08T11:45:00Z,EUR,high,ECB rate decision\n"
      "2014-05-01 08:00,GBP,medium,Manufacturing PMI\r\n",
      "cal.csv");
  ASSERT_TRUE(cal) << cal.error().message;
  ASSERT_EQ(cal->events().size(), 3u);
  EXPECT_EQ(cal->events()[0].currency, "GBP");  // sorted by time
  EXPECT_EQ(cal->events()[1].title, "Non-Farm Payrolls, April");
  EXPECT_EQ(cal->events()[1].time, At(2, 12, 30));
  EXPECT_EQ(cal->events()[2].time, At(8, 11, 45));
  EXPECT_TRUE(cal->Covers(At(1, 0)));
  EXPECT_TRUE(cal->Covers(At(8, 23, 59)));
  EXPECT_FALSE(cal->Covers(At(9, 0)));
  EXPECT_FALSE(cal->Covers(market::CivilToUnixMs(2014, 4, 30, 23, 59)));
  // The window: 30 min before and after.
  const TimeMs m30 = 30 * 60'000;
  auto e = cal->Nearby(At(2, 12, 0), {"EUR", "USD"}, m30, m30);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->impact, Impact::kHigh);
  EXPECT_TRUE(cal->Nearby(At(2, 13, 0), {"XAU", "USD"}, m30, m30));
  EXPECT_FALSE(cal->Nearby(At(2, 13, 1), {"XAU", "USD"}, m30, m30));
  EXPECT_FALSE(cal->Nearby(At(2, 11, 59), {"XAU", "USD"}, m30, m30));
  EXPECT_FALSE(cal->Nearby(At(2, 12, 30), {"EUR", "JPY"}, m30, m30));  // not its currencies
}

TEST(NewsCalendar, ABadLineNamesFileLineAndWhat) {
  struct Case {
    const char* text;
    const char* want;
  };
  for (const Case& c : {
           Case{"time,ccy\n", "cal.csv:1: expected the header"},
           Case{"time_utc,currency,impact,title\n2014-05-02 12:30,USD,high\n",
                "cal.csv:2: expected 4 fields"},
           Case{"time_utc,currency,impact,title\n2014-05-02,USD,high,NFP\n",
                "cal.csv:2: time_utc '2014-05-02'"},
           Case{"time_utc,currency,impact,title\n\n2014-05-02 12:30,usd,high,NFP\n",
                "cal.csv:3: currency 'usd'"},
           Case{"time_utc,currency,impact,title\n2014-05-02 12:30,USD,huge,NFP\n",
                "cal.csv:2: impact 'huge'"},
           Case{"", "cal.csv: empty news calendar"},
       }) {
    auto cal = NewsCalendar::Parse(c.text, "cal.csv");
    ASSERT_FALSE(cal) << c.text;
    EXPECT_EQ(cal.error().code, "bad_data");
    EXPECT_EQ(cal.error().message.rfind(c.want, 0), 0u) << cal.error().message;
  }
  auto missing = NewsCalendar::Load("/nonexistent/calendar.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "io_error");
}

TEST(NewsCalendar, TheShippedSampleLoads) {
  auto cal = NewsCalendar::Load((testing::SourceDir() / "examples" / "news_calendar.csv").string());
  ASSERT_TRUE(cal) << cal.error().message;
  EXPECT_GT(cal->events().size(), 5u);
}

CloseSeries Series(const std::vector<double>& closes, TimeMs start = 0) {
  CloseSeries s;
  for (std::size_t i = 0; i < closes.size(); ++i) {
    s.emplace_back(start + static_cast<TimeMs>(i) * 900'000, closes[i]);
  }
  return s;
}

TEST(Correlation, ReturnCorrelationOnCommonReturns) {
  std::vector<double> a, inv;
  double p = 1.30;
  for (int i = 0; i < 40; ++i) {
    p *= 1 + 0.001 * std::sin(i * 1.7);  // a deterministic wiggle
    a.push_back(p);
    inv.push_back(1 / p);
  }
  int n = 0;
  auto same = ReturnCorrelation(Series(a), Series(a), &n);
  ASSERT_TRUE(same);
  EXPECT_NEAR(*same, 1.0, 1e-12);
  EXPECT_EQ(n, 39);
  auto opposite = ReturnCorrelation(Series(a), Series(inv), &n);
  EXPECT_NEAR(*opposite, -1.0, 1e-9);
  // Shifted by one bar in time: only the overlapping returns count.
  auto shifted = ReturnCorrelation(Series(a), Series(a, 900'000 * 10), &n);
  EXPECT_EQ(n, 29);
  EXPECT_TRUE(shifted);
  // No common bars at all.
  EXPECT_FALSE(ReturnCorrelation(Series(a), Series(a, 900'000 * 100), &n));
  EXPECT_EQ(n, 0);
}

TEST(Correlation, CurrencyLegOverlap) {
  const auto& eurusd = *Table().Find("EURUSD");
  const auto& gbpusd = *Table().Find("GBPUSD");
  const auto& usdjpy = *Table().Find("USDJPY");
  const auto& xauusd = *Table().Find("XAUUSD");
  EXPECT_DOUBLE_EQ(LegOverlap(eurusd, Side::kBuy, eurusd, Side::kBuy), 1.0);
  EXPECT_DOUBLE_EQ(LegOverlap(eurusd, Side::kBuy, eurusd, Side::kSell), -1.0);
  EXPECT_DOUBLE_EQ(LegOverlap(eurusd, Side::kBuy, gbpusd, Side::kBuy), 0.5);
  EXPECT_DOUBLE_EQ(LegOverlap(eurusd, Side::kBuy, usdjpy, Side::kBuy), -0.5);
  EXPECT_DOUBLE_EQ(LegOverlap(eurusd, Side::kSell, usdjpy, Side::kBuy), 0.5);
  EXPECT_DOUBLE_EQ(LegOverlap(xauusd, Side::kBuy, eurusd, Side::kBuy), 0.5);
  EXPECT_DOUBLE_EQ(CorrelationScore(0.3), 10);
  EXPECT_DOUBLE_EQ(CorrelationScore(0.6), 5);
  EXPECT_DOUBLE_EQ(CorrelationScore(0.9), 0);
  EXPECT_DOUBLE_EQ(CorrelationScore(-1), 10);
}

TEST(Correlation, ComponentCases) {
  ShieldOptions o;
  const auto& eurusd = *Table().Find("EURUSD");
  auto no_series = [](const std::string&) -> const CloseSeries* { return nullptr; };
  Component c = CorrelationComponent(eurusd, Side::kBuy, std::nullopt, Table(), no_series, o);
  EXPECT_FALSE(c.score);
  EXPECT_EQ(c.detail, "open exposure not supplied");
  c = CorrelationComponent(eurusd, Side::kBuy, std::vector<OpenPosition>{}, Table(), no_series, o);
  EXPECT_EQ(c.score, 10);
  EXPECT_EQ(c.detail, "no open exposure");
  // The worst position decides: GBPUSD BUY (0.5 by legs) and USDJPY BUY (-0.5).
  c = CorrelationComponent(
      eurusd, Side::kBuy, std::vector<OpenPosition>{{"USDJPY", Side::kBuy}, {"GBPUSD", Side::kBuy}},
      Table(), no_series, o);
  EXPECT_NEAR(*c.score, CorrelationScore(0.5), 1e-12);
  EXPECT_NE(c.detail.find("+0.50 with GBPUSD BUY (currency legs)"), std::string::npos);
  // With enough common returns the measured correlation replaces the leg rule.
  std::vector<double> a, b;
  double p = 1.3, q = 1.6;
  for (int i = 0; i < 60; ++i) {
    p *= 1 + 0.001 * std::sin(i * 1.7);
    q *= 1 + 0.001 * std::sin(i * 1.7 + 0.3);
    a.push_back(p);
    b.push_back(q);
  }
  const CloseSeries sa = Series(a), sb = Series(b);
  auto series = [&](const std::string& s) -> const CloseSeries* {
    return s == "EURUSD" ? &sa : (s == "GBPUSD" ? &sb : nullptr);
  };
  int n = 0;
  const double r = *ReturnCorrelation(sa, sb, &n);
  c = CorrelationComponent(eurusd, Side::kSell, std::vector<OpenPosition>{{"GBPUSD", Side::kBuy}},
                           Table(), series, o);
  EXPECT_NEAR(*c.score, CorrelationScore(-r), 1e-12);
  EXPECT_NE(c.detail.find("M15 returns, n=59"), std::string::npos) << c.detail;
}

}  // namespace
}  // namespace bitten::venom::citadel
