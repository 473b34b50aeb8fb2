#include "telegram/messages.h"

#include <gtest/gtest.h>

namespace bitten::telegram {
namespace {

constexpr TimeMs k1405 = 1722261900000;  // 2024-07-29T14:05:00Z

AlertView Alert() {
  AlertView v;
  v.signal_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  v.symbol = "EURUSD";
  v.side = "BUY";
  v.signal_class = "RAPID_ASSAULT";
  v.confidence = 84;
  v.shield_band = "SHIELD_APPROVED";
  v.shield_score = 8.2;
  v.entry = "1.08501";
  v.sl = "1.08250";
  v.tp = "1.08750";
  v.sl_pips = 25.1;
  v.tp_pips = 24.9;
  v.expires_at = k1405;
  return v;
}

AlertTarget Target() { return {-1001234567890, "BittenBot", "hud"}; }

MissionDmView Mission() {
  MissionDmView v;
  v.mission_id = "0190f3b2-6c1d-7000-8000-00000000abcd";
  v.signal_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  v.symbol = "USDJPY";
  v.side = "SELL";
  v.signal_class = "PRECISION_STRIKE";
  v.lots = 0.12;
  v.risk_money = 30;
  v.reward_money = 45.5;
  v.currency = "USD";
  v.entry = "150.123";
  v.sl = "150.373";
  v.tp = "149.748";
  v.expires_at = k1405;
  v.can_fire = true;
  return v;
}

TEST(Messages, GroupAlertTextAndUrlButton) {
  const OutMessage m = GroupAlert(Alert(), Target());
  EXPECT_EQ(m.method, "sendMessage");
  EXPECT_EQ(m.params["chat_id"], -1001234567890);
  EXPECT_EQ(m.params["text"],
            "🎯 EURUSD BUY · RAPID_ASSAULT\n"
            "Confidence 84 · CITADEL SHIELD_APPROVED 8.2\n"
            "Entry 1.08501\n"
            "SL 1.08250 (25.1 pips)\n"
            "TP 1.08750 (24.9 pips)\n"
            "Expires 14:05 UTC");
  EXPECT_FALSE(m.params.contains("parse_mode"));
  const auto& kb = m.params["reply_markup"]["inline_keyboard"];
  ASSERT_EQ(kb.size(), 1u);
  ASSERT_EQ(kb[0].size(), 1u);
  EXPECT_EQ(kb[0][0]["text"], "🎯 View Mission");
  EXPECT_EQ(kb[0][0]["url"],
            "https://t.me/BittenBot/hud?startapp=0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d");
  EXPECT_FALSE(kb[0][0].contains("web_app"));  // groups may not carry web_app buttons
}

TEST(Messages, EditedAlertCarriesCountsAndExpiry) {
  AlertView v = Alert();
  v.fired = 3;
  v.filled = 2;
  OutMessage m = EditGroupAlert(v, Target(), 777);
  EXPECT_EQ(m.method, "editMessageText");
  EXPECT_EQ(m.params["message_id"], 777);
  EXPECT_EQ(m.params["chat_id"], -1001234567890);
  const std::string text = m.params["text"];
  EXPECT_TRUE(text.ends_with("Expires 14:05 UTC\n🔥 3 fired · ✅ 2 filled")) << text;
  EXPECT_EQ(m.params["reply_markup"]["inline_keyboard"][0][0]["text"], "🎯 View Mission");

  v.fired = 0;
  v.filled = 0;
  v.expired = true;
  m = EditGroupAlert(v, Target(), 777);
  EXPECT_TRUE(m.params["text"].get<std::string>().ends_with("UTC\n⌛ expired"));
}

TEST(Messages, CountdownLeadsTheStatusLineUntilExpired) {
  AlertView v = Alert();
  v.minutes_left = 12;
  EXPECT_TRUE(GroupAlertText(v).ends_with("Expires 14:05 UTC\n⏳ 12 min left")) << GroupAlertText(v);
  v.fired = 3;
  v.filled = 2;
  EXPECT_TRUE(GroupAlertText(v).ends_with("UTC\n⏳ 12 min left · 🔥 3 fired · ✅ 2 filled"))
      << GroupAlertText(v);
  v.minutes_left = 0;
  EXPECT_TRUE(GroupAlertText(v).ends_with("UTC\n⏳ 0 min left · 🔥 3 fired · ✅ 2 filled"));
  v.expired = true;  // the countdown gives way to "expired"
  EXPECT_TRUE(GroupAlertText(v).ends_with("UTC\n🔥 3 fired · ✅ 2 filled · ⌛ expired"))
      << GroupAlertText(v);
  v.minutes_left = -1;
  v.expired = false;
  EXPECT_TRUE(GroupAlertText(v).ends_with("UTC\n🔥 3 fired · ✅ 2 filled"));
}

TEST(Messages, MissionDmHasHudWebAppAndFireCallback) {
  const OutMessage m = MissionDm(Mission(), 555, "https://bitten.example/hud");
  EXPECT_EQ(m.method, "sendMessage");
  EXPECT_EQ(m.params["chat_id"], 555);
  EXPECT_EQ(m.params["text"],
            "🎯 Mission: USDJPY SELL · PRECISION_STRIKE\n"
            "Lots 0.12 · Risk 30.00 USD · Reward 45.50 USD\n"
            "Entry 150.123\nSL 150.373\nTP 149.748\n"
            "Expires 14:05 UTC");
  const auto& row = m.params["reply_markup"]["inline_keyboard"][0];
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[0]["text"], "🎯 Open HUD");
  EXPECT_EQ(row[0]["web_app"]["url"],
            "https://bitten.example/hud?mission=0190f3b2-6c1d-7000-8000-00000000abcd");
  EXPECT_EQ(row[1]["text"], "🔥 Fire");
  EXPECT_EQ(row[1]["callback_data"], "fire:0190f3b2-6c1d-7000-8000-00000000abcd");
}

TEST(Messages, BlockedMissionSaysWhyAndHasNoFireButton) {
  MissionDmView v = Mission();
  v.can_fire = false;
  v.blocked_reason = "Your tier (NIBBLER) may not fire PRECISION_STRIKE; FANG can.";
  const OutMessage m = MissionDm(v, 555, "https://bitten.example/hud");
  EXPECT_TRUE(m.params["text"].get<std::string>().ends_with(
      "UTC\n⛔ Your tier (NIBBLER) may not fire PRECISION_STRIKE; FANG can."));
  const auto& row = m.params["reply_markup"]["inline_keyboard"][0];
  ASSERT_EQ(row.size(), 1u);
  EXPECT_TRUE(row[0].contains("web_app"));
}

TEST(Messages, FireConfirmButtonsFitTelegramsCallbackDataLimit) {
  const OutMessage m = FireConfirm(Mission(), 555);
  EXPECT_EQ(m.params["text"], "Fire USDJPY SELL 0.12 lots?");
  const auto& row = m.params["reply_markup"]["inline_keyboard"][0];
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[0]["text"], "✅ Confirm");
  EXPECT_EQ(row[0]["callback_data"], "confirm:0190f3b2-6c1d-7000-8000-00000000abcd");
  EXPECT_EQ(row[1]["text"], "✖ Cancel");
  EXPECT_EQ(row[1]["callback_data"], "cancel:0190f3b2-6c1d-7000-8000-00000000abcd");
  for (const auto& b : row) EXPECT_LE(b["callback_data"].get<std::string>().size(), 64u);
}

