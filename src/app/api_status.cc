#include "app/api_status.h"

#include <nlohmann/json.hpp>

#include "base/format.h"
#include "missions/fire_rules.h"

namespace bitten::app {

namespace {

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Time(TimeMs t) { return t == 0 ? "never" : FormatIsoMs(t); }

}  // namespace

std::string RenderStatusPage(const CoreSnapshot& s, std::int64_t outbox_depth) {
  std::string h;
  h += "<!doctype html><html><head><meta charset=\"utf-8\"><title>BITTEN status</title>"
       "<meta http-equiv=\"refresh\" content=\"5\">"
       "<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;"
       "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
       ".bad{color:#b00}.ok{color:#070}</style></head><body>";
  h += "<h1>BITTEN status</h1><p>Server time " + Escape(Time(s.now)) + "</p>";
  h += "<h2>Engine</h2><table>";
  auto row = [&](std::string_view k, const std::string& v) {
    h += "<tr><th>" + Escape(k) + "</th><td>" + v + "</td></tr>";
  };
  row("kill switch", s.kill_switch ? "<span class=\"bad\">ON</span>" : "off");
  row("store", s.store_health == "ok"
                   ? "<span class=\"ok\">ok</span>"
                   : "<span class=\"bad\">" + Escape(s.store_health) + "</span>");
  row("ticks", std::to_string(s.ticks));
  row("late ticks", std::to_string(s.late_ticks));
  row("last tick", Escape(Time(s.last_tick_at)));
  row("symbols quoted", std::to_string(s.quotes));
  row("M1 bars", std::to_string(s.bars));
  row("bars ignored by the engine", std::to_string(s.engine.ignored_bars));
  row("setups (bars with a candidate)", std::to_string(s.engine.setups));
  row("setups refused: trading hours", std::to_string(s.engine.refused_session));
  row("setups refused: spread", std::to_string(s.engine.refused_spread));
  row("setups refused: spacing", std::to_string(s.engine.refused_spacing));
  row("setups refused: daily cap", std::to_string(s.engine.refused_daily_cap));
  row("blocked by CITADEL: news", std::to_string(s.engine.blocked_news));
  row("blocked by CITADEL: shield", std::to_string(s.engine.blocked_shield));
  row("signals", std::to_string(s.signals));
  row("duplicate signals dropped", std::to_string(s.duplicate_signals));
  row("fires accepted", std::to_string(s.fires_accepted));
  row("fires refused", std::to_string(s.fires_refused));
  row("concurrent fires settled by the one-time lock", std::to_string(s.fires_settled_by_lock));
  row("results processed", std::to_string(s.results_processed));
  row("results already processed", std::to_string(s.results_duplicate));
  row("users", std::to_string(s.users));
  row("HUD event streams", std::to_string(s.sse_streams));
  row("outbox pending", outbox_depth < 0 ? "unknown" : std::to_string(outbox_depth));
  h += "</table>";

  h += "<h2>Recent signals</h2><table><tr><th>time</th><th>symbol</th><th>side</th><th>class</th>"
       "<th>confidence</th><th>shield</th><th>expires</th><th>signal_id</th></tr>";
  for (const auto& sig : s.recent_signals) {
    h += "<tr><td>" + Escape(Time(sig.created_at)) + "</td><td>" + Escape(sig.symbol) +
         "</td><td>" + Escape(sig.side) + "</td><td>" + Escape(sig.signal_class) + "</td><td>" +
         std::to_string(sig.confidence) + "</td><td>" + Escape(sig.shield_band) + "</td><td>" +
         Escape(FormatHhMmUtc(sig.expires_at)) + "</td><td><code>" + Escape(sig.signal_id) +
         "</code></td></tr>";
  }
  if (s.recent_signals.empty()) h += "<tr><td colspan=\"8\">none since start</td></tr>";
  h += "</table>";

  h += "<h2>Missions held by the core</h2><table><tr><th>status</th><th>count</th></tr>";
  for (const auto& [status, n] : s.missions_by_status) {
    h += "<tr><td>" + Escape(status) + "</td><td>" + std::to_string(n) + "</td></tr>";
  }
  if (s.missions_by_status.empty()) h += "<tr><td colspan=\"2\">none</td></tr>";
  h += "</table>";

  h += "<h2>Terminals</h2><table><tr><th>terminal</th><th>online</th><th>heartbeat age</th>"
       "<th>connected</th><th>trade allowed</th><th>balance</th><th>commands queued</th></tr>";
  for (const auto& t : s.terminals) {
    const std::string age =
        t.last_heartbeat_at == 0 ? "never" : missions::FormatAge(s.now - t.last_heartbeat_at);
    h += "<tr><td>" + Escape(t.terminal_id) + "</td><td>" +
         (t.online ? "<span class=\"ok\">online</span>" : "<span class=\"bad\">offline</span>") +
         "</td><td>" + Escape(age) + "</td><td>" + (t.connected ? "yes" : "no") + "</td><td>" +
         (t.trade_allowed ? "yes" : "no") + "</td><td>" +
         (t.currency.empty() ? std::string("—")
                             : Escape(FormatFixed(t.balance, 2) + " " + t.currency)) +
         "</td><td>" + std::to_string(t.queued_commands) + "</td></tr>";
  }
  if (s.terminals.empty()) h += "<tr><td colspan=\"7\">none registered</td></tr>";
  h += "</table></body></html>\n";
  return h;
}

void RegisterStatusRoutes(web::Router& router, Core& core, OutboxDepthFn outbox_depth) {
  router.Get("/healthz", [](const web::Request&, web::Responder responder) {
    responder.Send(web::Json(200, nlohmann::json{{"ok", true}}));
  });
  router.Get("/status", [&core, outbox_depth](const web::Request&, web::Responder responder) {
    const std::int64_t depth = outbox_depth ? outbox_depth() : -1;
    core.Snapshot([responder = std::move(responder), depth](CoreSnapshot s) {
      web::Response r;
      r.status = 200;
      r.content_type = "text/html; charset=utf-8";
      r.body = RenderStatusPage(s, depth);
      r.headers.emplace_back("Cache-Control", "no-store");
      responder.Send(std::move(r));
    });
  });
}

}  // namespace bitten::app
