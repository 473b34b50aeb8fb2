#include "app/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <filesystem>

#include "app/api_admin.h"
#include "app/api_status.h"
#include "app/api_terminal.h"
#include "app/api_user.h"
#include "app/metrics.h"
#include "base/crypto.h"
#include "base/uuid.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/terminals.h"
#include "store/users.h"

namespace bitten::app {

// trade_result.txt read positions: loaded from kv on the thread that registers terminals (its own
// read-only connection), saved through the core so that an offset commits after the results it
// covers.
class Server::Positions final : public bridge::PositionStore {
 public:
  Positions(const store::Database& reader, Core& core) : reader_(reader), core_(core) {}

  Result<std::int64_t> Load(const std::string& terminal) override {
    auto v = store::KvGet(reader_, "result_offset:" + terminal);
    if (!v) return tl::unexpected(v.error());
    if (!*v) return std::int64_t{0};
    try {
      return static_cast<std::int64_t>(std::stoll(**v));
    } catch (...) {
      return Fail("store_corrupt", "kv result_offset:" + terminal + " is not a number");
    }
  }
  Status Save(const std::string& terminal, std::int64_t offset) override {
    core_.SaveResultOffset(terminal, offset);
    return Ok();
  }

 private:
  const store::Database& reader_;
  Core& core_;
};

Server::Server(const Config& config, const Clock& clock) : config_(config), clock_(clock) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Start(const Config& config, const Clock& clock) {
  std::unique_ptr<Server> server(new Server(config, clock));
  if (Status s = server->Init(); !s) {
    server->Stop();
    return tl::unexpected(s.error());
  }
  return server;
}

void Server::WakeOutbox() {
  if (sender_) sender_->Wake();
  if (log_sender_) log_sender_->Wake();
}

Status Server::Seed(const store::Database& reader) {
  const TimeMs now = clock_.NowMs();
  for (const TerminalConfig& tc : config_.terminals) {
    auto existing = store::GetTerminal(reader, tc.terminal_id);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) {
      if ((*existing)->secret_hex != tc.secret_hex) {
        // A secret rotated from the console outlives a config that still holds the secret it
        // replaced (core_admin.cc records that secret's hash); a config edited since wins.
        auto rotated_from = store::KvGet(reader, "secret_rotated_from:" + tc.terminal_id);
        if (!rotated_from) return tl::unexpected(rotated_from.error());
        if (*rotated_from && **rotated_from == Sha256Hex(tc.secret_hex)) {
          spdlog::warn(
              "terminal {}: keeping the secret rotated from the console; the config's "
              "[[terminals]] secret_hex is the old one, update it",
              tc.terminal_id);
          continue;
        }
        spdlog::warn(
            "terminal {}: the store's secret differs from the config's; using the config's",
            tc.terminal_id);
        const std::string id = tc.terminal_id, secret = tc.secret_hex;
        if (Status s = writer_->SubmitAndWait([id, secret](store::Txn& txn) {
              return store::SetTerminalSecret(txn, id, secret);
            });
            !s) {
          return s;
        }
      }
      continue;
    }
    store::Terminal t{tc.terminal_id, tc.secret_hex, tc.dir, now};
    if (Status s =
            writer_->SubmitAndWait([t](store::Txn& txn) { return store::InsertTerminal(txn, t); });
        !s) {
      return s;
    }
    spdlog::info("seeded terminal {} from the config", tc.terminal_id);
  }
  auto users = store::ListUsers(reader);
  if (!users) return tl::unexpected(users.error());
  for (const UserConfig& uc : config_.users) {
    const bool known = std::any_of(users->begin(), users->end(), [&](const missions::User& u) {
      return uc.telegram_id != 0 ? u.telegram_id == uc.telegram_id
                                 : (u.telegram_id == 0 && u.name == uc.name);
    });
    if (known) continue;
    missions::User u;
    u.user_id = NewUuidV7(clock_);
    u.telegram_id = uc.telegram_id;
    u.name = uc.name;
    u.tier = uc.tier;
    u.terminal_id = uc.terminal_id;
    u.created_at = now;
    if (Status s =
            writer_->SubmitAndWait([u](store::Txn& txn) { return store::InsertUser(txn, u); });
        !s) {
      return s;
    }
    users->push_back(u);
    spdlog::info("seeded user {} ({}) from the config", u.name, u.user_id);
  }
  return Ok();
}

