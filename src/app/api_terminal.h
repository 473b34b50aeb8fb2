// HTTP routes for terminals (CONTRACTS §3.4): POST /api/ticks, /api/report, /api/heartbeat, and the
// long poll GET /api/bridge/next?terminal=<id>[&wait_ms=N] (200 fire.txt text or 204), and
// GET /api/quotes?terminal=<id>[&symbols=A,B] (the quote book's latest ticks). Every
// request is signed by its terminal (X-Bitten-Terminal / -Timestamp / -Signature); the handler
// copies the request into a TerminalCall and the core verifies it (the core owns the secrets and
// the replay cache): a bad, stale or replayed signature is 401, a malformed body 400, a good one
// 200 with a small JSON summary. /api/report answers after the records are committed (or found to
// be duplicates).
#pragma once

#include "app/core.h"
#include "web/router.h"

namespace bitten::app {

// `core` must outlive the router's use.
void RegisterTerminalRoutes(web::Router& router, Core& core);

}  // namespace bitten::app