TEST(Messages, ResultTexts) {
  FillView f{"EURUSD", "BUY", "1.08501", 0.12, 512331, "m1"};
  EXPECT_EQ(KillConfirmed(f, 9).params["text"],
            "✅ Kill Confirmed\nEURUSD BUY 0.12 lots @ 1.08501\nTicket 512331");
  CloseView c{"EURUSD", "BUY", "1.08750", 0.12, 512331, "m1", 29.16, "USD", "tp", 25};
  EXPECT_EQ(Closed(c, 9).params["text"],
            "🏁 Closed EURUSD BUY 0.12 lots @ 1.08750 (tp)\nP&L +29.16 USD · +25 XP");
  c.profit = -30.84;
  c.reason = "sl";
  c.xp = 0;
  EXPECT_EQ(Closed(c, 9).params["text"],
            "🏁 Closed EURUSD BUY 0.12 lots @ 1.08750 (sl)\nP&L -30.84 USD");
  EXPECT_EQ(Refused({"Fire EURUSD BUY", "terminal offline"}, 9).params["text"],
            "⛔ Fire EURUSD BUY refused: terminal offline");
  const OutMessage d = DeleteMessage(-100, 12);
  EXPECT_EQ(d.method, "deleteMessage");
  EXPECT_EQ(d.params, (nlohmann::json{{"chat_id", -100}, {"message_id", 12}}));
}

}  // namespace
}  // namespace bitten::telegram
