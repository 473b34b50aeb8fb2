#include "app/api_common.h"

namespace bitten::app {

web::Response ToResponse(const CoreReply& reply) { return web::Json(reply.status, reply.body); }

ReplyFn ReplyTo(web::Responder responder) {
  return [responder = std::move(responder)](CoreReply r) { responder.Send(ToResponse(r)); };
}

web::Response ErrorResponse(int status, const Error& e) {
  return web::JsonError(status, e.code, e.message);
}

Result<nlohmann::json> ParseJsonObject(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Fail("bad_request", "the body is not valid JSON");
  if (!j.is_object()) return Fail("bad_request", "the body must be a JSON object");
  return j;
}

}  // namespace bitten::app
