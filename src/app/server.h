// `bitten serve`: the composition root that wires every module (ARCHITECTURE "Threads and
// ownership", docs/internals.md "Runtime"). Server::Start builds, in order:
//
//   1. the store: the read-write Database and its Writer thread; config users and terminals seeded
//      when missing (users matched by telegram_id, or by name when they have none);
//   2. the core (app/core.h), recovered from the store (live missions, fires, counters; overdue
//      missions expired; undelivered fires queued again);
//   3. the bridge FileTransport for every terminal with a folder (result offsets in kv through the
//      core, so an offset is never durable before the results it covers);
//   4. the outbox sender: telegram::OutboxSender when telegram.token is set, else LogOutboxSender
//      (messages printed to the log and marked sent); the BotPoller when the token is set and
//      telegram.poll is on, or the WebhookIntake (setWebhook, POST /telegram/webhook) instead when
//      telegram.webhook_url is set;
//   5. the HTTP server with every route (api_terminal.h, api_user.h, api_status.h, the Commander
//      Throne's api_admin.h, GET /metrics from app/metrics.h, /hud/ and /admin/ static).
//
// Stop() is orderly: HTTP intake and the bot stop first, then the transport, then the core drains
// (every submitted store work answered), then the senders, then the writer commits what is queued
// and joins. Start failures name the file or setting at fault and leave nothing running.
//
// Thread-safety: Start/Stop/port from the owning thread.
#pragma once

#include <cstdint>
#include <memory>

#include "app/auth.h"
#include "app/bot_backend.h"
#include "app/config.h"
#include "app/core.h"
#include "app/metrics.h"
#include "app/outbox_adapter.h"
#include "app/webhook.h"
#include "base/clock.h"
#include "base/error.h"
#include "bridge/http_transport.h"
#include "bridge/transport.h"
#include "store/writer.h"
#include "telegram/bot.h"
#include "telegram/outbox.h"
#include "web/router.h"
#include "web/server.h"

namespace bitten::app {

class Server {
 public:
  // `clock` must outlive the server (tests pass a SimClock; serve passes a RealClock).
  static Result<std::unique_ptr<Server>> Start(const Config& config, const Clock& clock);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound HTTP port (the ephemeral one when config.server.port is 0).
  std::uint16_t port() const { return port_; }
  // Orderly stop; idempotent.
  void Stop();

  // For tests and operators' tools in-process.
  Core& core() { return *core_; }
  store::Writer& writer() { return *writer_; }
  Metrics& metrics() { return *metrics_; }
  const Config& config() const { return config_; }

 private:
  class Positions;

  Server(const Config& config, const Clock& clock);
  Status Init();
  Status Seed(const store::Database& reader);
  void WakeOutbox();

  const Config config_;  // own copy: the core holds a reference to it
  const Clock& clock_;
  std::unique_ptr<Metrics> metrics_;  // GET /metrics; outlives the writer and the core
  std::unique_ptr<store::Writer> writer_;
  std::unique_ptr<store::Database> reader_;  // recovery and result offsets, owning thread only
  std::unique_ptr<Core> core_;
  std::unique_ptr<Positions> positions_;
  std::unique_ptr<bridge::FileTransport> transport_;
  std::unique_ptr<bridge::HttpTransport> http_transport_;  // terminals without a shared folder
  std::unique_ptr<bridge::RoutingTransport> routing_;      // each terminal to its transport
  std::unique_ptr<StoreOutbox> outbox_store_;
  std::unique_ptr<telegram::OutboxSender> sender_;
  std::unique_ptr<LogOutboxSender> log_sender_;
  std::unique_ptr<CoreBotBackend> bot_backend_;
  std::unique_ptr<telegram::BotPoller> poller_;
  std::unique_ptr<WebhookIntake> webhook_;  // instead of poller_ when telegram.webhook_url is set
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<web::Router> router_;
  std::unique_ptr<web::HttpServer> http_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

// Runs `bitten serve` until SIGINT or SIGTERM; 0 on a clean stop, 1 when start-up fails (the reason
// is logged, naming the file or setting).
int RunServe(const Config& config);

}  // namespace bitten::app
