#include "base/log.h"

#include <spdlog/details/os.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/format.h"

namespace bitten {

namespace {

// The context of the calling thread, outermost first (ScopedLogContext).
thread_local ScopedLogContext::Fields t_context;

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    nlohmann::ordered_json j;
    j["ts"] = FormatIsoMs(ms);
    const auto level = spdlog::level::to_string_view(msg.level);
    j["level"] = std::string(level.data(), level.size());
    j["msg"] = std::string(msg.payload.data(), msg.payload.size());
    j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
    j["pid"] = spdlog::details::os::pid();
    j["thread"] = msg.thread_id;
    for (const auto& [key, value] : t_context) j[key] = value;
    // Invalid UTF-8 in a message must not throw out of a log call: replace it.
    const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

bool IsValidLogFormat(const std::string& format) { return format == "text" || format == "json"; }

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter() {
  return std::make_unique<JsonFormatter>();
}

void SetupLogging(const LogOptions& options) {
  auto logger = spdlog::get("bitten");
  if (!logger) logger = spdlog::stderr_color_mt("bitten");
  if (options.format == "json") {
    logger->set_formatter(MakeJsonLogFormatter());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(options.level));
  spdlog::set_default_logger(logger);
}

ScopedLogContext::ScopedLogContext(Fields fields) : added_(fields.size()) {
  for (auto& f : fields) t_context.push_back(std::move(f));
}

ScopedLogContext::~ScopedLogContext() { t_context.resize(t_context.size() - added_); }

}  // namespace bitten
