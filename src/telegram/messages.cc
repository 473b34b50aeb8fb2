#include "telegram/messages.h"

#include <vector>

#include "base/format.h"

namespace bitten::telegram {
namespace {

using nlohmann::json;

json UrlButton(const std::string& text, const std::string& url) {
  return json{{"text", text}, {"url", url}};
}
json WebAppButton(const std::string& text, const std::string& url) {
  return json{{"text", text}, {"web_app", {{"url", url}}}};
}
json CallbackButton(const std::string& text, const std::string& data) {
  return json{{"text", text}, {"callback_data", data}};
}
json Keyboard(std::vector<json> row) {
  return json{{"inline_keyboard", json::array({json(std::move(row))})}};
}

OutMessage Send(std::int64_t chat_id, std::string text) {
  return OutMessage{"sendMessage", json{{"chat_id", chat_id}, {"text", std::move(text)}}};
}

json AlertKeyboard(const AlertView& v, const AlertTarget& target) {
  return Keyboard({UrlButton("🎯 View Mission", MissionLink(target, v.signal_id))});
}

std::string Lots(double lots) { return FormatFixed(lots, 2); }
std::string Money(double money) { return FormatFixed(money, 2); }
std::string SignedMoney(double money) {
  const std::string s = FormatFixed(money, 2);
  return (s[0] == '-' || s == "0.00") ? s : "+" + s;
}

}  // namespace

std::string MissionLink(const AlertTarget& target, const std::string& signal_id) {
  return "https://t.me/" + target.bot_username + "/" + target.webapp_short_name +
         "?startapp=" + signal_id;
}

std::string GroupAlertText(const AlertView& v) {
  std::string t = "🎯 " + v.symbol + " " + v.side + " · " + v.signal_class + "\n";
  t += "Confidence " + std::to_string(v.confidence) + " · CITADEL " + v.shield_band + " " +
       FormatFixed(v.shield_score, 1) + "\n";
  t += "Entry " + v.entry + "\n";
  t += "SL " + v.sl + " (" + FormatFixed(v.sl_pips, 1) + " pips)\n";
  t += "TP " + v.tp + " (" + FormatFixed(v.tp_pips, 1) + " pips)\n";
  t += "Expires " + FormatHhMmUtc(v.expires_at);
  std::string counts;
  auto add = [&counts](const std::string& part) {
    if (!counts.empty()) counts += " · ";
    counts += part;
  };
  if (v.minutes_left >= 0 && !v.expired) add("⏳ " + std::to_string(v.minutes_left) + " min left");
  if (v.fired > 0) add("🔥 " + std::to_string(v.fired) + " fired");
  if (v.filled > 0) add("✅ " + std::to_string(v.filled) + " filled");
  if (v.expired) add("⌛ expired");
  if (!counts.empty()) t += "\n" + counts;
  return t;
}

OutMessage GroupAlert(const AlertView& v, const AlertTarget& target) {
  OutMessage m = Send(target.chat_id, GroupAlertText(v));
  m.params["reply_markup"] = AlertKeyboard(v, target);
  return m;
}

OutMessage EditGroupAlert(const AlertView& v, const AlertTarget& target, std::int64_t message_id) {
  return OutMessage{"editMessageText", json{{"chat_id", target.chat_id},
                                            {"message_id", message_id},
                                            {"text", GroupAlertText(v)},
                                            {"reply_markup", AlertKeyboard(v, target)}}};
}

OutMessage MissionDm(const MissionDmView& v, std::int64_t chat_id, const std::string& hud_url) {
  std::string t = "🎯 Mission: " + v.symbol + " " + v.side + " · " + v.signal_class + "\n";
  t += "Lots " + Lots(v.lots) + " · Risk " + Money(v.risk_money) + " " + v.currency + " · Reward " +
       Money(v.reward_money) + " " + v.currency + "\n";
  t += "Entry " + v.entry + "\nSL " + v.sl + "\nTP " + v.tp + "\n";
  t += "Expires " + FormatHhMmUtc(v.expires_at);
  if (!v.can_fire && !v.blocked_reason.empty()) t += "\n⛔ " + v.blocked_reason;
  std::vector<json> row{WebAppButton("🎯 Open HUD", hud_url + "?mission=" + v.mission_id)};
  if (v.can_fire) row.push_back(CallbackButton("🔥 Fire", "fire:" + v.mission_id));
  OutMessage m = Send(chat_id, std::move(t));
  m.params["reply_markup"] = Keyboard(std::move(row));
  return m;
}

OutMessage FireConfirm(const MissionDmView& v, std::int64_t chat_id) {
  OutMessage m = Send(chat_id, "Fire " + v.symbol + " " + v.side + " " + Lots(v.lots) + " lots?");
  m.params["reply_markup"] = Keyboard({CallbackButton("✅ Confirm", "confirm:" + v.mission_id),
                                       CallbackButton("✖ Cancel", "cancel:" + v.mission_id)});
  return m;
}

OutMessage KillConfirmed(const FillView& v, std::int64_t chat_id) {
  return Send(chat_id, "✅ Kill Confirmed\n" + v.symbol + " " + v.side + " " + Lots(v.volume) +
                           " lots @ " + v.price + "\nTicket " + std::to_string(v.ticket));
}

OutMessage Closed(const CloseView& v, std::int64_t chat_id) {
  std::string t = "🏁 Closed " + v.symbol + " " + v.side + " " + Lots(v.volume) + " lots @ " +
                  v.price + " (" + v.reason + ")\nP&L " + SignedMoney(v.profit) + " " + v.currency;
  if (v.xp != 0) t += " · " + std::string(v.xp > 0 ? "+" : "") + std::to_string(v.xp) + " XP";
  return Send(chat_id, std::move(t));
}

OutMessage Refused(const RefusalView& v, std::int64_t chat_id) {
  return Send(chat_id, "⛔ " + v.what + " refused: " + v.reason);
}

OutMessage PlainText(std::int64_t chat_id, const std::string& text) { return Send(chat_id, text); }

OutMessage DeleteMessage(std::int64_t chat_id, std::int64_t message_id) {
  return OutMessage{"deleteMessage", json{{"chat_id", chat_id}, {"message_id", message_id}}};
}

}  // namespace bitten::telegram
