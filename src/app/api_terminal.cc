#include "app/api_terminal.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "app/api_common.h"

namespace bitten::app {

namespace {

std::optional<TimeMs> ParseInt(std::string_view s) {
  TimeMs v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

TerminalCall CallOf(const web::Request& req) {
  TerminalCall call;
  call.terminal_id = std::string(req.Header("X-Bitten-Terminal"));
  call.timestamp = std::string(req.Header("X-Bitten-Timestamp"));
  call.signature = std::string(req.Header("X-Bitten-Signature"));
  call.method = req.method;
  call.target = req.target;
  call.body = req.body;
  return call;
}

}  // namespace

void RegisterTerminalRoutes(web::Router& router, Core& core) {
  router.Post("/api/ticks", [&core](const web::Request& req, web::Responder responder) {
    core.PostTicks(CallOf(req), ReplyTo(std::move(responder)));
  });
  router.Post("/api/report", [&core](const web::Request& req, web::Responder responder) {
    core.PostReport(CallOf(req), ReplyTo(std::move(responder)));
  });
  router.Post("/api/heartbeat", [&core](const web::Request& req, web::Responder responder) {
    core.PostHeartbeat(CallOf(req), ReplyTo(std::move(responder)));
  });
  // Quotes from the server's quote book (docs/protocol.md "Quotes from the server"): ?terminal=<id>
  // must name the signing terminal; optional &symbols=<A,B,...> (default: every symbol).
  router.Get("/api/quotes", [&core](const web::Request& req, web::Responder responder) {
    TerminalCall call = CallOf(req);
    // Without the terminal header the core answers 401 (unsigned), as for every terminal call.
    if (!call.terminal_id.empty() && req.Query("terminal") != call.terminal_id) {
      responder.Send(web::JsonError(400, "bad_request",
                                    "query parameter terminal must name the signing terminal "
                                    "(X-Bitten-Terminal)"));
      return;
    }
    std::vector<std::string> symbols;
    const std::string_view list = req.Query("symbols");
    for (std::size_t pos = 0; pos < list.size();) {
      const std::size_t comma = std::min(list.find(',', pos), list.size());
      if (comma > pos) symbols.emplace_back(list.substr(pos, comma - pos));
      pos = comma + 1;
    }
    if (symbols.size() > 100) {
      responder.Send(web::JsonError(400, "bad_request", "at most 100 symbols per request"));
      return;
    }
    core.GetQuotes(std::move(call), std::move(symbols), ReplyTo(std::move(responder)));
  });
  // Long poll for the next command (docs/protocol.md "HTTP transport"): ?terminal=<id> must name
  // the signing terminal; optional &wait_ms=<0..25000> (default 25000).
  router.Get("/api/bridge/next", [&core](const web::Request& req, web::Responder responder) {
    TerminalCall call = CallOf(req);
    if (req.Query("terminal") != call.terminal_id) {
      responder.Send(web::JsonError(400, "bad_request",
                                    "query parameter terminal must name the signing terminal "
                                    "(X-Bitten-Terminal)"));
      return;
    }
    TimeMs wait_ms = 25'000;
    if (const std::string_view w = req.Query("wait_ms"); !w.empty()) {
      const auto v = ParseInt(w);
      if (!v || *v < 0 || *v > 25'000) {
        responder.Send(
            web::JsonError(400, "bad_request", "wait_ms must be an integer from 0 to 25000"));
        return;
      }
      wait_ms = *v;
    }
    core.BridgeNext(std::move(call), wait_ms,
                    [responder](web::Response r) { responder.Send(std::move(r)); });
  });
}

}  // namespace bitten::app
