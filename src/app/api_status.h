// Operator routes: GET /healthz (200 {"ok":true}, answered on the io thread without touching the
// core, so a load balancer's probe stays cheap) and GET /status, a small server-rendered HTML page
// with real data only: engine counters, recent signals, live missions by status, terminals with
// heartbeat age, and the outbox depth. /status goes through the core (one snapshot) and reads the
// outbox depth from `outbox_depth` (thread-safe; may be empty).
#pragma once

#include <cstdint>
#include <functional>

#include "app/core.h"
#include "web/router.h"

namespace bitten::app {

// Pending outbox messages, or -1 when unknown.
using OutboxDepthFn = std::function<std::int64_t()>;

void RegisterStatusRoutes(web::Router& router, Core& core, OutboxDepthFn outbox_depth);

// The /status page for one snapshot (exposed for tests).
std::string RenderStatusPage(const CoreSnapshot& s, std::int64_t outbox_depth);

}  // namespace bitten::app
