// Webhook intake for the bot (the alternative to telegram::BotPoller; one or the other runs, never
// both: telegram.webhook_url set means webhook). Telegram POSTs each update to
// `POST /telegram/webhook` on this server:
//
//   - The X-Telegram-Bot-Api-Secret-Token header must equal telegram.webhook_secret (constant-time
//     compare): otherwise 401 {"error":{"code":"unauthorized"}} and nothing is dispatched.
//   - A body that is not a JSON object with an integer update_id: 400 bad_request.
//   - Otherwise the update is queued for the intake's own thread, which dispatches it with
//     telegram::DispatchUpdate (same rules as polling: commands, callbacks answered, groups only
//     /help) and only then answers 200 {"ok":true}. A crash before the answer makes Telegram
//     deliver it again; update ids at or below the last one dispatched are answered 200 and
//     skipped (the same offset kv key as polling), so a redelivery is not handled twice.
//   - Queue full (more than 1000 waiting): 503, Telegram retries later.
//
// Register() calls setWebhook {url, secret_token, allowed_updates [message, callback_query],
// max_connections 1} (one connection keeps updates in order). A failure is returned, not retried:
// the operator sees it at start.
//
// Thread-safety: the route handler runs on io threads and only queues; the backend, the BotApi and
// the offset functions are used only on the intake's thread. Start/Stop from one owner thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "base/error.h"
#include "telegram/bot.h"
#include "telegram/bot_api.h"
#include "web/http.h"
#include "web/router.h"

namespace bitten::app {

inline constexpr const char* kWebhookPath = "/telegram/webhook";

class WebhookIntake {
 public:
  struct Options {
    telegram::BotApi::Options api;  // base URL, token
    std::string bot_username;       // without "@"
    std::string url;                // the public URL given to setWebhook
    std::string secret;             // setWebhook secret_token
    std::size_t max_queue = 1000;   // updates waiting for the intake thread. Default: 1000
  };
  using LoadOffset = std::function<std::int64_t()>;
  using SaveOffset = std::function<void(std::int64_t next_offset)>;

  // backend must outlive the intake. load/save may be empty.
  WebhookIntake(Options options, telegram::BotBackend& backend, LoadOffset load_offset,
                SaveOffset save_offset);
  ~WebhookIntake();  // Stop()
  WebhookIntake(const WebhookIntake&) = delete;
  WebhookIntake& operator=(const WebhookIntake&) = delete;

  // Tells Telegram where to POST (setWebhook). Blocking; call before serving.
  Status Register();
  // Adds POST /telegram/webhook to the router (before the server starts).
  void AddRoute(web::Router& router);
  void Start();
  void Stop();  // answers queued requests 503 and joins; idempotent

  std::int64_t dispatched() const { return dispatched_.load(); }
  std::int64_t rejected() const { return rejected_.load(); }

 private:
  struct Pending {
    nlohmann::json update;
    web::Responder responder;
  };
  void Handle(const web::Request& req, web::Responder responder);
  void Run();

  Options options_;
  telegram::BotBackend& backend_;
  LoadOffset load_offset_;
  SaveOffset save_offset_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<std::int64_t> dispatched_{0};
  std::atomic<std::int64_t> rejected_{0};
};

}  // namespace bitten::app
