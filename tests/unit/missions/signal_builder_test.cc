// SignalMissionBuilder (the fan-out's builder, which renders what a signal's missions share once)
// against BuildMission and Briefing, the one-mission reference: same fields and byte-identical
// briefings for sized, unsized, blocked and CITADEL-scaled missions, other volume steps and
// instruments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/uuid.h"
#include "missions/builder.h"

namespace bitten::missions {
namespace {

constexpr TimeMs kCreated = 1722261000000;  // 2024-07-29T13:50:00Z

market::Instrument Instrument(const std::string& symbol, int digits, double pip, double step) {
  market::Instrument i;
  i.symbol = symbol;
  i.digits = digits;
  i.pip_size = pip;
  i.contract_size = 100000;
  i.volume_step = step;
  i.volume_min = step;
  i.volume_max = 100;
  return i;
}

venom::Signal Signal(const std::string& symbol, int digits, double entry, double sl, double tp,
                     double sl_pips, double tp_pips, venom::SignalClass c, double multiplier) {
  venom::Signal s;
  s.signal_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  s.symbol = symbol;
  s.side = market::Side::kSell;
  s.signal_class = c;
  s.setup = "ema_cross_rsi";
  s.entry = entry;
  s.sl = sl;
  s.tp = tp;
  s.digits = digits;
  s.sl_pips = sl_pips;
  s.tp_pips = tp_pips;
  s.confidence = 81;
  s.shield = {5.2, venom::ShieldBand::kActive, "news in 20 min", multiplier};
  s.created_at = kCreated;
  s.expires_at = kCreated + 23 * 60 * 1000 + 59'999;  // 14:13:59.999 UTC
  return s;
}

User Trader(Tier tier, std::string terminal) {
  User u;
  u.user_id = "0190f3b2-6c1d-7000-8000-0000000000a1";
  u.name = "Ana";
  u.tier = tier;
  u.terminal_id = std::move(terminal);
  return u;
}

struct Case {
  std::string terminal;
  AccountView account;
  std::optional<double> pip_value;
};

void ExpectSame(const Mission& a, const Mission& b, const std::string& what) {
  EXPECT_EQ(a.mission_id, b.mission_id) << what;
  EXPECT_EQ(a.signal_id, b.signal_id) << what;
  EXPECT_EQ(a.user_id, b.user_id) << what;
  EXPECT_EQ(a.symbol, b.symbol) << what;
  EXPECT_EQ(a.side, b.side) << what;
  EXPECT_EQ(a.signal_class, b.signal_class) << what;
  EXPECT_EQ(a.entry, b.entry) << what;
  EXPECT_EQ(a.sl, b.sl) << what;
  EXPECT_EQ(a.tp, b.tp) << what;
  EXPECT_EQ(a.digits, b.digits) << what;
  EXPECT_EQ(a.sl_pips, b.sl_pips) << what;
  EXPECT_EQ(a.tp_pips, b.tp_pips) << what;
  EXPECT_EQ(a.lots, b.lots) << what;
  EXPECT_EQ(a.volume_step, b.volume_step) << what;
  EXPECT_EQ(a.risk_money, b.risk_money) << what;
  EXPECT_EQ(a.reward_money, b.reward_money) << what;
  EXPECT_EQ(a.account_ccy, b.account_ccy) << what;
  EXPECT_EQ(a.created_at, b.created_at) << what;
  EXPECT_EQ(a.expires_at, b.expires_at) << what;
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_EQ(a.blocked_code, b.blocked_code) << what;
  EXPECT_EQ(a.blocked_reason, b.blocked_reason) << what;
  EXPECT_EQ(a.briefing, b.briefing) << what;
}

TEST(SignalMissionBuilder, SameMissionAndBriefingAsBuildMissionForEveryKindOfUser) {
  using venom::SignalClass;
  const std::vector<std::pair<venom::Signal, market::Instrument>> signals = {
      {Signal("EURUSD", 5, 1.085, 1.0875, 1.08125, 25, 37.5, SignalClass::kRapidAssault, 1.0),
       Instrument("EURUSD", 5, 0.0001, 0.01)},
      // CITADEL scaling, a class most tiers may not fire, a 0.1 lot step.
      {Signal("GBPUSD", 5, 1.27, 1.2722, 1.2667, 22, 33, SignalClass::kPrecisionStrike, 0.75),
       Instrument("GBPUSD", 5, 0.0001, 0.1)},
      // Three digits, whole lots, a multiplier of 0 (refused as min_lot_exceeds_risk).
      {Signal("USDJPY", 3, 150.0, 150.2, 149.7, 20, 30, SignalClass::kRapidAssault, 0.0),
       Instrument("USDJPY", 3, 0.01, 1.0)},
      // No stop distance (R:R 0), a 0.001 step.
      {Signal("XAUUSD", 2, 2400.0, 2400.0, 2395.5, 0, 45, SignalClass::kRapidAssault, 1.0),
       Instrument("XAUUSD", 2, 0.1, 0.001)},
  };
  const std::vector<Case> cases = {
      {"t1", {true, 1500.0, "USD"}, 10.0},
      {"t1", {true, 987654.32, "EUR"}, 9.1234},
      {"t1", {true, 100.0, "USD"}, 10.0},           // minimum lot exceeds the budget
      {"t1", {true, 1500.0, "USD"}, std::nullopt},  // no quote converts the pip value
      {"t2", {}, 10.0},                             // the terminal has not reported its account
      {"", {}, std::nullopt},                       // no terminal
  };
  int checked = 0;
  for (const auto& [signal, inst] : signals) {
    const SignalMissionBuilder builder(signal, inst);
    for (const TierRules& rules : DefaultTierRules()) {
      for (const Case& c : cases) {
        SimClock clock(kCreated + checked);
        const User user = Trader(rules.tier, c.terminal);
        const Mission want = BuildMission(signal, user, rules, c.account, c.pip_value, inst, clock);
        const Mission got =
            builder.Build(want.mission_id, want.created_at, user, rules, c.account, c.pip_value);
        const std::string what = signal.symbol + " " + std::string(ToString(rules.tier)) + " " +
                                 c.terminal + " " + c.account.currency;
        ExpectSame(got, want, what);
        EXPECT_EQ(got.briefing, Briefing(got, signal)) << what;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 4 * 4 * 6);
}

TEST(SignalMissionBuilder, BriefingOfASizedAndOfABlockedMission) {
  const auto signal =
      Signal("GBPUSD", 5, 1.27, 1.2722, 1.2667, 22, 33, venom::SignalClass::kPrecisionStrike, 0.75);
  const SignalMissionBuilder builder(signal, Instrument("GBPUSD", 5, 0.0001, 0.1));
  const auto rules = DefaultTierRules();
  // FANG may fire PRECISION_STRIKE: 2 % of 10000 = 200 × 0.75 = 150; 22 pips × 10 = 220 per lot
  // → 0.6 lots (step 0.1), risk 132.00, reward 0.6 × 33 × 10 = 198.00.
  const Mission fang =
      builder.Build("m1", kCreated, Trader(Tier::kFang, "t1"),
                    rules[static_cast<std::size_t>(Tier::kFang)], {true, 10000, "USD"}, 10.0);
  EXPECT_EQ(fang.briefing,
            "GBPUSD SELL | PRECISION_STRIKE | confidence 81\n"
            "Shield SHIELD_ACTIVE 5.2 | size x0.75\n"
            "Entry 1.27000 | SL 1.27220 (22.0 pips) | TP 1.26670 (33.0 pips)\n"
            "Lot 0.6 | risk 132.00 USD | reward 198.00 USD | R:R 1:1.50\n"
            "Expires 14:13 UTC");
  const Mission nibbler =
      builder.Build("m2", kCreated, Trader(Tier::kNibbler, ""),
                    rules[static_cast<std::size_t>(Tier::kNibbler)], {}, std::nullopt);
  EXPECT_EQ(nibbler.blocked_code, "tier_not_allowed");
  EXPECT_EQ(
      nibbler.briefing.substr(nibbler.briefing.find("Lot")),
      "Lot: not sized | R:R 1:1.50\nExpires 14:13 UTC\nCannot fire: " + nibbler.blocked_reason);
}

}  // namespace
}  // namespace bitten::missions
