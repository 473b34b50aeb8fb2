#include "app/api_user.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "app/api_common.h"
#include "base/uuid.h"

namespace bitten::app {

namespace {

using Purpose = Authenticator::Purpose;

constexpr int kLeaderboardDefault = 20;
constexpr int kLeaderboardMax = 100;
constexpr int kBarsDefault = 120;  // GET /api/bars: bars per answer when n is not given
constexpr int kBarsMax = 500;      // and at most
constexpr std::size_t kSymbolMax = 20;

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

  router.Get("/api/stats", [&core, &auth](const web::Request& req, web::Responder responder) {
    auto who = Authenticate(auth, req, Purpose::kRead);
    if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
    core.GetStats(std::move(*who), ReplyTo(std::move(responder)));
  });

  router.Get("/api/leaderboard", [&core, &auth](const web::Request& req, web::Responder responder) {
    auto who = Authenticate(auth, req, Purpose::kRead);
    if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
    int limit = kLeaderboardDefault;
    if (const std::string_view q = req.Query("limit"); !q.empty()) {
      const auto [end, ec] = std::from_chars(q.data(), q.data() + q.size(), limit);
      if (ec != std::errc() || end != q.data() + q.size() || limit < 1 || limit > kLeaderboardMax) {
        return (void)responder.Send(web::JsonError(
            400, "bad_request",
            "limit must be a whole number from 1 to " + std::to_string(kLeaderboardMax)));
      }
    }
    core.GetLeaderboard(std::move(*who), limit, ReplyTo(std::move(responder)));
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

  router.Get("/api/bars", [&core, &auth](const web::Request& req, web::Responder responder) {
    auto who = Authenticate(auth, req, Purpose::kRead);
    if (!who) return (void)responder.Send(ErrorResponse(401, who.error()));
    const std::string symbol(req.Query("symbol"));
    const bool symbol_ok =
        !symbol.empty() && symbol.size() <= kSymbolMax &&
        std::all_of(symbol.begin(), symbol.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
        });
    if (!symbol_ok) {
      return (void)responder.Send(web::JsonError(
          400, "bad_request", "symbol must be 1 to 20 of A-Z 0-9 . _ (e.g. symbol=EURUSD)"));
    }
    const std::string_view tf_text = req.Query("tf").empty() ? "M1" : req.Query("tf");
    market::Timeframe tf = market::Timeframe::kM1;
    if (tf_text == "M5") {
      tf = market::Timeframe::kM5;
    } else if (tf_text == "M15") {
      tf = market::Timeframe::kM15;
    } else if (tf_text != "M1") {
      return (void)responder.Send(web::JsonError(400, "bad_request", "tf must be M1, M5 or M15"));
    }
    int n = kBarsDefault;
    if (const std::string_view q = req.Query("n"); !q.empty()) {
      const auto [end, ec] = std::from_chars(q.data(), q.data() + q.size(), n);
      if (ec != std::errc() || end != q.data() + q.size() || n < 1 || n > kBarsMax) {
        return (void)responder.Send(web::JsonError(
            400, "bad_request", "n must be a whole number from 1 to " + std::to_string(kBarsMax)));
      }
    }
    core.GetBars(std::move(*who), symbol, tf, n, ReplyTo(std::move(responder)));
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
