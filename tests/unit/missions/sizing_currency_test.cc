// Sizing across quote currencies (CONTRACTS §1–2, issue 4 "pip value converted for any quote
// currency"): the default instrument table and market::PipValuePerLot with live quotes, then
// SizeLots and BuildMission. 10,000 in the account, 2 % risk (NIBBLER), a 25-pip stop: the budget
// is 200 in the account currency.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "base/clock.h"
#include "market/instrument.h"
#include "missions/builder.h"
#include "missions/sizing.h"

namespace bitten::missions {
namespace {

// Quotes by symbol (bid, ask), as the core's quote book holds them.
class Quotes final : public market::QuoteSource {
 public:
  Quotes& Set(const std::string& s, double bid, double ask) {
    q_[s] = {bid, ask};
    return *this;
  }
  std::optional<std::pair<double, double>> Quote(const std::string& s) const override {
    auto it = q_.find(s);
    if (it == q_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::pair<double, double>> q_;
};

struct Case {
  const char* symbol;
  const char* account;
  double expected_pip_value;  // account currency per pip per lot
  double expected_lots;       // 200 budget, 25-pip stop, 0.01 step
};

class SizingAcrossCurrencies : public ::testing::TestWithParam<Case> {};

TEST_P(SizingAcrossCurrencies, PipValueAndLots) {
  const Case c = GetParam();
  const auto table = market::InstrumentTable::Defaults();
  Quotes quotes;
  quotes.Set("EURUSD", 1.08, 1.0801)
      .Set("GBPUSD", 1.25, 1.2501)
      .Set("USDJPY", 150.00, 150.01)
      .Set("USDCHF", 0.90, 0.9001)
      .Set("EURJPY", 160.00, 160.02)
      .Set("EURGBP", 0.86, 0.8601);
  const market::Instrument* inst = table.Find(c.symbol);
  ASSERT_NE(inst, nullptr) << c.symbol;
  auto pv = market::PipValuePerLot(*inst, c.account, quotes);
  ASSERT_TRUE(pv) << pv.error().message;
  EXPECT_NEAR(*pv, c.expected_pip_value, 1e-3) << c.symbol << " in " << c.account;
  const double balance = 10000;
  const auto size = SizeLots(SizingInput{.balance = balance,
                                         .risk_pct = 2.0,
                                         .sl_pips = 25,
                                         .pip_value_per_lot = *pv,
                                         .volume_step = inst->volume_step,
                                         .volume_min = inst->volume_min,
                                         .volume_max = inst->volume_max,
                                         .size_multiplier = 1.0,
                                         .currency = c.account});
  ASSERT_TRUE(size) << size.error().message;
  EXPECT_DOUBLE_EQ(size->lots, c.expected_lots) << c.symbol << " in " << c.account;
  // Never more than the budget at the stop.
  EXPECT_LE(size->risk_money, 200.0 + 1e-9);
}

INSTANTIATE_TEST_SUITE_P(
    Defaults, SizingAcrossCurrencies,
    ::testing::Values(
        // Quote currency is the account currency: 0.0001 × 100000 = 10 USD.
        Case{"EURUSD", "USD", 10.0, 0.80},
        // Base is the account currency: 1000 JPY / 150.00 = 6.667 USD → 200 / 166.67 = 1.20.
        Case{"USDJPY", "USD", 6.6667, 1.20},
        // USDCHF: 10 CHF / 0.90 = 11.111 USD → 200 / 277.78 = 0.72.
        Case{"USDCHF", "USD", 11.1111, 0.72},
        // Cross through the direct pair: EURGBP pays 10 GBP × GBPUSD 1.25 = 12.5 USD → 0.64.
        Case{"EURGBP", "USD", 12.5, 0.64},
        // JPY cross through the inverse pair: 1000 JPY / USDJPY 150 = 6.667 USD → 1.20.
        Case{"EURJPY", "USD", 6.6667, 1.20},
        // Gold: 0.1 × 100 oz = 10 USD a pip → 0.80 at 25 pips.
        Case{"XAUUSD", "USD", 10.0, 0.80},
        // A EUR account: EURUSD pays 10 USD / 1.08 = 9.259 EUR → 200 / 231.48 = 0.86.
        Case{"EURUSD", "EUR", 9.2593, 0.86},
        // A EUR account, JPY quote: 1000 JPY / EURJPY 160 = 6.25 EUR → 200 / 156.25 = 1.28.
        Case{"GBPJPY", "EUR", 6.25, 1.28},
        // A GBP account, USD quote through GBPUSD: 10 USD / 1.25 = 8 GBP → 200 / 200 = 1.00.
        Case{"XAUUSD", "GBP", 8.0, 1.00}),
    // Stable names (symbol and account), so ctest's discovered names match every run.
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::string(info.param.symbol) + "_" + info.param.account;
    });

TEST(SizingAcrossCurrencies, MissingConversionQuoteNamesThePair) {
  const auto table = market::InstrumentTable::Defaults();
  Quotes quotes;  // nothing converts GBP to USD yet
  auto pv = market::PipValuePerLot(*table.Find("EURGBP"), "USD", quotes);
  ASSERT_FALSE(pv);
  EXPECT_EQ(pv.error().code, "no_quote");
  EXPECT_NE(pv.error().message.find("GBPUSD"), std::string::npos);
}

// The builder with broker specs and CITADEL's multiplier: the heartbeat's volume step/min/max
// replace the defaults, the shield's multiplier scales the budget, and a minimum lot above the
// budget blocks the mission with that reason.
TEST(BuildMissionSizing, BrokerSpecsAndShieldMultiplier) {
  SimClock clock(1722261000000);
  venom::Signal sig;
  sig.signal_id = "s1";
  sig.symbol = "USDJPY";
  sig.side = market::Side::kBuy;
  sig.signal_class = venom::SignalClass::kRapidAssault;
  sig.entry = 150.000;
  sig.sl = 149.750;
  sig.tp = 150.375;
  sig.digits = 3;
  sig.sl_pips = 25;
  sig.tp_pips = 37.5;
  sig.expires_at = clock.NowMs() + 900'000;
  User user;
  user.user_id = "u1";
  user.tier = Tier::kNibbler;
  user.terminal_id = "t1";
  const TierRules rules = DefaultTierRules()[static_cast<std::size_t>(Tier::kNibbler)];
  const AccountView account{true, 10000, "USD"};
  market::Instrument broker = *market::InstrumentTable::Defaults().Find("USDJPY");
  broker.volume_step = 0.1;  // a broker that trades tenths only
  broker.volume_min = 0.1;
  const double pip_value = 1000.0 / 150.0;

  Mission full = BuildMission(sig, user, rules, account, pip_value, broker, clock);
  EXPECT_TRUE(full.blocked_code.empty()) << full.blocked_reason;
  EXPECT_DOUBLE_EQ(full.lots, 1.2);
  EXPECT_DOUBLE_EQ(full.volume_step, 0.1);
  EXPECT_NEAR(full.risk_money, 200.0, 0.01);
  EXPECT_NEAR(full.reward_money, 300.0, 0.01);

  sig.shield.size_multiplier = 0.5;  // CITADEL halves the size
  Mission half = BuildMission(sig, user, rules, account, pip_value, broker, clock);
  EXPECT_DOUBLE_EQ(half.lots, 0.6);
  EXPECT_NE(half.briefing.find("size x0.50"), std::string::npos) << half.briefing;
  EXPECT_EQ(full.briefing.find("size x"), std::string::npos);
  EXPECT_DOUBLE_EQ(HudPayload(half, sig, rules, std::nullopt)["shield"]["size_multiplier"], 0.5);

  sig.shield.size_multiplier = 0.03;  // budget 6 USD < 0.1 lot × 25 pips × 6.67 = 16.67 USD
  Mission tiny = BuildMission(sig, user, rules, account, pip_value, broker, clock);
  EXPECT_EQ(tiny.lots, 0);
  EXPECT_EQ(tiny.blocked_code, "min_lot_exceeds_risk");
  EXPECT_NE(tiny.blocked_reason.find("16.67 USD"), std::string::npos) << tiny.blocked_reason;
  EXPECT_NE(tiny.briefing.find("Cannot fire"), std::string::npos);
}

}  // namespace
}  // namespace bitten::missions
