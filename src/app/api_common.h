// Small glue shared by the HTTP handlers of app/ (api_*.cc): turning a core answer into a web
// response, and parsing JSON request bodies into CONTRACTS §4 errors. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "app/core.h"
#include "base/error.h"
#include "web/http.h"

namespace bitten::app {

// The core's answer as an application/json response.
web::Response ToResponse(const CoreReply& reply);
// A ReplyFn that answers `responder` (from the core thread; Responder::Send is thread-safe).
ReplyFn ReplyTo(web::Responder responder);
// An error as a response: HTTP status from `status`, body {"error":{"code","message"}}.
web::Response ErrorResponse(int status, const Error& e);
// Parses a JSON object body; fails with "bad_request" naming what is wrong.
Result<nlohmann::json> ParseJsonObject(std::string_view body);

}  // namespace bitten::app
