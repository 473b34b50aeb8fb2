#include "app/paper_bridge_cmd.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>
#include <utility>

#include "app/config.h"
#include "app/http_client.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/thread_name.h"
#include "bridge/paper_bridge.h"
#include "market/instrument.h"
#include "market/replay_feed.h"
#include "market/synthetic_feed.h"

namespace bitten::app {
namespace {

// Several feeds merged in time order (ties: the earlier file first).
class MergedFeed final : public market::TickSource {
 public:
  explicit MergedFeed(std::vector<std::unique_ptr<market::TickSource>> feeds)
      : feeds_(std::move(feeds)), heads_(feeds_.size()) {
    for (std::size_t i = 0; i < feeds_.size(); ++i) heads_[i] = feeds_[i]->Next();
  }

  std::optional<market::Tick> Next() override {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < heads_.size(); ++i) {
      if (heads_[i] && (!best || heads_[i]->time < heads_[*best]->time)) best = i;
    }
    if (!best) return std::nullopt;
    std::optional<market::Tick> out = std::move(heads_[*best]);
    heads_[*best] = feeds_[*best]->Next();
    return out;
  }

 private:
  std::vector<std::unique_ptr<market::TickSource>> feeds_;
  std::vector<std::optional<market::Tick>> heads_;
};

struct PaperBridgeArgs {
  std::string dir;
  std::string terminal;
  std::string secret_hex;
  std::string server;
  int poll_ms = 10;
  std::vector<std::string> data;
  std::string symbol = "EURUSD";
  bool symbol_given = false;
  double speed = 1;
  std::uint64_t seed = 1;
  double balance = 10000;
  std::string currency = "USD";
  long long heartbeat_ms = 5000;
  double for_seconds = 0;
  bool exit_at_end = false;
  std::string log_level = "info";
  int terminals = 1;
  int stops_level = 0;
  long long market_closed_after_ms = 0;
  bool quotes_from_server = false;
  long long quote_poll_ms = 250;
};

// With --terminals N > 1: terminal i (1-based) is "<terminal>-<i>" in folder
// "<dir>/<terminal>-<i>".
std::string TerminalIdOf(const PaperBridgeArgs& a, int i) {
  return a.terminals == 1 ? a.terminal : a.terminal + "-" + std::to_string(i);
}
std::filesystem::path DirOf(const PaperBridgeArgs& a, int i) {
  return a.terminals == 1 ? std::filesystem::path(a.dir)
                          : std::filesystem::path(a.dir) / TerminalIdOf(a, i);
}

int RunPaperBridge(const PaperBridgeArgs& a) {
  for (int i = 1; i <= a.terminals; ++i) {
    if (!IsValidTerminalId(TerminalIdOf(a, i))) {
      return ReportFailure(Error{"usage", "paper-bridge: --terminal '" + TerminalIdOf(a, i) +
                                              "' must match [a-z0-9][a-z0-9-]{0,31}"});
    }
  }
  if (!IsValidSecretHex(a.secret_hex)) {
    return ReportFailure(Error{"usage", "paper-bridge: --secret must be 64 hex digits"});
  }
  if (!a.server.starts_with("http://") && !a.server.starts_with("https://")) {
    return ReportFailure(
        Error{"usage", "paper-bridge: --server must be an http:// or https:// URL"});
  }
  if (a.currency.size() != 3) {
    return ReportFailure(Error{"usage", "paper-bridge: --currency must be a 3-letter code"});
  }
  SetupLogging({a.log_level});

  static const RealClock clock;
  HttpClientOptions http;
  http.base_url = a.server;
  http.connect_timeout_ms = 1000;
  http.timeout_ms = 3000;  // the bridge thread waits for the poster: keep it short

  // One feed and one bridge per terminal (each bridge is single-threaded and owns its feed).
  std::vector<std::unique_ptr<market::TickSource>> feeds;
  std::vector<std::unique_ptr<bridge::PaperBridge>> bridges;
  for (int i = 1; i <= a.terminals; ++i) {
    FeedOptions feed_options;
    feed_options.data = a.data;
    feed_options.symbol = a.data.empty() || a.symbol_given ? a.symbol : std::string();
    feed_options.seed = a.seed + static_cast<std::uint64_t>(i - 1);
    feed_options.start_time = clock.NowMs();
    auto feed = MakeTickSource(feed_options);
    if (!feed) return ReportFailure(feed.error());
    feeds.push_back(std::move(*feed));

    bridge::PaperBridge::Options options;
    options.dir = DirOf(a, i);
    options.terminal_id = TerminalIdOf(a, i);
    options.secret = *FromHex(a.secret_hex);
    options.currency = a.currency;
    options.balance = a.balance;
    options.poll_ms = a.poll_ms;
    options.heartbeat_every_ms = a.heartbeat_ms;
    options.exit_at_end = a.exit_at_end;
    options.stops_level_points = a.stops_level;
    options.market_closed_after_ms = a.market_closed_after_ms;
    options.stream_ticks = !a.quotes_from_server;  // the server's own ticks are not sent back
    auto bridge = bridge::PaperBridge::Open(options, clock, market::InstrumentTable::Defaults(),
                                            MakeJsonPoster(http));
    if (!bridge) return ReportFailure(options.dir.string() + ": " + bridge.error().message);
    bridges.push_back(std::move(*bridge));
    if (a.quotes_from_server) {
      spdlog::info("paper-bridge {}: folder {}, server {}, quotes from the server every {} ms",
                   options.terminal_id, options.dir.string(), a.server, a.quote_poll_ms);
      continue;
    }
    spdlog::info("paper-bridge {}: folder {}, server {}, {} at speed {}", options.terminal_id,
                 options.dir.string(), a.server,
                 a.data.empty()
                     ? "synthetic " + (a.symbol.empty() ? std::string("EURUSD") : a.symbol) +
                           " seed " + std::to_string(feed_options.seed)
                     : std::to_string(a.data.size()) + " data file(s)",
                 a.speed);
  }

  StopSignals signals;  // before the bridge threads start, so they inherit the blocked mask
  std::atomic<int> finished{0};
  std::vector<std::jthread> workers;
  for (std::size_t i = 0; i < bridges.size(); ++i) {
    workers.emplace_back([&, i](std::stop_token stop) {
      SetThreadName("paper-" + std::to_string(i + 1));
      if (a.quotes_from_server) {
        const bridge::QuoteFetcher fetch =
            MakeQuoteFetcher(http, bridges[i]->terminal_id(), *FromHex(a.secret_hex), clock);
        bridges[i]->RunOnQuotes(fetch, a.quote_poll_ms, stop);
      } else {
        bridges[i]->Run(*feeds[i], a.speed, stop);
      }
      ++finished;
    });
  }
  const int sig = signals.Wait(static_cast<long long>(a.for_seconds * 1000),
                               [&] { return finished.load() == static_cast<int>(bridges.size()); });
  if (sig != 0) spdlog::info("paper-bridge {}: signal {}, stopping", a.terminal, sig);
  for (auto& w : workers) w.request_stop();
  for (auto& w : workers) w.join();
  for (const auto& b : bridges) {
    spdlog::info("paper-bridge {}: stopped (next seq {}, {} reports waiting for retry)",
                 b->terminal_id(), b->next_seq(), b->pending_reports());
  }
  return kExitOk;
}

}  // namespace

