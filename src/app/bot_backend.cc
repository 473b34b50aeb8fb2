#include "app/bot_backend.h"

#include "app/dev_login.h"
#include "base/crypto.h"
#include "base/format.h"
#include "base/uuid.h"
#include "telegram/messages.h"
#include "telegram/outbox.h"

namespace bitten::app {

namespace {

using nlohmann::json;

Principal Of(const telegram::TelegramUser& from) {
  Principal p;
  p.telegram_id = from.id;
  return p;
}

std::string ErrorText(const CoreReply& r) {
  if (r.body.contains("error")) return r.body["error"].value("message", std::string("refused"));
  return "refused";
}

std::string MissionLine(const json& m) {
  std::string line = m.value("symbol", "") + " " + m.value("side", "") + " · " +
                     m.value("class", "") + " · " + m.value("status", "");
  if (m.contains("lots") && m["lots"].is_number())
    line += " · " + FormatFixed(m["lots"].get<double>(), 2) + " lots";
  line += "\n  " + m.value("mission_id", "");
  return line;
}

telegram::MissionDmView ViewOf(const json& m) {
  telegram::MissionDmView v;
  v.mission_id = m.value("mission_id", "");
  v.signal_id = m.value("signal_id", "");
  v.symbol = m.value("symbol", "");
  v.side = m.value("side", "");
  v.signal_class = m.value("class", "");
  v.lots = m.value("lots", 0.0);
  v.risk_money = m.value("risk_money", 0.0);
  v.reward_money = m.value("reward_money", 0.0);
  v.currency = m.value("currency", "");
  v.expires_at = m.value("expires_at", TimeMs{0});
  v.can_fire = m.value("can_fire", false);
  return v;
}

}  // namespace

CoreBotBackend::CoreBotBackend(Core& core, const Config& config, const Clock& clock)
    : core_(core), clock_(clock) {
  if (config.auth.dev_login) {
    auto raw = FromHex(config.auth.dev_login_secret_hex);
    if (raw) dev_secret_ = std::move(*raw);
  }
}

std::string CoreBotBackend::HelpText() {
  return "BITTEN commands:\n"
         "/missions — your active missions\n"
         "/fire [mission_id] — fire a mission (no id: the newest one you can fire)\n"
         "/status — your terminal and today's limits\n"
         "/stats — today's fires, open positions and P&L\n"
         "/xp — your XP, level and rank\n"
         "/start — link this Telegram account\n"
         "/help — this list";
}

void CoreBotBackend::Reply(std::int64_t chat_id, const std::string& text,
                           const std::string& dedup_key) {
  core_.QueueMessage(telegram::PlainText(chat_id, text), telegram::kPriorityReply, dedup_key);
}

void CoreBotBackend::OnCommand(const telegram::Update& u) {
  const std::string key = "reply:" + std::to_string(u.update_id);
  if (u.chat_type != "private") {
    if (u.command == "help") Reply(u.chat_id, HelpText(), key);
    return;
  }
  if (u.command == "start") return Start(u);
  if (u.command == "fire") return FireCommand(u.from, u.chat_id, u.args, key);
  if (u.command == "missions") return Missions(u);
  if (u.command == "status") return Status(u);
  if (u.command == "stats") return Stats(u);
  if (u.command == "xp") return Xp(u);
  if (u.command == "help") return Reply(u.chat_id, HelpText(), key);
  Reply(u.chat_id, "Unknown command /" + u.command + ". Send /help for the list.", key);
}

ReplyFn CoreBotBackend::LinkedReply(std::int64_t chat, std::string key) {
  return [this, chat, key = std::move(key)](CoreReply r) {
    if (r.status == 200) {
      Reply(chat,
            "✅ Linked. Welcome to BITTEN, " + r.body.value("name", std::string()) +
                ". Missions will arrive here.\n\n" + HelpText(),
            key);
    } else {
      Reply(chat, "Could not link this account: " + ErrorText(r), key);
    }
  };
}

void CoreBotBackend::Start(const telegram::Update& u) {
  const std::string key = "reply:" + std::to_string(u.update_id);
  const std::int64_t chat = u.chat_id;
  if (u.args.rfind("link-", 0) == 0) {
    if (dev_secret_.empty()) {
      return Reply(chat, "Invite links are not enabled on this server. Ask your operator.", key);
    }
    auto user_id = VerifyDevToken(dev_secret_, u.args.substr(5), clock_.NowMs());
    if (!user_id) {
      return Reply(chat,
                   "This invite link is not valid (" + user_id.error().message +
                       "). Ask your operator for a new one.",
                   key);
    }
    core_.LinkTelegram(*user_id, u.from.id, LinkedReply(chat, key));
    return;
  }
  if (u.args.rfind("inv-", 0) == 0) {
    core_.RedeemInvite(u.args, u.from.id, LinkedReply(chat, key));
    return;
  }
  if (IsUuidV7(u.args)) {
    // A startapp payload: the signal id of a group alert's "View Mission" link.
    core_.GetMissionForSignal(Of(u.from), u.args, [this, chat, key](CoreReply r) {
      if (r.status != 200) return Reply(chat, ErrorText(r), key);
      std::string text = "Your mission:\n" + MissionLine(r.body);
      if (r.body.value("can_fire", false)) {
        text += "\nSend /fire " + r.body.value("mission_id", std::string()) + " to fire it.";
      }
      Reply(chat, text, key);
    });
    return;
  }
  core_.WhoIs(u.from.id, [this, chat, key](CoreReply r) {
    if (r.status == 200) {
      Reply(chat,
            "Welcome back, " + r.body.value("name", std::string()) + " (" +
                r.body.value("tier", std::string()) + ").\n\n" + HelpText(),
            key);
    } else {
      Reply(chat,
            "This Telegram account is not linked to BITTEN yet. Open the invite link your "
            "operator gave you to link it.",
            key);
    }
  });
}

void CoreBotBackend::FireCommand(const telegram::TelegramUser& from, std::int64_t chat_id,
                                 std::string mission_id, const std::string& dedup_key) {
  auto fire = [this, chat_id, dedup_key, from](const std::string& id) {
    core_.FireMission(Of(from), id, [this, chat_id, dedup_key, id](CoreReply r) {
      if (r.status == 202) {
        Reply(chat_id,
              "🔥 Fired. Fire " + r.body.value("fire_id", std::string()) +
                  " is on its way to your terminal.",
              dedup_key);
      } else if (r.status == 200) {
        Reply(chat_id,
              "Already fired: fire " + r.body.value("fire_id", std::string()) + " (" +
                  r.body.value("status", std::string()) + ").",
              dedup_key);
      } else {
        core_.QueueMessage(telegram::Refused({"Fire " + id.substr(0, 8), ErrorText(r)}, chat_id),
                           telegram::kPriorityReply, dedup_key);
      }
    });
  };
  if (!mission_id.empty()) {
    if (!IsUuidV7(mission_id)) {
      return Reply(chat_id, "That is not a mission id. Send /missions to see yours.", dedup_key);
    }
    return fire(mission_id);
  }
  // No id: the newest active mission that may be fired.
  core_.ListMissions(Of(from), "active", [this, chat_id, dedup_key, fire](CoreReply r) {
    if (r.status != 200) return Reply(chat_id, ErrorText(r), dedup_key);
    for (const json& m : r.body["missions"]) {
      if (m.value("can_fire", false)) return fire(m.value("mission_id", std::string()));
    }
    Reply(chat_id, "You have no mission to fire right now.", dedup_key);
  });
}

void CoreBotBackend::Missions(const telegram::Update& u) {
  const std::string key = "reply:" + std::to_string(u.update_id);
  const std::int64_t chat = u.chat_id;
  core_.ListMissions(Of(u.from), "active", [this, chat, key](CoreReply r) {
    if (r.status != 200) return Reply(chat, ErrorText(r), key);
    const json& list = r.body["missions"];
    if (list.empty()) return Reply(chat, "No active missions.", key);
    std::string text = "Active missions:";
    for (const json& m : list) text += "\n" + MissionLine(m);
    Reply(chat, text, key);
  });
}

void CoreBotBackend::Status(const telegram::Update& u) {
  const std::string key = "reply:" + std::to_string(u.update_id);
  const std::int64_t chat = u.chat_id;
  core_.GetMe(Of(u.from), [this, chat, key](CoreReply r) {
    if (r.status != 200) return Reply(chat, ErrorText(r), key);
    const json& limits = r.body["limits"];
    std::string text = "Fires today: " + std::to_string(limits.value("fires_used", 0)) + " of " +
                       std::to_string(limits.value("fires_allowed", 0)) +
                       "\nOpen: " + std::to_string(limits.value("open", 0)) + " of " +
                       std::to_string(limits.value("max_open", 0));
    const json& t = r.body["terminal"];
    if (t.is_null()) {
      text += "\nTerminal: none";
    } else {
      text += "\nTerminal " + t.value("terminal_id", std::string()) + ": " +
              (t.value("online", false) ? "online" : "offline");
    }
    Reply(chat, text, key);
  });
}

void CoreBotBackend::Stats(const telegram::Update& u) {
  const std::string key = "reply:" + std::to_string(u.update_id);
  const std::int64_t chat = u.chat_id;
  core_.GetMe(Of(u.from), [this, chat, key](CoreReply r) {
    if (r.status != 200) return Reply(chat, ErrorText(r), key);
    const json& limits = r.body["limits"];
    const json& t = r.body["terminal"];
    const std::string ccy =
        t.is_object() && t["currency"].is_string() ? " " + t["currency"].get<std::string>() : "";
    const double pnl = limits.value("daily_pnl", 0.0);
    std::string text = "Today: " + std::to_string(limits.value("fires_used", 0)) + " of " +
                       std::to_string(limits.value("fires_allowed", 0)) + " fires · " +
                       std::to_string(limits.value("open", 0)) + " of " +
                       std::to_string(limits.value("max_open", 0)) + " open\nP&L " +
                       (pnl >= 0 ? "+" : "") + FormatFixed(pnl, 2) + ccy;
    if (limits.contains("daily_loss_cap") && limits["daily_loss_cap"].is_number()) {
      text += " (loss cap " + FormatFixed(limits["daily_loss_cap"].get<double>(), 2) + ccy + ")";
    }
    Reply(chat, text, key);
  });
}

void CoreBotBackend::Xp(const telegram::Update& u) {
  const std::string key = "reply:" + std::to_string(u.update_id);
  const std::int64_t chat = u.chat_id;
  core_.GetMe(Of(u.from), [this, chat, key](CoreReply r) {
    if (r.status != 200) return Reply(chat, ErrorText(r), key);
    const json& user = r.body["user"];
    std::string text = "XP " + std::to_string(user.value("xp", std::int64_t{0}));
    // Level and rank come from the XP rules; shown only when the server defines them.
    if (user.contains("level") && user["level"].is_number_integer()) {
      text += " · level " + std::to_string(user["level"].get<std::int64_t>());
    }
    if (user.contains("rank") && user["rank"].is_string()) {
      text += " · " + user["rank"].get<std::string>();
    }
    Reply(chat, text, key);
  });
}

std::string CoreBotBackend::OnCallback(const telegram::TelegramUser& from, std::int64_t chat_id,
                                       std::int64_t /*message_id*/,
                                       const std::string& callback_query_id,
                                       const std::string& data) {
  const std::int64_t chat = chat_id != 0 ? chat_id : from.id;
  const std::string key = "callback:" + callback_query_id;
  const auto colon = data.find(':');
  const std::string action = data.substr(0, colon);
  const std::string id = colon == std::string::npos ? "" : data.substr(colon + 1);
  if (!IsUuidV7(id)) return "Unknown button.";
  if (action == "fire") {
    core_.GetMission(Of(from), id, [this, chat, key](CoreReply r) {
      if (r.status != 200) return Reply(chat, ErrorText(r), key);
      core_.QueueMessage(telegram::FireConfirm(ViewOf(r.body), chat), telegram::kPriorityReply,
                         key);
    });
    return "Confirm to fire.";
  }
  if (action == "confirm") {
    FireCommand(from, chat, id, key);
    return "Firing…";
  }
  if (action == "cancel") return "Cancelled.";
  return "Unknown button.";
}

}  // namespace bitten::app
