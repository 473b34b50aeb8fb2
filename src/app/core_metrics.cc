// The fire path's measurements (app/metrics.h): every answer of Core::FireMission, whatever path
// produced it (refusal, duplicate, accepted after commit, store unavailable), is counted by its
// outcome and timed from the moment the request reached the core's public method, and logged at
// debug level with the fire's ids as structured log context (base/log.h).
#include <spdlog/spdlog.h>

#include <chrono>

#include "app/core.h"
#include "app/metrics.h"
#include "base/log.h"

namespace bitten::app {

ReplyFn MeasureFire(Metrics* metrics, std::string mission_id, ReplyFn reply) {
  const auto start = std::chrono::steady_clock::now();
  return
      [metrics, start, mission_id = std::move(mission_id), reply = std::move(reply)](CoreReply r) {
        const auto elapsed = std::chrono::steady_clock::now() - start;
        std::string code;
        if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_object()) {
          code = r.body["error"].value("code", "");
        }
        const bool duplicate = r.body.is_object() && r.body.value("duplicate", false);
        const std::string outcome = Metrics::FireOutcome(r.status, code, duplicate);
        metrics->ObserveFire(outcome, std::chrono::duration<double>(elapsed).count());
        if (spdlog::should_log(spdlog::level::debug)) {
          const std::string fire_id = r.body.is_object() ? r.body.value("fire_id", "") : "";
          ScopedLogContext ctx(
              {{"mission_id", mission_id},
               {"fire_id", fire_id},
               {"outcome", outcome},
               {"latency_us",
                std::to_string(
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count())}});
          spdlog::debug("fire answered {} {}", r.status, outcome);
        }
        reply(std::move(r));
      };
}

}  // namespace bitten::app