Status Server::Init() {
  // 1. Store.
  auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadWrite);
  if (!db) return tl::unexpected(db.error());
  metrics_ = std::make_unique<Metrics>();
  store::WriterOptions wo;
  wo.on_commit = [m = metrics_.get()](std::size_t batch, std::int64_t commit_us,
                                      std::int64_t batch_us) {
    m->ObserveCommit(batch, commit_us, batch_us);
  };
  writer_ = std::make_unique<store::Writer>(std::move(*db), clock_, std::move(wo));
  auto reader = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
  if (!reader) return tl::unexpected(reader.error());
  reader_ = std::move(*reader);
  if (Status s = Seed(*reader_); !s) return s;

  // 2. Core.
  core_ = std::make_unique<Core>(config_, clock_, *writer_, [this] { WakeOutbox(); });
  core_->SetMetrics(metrics_.get());
  if (Status s = core_->Recover(*reader_); !s) return s;
  if (Status s = core_->RecoverAdmin(*reader_); !s) return s;

  // 3. Bridge: every terminal whose folder this server shares.
  positions_ = std::make_unique<Positions>(*reader_, *core_);
  Core* core = core_.get();
  bridge::TransportCallbacks callbacks;
  callbacks.on_delivered = [core](const std::string& terminal, const std::string& fire_id,
                                  TimeMs at) { core->OnDelivered(terminal, fire_id, at); };
  callbacks.on_result = [core](const std::string& terminal, const bridge::ResultRecord& record,
                               const std::string& line) { core->OnResult(terminal, record, line); };
  callbacks.on_heartbeat = [core](const std::string& terminal, const bridge::Heartbeat& hb,
                                  const std::string&) { core->OnHeartbeat(terminal, hb); };
  callbacks.on_undelivered = [core](const std::string& terminal, const std::string& fire_id,
                                    TimeMs since) {
    core->OnUndelivered(terminal, fire_id, since);
  };
  callbacks.on_error = [core](const std::string& terminal, const Error& e) {
    core->OnBridgeError(terminal, e);
  };
  // Terminals without a folder here take their commands by GET /api/bridge/next (HTTP transport).
  http_transport_ =
      std::make_unique<bridge::HttpTransport>(bridge::HttpTransport::Options{}, clock_, callbacks);
  routing_ = std::make_unique<bridge::RoutingTransport>();
  transport_ = std::make_unique<bridge::FileTransport>(bridge::FileTransport::Options{}, clock_,
                                                       *positions_, std::move(callbacks));
  bool any_folder = false;
  auto folder_of = std::make_shared<std::map<std::string, std::string>>();  // for rotations
  for (const store::Terminal& t : core_->terminals()) {
    std::string dir = t.dir;
    for (const TerminalConfig& tc : config_.terminals) {
      if (tc.terminal_id == t.terminal_id && !tc.dir.empty()) dir = tc.dir;
    }
    if (dir.empty()) {
      http_transport_->AddTerminal(t.terminal_id);
      routing_->Route(t.terminal_id, http_transport_.get());
      core_->SetTerminalHasFolder(t.terminal_id, true);  // a command path: the HTTP long poll
      continue;
    }
    auto secret = FromHex(t.secret_hex);
    if (!secret) return Fail("bad_config", "terminal " + t.terminal_id + ": secret is not hex");
    if (Status s = transport_->AddTerminal(t.terminal_id, dir, std::move(*secret)); !s) {
      return Fail(s.error().code,
                  "terminal " + t.terminal_id + " folder " + dir + ": " + s.error().message);
    }
    routing_->Route(t.terminal_id, transport_.get());
    core_->SetTerminalHasFolder(t.terminal_id, true);
    (*folder_of)[t.terminal_id] = dir;
    any_folder = true;
  }
  core_->SetTransport(routing_.get());
  // A secret rotated from the console reaches the file transport too (heartbeat/result lines).
  core_->SetSecretRotatedHook([this, folder_of](const std::string& id, const std::string& secret) {
    auto it = folder_of->find(id);
    if (it == folder_of->end()) return;
    if (Status s = transport_->AddTerminal(id, it->second, secret); !s) {
      spdlog::error("terminal {}: the file transport kept the old secret: {}", id,
                    s.error().message);
    }
  });
  core_->SetHttpTransport(http_transport_.get());

  // 4. Telegram.
  auto outbox_reader = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
  if (!outbox_reader) return tl::unexpected(outbox_reader.error());
  outbox_store_ = std::make_unique<StoreOutbox>(std::move(*outbox_reader), *writer_);
  if (!config_.telegram.token.empty()) {
    telegram::OutboxSender::Options o;
    o.api.base_url = config_.telegram.api_base;
    o.api.token = config_.telegram.token;
    sender_ = std::make_unique<telegram::OutboxSender>(o, *outbox_store_, clock_);
    const bool webhook = !config_.telegram.webhook_url.empty();
    if (webhook || config_.telegram.poll) {
      bot_backend_ = std::make_unique<CoreBotBackend>(*core_, config_, clock_);
      const std::string path = config_.store.path;
      store::Writer* writer = writer_.get();
      auto load_offset = [path]() -> std::int64_t {
        auto db = store::Database::Open(path, store::OpenMode::kReadOnly);
        if (!db) return 0;
        auto v = store::KvGet(**db, "telegram.offset");
        if (!v || !*v) return 0;
        try {
          return std::stoll(**v);
        } catch (...) {
          return 0;
        }
      };
      auto save_offset = [writer](std::int64_t next) {
        Status s = writer->SubmitAndWait([next](store::Txn& txn) {
          return store::KvSet(txn, "telegram.offset", std::to_string(next));
        });
        if (!s) spdlog::error("saving the Telegram update offset failed: {}", s.error().message);
      };
      if (webhook) {
        // One intake at a time (docs/telegram.md): the webhook replaces long polling.
        WebhookIntake::Options wh;
        wh.api = o.api;
        wh.bot_username = config_.telegram.bot_username;
        wh.url = config_.telegram.webhook_url;
        wh.secret = config_.telegram.webhook_secret;
        webhook_ = std::make_unique<WebhookIntake>(wh, *bot_backend_, load_offset, save_offset);
        if (Status s = webhook_->Register(); !s) return s;
      } else {
        telegram::BotPoller::Options po;
        po.api = o.api;
        po.bot_username = config_.telegram.bot_username;
        poller_ =
            std::make_unique<telegram::BotPoller>(po, *bot_backend_, load_offset, save_offset);
      }
    }
  } else {
    log_sender_ = std::make_unique<LogOutboxSender>(*outbox_store_, clock_);
    spdlog::info("telegram.token is empty: Telegram is off; outbox messages go to the log");
  }

  // 5. HTTP.
  auth_ = std::make_unique<Authenticator>(config_.auth, config_.telegram.token, clock_);
  router_ = std::make_unique<web::Router>();
  RegisterTerminalRoutes(*router_, *core_);
  RegisterUserRoutes(*router_, *core_, *auth_);
  StoreOutbox* outbox = outbox_store_.get();
  RegisterStatusRoutes(*router_, *core_, [outbox] { return outbox->depth(); });
  if (webhook_) webhook_->AddRoute(*router_);
  AdminRoutesOptions admin;
  admin.admin = config_.admin;
  admin.secure_cookie = config_.server.public_url.rfind("https://", 0) == 0;
  admin.store_path = config_.store.path;
  admin.web_root = config_.server.web_root;
  admin.outbox_depth = [outbox] { return outbox->depth(); };
  RegisterAdminRoutes(*router_, *core_, clock_, std::move(admin));
  router_->Get("/metrics", [this, outbox](const web::Request&, web::Responder responder) {
    const std::int64_t depth = outbox->depth();
    const store::WriterStats ws = writer_->stats();
    core_->Snapshot([this, responder = std::move(responder), depth, ws](CoreSnapshot s) {
      web::Response r;
      r.status = 200;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = metrics_->Render(s, ws, depth);
      r.headers.emplace_back("Cache-Control", "no-store");
      responder.Send(std::move(r));
    });
  });
  std::filesystem::path web_root = config_.server.web_root;
  if (!web_root.empty()) router_->ServeStatic("/hud/", web_root / "hud");
  // The chart library of the HUD and the console (docs/hud.md): lightweight-charts' own files as
  // npm installed them next to web/ (scripts/setup.sh), served by us: no CDN at run time.
  if (!web_root.empty()) {
    router_->ServeStatic(
        "/vendor/lightweight-charts/",
        (web_root / ".." / "node_modules" / "lightweight-charts" / "dist").lexically_normal());
  }
  web::ServerOptions ho;
  ho.address = config_.server.address;
  ho.port = config_.server.port;
  ho.io_threads = config_.server.io_threads;
  ho.clock = &clock_;
  http_ = std::make_unique<web::HttpServer>(ho, *router_);
  auto port = http_->Start();
  if (!port) {
    return Fail(port.error().code, "server.address/server.port " + config_.server.address + ":" +
                                       std::to_string(config_.server.port) + ": " +
                                       port.error().message);
  }
  port_ = *port;
  core_->SetHudUrl(config_.PublicUrl(port_) + "/hud/");

  // Everything is wired: start the threads.
  core_->Start();
  if (any_folder) {
    if (Status s = transport_->Start(); !s) return s;
  }
  http_transport_->Start();
  if (sender_) sender_->Start();
  if (log_sender_) log_sender_->Start();
  if (poller_) poller_->Start();
  if (webhook_) webhook_->Start();
  spdlog::info("bitten serve: listening on {}:{}", config_.server.address, port_);
  return Ok();
}

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (http_) http_->Stop();            // no new requests; open responders answer late or 500
  if (poller_) poller_->Stop();        // no new bot commands
  if (webhook_) webhook_->Stop();      // no new bot commands (queued ones answered 503)
  if (transport_) transport_->Stop();  // no new results, heartbeats or deliveries
  if (http_transport_) http_transport_->Stop();  // parked long polls answered 204
  if (core_) core_->Stop();  // every submitted store work answered, thread joined
  // Works submitted after the drain (a last housekeeping round) post their Done into the stopped
  // core: flush them while the core object still exists.
  if (writer_) (void)writer_->SubmitAndWait([](store::Txn&) { return Ok(); });
  if (sender_) sender_->Stop();
  if (log_sender_) log_sender_->Stop();
  poller_.reset();
  webhook_.reset();
  bot_backend_.reset();
  http_.reset();
  transport_.reset();
  http_transport_.reset();
  routing_.reset();
  sender_.reset();
  log_sender_.reset();
  outbox_store_.reset();
  core_.reset();
  positions_.reset();
  reader_.reset();
  writer_.reset();  // commits what is queued and joins
}

int RunServe(const Config& config) {
  RealClock clock;
  auto server = Server::Start(config, clock);
  if (!server) {
    spdlog::error("bitten serve: {}", server.error().message);
    return 1;
  }
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code& ec, int signo) {
    if (!ec) spdlog::info("bitten serve: signal {}, stopping", signo);
  });
  io.run();
  (*server)->Stop();
  spdlog::info("bitten serve: stopped cleanly");
  return 0;
}

}  // namespace bitten::app
