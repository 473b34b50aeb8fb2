#include "app/demo.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "app/admin_auth.h"
#include "app/config.h"
#include "app/dev_login.h"
#include "app/http_client.h"
#include "app/paper_bridge_cmd.h"
#include "app/server.h"
#include "app/terminals_cmd.h"
#include "app/users_cmd.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/uuid.h"
#include "bridge/paper_bridge.h"
#include "market/instrument.h"
#include "store/db.h"
#include "store/journal.h"
#include "store/terminals.h"
#include "store/users.h"
#include "store/writer.h"

namespace bitten::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTerminalId = "t1";
// Chat ids used when Telegram is off: the outbox still holds real messages, printed to the log.
constexpr std::int64_t kLogOnlyGroupChatId = -1000000000001;
constexpr std::int64_t kLogOnlyTraderTelegramId = 1000001;
constexpr const char* kTraderName = "Demo Trader";

struct DemoArgs {
  int port = 8080;
  std::vector<std::string> data;
  double speed = 60;
  std::string symbol = "EURUSD";
  bool symbol_given = false;
  std::uint64_t seed = 1;
  double for_seconds = 0;
  bool keep = false;
  std::string log_level = "info";
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// Removes the demo's temporary folder on every way out of RunDemo.
class TempFolder {
 public:
  explicit TempFolder(bool keep) : keep_(keep) {
    std::string pattern = (fs::temp_directory_path() / "bitten-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempFolder() {
    if (path_.empty() || keep_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

// Seeds the terminal and the trader into a fresh store before the server starts, so the server's
// startup recovery loads them like any operator-made rows.
Result<std::string> SeedStore(const std::string& db_path, const store::Terminal& terminal,
                              std::int64_t telegram_id, const Clock& clock) {
  auto db = store::Database::Open(db_path, store::OpenMode::kReadWrite);
  if (!db) return tl::unexpected(db.error());
  store::Writer writer(std::move(*db), clock);
  missions::User user;
  user.user_id = NewUuidV7(clock);
  user.telegram_id = telegram_id;
  user.name = kTraderName;
  user.tier = missions::Tier::kFang;
  user.terminal_id = terminal.terminal_id;
  user.created_at = clock.NowMs();
  Status s = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
    if (auto r = store::InsertTerminal(txn, terminal); !r) return r;
    if (auto r = store::InsertUser(txn, user); !r) return r;
    store::Event e;
    e.type = "user_added";
    e.user_id = user.user_id;
    e.terminal_id = user.terminal_id;
    e.payload = {{"name", user.name}, {"tier", "FANG"}, {"by", "demo"}};
    auto appended = store::AppendEvent(txn, e);
    if (!appended) return tl::unexpected(appended.error());
    return Ok();
  });
  if (!s) return tl::unexpected(s.error());
  return user.user_id;
}

int RunDemo(const DemoArgs& a) {
  SetupLogging({a.log_level});
  static const RealClock clock;
  TempFolder temp(a.keep);
  if (temp.path().empty())
    return ReportFailure("demo: cannot create a temporary folder in " +
                         fs::temp_directory_path().string());
  const fs::path terminal_dir = temp.path() / kTerminalId;
  std::error_code ec;
  fs::create_directories(terminal_dir, ec);
  if (ec) return ReportFailure(terminal_dir.string() + ": " + ec.message());

  // The configuration a careful operator would write for one paper terminal and one trader.
  Config config;
  config.log_level = a.log_level;
  config.server.address = "127.0.0.1";
  config.server.port = static_cast<std::uint16_t>(a.port);
  config.server.web_root = DefaultWebRoot();
  config.store.path = (temp.path() / "bitten.sqlite").string();
  config.auth.dev_login = true;
  config.auth.dev_login_secret_hex = ToHex(RandomBytes(32));
  // The Commander Throne opens with a password made for this run (printed below, never stored).
  const std::string admin_password = ToHex(RandomBytes(8));
  config.admin.password_hash = HashAdminPassword(admin_password);
  TerminalConfig terminal;
  terminal.terminal_id = kTerminalId;
  terminal.secret_hex = NewTerminalSecretHex();
  terminal.dir = terminal_dir.string();
  config.terminals.push_back(terminal);
  std::int64_t trader_telegram_id = 0;
  if (const std::string token = Env("BITTEN_TELEGRAM_TOKEN"); !token.empty()) {
    config.telegram.token = token;
    if (const std::string base = Env("BITTEN_TELEGRAM_API_BASE"); !base.empty()) {
      config.telegram.api_base = base;
    }
    if (const std::string group = Env("BITTEN_TELEGRAM_GROUP"); !group.empty()) {
      try {
        config.telegram.group_chat_id = std::stoll(group);
      } catch (const std::exception&) {
        return ReportFailure("demo: $BITTEN_TELEGRAM_GROUP is not a chat id: '" + group + "'");
      }
    }
    if (const std::string user = Env("BITTEN_TELEGRAM_USER"); !user.empty()) {
      try {
        trader_telegram_id = std::stoll(user);
      } catch (const std::exception&) {
        return ReportFailure("demo: $BITTEN_TELEGRAM_USER is not a Telegram user id: '" + user +
                             "'");
      }
    }
  } else {
    // Telegram off: placeholder chat ids so the group alert and the trader's DMs are still built,
    // queued in the outbox and shown in the log, exactly as they would be sent.
    config.telegram.group_chat_id = kLogOnlyGroupChatId;
    trader_telegram_id = kLogOnlyTraderTelegramId;
  }
  // Replay runs `speed` times faster than the clock that expiry is checked against, so a 15-minute
  // mission would span hours of replayed market. Scale the expiry to the replay (never below two
  // minutes, so a person can still open the HUD and fire); a mission fired after the market has run
  // through its stop is refused by the paper terminal as invalid stops, as a broker would.
  if (a.speed > 0) {
    const auto scaled = [&](std::int64_t ttl_s) {
      return std::max<std::int64_t>(120, static_cast<std::int64_t>(ttl_s / a.speed));
    };
    config.engine.rapid_ttl_s = scaled(config.engine.rapid_ttl_s);
    config.engine.precision_ttl_s = scaled(config.engine.precision_ttl_s);
  }
  if (auto s = config.Validate(); !s) return ReportFailure("demo: " + s.error().message);

  store::Terminal seeded_terminal{terminal.terminal_id, terminal.secret_hex, terminal.dir,
                                  clock.NowMs()};
  auto user_id = SeedStore(config.store.path, seeded_terminal, trader_telegram_id, clock);
  if (!user_id) return ReportFailure(user_id.error());

  // Quotes: check the data files before anything listens.
  FeedOptions feed_options;
  feed_options.data = a.data;
  feed_options.symbol = a.data.empty() || a.symbol_given ? a.symbol : std::string();
  feed_options.seed = a.seed;
  feed_options.start_time = clock.NowMs();
  auto feed = MakeTickSource(feed_options);
  if (!feed) return ReportFailure(feed.error());

  StopSignals signals;  // before any thread starts: workers inherit the blocked mask
  auto server = Server::Start(config, clock);
  if (!server) return ReportFailure("demo: " + server.error().message);
  const std::string url = config.PublicUrl((*server)->port());

  bridge::PaperBridge::Options options;
  options.dir = terminal_dir;
  options.terminal_id = kTerminalId;
  options.secret = *FromHex(terminal.secret_hex);
  HttpClientOptions http;
  http.base_url = url;
  http.connect_timeout_ms = 1000;
  http.timeout_ms = 3000;
  auto bridge = bridge::PaperBridge::Open(options, clock, market::InstrumentTable::Defaults(),
                                          MakeJsonPoster(http));
  if (!bridge) {
    (*server)->Stop();
    return ReportFailure(terminal_dir.string() + ": " + bridge.error().message);
  }

  const std::string token = MintDevToken(*FromHex(config.auth.dev_login_secret_hex), *user_id,
                                         clock.NowMs() + 24LL * 3600 * 1000);
  std::cout << "\nBITTEN demo is running.\n"
            << "  HUD (signed dev login for " << kTraderName << ", FANG):\n    "
            << HudLoginUrl(url, token) << "\n"
            << "  Status page:\n    " << url << "/status\n"
            << "  Commander Throne (admin console):\n    " << url << "/admin/  (password "
            << admin_password << ", valid for this run)\n"
            << "  Store: " << config.store.path << "\n"
            << "  Paper terminal " << kTerminalId << ": " << terminal_dir.string() << "\n"
            << "  Market: "
            << (a.data.empty() ? "seeded generator (" + feed_options.symbol + ", seed " +
                                     std::to_string(a.seed) + ")"
                               : std::to_string(a.data.size()) + " data file(s)")
            << " at " << a.speed << "x\n"
            << "  Telegram: "
            << (config.telegram.token.empty() ? "off (outbox shown in the log)"
                                              : "on via " + config.telegram.api_base)
            << "\n"
            << "Press Ctrl-C to stop.\n"
            << std::endl;

  std::jthread worker([&](std::stop_token stop) { (*bridge)->Run(**feed, a.speed, stop); });
  const int sig = signals.Wait(static_cast<long long>(a.for_seconds * 1000), nullptr);
  spdlog::info("demo: {}, stopping", sig != 0 ? "signal " + std::to_string(sig) : "time is up");
  worker.request_stop();
  worker.join();
  (*server)->Stop();
  if (!a.keep) spdlog::info("demo: removing {}", temp.path().string());
  return kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& root, CliAction* action) {
  CLI::App* cmd = root.add_subcommand(
      "demo", "Run the whole loop with no configuration: server, paper terminal, demo trader");
  auto a = std::make_shared<DemoArgs>();
  cmd->add_option("--port", a->port, "HTTP port (0 = any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--data", a->data, "Market data file(s) to replay (default: seeded generator)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--speed", a->speed, "Replay speed (x real time)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  CLI::Option* symbol =
      cmd->add_option("--symbol", a->symbol, "Generator symbol")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Generator seed")->capture_default_str();
  cmd->add_option("--for", a->for_seconds, "Stop after this many seconds (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--keep", a->keep, "Keep the temporary folder at exit");
  cmd->add_option("--log-level", a->log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  cmd->callback([a, action, symbol] {
    a->symbol_given = symbol->count() > 0;
    *action = [a] { return RunDemo(*a); };
  });
}

}  // namespace bitten::app
