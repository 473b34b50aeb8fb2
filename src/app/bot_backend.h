// The bot's commands and buttons (CONTRACTS §5), on top of the core: telegram::BotPoller calls this
// on its thread; every decision is posted to the core through the same entry points as the HTTP API
// (a /fire or a confirm:<id> button goes through Core::FireMission, with the same checks and the
// same one-time lock), and every answer goes out through the outbox (Core::QueueMessage).
//
//   /start [payload]   inv-<code>: redeems a one-time invite (`bitten users invite`) and links this
//                      Telegram account to its user; link-<dev token>: the same with a dev login
//                      token (needs auth.dev_login); <signal_id> (a startapp link): the caller's
//                      mission for that signal. Otherwise greets a known account, or explains how
//                      to get linked.
//   /fire [id]         fires the mission (none: the newest active, fireable one)
//   /missions          the caller's active missions
//   /status            terminal online?, fires left today
//   /stats             today's fires, open positions, P&L (and the loss cap when known)
//   /xp                XP (and level and rank when the server defines them)
//   /help              the command list (also in groups)
//   fire:<id>          button: asks for confirmation (FireConfirm)
//   confirm:<id>       button: fires; cancel:<id> dismisses
//
// Identity: the Telegram user who sent the command or pressed the button (update.from / callback
// from), never anything in the text. Thread-safe as the poller needs (one thread); holds no state.
#pragma once

#include <string>

#include "app/config.h"
#include "app/core.h"
#include "base/clock.h"
#include "telegram/bot.h"

namespace bitten::app {

class CoreBotBackend final : public telegram::BotBackend {
 public:
  // `core` and `clock` must outlive the backend.
  CoreBotBackend(Core& core, const Config& config, const Clock& clock);

  void OnCommand(const telegram::Update& u) override;
  std::string OnCallback(const telegram::TelegramUser& from, std::int64_t chat_id,
                         std::int64_t message_id, const std::string& callback_query_id,
                         const std::string& data) override;

  // The text /help answers.
  static std::string HelpText();

 private:
  void Reply(std::int64_t chat_id, const std::string& text, const std::string& dedup_key);
  void Start(const telegram::Update& u);
  // The answer to a link (a login link or an invite): welcome and help, or why it failed.
  ReplyFn LinkedReply(std::int64_t chat, std::string key);
  void FireCommand(const telegram::TelegramUser& from, std::int64_t chat_id, std::string mission_id,
                   const std::string& dedup_key);
  void Missions(const telegram::Update& u);
  void Status(const telegram::Update& u);
  void Stats(const telegram::Update& u);
  void Xp(const telegram::Update& u);

  Core& core_;
  std::string dev_secret_;  // raw; "" = link tokens off
  const Clock& clock_;
};

}  // namespace bitten::app
