#include "app/api_user.h"

#include "app/api_common.h"
#include "base/uuid.h"

namespace bitten::app {

namespace {

using Purpose = Authenticator::Purpose;

Result<Principal> Authenticate(const Authenticator& auth, const web::Request& req,
                               Purpose purpose) {
  return auth.Authenticate(req.Header("Authorization"), purpose);
}

}  // namespace

void RegisterUserRoutes(web::Router& router, Core& core, const Authenticator& auth) {
  router.Get("/api/me", [&core, &auth](const web::Request& req, web::Responder responder) {
    auto who = Authenticate(auth, req, Purpose::kRead);
    if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
    core.GetMe(std::move(*who), ReplyTo(std::move(responder)));
  });

  router.Get("/api/missions", [&core, &auth](const web::Request& req, web::Responder responder) {
    auto who = Authenticate(auth, req, Purpose::kRead);
    if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
    core.ListMissions(std::move(*who), std::string(req.Query("status")),
                      ReplyTo(std::move(responder)));
  });

  router.Get("/api/missions/{mission_id}",
             [&core, &auth](const web::Request& req, web::Responder responder) {
               auto who = Authenticate(auth, req, Purpose::kRead);
               if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
               core.GetMission(std::move(*who), std::string(req.Param("mission_id")),
                               ReplyTo(std::move(responder)));
             });

  router.Get("/api/signals/{signal_id}/mission",
             [&core, &auth](const web::Request& req, web::Responder responder) {
               auto who = Authenticate(auth, req, Purpose::kRead);
               if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
               core.GetMissionForSignal(std::move(*who), std::string(req.Param("signal_id")),
                                        ReplyTo(std::move(responder)));
             });

  router.Post("/api/fire", [&core, &auth](const web::Request& req, web::Responder responder) {
    auto who = Authenticate(auth, req, Purpose::kFire);
    if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
    auto body = ParseJsonObject(req.body);
    if (!body) return (void)responder.Send(ErrorResponse(400, body.error()));
    auto id = body->find("mission_id");
    if (id == body->end() || !id->is_string() || !IsUuidV7(id->get<std::string>())) {
      return (void)responder.Send(web::JsonError(
          400, "bad_request", "mission_id must be a mission id (lowercase UUIDv7 text)"));
    }
    core.FireMission(std::move(*who), id->get<std::string>(), ReplyTo(std::move(responder)));
  });

  router.Sse(
      "/api/events",
      [&core, &auth](const web::Request& req,
                     std::shared_ptr<web::SseStream> stream) -> std::optional<web::Response> {
        auto who = Authenticate(auth, req, Purpose::kRead);
        if (!who) return ErrorResponse(401, who.error());
        core.Subscribe(std::move(*who), std::move(stream));
        return std::nullopt;
      });
}

}  // namespace bitten::app
