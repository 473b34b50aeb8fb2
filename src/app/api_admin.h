// The Commander Throne's HTTP side (docs/admin.md, "Admin API" in docs/api.md): the operator's
// login, the console's pages under /admin/, and the JSON API under /admin/api/.
//
// Identity: only the `bitten_admin` session cookie made by AdminAuth (app/admin_auth.h) opens the
// API; a trader's initData or dev token is never looked at here. Every GET needs a live session,
// every POST also the session's X-CSRF-Token. Errors are {"error":{"code","message"}}.
//
// Reads: what only the core knows comes from one Core::AdminState hop; what is durable (funnel
// counts, the outbox, users' P&L, the journal trace, the chart series) is read from the SQLite file
// on the console's own reader thread with its own read-only connection, so a slow query never
// blocks an io thread, the core or the store writer. Controls go to the Core's Admin* methods,
// which journal each change with the operator ("admin#<session tag>") before adopting it.
//
// Thread-safety: register before the server starts; the handlers may run on any io thread. The
// registered handlers share one AdminApi object (owned by the router's handlers) whose reader
// thread is joined when the router is destroyed; the router must not outlive the Core it calls
// into being stopped (Server stops the core before destroying the router).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "app/admin_auth.h"
#include "app/core.h"
#include "base/clock.h"
#include "base/error.h"
#include "missions/stats.h"
#include "store/db.h"
#include "store/trades.h"
#include "web/router.h"

namespace bitten::app {

struct AdminRoutesOptions {
  AdminConfig admin;                 // config [admin]
  bool secure_cookie = false;        // add Secure (public URL is https)
  std::filesystem::path store_path;  // the SQLite file (read-only connection)
  std::filesystem::path web_root;    // pages are served from web_root/admin ("" = no pages)
  std::function<std::int64_t()> outbox_depth;  // pending outbox messages (may be empty)
};

void RegisterAdminRoutes(web::Router& router, Core& core, const Clock& clock,
                         AdminRoutesOptions options);

// --- Store reads of the console (exposed for tests). Each takes a read-only connection. ---

// Funnel of the `limit` newest signals: built, alerted (DMs sent), fired, filled, closed,
// cancelled, the group alert's outbox status.
Result<nlohmann::json> ReadFunnel(const store::Database& db, int limit);
// Outbox depth by status, messages sent in the last hour, the ten newest errors.
Result<nlohmann::json> ReadOutbox(const store::Database& db, TimeMs now);
// Journal events naming `id` (TraceJournal), or the `limit` newest when `id` is empty.
Result<nlohmann::json> ReadJournal(const store::Database& db, std::string_view id, int limit);
// Chart series: signals per hour (48 h), fire-to-fill latency histogram, per-day win rate and P&L,
// cumulative P&L per user for the kChartUsers users with the largest P&L either way (and the count
// of users with a closed trade).
inline constexpr std::size_t kChartUsers = 10;
Result<nlohmann::json> ReadCharts(const store::Database& db, TimeMs now);
// Closed trades, P&L and win rate per user id.
Result<nlohmann::json> ReadUserResults(const store::Database& db);

// The operator name journaled for a session: "admin#" + the first 8 hex of SHA-256(session id),
// so the journal ties controls to a session without holding the cookie.
std::string AdminIdentity(const AdminSession& session);

}  // namespace bitten::app
