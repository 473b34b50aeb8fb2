// The bot's intake: BotPoller long-polls getUpdates on its own thread and hands commands and button
// presses to a BotBackend that app/ implements (the backend posts to the core and answers through
// the outbox; telegram/ decides nothing about missions).
//
// Dispatch rules (CONTRACTS §5):
//   - Private chat: every message whose text starts with "/" goes to OnCommand (/start [payload],
//     /fire [id], /missions, /status, /stats, /xp, /help and any other); other text is ignored.
//   - Group or supergroup: only /help goes to OnCommand; everything else is ignored. A command
//     addressed to another bot ("/help@OtherBot") is ignored everywhere.
//   - Every callback query goes to OnCallback with the presser's identity (callback_query.from,
//     never the chat) and is answered with answerCallbackQuery carrying the backend's text
//     ("" = no toast).
// Commands are lowercased and stripped of "@<bot_username>"; args are the rest of the text,
// trimmed.
//
// Offsets: the next update id comes from load_offset() at start and is saved with save_offset()
// after each batch has been dispatched, so a restart neither loses nor (beyond one batch) repeats
// updates. Updates below the offset are skipped (a server that ignores offset).
//
// Errors: a 409 Conflict (another getUpdates consumer or a webhook on the same token) is logged as
// an operator-facing error and polling backs off for conflict_backoff_ms instead of fighting the
// other consumer; other failures back off error_backoff_ms. A server that answers getUpdates at
// once with no updates (the test emulator does not long-poll) is polled at most every
// idle_poll_ms.
//
// Thread-safety: Start() and Stop() from any thread; the backend and the offset functions are
// called only on the poller's thread. Stop() aborts a long poll in flight within about a second.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "telegram/bot_api.h"

namespace bitten::telegram {

struct TelegramUser {
  std::int64_t id = 0;
  std::string first_name;
  std::string last_name;
  std::string username;  // without "@", may be empty
};

// A command from a chat.
struct Update {
  std::int64_t update_id = 0;
  TelegramUser from;  // the sender (message.from)
  std::int64_t chat_id = 0;
  std::string chat_type;  // "private", "group", "supergroup"
  std::int64_t message_id = 0;
  std::string text;     // the whole text
  std::string command;  // "start", "fire", ... (lowercase, no "/", no "@bot")
  std::string args;     // the rest, trimmed ("" when none)
};

// Implemented by app/. Called on the poller's thread; keep each call short (post to the core).
class BotBackend {
 public:
  virtual ~BotBackend() = default;
  virtual void OnCommand(const Update& u) = 0;
  // A button press. `from` is who pressed; chat_id/message_id locate the message carrying the
  // button (0 when Telegram sends none). Returns the answerCallbackQuery text ("" for none).
  virtual std::string OnCallback(const TelegramUser& from, std::int64_t chat_id,
                                 std::int64_t message_id, const std::string& callback_query_id,
                                 const std::string& data) = 0;
};

// Parses one update object (as getUpdates returns it or a webhook receives it). Exposed for tests:
// returns the command for a message, nullopt for anything else (including non-commands).
std::optional<Update> ParseCommand(const nlohmann::json& update, const std::string& bot_username);

// Applies the dispatch rules above to one update (a getUpdates element or a webhook POST body):
// commands to backend.OnCommand, callback queries to backend.OnCallback and then answered through
// `api` (answerCallbackQuery). Used by BotPoller and by the webhook intake (app/webhook.h); call it
// from one thread at a time per `api`.
void DispatchUpdate(BotApi& api, BotBackend& backend, const nlohmann::json& update,
                    const std::string& bot_username);

class BotPoller {
 public:
  struct Options {
    BotApi::Options api;           // base URL, token; api.timeout_ms is raised to cover long polls
    std::string bot_username;      // without "@"; commands "@<other bot>" are ignored. Default: ""
    long long_poll_s = 25;         // getUpdates timeout. Default: 25
    long idle_poll_ms = 1000;      // minimum spacing of polls that return nothing. Default: 1000
    long error_backoff_ms = 5000;  // after a failed poll. Default: 5000
    long conflict_backoff_ms = 60000;  // after 409 Conflict. Default: 60000
  };
  using LoadOffset = std::function<std::int64_t()>;
  using SaveOffset = std::function<void(std::int64_t next_offset)>;

  // backend must outlive the poller. load/save may be empty (offset then starts at 0, not saved).
  BotPoller(Options options, BotBackend& backend, LoadOffset load_offset, SaveOffset save_offset);
  ~BotPoller();  // Stop()
  BotPoller(const BotPoller&) = delete;
  BotPoller& operator=(const BotPoller&) = delete;

  void Start();
  void Stop();  // idempotent

  // Counters for health pages and tests.
  std::int64_t polls() const { return polls_.load(); }
  std::int64_t conflicts() const { return conflicts_.load(); }

 private:
  void Run();
  void Dispatch(BotApi& api, const nlohmann::json& update);
  void Sleep(long ms);

  Options options_;
  BotBackend& backend_;
  LoadOffset load_offset_;
  SaveOffset save_offset_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> abort_{false};
  std::atomic<std::int64_t> polls_{0};
  std::atomic<std::int64_t> conflicts_{0};
  std::thread thread_;
};

}  // namespace bitten::telegram
