#include "app/api_terminal.h"

#include "app/api_common.h"

namespace bitten::app {

namespace {

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
}

}  // namespace bitten::app
