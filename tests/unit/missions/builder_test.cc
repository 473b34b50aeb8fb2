#include "missions/builder.h"

#include <gtest/gtest.h>

#include <set>

#include "base/uuid.h"

namespace bitten::missions {
namespace {

constexpr TimeMs kCreated = 1722261000000;  // 2024-07-29T13:50:00Z
constexpr TimeMs kExpires = 1722261900000;  // 2024-07-29T14:05:00Z

market::Instrument Eurusd() {
  market::Instrument i;
  i.symbol = "EURUSD";
  i.digits = 5;
  i.pip_size = 0.0001;
  i.contract_size = 100000;
  i.base_ccy = "EUR";
  i.quote_ccy = "USD";
  return i;
}

venom::Signal EurusdBuy(venom::SignalClass c = venom::SignalClass::kRapidAssault) {
  venom::Signal s;
  s.signal_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  s.symbol = "EURUSD";
  s.side = market::Side::kBuy;
  s.signal_class = c;
  s.setup = "ema_cross_rsi";
  s.entry = 1.08500;
  s.sl = 1.08250;  // 25.0 pips
  s.tp = 1.08875;  // 37.5 pips
  s.digits = 5;
  s.sl_pips = 25.0;
  s.tp_pips = 37.5;
  s.confidence = 78;
  s.shield = {6.4, venom::ShieldBand::kActive, "spread 1.1 pips (normal 1.0); ATR regime normal"};
  s.created_at = kCreated;
  s.expires_at = kExpires;
  return s;
}

User Trader(Tier tier, std::string terminal = "t1") {
  User u;
  u.user_id = "0190f3b2-6c1d-7000-8000-000000000001";
  u.name = "Ana";
  u.tier = tier;
  u.terminal_id = std::move(terminal);
  return u;
}

TierRules RulesOf(Tier t) { return DefaultTierRules()[static_cast<std::size_t>(t)]; }

const AccountView kUsd1500{true, 1500.0, "USD"};

TEST(BuildMission, SizesAndCopiesTheSignal) {
  SimClock clock(kCreated);
  // NIBBLER risks 2 %: 1500 × 2 % = 30; 25 pips × 10 USD = 250 per lot → 0.12 lots, risk 30.00;
  // reward 0.12 × 37.5 × 10 = 45.00.
  const Mission m = BuildMission(EurusdBuy(), Trader(Tier::kNibbler), RulesOf(Tier::kNibbler),
                                 kUsd1500, 10.0, Eurusd(), clock);
  EXPECT_TRUE(IsUuidV7(m.mission_id)) << m.mission_id;
  EXPECT_EQ(UuidV7Time(m.mission_id), kCreated);
  EXPECT_EQ(m.signal_id, "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d");
  EXPECT_EQ(m.user_id, "0190f3b2-6c1d-7000-8000-000000000001");
  EXPECT_EQ(m.symbol, "EURUSD");
  EXPECT_EQ(m.side, market::Side::kBuy);
  EXPECT_EQ(m.signal_class, venom::SignalClass::kRapidAssault);
  EXPECT_DOUBLE_EQ(m.entry, 1.085);
  EXPECT_DOUBLE_EQ(m.sl, 1.0825);
  EXPECT_DOUBLE_EQ(m.tp, 1.08875);
  EXPECT_EQ(m.digits, 5);
  EXPECT_DOUBLE_EQ(m.sl_pips, 25.0);
  EXPECT_DOUBLE_EQ(m.tp_pips, 37.5);
  EXPECT_DOUBLE_EQ(m.lots, 0.12);
  EXPECT_DOUBLE_EQ(m.risk_money, 30.00);
  EXPECT_DOUBLE_EQ(m.reward_money, 45.00);
  EXPECT_EQ(m.account_ccy, "USD");
  EXPECT_EQ(m.created_at, kCreated);
  EXPECT_EQ(m.expires_at, kExpires);
  EXPECT_EQ(m.status, MissionStatus::kPending);
  EXPECT_EQ(m.blocked_code, "");
  EXPECT_EQ(m.briefing, Briefing(m, EurusdBuy()));
}

TEST(BuildMission, TierThatMayNotFireTheClassSaysWhoMay) {
  SimClock clock(kCreated);
  const Mission m =
      BuildMission(EurusdBuy(venom::SignalClass::kPrecisionStrike), Trader(Tier::kNibbler),
                   RulesOf(Tier::kNibbler), kUsd1500, 10.0, Eurusd(), clock);
  EXPECT_EQ(m.blocked_code, "tier_not_allowed");
  EXPECT_NE(m.blocked_reason.find("PRECISION_STRIKE"), std::string::npos) << m.blocked_reason;
  EXPECT_NE(m.blocked_reason.find("FANG"), std::string::npos) << m.blocked_reason;
  EXPECT_DOUBLE_EQ(m.lots, 0.12);  // still sized: the HUD shows what an upgrade would trade
}

TEST(BuildMission, EveryTierGetsAMissionAndTheBlockedOnesSayWhy) {
  SimClock clock(kCreated);
  const auto signal = EurusdBuy(venom::SignalClass::kPrecisionStrike);
  std::set<std::string> ids;
  for (const TierRules& rules : DefaultTierRules()) {
    const Mission m =
        BuildMission(signal, Trader(rules.tier), rules, kUsd1500, 10.0, Eurusd(), clock);
    ids.insert(m.mission_id);
    const bool may = rules.tier == Tier::kFang || rules.tier == Tier::kCommander;
    EXPECT_EQ(m.blocked_code, may ? "" : "tier_not_allowed") << ToString(rules.tier);
  }
  EXPECT_EQ(ids.size(), 4u);
}

TEST(BuildMission, MinLotExceedsRisk) {
  SimClock clock(kCreated);
  // PRESS_PASS 1 % of 100 = 1.00; the 0.01 lot risks 0.01 × 25 × 10 = 2.50.
  const Mission m = BuildMission(EurusdBuy(), Trader(Tier::kPressPass), RulesOf(Tier::kPressPass),
                                 AccountView{true, 100.0, "USD"}, 10.0, Eurusd(), clock);
  EXPECT_EQ(m.blocked_code, "min_lot_exceeds_risk");
  EXPECT_NE(m.blocked_reason.find("2.50 USD"), std::string::npos) << m.blocked_reason;
  EXPECT_EQ(m.lots, 0);
  EXPECT_EQ(m.risk_money, 0);
  EXPECT_EQ(m.reward_money, 0);
}

TEST(BuildMission, NoTerminalOrUnknownAccount) {
  SimClock clock(kCreated);
  Mission m = BuildMission(EurusdBuy(), Trader(Tier::kFang, ""), RulesOf(Tier::kFang),
                           AccountView{}, 10.0, Eurusd(), clock);
  EXPECT_EQ(m.blocked_code, "no_terminal");
  EXPECT_NE(m.blocked_reason.find("no MT5 terminal"), std::string::npos) << m.blocked_reason;
  EXPECT_EQ(m.lots, 0);

  m = BuildMission(EurusdBuy(), Trader(Tier::kFang, "t7"), RulesOf(Tier::kFang), AccountView{},
                   10.0, Eurusd(), clock);
  EXPECT_EQ(m.blocked_code, "no_terminal");
  EXPECT_NE(m.blocked_reason.find("t7 has not reported"), std::string::npos) << m.blocked_reason;
  EXPECT_EQ(m.lots, 0);
}

TEST(BuildMission, NoPipValueMeansNotSized) {
  SimClock clock(kCreated);
  const Mission m = BuildMission(EurusdBuy(), Trader(Tier::kFang), RulesOf(Tier::kFang), kUsd1500,
                                 std::nullopt, Eurusd(), clock);
  EXPECT_EQ(m.blocked_code, "sizing_unavailable");
  EXPECT_EQ(m.lots, 0);
}

TEST(BuildMission, UsdjpyAndGoldUseThePipValueGiven) {
  SimClock clock(kCreated);
  market::Instrument jpy = Eurusd();
  jpy.symbol = "USDJPY";
  jpy.digits = 3;
  jpy.pip_size = 0.01;
  venom::Signal s = EurusdBuy();
  s.symbol = "USDJPY";
  s.digits = 3;
  s.entry = 150.000;
  s.sl = 149.800;  // 20 pips
  s.tp = 150.300;  // 30 pips
  s.sl_pips = 20;
  s.tp_pips = 30;
  // FANG 2 % of 5000 = 100; 20 × 6.6667 = 133.334 per lot → 0.74; risk 98.67;
  // reward 0.74 × 30 × 6.6667 = 148.0007 → 148.00.
  Mission m = BuildMission(s, Trader(Tier::kFang), RulesOf(Tier::kFang),
                           AccountView{true, 5000, "USD"}, 6.6667, jpy, clock);
  EXPECT_DOUBLE_EQ(m.lots, 0.74);
  EXPECT_DOUBLE_EQ(m.risk_money, 98.67);
  EXPECT_DOUBLE_EQ(m.reward_money, 148.00);

  market::Instrument gold = Eurusd();
  gold.symbol = "XAUUSD";
  gold.digits = 2;
  gold.pip_size = 0.1;
  gold.contract_size = 100;
  s.symbol = "XAUUSD";
  s.digits = 2;
  s.entry = 2400.00;
  s.sl = 2396.50;  // 35 pips of 0.1
  s.tp = 2405.25;  // 52.5 pips
  s.sl_pips = 35;
  s.tp_pips = 52.5;
  // 2 % of 25000 = 500; 35 × 10 = 350 per lot → 1.42; risk 497.00; reward 1.42 × 52.5 × 10 =
  // 745.50.
  m = BuildMission(s, Trader(Tier::kFang), RulesOf(Tier::kFang), AccountView{true, 25000, "USD"},
                   10.0, gold, clock);
  EXPECT_DOUBLE_EQ(m.lots, 1.42);
  EXPECT_DOUBLE_EQ(m.risk_money, 497.00);
  EXPECT_DOUBLE_EQ(m.reward_money, 745.50);
}

TEST(Briefing, PlainTextWithEveryFact) {
  SimClock clock(kCreated);
  const Mission m = BuildMission(EurusdBuy(), Trader(Tier::kNibbler), RulesOf(Tier::kNibbler),
                                 kUsd1500, 10.0, Eurusd(), clock);
  // R:R = 37.5 / 25 = 1.50; expiry 14:05 UTC.
  EXPECT_EQ(m.briefing,
            "EURUSD BUY | RAPID_ASSAULT | confidence 78\n"
            "Shield SHIELD_ACTIVE 6.4\n"
            "Entry 1.08500 | SL 1.08250 (25.0 pips) | TP 1.08875 (37.5 pips)\n"
            "Lot 0.12 | risk 30.00 USD | reward 45.00 USD | R:R 1:1.50\n"
            "Expires 14:05 UTC");
}

TEST(Briefing, BlockedMissionSaysWhy) {
  SimClock clock(kCreated);
  const Mission m = BuildMission(EurusdBuy(), Trader(Tier::kPressPass), RulesOf(Tier::kPressPass),
                                 AccountView{true, 100.0, "USD"}, 10.0, Eurusd(), clock);
  EXPECT_NE(m.briefing.find("Lot: not sized | R:R 1:1.50\n"), std::string::npos) << m.briefing;
  EXPECT_NE(m.briefing.find("\nCannot fire: The minimum lot 0.01 risks 2.50 USD"),
            std::string::npos)
      << m.briefing;
}

std::set<std::string> Keys(const nlohmann::json& j) {
  std::set<std::string> k;
  for (const auto& [key, value] : j.items()) k.insert(key);
  return k;
}

TEST(HudPayload, ExactlyTheContractFields) {
  SimClock clock(kCreated);
  const auto signal = EurusdBuy();
  const Mission m = BuildMission(signal, Trader(Tier::kNibbler), RulesOf(Tier::kNibbler), kUsd1500,
                                 10.0, Eurusd(), clock);
  const auto j = HudPayload(m, signal, RulesOf(Tier::kNibbler), std::nullopt);
  EXPECT_EQ(
      Keys(j),
      (std::set<std::string>{
          "mission_id", "signal_id", "user_id",    "symbol",       "side", "class",    "setup",
          "confidence", "shield",    "entry",      "sl",           "tp",   "digits",   "sl_pips",
          "tp_pips",    "lots",      "risk_money", "reward_money", "rr",   "currency", "created_at",
          "expires_at", "status",    "can_fire",   "blocked",      "tier", "briefing", "fire"}));
  EXPECT_EQ(Keys(j["shield"]),
            (std::set<std::string>{"score", "band", "explanation", "size_multiplier"}));
  EXPECT_EQ(Keys(j["tier"]), (std::set<std::string>{"name", "may_fire", "upgrade_to"}));

  EXPECT_EQ(j["mission_id"], m.mission_id);
  EXPECT_EQ(j["side"], "BUY");
  EXPECT_EQ(j["class"], "RAPID_ASSAULT");
  EXPECT_EQ(j["setup"], "ema_cross_rsi");
  EXPECT_EQ(j["confidence"], 78);
  EXPECT_EQ(j["shield"]["band"], "SHIELD_ACTIVE");
  EXPECT_DOUBLE_EQ(j["shield"]["score"].get<double>(), 6.4);
  EXPECT_DOUBLE_EQ(j["entry"].get<double>(), 1.085);
  EXPECT_DOUBLE_EQ(j["tp"].get<double>(), 1.08875);
  EXPECT_DOUBLE_EQ(j["lots"].get<double>(), 0.12);
  EXPECT_DOUBLE_EQ(j["risk_money"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(j["reward_money"].get<double>(), 45.0);
  EXPECT_DOUBLE_EQ(j["rr"].get<double>(), 1.5);
  EXPECT_EQ(j["currency"], "USD");
  EXPECT_EQ(j["created_at"], kCreated);
  EXPECT_EQ(j["expires_at"], kExpires);
  EXPECT_EQ(j["status"], "pending");
  EXPECT_EQ(j["can_fire"], true);
  EXPECT_TRUE(j["blocked"].is_null());
  EXPECT_EQ(j["tier"]["name"], "NIBBLER");
  EXPECT_EQ(j["tier"]["may_fire"], nlohmann::json::array({"RAPID_ASSAULT"}));
  EXPECT_TRUE(j["tier"]["upgrade_to"].is_null());
  EXPECT_EQ(j["briefing"], m.briefing);
  EXPECT_TRUE(j["fire"].is_null());
}

TEST(HudPayload, PricesRoundedToDigits) {
  SimClock clock(kCreated);
  auto signal = EurusdBuy();
  signal.entry = 1.0850000000000002;  // binary noise from arithmetic upstream
  const Mission m = BuildMission(signal, Trader(Tier::kNibbler), RulesOf(Tier::kNibbler), kUsd1500,
                                 10.0, Eurusd(), clock);
  const auto j = HudPayload(m, signal, RulesOf(Tier::kNibbler), std::nullopt);
  EXPECT_EQ(j["entry"].dump(), "1.085");
}

TEST(HudPayload, BlockedMissionNamesTheUpgrade) {
  SimClock clock(kCreated);
  const auto signal = EurusdBuy(venom::SignalClass::kPrecisionStrike);
  const Mission m = BuildMission(signal, Trader(Tier::kNibbler), RulesOf(Tier::kNibbler), kUsd1500,
                                 10.0, Eurusd(), clock);
  const auto j = HudPayload(m, signal, RulesOf(Tier::kNibbler), std::nullopt);
  EXPECT_EQ(j["can_fire"], false);
  EXPECT_EQ(j["blocked"]["code"], "tier_not_allowed");
  EXPECT_EQ(j["blocked"]["reason"], m.blocked_reason);
  EXPECT_EQ(j["tier"]["upgrade_to"], "FANG");
}

TEST(HudPayload, TierBlockFollowsTheViewersCurrentRules) {
  SimClock clock(kCreated);
  const auto signal = EurusdBuy(venom::SignalClass::kPrecisionStrike);
  const Mission m = BuildMission(signal, Trader(Tier::kNibbler), RulesOf(Tier::kNibbler), kUsd1500,
                                 10.0, Eurusd(), clock);
  ASSERT_EQ(m.blocked_code, "tier_not_allowed");
  // Upgraded to FANG since: the sized mission (0.12 lots) is fireable, as CheckFire would agree.
  auto j = HudPayload(m, signal, RulesOf(Tier::kFang), std::nullopt);
  EXPECT_TRUE(j["blocked"].is_null());
  EXPECT_EQ(j["can_fire"], true);
  EXPECT_TRUE(j["tier"]["upgrade_to"].is_null());
  EXPECT_EQ(j["tier"]["may_fire"], nlohmann::json::array({"RAPID_ASSAULT", "PRECISION_STRIKE"}));

  // Built for FANG, viewed after a downgrade to PRESS_PASS: blocked by tier.
  const Mission f = BuildMission(signal, Trader(Tier::kFang), RulesOf(Tier::kFang), kUsd1500, 10.0,
                                 Eurusd(), clock);
  j = HudPayload(f, signal, RulesOf(Tier::kPressPass), std::nullopt);
  EXPECT_EQ(j["blocked"]["code"], "tier_not_allowed");
  EXPECT_EQ(j["can_fire"], false);
  EXPECT_EQ(j["tier"]["upgrade_to"], "FANG");
}

TEST(HudPayload, FireFieldsNullUntilKnown) {
  SimClock clock(kCreated);
  const auto signal = EurusdBuy();
  Mission m = BuildMission(signal, Trader(Tier::kFang), RulesOf(Tier::kFang), kUsd1500, 10.0,
                           Eurusd(), clock);
  m.status = MissionStatus::kFired;
  Fire f;
  f.fire_id = "0190f3b2-6c1f-7000-8000-0000000000aa";
  f.mission_id = m.mission_id;
  f.status = FireStatus::kFired;
  f.fired_at = kCreated + 5000;
  auto j = HudPayload(m, signal, RulesOf(Tier::kFang), f);
  EXPECT_EQ(j["can_fire"], false);
  EXPECT_EQ(j["status"], "fired");
  EXPECT_EQ(Keys(j["fire"]), (std::set<std::string>{"fire_id", "status", "fired_at", "delivered_at",
                                                    "fill_price", "fill_volume", "ticket",
                                                    "close_price", "profit", "close_reason"}));
  EXPECT_EQ(j["fire"]["fired_at"], kCreated + 5000);
  EXPECT_TRUE(j["fire"]["delivered_at"].is_null());
  EXPECT_TRUE(j["fire"]["fill_price"].is_null());
  EXPECT_TRUE(j["fire"]["profit"].is_null());

  f.status = FireStatus::kClosed;
  f.delivered_at = kCreated + 6000;
  f.fill_price = 1.08501;
  f.fill_volume = 0.12;
  f.ticket = 512331;
  f.close_price = 1.0875;
  f.profit = 29.16;  // 30.00 - 0.84 commission
  f.close_reason = "tp";
  j = HudPayload(m, signal, RulesOf(Tier::kFang), f);
  EXPECT_EQ(j["fire"]["status"], "closed");
  EXPECT_EQ(j["fire"]["delivered_at"], kCreated + 6000);
  EXPECT_DOUBLE_EQ(j["fire"]["fill_price"].get<double>(), 1.08501);
  EXPECT_DOUBLE_EQ(j["fire"]["fill_volume"].get<double>(), 0.12);
  EXPECT_EQ(j["fire"]["ticket"], 512331);
  EXPECT_DOUBLE_EQ(j["fire"]["close_price"].get<double>(), 1.0875);
  EXPECT_DOUBLE_EQ(j["fire"]["profit"].get<double>(), 29.16);
  EXPECT_EQ(j["fire"]["close_reason"], "tp");
}

}  // namespace
}  // namespace bitten::missions
