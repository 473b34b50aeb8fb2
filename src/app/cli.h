// The `bitten` command line (CONTRACTS §6, docs/cli.md). Usage errors exit 2 with a one-line
// reason; runtime failures exit 1 with a message naming the file, line or setting at fault. Every
// subcommand has --help.
//
// Each subcommand lives in its own file (serve here; demo.h, paper_bridge_cmd.h, audit_cmd.h,
// users_cmd.h, terminals_cmd.h) and registers itself on the root CLI::App with an Add*Command
// function that sets `*action` when its subcommand was chosen; RunCli parses, then runs the chosen
// action. The helpers below are shared by the subcommands. Called from main only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/error.h"

namespace CLI {
class App;
}

namespace bitten::store {
class Database;
class Writer;
}  // namespace bitten::store

namespace bitten::app {

struct Config;

int RunCli(int argc, char** argv);

// What a subcommand does once its options are parsed; returns the exit code.
using CliAction = std::function<int()>;

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// Prints "bitten: <message>" to stderr and returns kExitRuntime (or `code`). An Error with code
// "usage" is a usage error: one line, kExitUsage.
int ReportFailure(const std::string& message, int code = kExitRuntime);
int ReportFailure(const Error& error, int code = kExitRuntime);

// Loads and validates a config file: every problem printed, kExitRuntime on failure.
Result<Config> LoadValidConfig(const std::string& path);

// Options that name the store: `--db FILE` or `--config FILE` (its store.path, relative paths taken
// from the current directory as `bitten serve` does). Adds both options to `cmd`.
struct StoreTarget {
  std::string db;
  std::string config;
  // The SQLite file named by --db, or by --config's store.path. Fails naming the config file, or
  // with code "usage" when neither option was given.
  Result<std::string> Resolve() const;
  // The config when --config was given (nullopt with --db).
  Result<std::shared_ptr<Config>> LoadConfigIfAny() const;
};
void AddStoreOptions(CLI::App& cmd, StoreTarget& target);

// Ctrl-C handling for the long-running commands that own their threads (demo, paper-bridge).
// Construct it on the main thread BEFORE starting any thread: it blocks SIGINT and SIGTERM, and the
// threads started afterwards inherit the mask, so the signals are only ever taken by Wait
// (sigtimedwait) and never interrupt a worker. It also gives both signals a no-op handler, because
// a shell starts background jobs with SIGINT ignored and an ignored signal can be discarded before
// sigtimedwait takes it. The destructor restores the previous mask and handlers.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGINT/SIGTERM arrives (returns the signal number), `for_ms` passes (when > 0;
  // returns 0), or `done()` becomes true (checked every 100 ms; returns 0).
  int Wait(long long for_ms, const std::function<bool()>& done);

 private:
  // sigset_t and struct sigaction, kept opaque to spare every includer <signal.h>.
  alignas(16) unsigned char old_mask_[128];
  alignas(16) unsigned char old_int_[256];
  alignas(16) unsigned char old_term_[256];
};

// Opens the store for reading (must exist) or for writing (creates and migrates it).
Result<std::unique_ptr<store::Database>> OpenStoreReadOnly(const std::string& path);
Result<std::unique_ptr<store::Writer>> OpenStoreWriter(const std::string& path);

}  // namespace bitten::app
