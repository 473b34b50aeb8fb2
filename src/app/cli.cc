#include "app/cli.h"

#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "app/admin_cmd.h"
#include "app/audit_cmd.h"
#include "app/backtest_cmd.h"
#include "app/config.h"
#include "app/demo.h"
#include "app/paper_bridge_cmd.h"
#include "app/server.h"
#include "app/ta_cmd.h"
#include "app/terminals_cmd.h"
#include "app/users_cmd.h"
#include "base/clock.h"
#include "base/log.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::app {
namespace {

const RealClock& CliClock() {
  static const RealClock clock;
  return clock;
}

void AddServeCommand(CLI::App& root, CliAction* action) {
  CLI::App* cmd = root.add_subcommand(
      "serve",
      "Run the server: market data in, signals, missions, Telegram, HUD, fire API, bridge");
  auto config = std::make_shared<std::string>();
  cmd->add_option("--config", *config, "TOML configuration file (docs/config.md)")->required();
  cmd->callback([config, action] {
    *action = [config] {
      auto c = LoadValidConfig(*config);
      if (!c) return kExitRuntime;
      SetupLogging({c->log_level, c->log_format});
      if (c->server.web_root.empty()) c->server.web_root = DefaultWebRoot();
      return RunServe(*c);
    };
  });
}

}  // namespace

int ReportFailure(const std::string& message, int code) {
  std::fprintf(stderr, "bitten: %s\n", message.c_str());
  std::fflush(stderr);
  return code;
}

int ReportFailure(const Error& error, int code) {
  if (error.code == "usage") {
    std::fprintf(stderr, "bitten: %s (run with --help for usage)\n", error.message.c_str());
    return kExitUsage;
  }
  return ReportFailure(error.message, code);
}

Result<Config> LoadValidConfig(const std::string& path) {
  auto c = LoadConfig(path);
  if (!c) {
    ReportFailure(c.error());
    return c;
  }
  if (auto s = c->Validate(); !s) {
    ReportFailure("invalid configuration:\n" + s.error().message);
    return tl::unexpected(s.error());
  }
  return c;
}

Result<std::string> StoreTarget::Resolve() const {
  if (!db.empty()) return db;
  if (config.empty()) return Fail("usage", "name the store with --db FILE or --config FILE");
  auto c = LoadConfig(config);
  if (!c) return tl::unexpected(c.error());
  if (c->store.path.empty()) return Fail("invalid_config", config + ": store.path is empty");
  return c->store.path;
}

Result<std::shared_ptr<Config>> StoreTarget::LoadConfigIfAny() const {
  if (config.empty()) return std::shared_ptr<Config>();
  auto c = LoadConfig(config);
  if (!c) return tl::unexpected(c.error());
  return std::make_shared<Config>(std::move(*c));
}

void AddStoreOptions(CLI::App& cmd, StoreTarget& target) {
  CLI::Option* db = cmd.add_option("--db", target.db, "SQLite store file");
  CLI::Option* config =
      cmd.add_option("--config", target.config, "TOML configuration (its store.path is used)");
  db->excludes(config);
  config->excludes(db);
}

StopSignals::StopSignals() {
  static_assert(sizeof(sigset_t) <= sizeof(old_mask_));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &set, &old);
  std::memcpy(old_mask_, &old, sizeof(old));
  // A shell starts background jobs with SIGINT ignored, and an ignored signal may be discarded
  // before sigtimedwait sees it: give both signals a (never run, they stay blocked) handler
  // instead.
  struct sigaction action {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  static_assert(sizeof(struct sigaction) <= sizeof(old_int_));
  struct sigaction previous {};
  sigaction(SIGINT, &action, &previous);
  std::memcpy(old_int_, &previous, sizeof(previous));
  sigaction(SIGTERM, &action, &previous);
  std::memcpy(old_term_, &previous, sizeof(previous));
}

StopSignals::~StopSignals() {
  struct sigaction previous {};
  std::memcpy(&previous, old_int_, sizeof(previous));
  sigaction(SIGINT, &previous, nullptr);
  std::memcpy(&previous, old_term_, sizeof(previous));
  sigaction(SIGTERM, &previous, nullptr);
  sigset_t old;
  std::memcpy(&old, old_mask_, sizeof(old));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

int StopSignals::Wait(long long for_ms, const std::function<bool()>& done) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    if (done && done()) return 0;
    if (for_ms > 0) {
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
      if (elapsed >= for_ms) return 0;
    }
    timespec ts{0, 100 * 1000 * 1000};
    const int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return sig;
  }
}

Result<std::unique_ptr<store::Database>> OpenStoreReadOnly(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return Fail("store_missing", path + ": no such store file");
  }
  return store::Database::Open(path, store::OpenMode::kReadOnly);
}

Result<std::unique_ptr<store::Writer>> OpenStoreWriter(const std::string& path) {
  auto db = store::Database::Open(path, store::OpenMode::kReadWrite);
  if (!db) return tl::unexpected(db.error());
  return std::make_unique<store::Writer>(std::move(*db), CliClock());
}

int RunCli(int argc, char** argv) {
  CLI::App cli{"BITTEN: trading signals to missions to MT5 orders", "bitten"};
  cli.require_subcommand(1);
  cli.fallthrough(false);

  CliAction action;
  AddServeCommand(cli, &action);
  AddDemoCommand(cli, &action);
  AddPaperBridgeCommand(cli, &action);
  AddAuditCommand(cli, &action);
  AddUsersCommand(cli, &action);
  AddTerminalsCommand(cli, &action);
  AddAdminCommand(cli, &action);
  AddBacktestCommand(cli, &action);
  AddTaCommand(cli, &action);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);
    // One line: the reason, and where to look.
    std::fprintf(stderr, "bitten: %s (run with --help for usage)\n", e.what());
    return kExitUsage;
  }
  if (!action) {
    std::fprintf(stderr, "bitten: no command given (run with --help for usage)\n");
    return kExitUsage;
  }
  return action();
}

}  // namespace bitten::app