bridge::QuoteFetcher MakeQuoteFetcher(HttpClientOptions http, std::string terminal_id,
                                      std::string secret, const Clock& clock) {
  // One client per fetcher; HttpClient keeps a curl handle per calling thread.
  auto client = std::make_shared<HttpClient>(std::move(http));
  return [client, terminal_id = std::move(terminal_id), secret = std::move(secret),
          &clock]() -> Result<std::vector<market::Tick>> {
    const std::string path = "/api/quotes?terminal=" + terminal_id;
    const TimeMs now = clock.NowMs();
    const HttpHeaders headers = {
        {"X-Bitten-Terminal", terminal_id},
        {"X-Bitten-Timestamp", std::to_string(now)},
        {"X-Bitten-Signature", bridge::SignRequest(secret, now, "GET", path, "")}};
    auto res = client->Send("GET", path, "", headers);
    if (!res) return tl::unexpected(res.error());
    if (res->status != 200) {
      return Fail("http_status", "GET " + client->base_url() + path + " answered " +
                                     std::to_string(res->status) + ": " + res->body);
    }
    auto batch = bridge::ParseTickBatch(res->body);
    if (!batch) return Fail("malformed", "GET /api/quotes: " + batch.error().message);
    if (batch->terminal != terminal_id) {
      return Fail("malformed", "GET /api/quotes answered for terminal '" + batch->terminal + "'");
    }
    return std::move(batch->ticks);
  };
}

