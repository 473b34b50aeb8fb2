// What BITTEN says in Telegram (CONTRACTS §5), formatted from plain view structs that app/ fills
// from its own domain types (telegram/ knows nothing of Signal or Mission). Every function is pure
// and thread-safe and returns an OutMessage: the Bot API method and its JSON parameters, ready for
// the outbox. Texts are plain (no parse_mode), so no user-supplied text can break the markup.
//
// Exact texts ("·" is U+00B7; lines joined by "\n"; [..] only when the field is set):
//
// GroupAlert / EditGroupAlert (chat = AlertTarget.chat_id):
//   🎯 EURUSD BUY · RAPID_ASSAULT
//   Confidence 84 · CITADEL SHIELD_APPROVED 8.2
//   Entry 1.08501
//   SL 1.08250 (25.1 pips)
//   TP 1.08750 (24.9 pips)
//   Expires 14:05 UTC
//   [⏳ 12 min left · 🔥 3 fired · ✅ 2 filled · ⌛ expired]
//     (each part only when set: the countdown when minutes_left >= 0 and not expired, then
//     fired > 0, filled > 0, expired)
//   one url button "🎯 View Mission" →
//   https://t.me/<bot_username>/<webapp_short_name>?startapp=<signal_id>
//   (groups may not carry web_app buttons). The edit re-sends the whole text and the same button.
//
// MissionDm (chat = the user's private chat id):
//   🎯 Mission: EURUSD BUY · RAPID_ASSAULT
//   Lots 0.12 · Risk 30.00 USD · Reward 29.88 USD
//   Entry 1.08501
//   SL 1.08250
//   TP 1.08750
//   Expires 14:05 UTC
//   [⛔ <blocked_reason>]                          (when !can_fire and blocked_reason is set)
//   buttons: [web_app "🎯 Open HUD" → <hud_url>?mission=<mission_id>] [callback "🔥 Fire"
//   data "fire:<mission_id>"] (Fire only when can_fire).
//
// FireConfirm:  "Fire EURUSD BUY 0.12 lots?" buttons [callback "✅ Confirm" "confirm:<mission_id>"]
//               [callback "✖ Cancel" "cancel:<mission_id>"]
// KillConfirmed: "✅ Kill Confirmed\nEURUSD BUY 0.12 lots @ 1.08501\nTicket 512331"
// Closed:        "🏁 Closed EURUSD BUY 0.12 lots @ 1.08750 (tp)\nP&L +30.00 USD · +25 XP"
//                (P&L has an explicit sign; " · +N XP" only when xp != 0)
// Refused:       "⛔ <what> refused: <reason>"   e.g. "⛔ Fire EURUSD BUY refused: terminal offline"
// DeleteMessage: deleteMessage {chat_id, message_id}.
//
// Lots are shown with 2 decimals, money with 2 decimals; prices are passed in already formatted at
// the instrument's digits (the view's entry/sl/tp/price strings are printed as given).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"

namespace bitten::telegram {

// One Bot API call to make: "sendMessage", "editMessageText" or "deleteMessage" and its parameters
// (chat_id included).
struct OutMessage {
  std::string method;
  nlohmann::json params;
};

struct AlertView {
  std::string signal_id;
  std::string symbol;               // "EURUSD"
  std::string side;                 // "BUY" / "SELL"
  std::string signal_class;         // "RAPID_ASSAULT" / "PRECISION_STRIKE"
  int confidence = 0;               // 0–100
  std::string shield_band;          // "SHIELD_APPROVED", ...
  double shield_score = 0;          // 0–10, shown with one decimal
  std::string entry, sl, tp;        // formatted at the instrument's digits
  double sl_pips = 0, tp_pips = 0;  // shown with one decimal
  TimeMs expires_at = 0;
  int fired = 0;
  int filled = 0;
  bool expired = false;
  int minutes_left = -1;  // the countdown, whole minutes rounded up; -1 = not shown
};

struct AlertTarget {
  std::int64_t chat_id = 0;       // the group (negative id)
  std::string bot_username;       // without "@"
  std::string webapp_short_name;  // the Mini App's short name from @BotFather
};

struct MissionDmView {
  std::string mission_id;
  std::string signal_id;
  std::string symbol;
  std::string side;
  std::string signal_class;
  double lots = 0;
  double risk_money = 0;
  double reward_money = 0;
  std::string currency;  // account currency, "USD"
  std::string entry, sl, tp;
  TimeMs expires_at = 0;
  bool can_fire = false;
  std::string blocked_reason;  // why not, when !can_fire
};

struct FillView {
  std::string symbol;
  std::string side;
  std::string price;  // formatted at the instrument's digits
  double volume = 0;
  std::int64_t ticket = 0;
  std::string mission_id;
};

struct CloseView {
  std::string symbol;
  std::string side;
  std::string price;  // close price, formatted
  double volume = 0;
  std::int64_t ticket = 0;
  std::string mission_id;
  double profit = 0;  // net, account currency
  std::string currency;
  std::string reason;   // "tp", "sl", "manual", "so", "expert"
  std::int64_t xp = 0;  // XP awarded (0: no XP part)
};

struct RefusalView {
  std::string what;    // "Fire EURUSD BUY"
  std::string reason;  // words, "terminal offline"
};

std::string GroupAlertText(const AlertView& v);
// The Mini App direct link for a signal.
std::string MissionLink(const AlertTarget& target, const std::string& signal_id);

OutMessage GroupAlert(const AlertView& v, const AlertTarget& target);
OutMessage EditGroupAlert(const AlertView& v, const AlertTarget& target, std::int64_t message_id);

OutMessage MissionDm(const MissionDmView& v, std::int64_t chat_id, const std::string& hud_url);
OutMessage FireConfirm(const MissionDmView& v, std::int64_t chat_id);
OutMessage KillConfirmed(const FillView& v, std::int64_t chat_id);
OutMessage Closed(const CloseView& v, std::int64_t chat_id);
OutMessage Refused(const RefusalView& v, std::int64_t chat_id);
// A plain text message without buttons (command replies, /help).
OutMessage PlainText(std::int64_t chat_id, const std::string& text);
OutMessage DeleteMessage(std::int64_t chat_id, std::int64_t message_id);

}  // namespace bitten::telegram
