#include "app/api_admin.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "app/api_common.h"
#include "base/crypto.h"
#include "store/journal.h"
#include "store/statement.h"
#include "store/trades.h"
#include "store/users.h"

namespace bitten::app {

using nlohmann::json;

namespace {

constexpr int kFunnelSignals = 20;
constexpr int kJournalRecent = 100;
constexpr TimeMs kHourMs = 3'600'000;
constexpr TimeMs kDayMs = 24 * kHourMs;

double Round2(double v) { return std::round(v * 100) / 100; }

// web::Request::remote is "<address>:<port>" ("::1:5678" for IPv6); login attempts are limited
// per address.
std::string ClientAddress(const web::Request& req) {
  const auto colon = req.remote.rfind(':');
  return colon == std::string::npos ? req.remote : req.remote.substr(0, colon);
}

Result<std::int64_t> ScalarInt(const store::Database& db, std::string_view sql,
                               std::function<void(store::Statement&)> bind = nullptr) {
  auto st = store::Statement::Prepare(db.handle(), sql);
  if (!st) return tl::unexpected(st.error());
  if (bind) bind(*st);
  auto row = st->Step();
  if (!row) return tl::unexpected(row.error());
  return *row ? st->Int(0) : 0;
}

json EventJson(const store::JournalEvent& je) {
  json j = {{"seq", je.seq},         {"event_id", je.event_id},     {"time", je.event.time},
            {"type", je.event.type}, {"payload", je.event.payload}, {"hash", je.hash}};
  auto put = [&j](const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
  };
  put("signal_id", je.event.signal_id);
  put("mission_id", je.event.mission_id);
  put("fire_id", je.event.fire_id);
  put("user_id", je.event.user_id);
  put("terminal_id", je.event.terminal_id);
  return j;
}

// The console's shared state: auth, the core, and the reader thread with its connection.
class AdminApi {
 public:
  AdminApi(Core& core, const Clock& clock, AdminRoutesOptions options)
      : core_(core),
        clock_(clock),
        options_(std::move(options)),
        auth_(options_.admin, clock, options_.secure_cookie) {}
  ~AdminApi() { pool_.join(); }  // pending reads finish before the connection goes

  AdminAuth& auth() { return auth_; }
  Core& core() { return core_; }
  const Clock& clock() const { return clock_; }
  const AdminRoutesOptions& options() const { return options_; }

  // Runs `fn(db)` on the reader thread with the read-only connection (opened on first use) and
  // answers `responder` with its JSON, or 503 store_unavailable.
  void Read(web::Responder responder, std::function<Result<json>(const store::Database&)> fn) {
    ReadThen(std::move(responder), std::move(fn),
             [](json r, web::Responder responder) { responder.Send(web::Json(200, r)); });
  }
  // As Read, but `then` (on the reader thread) gets the result and the responder.
  void ReadThen(web::Responder responder, std::function<Result<json>(const store::Database&)> fn,
                std::function<void(json, web::Responder)> then) {
    boost::asio::post(pool_, [this, responder = std::move(responder), fn = std::move(fn),
                              then = std::move(then)]() mutable {
      if (!db_) {
        auto db = store::Database::Open(options_.store_path, store::OpenMode::kReadOnly);
        if (!db) {
          return (void)responder.Send(web::JsonError(503, "store_unavailable", db.error().message));
        }
        db_ = std::move(*db);
      }
      auto r = fn(*db_);
      if (!r)
        return (void)responder.Send(web::JsonError(503, "store_unavailable", r.error().message));
      then(std::move(*r), std::move(responder));
    });
  }