Result<std::unique_ptr<market::TickSource>> MakeTickSource(const FeedOptions& options) {
  if (options.data.empty()) {
    const std::string symbol = options.symbol.empty() ? std::string("EURUSD") : options.symbol;
    return std::unique_ptr<market::TickSource>(
        std::make_unique<market::SyntheticFeed>(symbol, options.seed, options.start_time));
  }
  std::vector<std::unique_ptr<market::TickSource>> feeds;
  for (const std::string& file : options.data) {
    market::ReplayOptions replay;
    replay.symbol = options.symbol;
    replay.start_time = options.start_time;
    auto feed = market::ReplayFeed::Open(file, replay);
    if (!feed) {
      // Reader errors name the file already; make sure the message does in every case.
      const std::string& m = feed.error().message;
      return Fail(feed.error().code, m.find(file) == std::string::npos ? file + ": " + m : m);
    }
    feeds.push_back(std::make_unique<market::ReplayFeed>(std::move(*feed)));
  }
  if (feeds.size() == 1) return std::move(feeds.front());
  return std::unique_ptr<market::TickSource>(std::make_unique<MergedFeed>(std::move(feeds)));
}

void AddPaperBridgeCommand(CLI::App& root, CliAction* action) {
  CLI::App* cmd = root.add_subcommand(
      "paper-bridge", "Run a paper MT5 terminal (EA emulator) that is also the market feed");
  auto a = std::make_shared<PaperBridgeArgs>();
  cmd->add_option("--dir", a->dir, "The terminal's bridge folder (fire.txt, trade_result.txt)")
      ->required();
  cmd->add_option("--terminal", a->terminal, "terminal_id")->required();
  cmd->add_option("--secret", a->secret_hex, "The terminal's secret, 64 hex digits")->required();
  cmd->add_option("--server", a->server, "Server base URL, e.g. http://127.0.0.1:8080")->required();
  cmd->add_option("--poll-ms", a->poll_ms, "Fallback check for fire.txt")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  CLI::Option* data_opt =
      cmd->add_option("--data", a->data,
                      "Market data file(s) to replay (default: seeded generator)")
          ->check(CLI::ExistingFile);
  CLI::Option* symbol =
      cmd->add_option("--symbol", a->symbol, "Symbol (generator; overrides a data file's name)")
          ->capture_default_str();
  cmd->add_option("--speed", a->speed, "Replay speed (x real time; 0 = as fast as possible)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--seed", a->seed, "Generator seed")->capture_default_str();
  cmd->add_option("--balance", a->balance, "Paper account balance")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--currency", a->currency, "Account currency")->capture_default_str();
  cmd->add_option("--heartbeat-ms", a->heartbeat_ms, "Heartbeat cadence")
      ->capture_default_str()
      ->check(CLI::Range(100LL, 3600000LL));
  cmd->add_option("--for", a->for_seconds, "Stop after this many seconds (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--exit-at-end", a->exit_at_end, "Stop when the data ends");
  cmd->add_option("--terminals", a->terminals,
                  "Run N terminals in this process: ids <terminal>-1..N in <dir>/<terminal>-i, "
                  "all with --secret")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--stops-level", a->stops_level,
                  "Broker stops level in points (sl/tp closer to the price are refused, 10016)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--market-closed-after-ms", a->market_closed_after_ms,
                  "Refuse orders (10018 market closed) on a symbol quiet this long (0 = never)")
      ->capture_default_str()
      ->check(CLI::Range(0LL, 86400000LL));
  CLI::Option* from_server = cmd->add_flag(
      "--quotes-from-server", a->quotes_from_server,
      "Take quotes from the server's quote book (GET /api/quotes) instead of --data or the "
      "generator; no ticks are posted back");
  cmd->add_option("--quote-poll-ms", a->quote_poll_ms,
                  "How often --quotes-from-server asks the server for quotes")
      ->capture_default_str()
      ->check(CLI::Range(10LL, 60000LL));
  from_server->excludes(data_opt);
  cmd->add_option("--log-level", a->log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  cmd->callback([a, action, symbol] {
    a->symbol_given = symbol->count() > 0;
    *action = [a] { return RunPaperBridge(*a); };
  });
}

}  // namespace bitten::app
