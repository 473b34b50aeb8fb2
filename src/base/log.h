// Logging setup (spdlog). Call SetupLogging once from main before threads start; modules then log
// through spdlog's default logger. Lines go to stderr, in one of two formats:
//
//   text (default): 2026-01-02T03:04:05.678Z info  message
//   json:           one JSON object per line, for log shippers:
//                   {"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"message",
//                    "logger":"bitten","pid":123,"thread":456, <context fields>}
//
// Context fields: a ScopedLogContext adds key/value pairs to every line its thread logs while it
// lives (e.g. fire_id and mission_id around the fire path), innermost last; a key set twice shows
// the innermost value. The text format leaves them out (docs/operations.md).
//
// Thread-safety: SetupLogging before other threads log; ScopedLogContext is per thread
// (thread_local) and must be destroyed on the thread that made it, in reverse order.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spdlog {
class formatter;
}

namespace bitten {

struct LogOptions {
  std::string level = "info";   // trace|debug|info|warn|error|off. Default: info
  std::string format = "text";  // text|json. Default: text
};

// True for "text" and "json".
bool IsValidLogFormat(const std::string& format);

void SetupLogging(const LogOptions& options);

// The JSON-lines formatter of the json format (exposed for tests: attach it to any spdlog sink).
std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter();

class ScopedLogContext {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;
  explicit ScopedLogContext(Fields fields);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  std::size_t added_ = 0;
};

}  // namespace bitten