 private:
  Core& core_;
  const Clock& clock_;
  AdminRoutesOptions options_;
  AdminAuth auth_;
  boost::asio::thread_pool pool_{1};
  std::unique_ptr<store::Database> db_;  // reader thread only
};

web::Response AuthError(const Error& e) {
  if (e.code == "csrf") {
    return web::JsonError(403, "csrf",
                          "This request needs the session's X-CSRF-Token header; reload the page.");
  }
  return web::JsonError(401, "unauthorized", "Log in to the console first (/admin/login).");
}

// GET handler that requires a session.
web::Handler Read(std::shared_ptr<AdminApi> api,
                  std::function<void(AdminApi&, const web::Request&, web::Responder)> body) {
  return [api, body = std::move(body)](const web::Request& req, web::Responder responder) {
    auto s = api->auth().Check(req.Header("Cookie"));
    if (!s) return (void)responder.Send(AuthError(s.error()));
    body(*api, req, std::move(responder));
  };
}

// POST handler that requires a session and its CSRF token; `body` gets the operator identity.
web::Handler Write(
    std::shared_ptr<AdminApi> api,
    std::function<void(AdminApi&, const web::Request&, std::string admin, web::Responder)> body) {
  return [api, body = std::move(body)](const web::Request& req, web::Responder responder) {
    auto s = api->auth().CheckWrite(req.Header("Cookie"), req.Header("X-CSRF-Token"));
    if (!s) return (void)responder.Send(AuthError(s.error()));
    body(*api, req, AdminIdentity(*s), std::move(responder));
  };
}

// {"<key>": bool} body.
Result<bool> BoolField(const web::Request& req, const char* key) {
  auto body = ParseJsonObject(req.body);
  if (!body) return tl::unexpected(body.error());
  auto it = body->find(key);
  if (it == body->end() || !it->is_boolean()) {
    return Fail("bad_request", std::string("the body must be {\"") + key + "\": true|false}");
  }
  return it->get<bool>();
}

web::Response Redirect(std::string location) {
  web::Response r;
  r.status = 302;
  r.headers.emplace_back("Location", std::move(location));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string AdminIdentity(const AdminSession& session) {
  return "admin#" + Sha256Hex(session.id).substr(0, 8);
}

Result<json> ReadFunnel(const store::Database& db, int limit) {
  constexpr std::string_view kSql = R"sql(
SELECT s.signal_id, s.symbol, s.created_at, s.expires_at,
  (SELECT COUNT(*) FROM missions m WHERE m.signal_id = s.signal_id),
  (SELECT COUNT(*) FROM missions m JOIN outbox o ON o.dedup_key = 'dm:' || m.mission_id
     WHERE m.signal_id = s.signal_id AND o.status = 'sent'),
  (SELECT COUNT(*) FROM fires f JOIN missions m ON m.mission_id = f.mission_id
     WHERE m.signal_id = s.signal_id),
  (SELECT COUNT(*) FROM fires f JOIN missions m ON m.mission_id = f.mission_id
     WHERE m.signal_id = s.signal_id AND f.status IN ('filled', 'closed')),
  (SELECT COUNT(*) FROM fires f JOIN missions m ON m.mission_id = f.mission_id
     WHERE m.signal_id = s.signal_id AND f.status = 'closed'),
  (SELECT COUNT(*) FROM missions m WHERE m.signal_id = s.signal_id AND m.status = 'cancelled'),
  (SELECT status FROM outbox WHERE dedup_key = 'alert:' || s.signal_id)
FROM signals s ORDER BY s.created_at DESC, s.signal_id DESC LIMIT ?1)sql";
  auto st = store::Statement::Prepare(db.handle(), kSql);
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, limit);
  json out = json::array();
  for (;;) {
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({{"signal_id", st->Text(0)},
                   {"symbol", st->Text(1)},
                   {"created_at", st->Int(2)},
                   {"expires_at", st->Int(3)},
                   {"built", st->Int(4)},
                   {"alerted", st->Int(5)},
                   {"fired", st->Int(6)},
                   {"filled", st->Int(7)},
                   {"closed", st->Int(8)},
                   {"cancelled", st->Int(9)},
                   {"group_alert", st->IsNull(10) ? json(nullptr) : json(st->Text(10))}});
  }
  return out;
}

Result<json> ReadOutbox(const store::Database& db, TimeMs now) {
  json by_status = json::object();
  {
    auto st = store::Statement::Prepare(db.handle(),
                                        "SELECT status, COUNT(*) FROM outbox GROUP BY status");
    if (!st) return tl::unexpected(st.error());
    for (const char* s : {"pending", "sent", "failed", "unknown"}) by_status[s] = 0;
    for (;;) {
      auto row = st->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      by_status[st->Text(0)] = st->Int(1);
    }
  }
  auto sent_hour =
      ScalarInt(db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND sent_at >= ?1",
                [now](store::Statement& s) { s.Bind(1, now - kHourMs); });
  if (!sent_hour) return tl::unexpected(sent_hour.error());
  auto oldest =
      ScalarInt(db, "SELECT COALESCE(MIN(created_at), 0) FROM outbox WHERE status = 'pending'");
  if (!oldest) return tl::unexpected(oldest.error());
  json errors = json::array();
  {
    auto st = store::Statement::Prepare(
        db.handle(),
        "SELECT id, method, chat_id, status, attempts, error, created_at FROM outbox "
        "WHERE error != '' ORDER BY id DESC LIMIT 10");
    if (!st) return tl::unexpected(st.error());
    for (;;) {
      auto row = st->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      errors.push_back({{"id", st->Int(0)},
                        {"method", st->Text(1)},
                        {"chat_id", st->Int(2)},
                        {"status", st->Text(3)},
                        {"attempts", st->Int(4)},
                        {"error", st->Text(5)},
                        {"created_at", st->Int(6)}});
    }
  }
  return json{{"by_status", by_status},
              {"depth", by_status["pending"]},
              {"sent_last_hour", *sent_hour},
              {"oldest_pending_age_ms", *oldest == 0 ? json(nullptr) : json(now - *oldest)},
              {"errors", errors}};
}

Result<json> ReadJournal(const store::Database& db, std::string_view id, int limit) {
  json events = json::array();
  if (!id.empty()) {
    auto trace = store::TraceJournal(db, id);
    if (!trace) return tl::unexpected(trace.error());
    for (const store::JournalEvent& je : *trace) events.push_back(EventJson(je));
    return json{{"id", id}, {"events", std::move(events)}};
  }
  auto recent = store::RecentJournal(db, limit);
  if (!recent) return tl::unexpected(recent.error());
  for (const store::JournalEvent& je : *recent) events.push_back(EventJson(je));
  return json{{"id", ""}, {"events", std::move(events)}};
}

// The console's user search, on the reader thread (a scan of the users table; the core thread
// does not walk its 1,000,000 users for it): a part of the name (any case), the start of the user
// id, or the Telegram id. {"ids": the first `limit` matching ids in id order, "matched": count}.
Result<json> FindUsers(const store::Database& db, const std::string& query, std::size_t limit) {
  std::string escaped;  // LIKE's wildcards in the query are literal
  for (char c : query) {
    if (c == '%' || c == '_' || c == '\\') escaped += '\\';
    escaped += c;
  }
  std::int64_t telegram_id = 0;
  auto [end, ec] = std::from_chars(query.data(), query.data() + query.size(), telegram_id);
  if (ec != std::errc() || end != query.data() + query.size()) telegram_id = 0;
  auto st = store::Statement::Prepare(
      db.handle(),
      "SELECT user_id FROM users WHERE user_id LIKE ?1 || '%' ESCAPE '\\' "
      "OR name LIKE '%' || ?1 || '%' ESCAPE '\\' OR (?2 != 0 AND telegram_id = ?2)");
  if (!st) return tl::unexpected(st.error());
  st->Bind(1, escaped).Bind(2, telegram_id);
  std::vector<std::string> ids;
  for (;;) {
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    ids.push_back(st->Text(0));
  }
  std::sort(ids.begin(), ids.end());
  const std::size_t matched = ids.size();
  if (ids.size() > limit) ids.resize(limit);
  return json{{"ids", std::move(ids)}, {"matched", matched}};
}

// A search box's query parameter, trimmed; at most 128 characters (400 bad_request).
Result<std::string> SearchParam(const web::Request& req, std::string_view name) {
  std::string v(req.Query(name));
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  if (v.size() > 128) {
    return Fail("bad_request", std::string(name) + " is longer than 128 characters");
  }
  return v;
}

// Closed trades, wins (profit > 0) and P&L of each user in `users` (the overview's rows, at most
// 200), from their own closed trades (store::ClosedTradesSql): the poll reads what it shows, not
// every closed trade in the store's history.
Status ReadUserResults(const store::Database& db, json& users) {
  auto st = store::Statement::Prepare(
      db.handle(),
      "SELECT COUNT(*), COALESCE(SUM(profit > 0), 0), COALESCE(SUM(profit), 0) FROM (" +
          store::ClosedTradesSql("AND f.user_id = ?1") + ")");
  if (!st) return tl::unexpected(st.error());
  for (json& u : users) {
    st->Reset();
    st->Bind(1, u["user_id"].get<std::string>());
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    const std::int64_t trades = *row ? st->Int(0) : 0;
    const std::int64_t wins = *row ? st->Int(1) : 0;
    const double pnl = *row ? st->Double(2) : 0;
    u["results"] = {{"trades", trades},
                    {"wins", wins},
                    {"win_rate", trades ? json(Round2(100.0 * static_cast<double>(wins) / trades))
                                        : json(nullptr)},
                    {"pnl", Round2(pnl)}};
  }
  return Ok();
}

Result<json> ReadCharts(const store::Database& db, TimeMs now) {
  // Signals per hour over the last 48 h (every hour present, zeros included).
  json per_hour = json::array();
  {
    const TimeMs first = (now / kHourMs - 47) * kHourMs;
    std::map<TimeMs, std::int64_t> counts;
    for (TimeMs h = first; h <= now; h += kHourMs) counts[h] = 0;
    auto st = store::Statement::Prepare(
        db.handle(),
        "SELECT (created_at / 3600000) * 3600000, COUNT(*) FROM signals WHERE created_at >= ?1 "
        "GROUP BY 1");
    if (!st) return tl::unexpected(st.error());
    st->Bind(1, first);
    for (;;) {
      auto row = st->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      counts[st->Int(0)] = st->Int(1);
    }
    for (const auto& [h, n] : counts) per_hour.push_back({{"t", h}, {"n", n}});
  }
  // Fire-to-fill latency: the fill result's receipt minus the fire's acceptance (server clock).
  json latency;
  {
    auto st = store::Statement::Prepare(
        db.handle(),
        "SELECT r.received_at - f.fired_at FROM results r JOIN fires f ON f.fire_id = r.fire_id "
        "WHERE r.type = 'fill' ORDER BY r.received_at DESC LIMIT 2000");
    if (!st) return tl::unexpected(st.error());
    std::vector<std::int64_t> ms;
    for (;;) {
      auto row = st->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      ms.push_back(std::max<std::int64_t>(0, st->Int(0)));
    }
    static constexpr std::int64_t kEdges[] = {100, 250, 500, 1000, 2000, 5000, 10000};
    json buckets = json::array();
    std::int64_t lo = 0;
    for (std::int64_t hi : kEdges) {
      const auto n = std::count_if(ms.begin(), ms.end(),
                                   [lo, hi](std::int64_t v) { return v >= lo && v < hi; });
      buckets.push_back({{"from_ms", lo}, {"to_ms", hi}, {"n", n}});
      lo = hi;
    }
    buckets.push_back(
        {{"from_ms", lo},
         {"to_ms", nullptr},
         {"n", std::count_if(ms.begin(), ms.end(), [lo](std::int64_t v) { return v >= lo; })}});
    std::sort(ms.begin(), ms.end());
    auto pct = [&ms](double p) -> json {
      if (ms.empty()) return nullptr;
      const std::size_t i = static_cast<std::size_t>(std::ceil(p * ms.size())) - 1;
      return ms[std::min(i, ms.size() - 1)];
    };
    latency = {{"fills", ms.size()},
               {"buckets", std::move(buckets)},
               {"p50_ms", pct(0.50)},
               {"p90_ms", pct(0.90)},
               {"p99_ms", pct(0.99)}};
  }
  // Win rate and P&L per UTC day, summed by SQLite over the closed trades (a trade's close time is
  // its first close result's receipt, else its fire's: store::ClosedTradesSql).
  auto days = store::QueryRows<json>(
      db.handle(),
      "SELECT closed_at / ?1 * ?1 AS day, COUNT(*), SUM(profit > 0), SUM(profit) FROM (" +
          store::ClosedTradesSql() + ") GROUP BY day ORDER BY day",
      [](store::Statement& st) { st.Bind(1, kDayMs); },
      [](const store::Statement& st) -> Result<json> {
        const std::int64_t trades = st.Int(1), wins = st.Int(2);
        return json{{"t", st.Int(0)},
                    {"trades", trades},
                    {"wins", wins},
                    {"win_rate", Round2(100.0 * static_cast<double>(wins) / trades)},
                    {"pnl", st.Double(3)}};
      });
  if (!days) return tl::unexpected(days.error());
  double cumulative = 0;
  for (json& d : *days) {
    cumulative += d["pnl"].get<double>();
    d["pnl"] = Round2(d["pnl"].get<double>());
    d["cumulative_pnl"] = Round2(cumulative);
  }
  // Cumulative P&L at each close for the kChartUsers users with the largest P&L either way (ties
  // by user id), out of every user with a closed trade: one curve per trader does not scale to a
  // community (100,000 curves, 14 MB, at 200,000 trades).
  using Ranked = std::pair<std::string, std::int64_t>;  // user id, users with a closed trade
  auto top = store::QueryRows<Ranked>(
      db.handle(),
      "SELECT user_id, SUM(profit) AS pnl, COUNT(*) OVER () FROM (" + store::ClosedTradesSql() +
          ") GROUP BY user_id ORDER BY ABS(pnl) DESC, user_id LIMIT ?1",
      [](store::Statement& st) { st.Bind(1, static_cast<std::int64_t>(kChartUsers)); },
      [](const store::Statement& st) -> Result<Ranked> {
        return Ranked{st.Text(0), st.Int(2)};
      });
  if (!top) return tl::unexpected(top.error());
  json ids = json::array();
  for (const Ranked& r : *top) ids.push_back(r.first);
  struct Close {
    std::string user_id;
    double profit;
    TimeMs at;
  };
  auto closes = store::QueryRows<Close>(
      db.handle(),
      store::ClosedTradesSql("AND f.user_id IN (SELECT value FROM json_each(?1))") +
          " ORDER BY closed_at, f.fire_id",
      [&ids](store::Statement& st) { st.Bind(1, ids.dump()); },
      [](const store::Statement& st) -> Result<Close> {
        return Close{st.Text(0), st.Double(1), st.Int(2)};
      });
  if (!closes) return tl::unexpected(closes.error());
  std::map<std::string, json> points;
  std::map<std::string, double> running;
  for (const Close& c : *closes) {
    double& r = running[c.user_id];
    r += c.profit;
    points[c.user_id].push_back({{"t", c.at}, {"v", Round2(r)}});
  }
  json per_user = json::array();
  for (const Ranked& r : *top) {
    auto user = store::GetUser(db, r.first);
    if (!user) return tl::unexpected(user.error());
    per_user.push_back({{"user_id", r.first},
                        {"name", *user ? (*user)->name : std::string()},
                        {"points", std::move(points[r.first])}});
  }
  return json{{"server_time", now},
              {"signals_per_hour", std::move(per_hour)},
              {"fire_to_fill", std::move(latency)},
              {"daily", std::move(*days)},
              {"pnl_per_user", std::move(per_user)},
              {"pnl_per_user_total", top->empty() ? 0 : top->front().second}};
}

void RegisterAdminRoutes(web::Router& router, Core& core, const Clock& clock,
                         AdminRoutesOptions options) {
  auto api = std::make_shared<AdminApi>(core, clock, std::move(options));
  if (!api->options().web_root.empty()) {
    router.ServeStatic("/admin/", api->options().web_root / "admin");
  }
  router.Get("/admin/login", [](const web::Request&, web::Responder responder) {
    responder.Send(Redirect("/admin/login.html"));
  });

  // --- Session ---
  router.Post("/admin/api/login", [api](const web::Request& req, web::Responder responder) {
    auto body = ParseJsonObject(req.body);
    if (!body) return (void)responder.Send(ErrorResponse(400, body.error()));
    auto pw = body->find("password");
    if (pw == body->end() || !pw->is_string()) {
      return (void)responder.Send(
          web::JsonError(400, "bad_request", "the body must be {\"password\": \"...\"}"));
    }
    std::int64_t retry_after = 0;
    auto s = api->auth().Login(ClientAddress(req), pw->get<std::string>(), &retry_after);
    if (!s) {
      const std::string& c = s.error().code;
      if (c == "rate_limited") {
        web::Response r = web::JsonError(429, c, s.error().message);
        r.headers.emplace_back("Retry-After", std::to_string(retry_after));
        return (void)responder.Send(std::move(r));
      }
      if (c == "admin_disabled")
        return (void)responder.Send(web::JsonError(403, c, s.error().message));
      spdlog::warn("admin login refused for {}: {}", ClientAddress(req), c);
      return (void)responder.Send(web::JsonError(401, c, "Wrong password."));
    }
    spdlog::info("admin login from {} ({})", ClientAddress(req), AdminIdentity(*s));
    web::Response r = web::Json(
        200, json{{"csrf", s->csrf}, {"expires_at", s->expires_at}, {"admin", AdminIdentity(*s)}});
    r.headers.emplace_back("Set-Cookie", api->auth().SetCookie(*s));
    r.headers.emplace_back("Cache-Control", "no-store");
    responder.Send(std::move(r));
  });
  router.Get("/admin/api/session", [api](const web::Request& req, web::Responder responder) {
    auto s = api->auth().Check(req.Header("Cookie"));
    if (!s) return (void)responder.Send(AuthError(s.error()));
    web::Response r = web::Json(
        200, json{{"csrf", s->csrf}, {"expires_at", s->expires_at}, {"admin", AdminIdentity(*s)}});
    r.headers.emplace_back("Cache-Control", "no-store");
    responder.Send(std::move(r));
  });
  router.Post("/admin/api/logout", Write(api, [](AdminApi& a, const web::Request& req, std::string,
                                                 web::Responder responder) {
                a.auth().Logout(req.Header("Cookie"));
                web::Response r = web::Json(200, json{{"ok", true}});
                r.headers.emplace_back("Set-Cookie", a.auth().ClearCookie());
                responder.Send(std::move(r));
              }));

  // --- Views ---
  router.Get("/admin/api/overview",
             Read(api, [](AdminApi& a, const web::Request& req, web::Responder responder) {
               auto param = SearchParam(req, "users");
               if (!param) return (void)responder.Send(ErrorResponse(400, param.error()));
               std::string query = std::move(*param);
               // After the core's state (and, for a search, after the store found the users): the
               // store's funnel, outbox and per-user results join it on the reader thread.
               auto finish = [&a](json state, web::Responder responder) {
                 const std::int64_t depth =
                     a.options().outbox_depth ? a.options().outbox_depth() : -1;
                 const TimeMs now = state.value("server_time", a.clock().NowMs());
                 a.Read(std::move(responder),
                        [state = std::move(state), depth,
                         now](const store::Database& db) mutable -> Result<json> {
                          auto funnel = ReadFunnel(db, kFunnelSignals);
                          if (!funnel) return tl::unexpected(funnel.error());
                          // The core's live HUD-opened counts join the store's funnel.
                          // null: the core no longer holds the signal's missions (dropped a day
                          // after expiry) or the server restarted since; the count is not stored.
                          const json& opened = state["hud_opened"];
                          for (json& f : *funnel) {
                            auto it = opened.find(f["signal_id"].get<std::string>());
                            f["hud_opened"] = it == opened.end() ? json(nullptr) : *it;
                          }
                          auto outbox = ReadOutbox(db, now);
                          if (!outbox) return tl::unexpected(outbox.error());
                          if (depth >= 0) (*outbox)["depth"] = depth;
                          if (Status r = ReadUserResults(db, state["users"]); !r) {
                            return tl::unexpected(r.error());
                          }
                          state["funnel"] = std::move(*funnel);
                          state["outbox"] = std::move(*outbox);
                          return state;
                        });
               };
               if (query.empty()) {
                 return a.core().AdminState(
                     std::nullopt, [finish, responder = std::move(responder)](json state) mutable {
                       state["users_query"] = "";
                       state["users_matched"] = nullptr;
                       finish(std::move(state), std::move(responder));
                     });
               }
               a.ReadThen(
                   std::move(responder),
                   [query](const store::Database& db) {
                     return FindUsers(db, query, Core::kAdminUsersShown);
                   },
                   [&a, finish, query](json found, web::Responder responder) {
                     a.core().AdminState(found["ids"].get<std::vector<std::string>>(),
                                         [finish, query, matched = found["matched"],
                                          responder = std::move(responder)](json state) mutable {
                                           state["users_query"] = query;
                                           state["users_matched"] = matched;
                                           finish(std::move(state), std::move(responder));
                                         });
                   });
             }));
  router.Get("/admin/api/journal",
             Read(api, [](AdminApi& a, const web::Request& req, web::Responder responder) {
               auto id = SearchParam(req, "id");
               if (!id) return (void)responder.Send(ErrorResponse(400, id.error()));
               a.Read(std::move(responder), [id = std::move(*id)](const store::Database& db) {
                 return ReadJournal(db, id, kJournalRecent);
               });
             }));
  router.Get("/admin/api/charts",
             Read(api, [](AdminApi& a, const web::Request&, web::Responder responder) {
               const TimeMs now = a.clock().NowMs();
               a.Read(std::move(responder),
                      [now](const store::Database& db) { return ReadCharts(db, now); });
             }));

  // --- Controls ---
  router.Post("/admin/api/engine/pause",
              Write(api, [](AdminApi& a, const web::Request&, std::string admin, web::Responder r) {
                a.core().AdminSetEnginePaused(std::move(admin), true, ReplyTo(std::move(r)));
              }));
  router.Post("/admin/api/engine/resume",
              Write(api, [](AdminApi& a, const web::Request&, std::string admin, web::Responder r) {
                a.core().AdminSetEnginePaused(std::move(admin), false, ReplyTo(std::move(r)));
              }));
  router.Post("/admin/api/kill-switch", Write(api, [](AdminApi& a, const web::Request& req,
                                                      std::string admin, web::Responder r) {
                auto on = BoolField(req, "on");
                if (!on) return (void)r.Send(ErrorResponse(400, on.error()));
                a.core().AdminSetKillSwitch(std::move(admin), *on, ReplyTo(std::move(r)));
              }));
  router.Post(
      "/admin/api/signals/{signal_id}/cancel",
      Write(api, [](AdminApi& a, const web::Request& req, std::string admin, web::Responder r) {
        a.core().AdminCancelSignal(std::move(admin), std::string(req.Param("signal_id")),
                                   ReplyTo(std::move(r)));
      }));
  router.Post(
      "/admin/api/signals/{signal_id}/resend",
      Write(api, [](AdminApi& a, const web::Request& req, std::string admin, web::Responder r) {
        a.core().AdminResendAlert(std::move(admin), std::string(req.Param("signal_id")),
                                  ReplyTo(std::move(r)));
      }));
  router.Post(
      "/admin/api/users/{user_id}/tier",
      Write(api, [](AdminApi& a, const web::Request& req, std::string admin, web::Responder r) {
        auto body = ParseJsonObject(req.body);
        if (!body) return (void)r.Send(ErrorResponse(400, body.error()));
        auto t = body->find("tier");
        std::optional<missions::Tier> tier;
        if (t != body->end() && t->is_string()) tier = missions::ParseTier(t->get<std::string>());
        if (!tier) {
          return (void)r.Send(web::JsonError(
              400, "bad_request",
              "the body must be {\"tier\": \"PRESS_PASS\"|\"NIBBLER\"|\"FANG\"|\"COMMANDER\"}"));
        }
        a.core().AdminSetUserTier(std::move(admin), std::string(req.Param("user_id")), *tier,
                                  ReplyTo(std::move(r)));
      }));
  router.Post(
      "/admin/api/terminals/{terminal_id}/rotate-secret",
      Write(api, [](AdminApi& a, const web::Request& req, std::string admin, web::Responder r) {
        a.core().AdminRotateTerminalSecret(std::move(admin), std::string(req.Param("terminal_id")),
                                           [r](CoreReply reply) {
                                             web::Response resp = ToResponse(reply);
                                             resp.headers.emplace_back("Cache-Control", "no-store");
                                             r.Send(std::move(resp));
                                           });
      }));
}

}  // namespace bitten::app
