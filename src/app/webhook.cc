#include "app/webhook.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "base/crypto.h"
#include "base/thread_name.h"

namespace bitten::app {

using nlohmann::json;

WebhookIntake::WebhookIntake(Options options, telegram::BotBackend& backend, LoadOffset load_offset,
                             SaveOffset save_offset)
    : options_(std::move(options)),
      backend_(backend),
      load_offset_(std::move(load_offset)),
      save_offset_(std::move(save_offset)) {}

WebhookIntake::~WebhookIntake() { Stop(); }

Status WebhookIntake::Register() {
  telegram::BotApi api(options_.api);
  const telegram::CallResult r =
      api.Call("setWebhook", json{{"url", options_.url},
                                  {"secret_token", options_.secret},
                                  {"allowed_updates", json::array({"message", "callback_query"})},
                                  {"max_connections", 1}});
  if (!r.ok()) {
    return Fail("telegram_webhook", "telegram.webhook_url: setWebhook failed (" +
                                        std::string(telegram::ToString(r.kind)) + ": " +
                                        r.description + ")");
  }
  spdlog::info("telegram bot: webhook set (updates arrive at POST {})", kWebhookPath);
  return Ok();
}

void WebhookIntake::AddRoute(web::Router& router) {
  router.Post(kWebhookPath,
              [this](const web::Request& req, web::Responder r) { Handle(req, std::move(r)); });
}

void WebhookIntake::Handle(const web::Request& req, web::Responder responder) {
  if (!ConstantTimeEquals(req.Header("X-Telegram-Bot-Api-Secret-Token"), options_.secret)) {
    rejected_.fetch_add(1);
    responder.Send(
        web::JsonError(401, "unauthorized", "missing or wrong X-Telegram-Bot-Api-Secret-Token"));
    return;
  }
  json update = json::parse(req.body, nullptr, false);
  if (!update.is_object() || !update.contains("update_id") ||
      !update["update_id"].is_number_integer()) {
    rejected_.fetch_add(1);
    responder.Send(web::JsonError(400, "bad_request",
                                  "the body must be a Telegram Update object with an update_id"));
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queue) {
      responder.Send(web::JsonError(503, "busy", "the bot intake is busy or stopping"));
      return;
    }
    queue_.push_back(Pending{std::move(update), std::move(responder)});
  }
  cv_.notify_one();
}

void WebhookIntake::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void WebhookIntake::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<Pending> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (Pending& p : left) {
    p.responder.Send(web::JsonError(503, "busy", "the bot intake is stopping"));
  }
}

void WebhookIntake::Run() {
  SetThreadName("bitten-webhook");
  telegram::BotApi api(options_.api);
  std::int64_t offset = load_offset_ ? load_offset_() : 0;
  for (;;) {
    std::optional<Pending> p;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      p.emplace(std::move(queue_.front()));
      queue_.pop_front();
    }
    const std::int64_t id = p->update["update_id"].get<std::int64_t>();
    if (id >= offset) {
      telegram::DispatchUpdate(api, backend_, p->update, options_.bot_username);
      dispatched_.fetch_add(1);
      offset = id + 1;
      if (save_offset_) save_offset_(offset);
    }
    p->responder.Send(web::Json(200, json{{"ok", true}}));
  }
}

}  // namespace bitten::app
