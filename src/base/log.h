// Logging setup (spdlog). Call SetupLogging once from main before threads start; modules then log
// through spdlog's default logger. Lines go to stderr with a UTC timestamp.
#pragma once

#include <string>

namespace bitten {

struct LogOptions {
  std::string level = "info";  // trace|debug|info|warn|error|off. Default: info
};

void SetupLogging(const LogOptions& options);

}  // namespace bitten
