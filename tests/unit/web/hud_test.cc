// The HUD page (web/hud/) in a real browser against the real HttpServer: static files, Telegram
// initData auth header, countdown corrected by X-Server-Time, confirm-then-fire, SSE progress to
// the close, a refused fire shown in words, a blocked mission. Needs node, playwright-core (npm)
// and Chromium; skipped on a developer machine without them, failed under CI.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/paths.h"
#include "web/server.h"

namespace bitten::web {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kInitData[] = "query_id=AAH&user=%7B%22id%22%3A42%7D&auth_date=1722289995&hash=ab12";

std::string Chromium() {
  if (const char* env = std::getenv("BITTEN_CHROMIUM")) return env;
  for (const char* p :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return {};
}

class HudTest : public ::testing::Test {
 protected:
  json Mission(std::string id, TimeMs now) {
    return {
        {"mission_id", id},
        {"signal_id", "sig-1"},
        {"user_id", "u-42"},
        {"symbol", "EURUSD"},
        {"side", "BUY"},
        {"class", "RAPID_ASSAULT"},
        {"setup", "ema_pullback"},
        {"confidence", 81},
        {"shield", {{"score", 7.4}, {"band", "SHIELD_APPROVED"}, {"explanation", "trend ok"}}},
        {"entry", 1.08501},
        {"sl", 1.0825},
        {"tp", 1.0875},
        {"digits", 5},
        {"sl_pips", 25.1},
        {"tp_pips", 24.9},
        {"lots", 0.12},
        {"risk_money", 30.12},
        {"reward_money", 29.88},
        {"rr", 0.99},
        {"currency", "USD"},
        {"created_at", now - 60000},
        {"expires_at", now + 90000},
        {"status", "pending"},
        {"can_fire", true},
        {"blocked", nullptr},
        {"tier", {{"name", "NIBBLER"}, {"may_fire", {"RAPID_ASSAULT"}}, {"upgrade_to", "FANG"}}},
        {"briefing", "Buy the pullback."},
        {"fire", nullptr}};
  }

  void TearDown() override {
    if (server_) server_->Stop();
    for (auto& t : workers_) t.join();
  }

  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> workers_;
};

TEST_F(HudTest, FiresAndFollowsTheMissionInABrowser) {
  const std::string chromium = Chromium();
  const auto playwright = testing::SourceDir() / "node_modules" / "playwright-core";
  if (chromium.empty() || !std::filesystem::exists(playwright) ||
      std::system("node --version >/dev/null 2>&1") != 0) {
    if (testing::InCi()) FAIL() << "node, playwright-core or Chromium missing in CI";
    GTEST_SKIP() << "node, playwright-core or Chromium not installed";
  }

  // The server's clock runs an hour ahead of the browser's: the countdown must use X-Server-Time.
  RealClock real;
  OffsetClock clock(real, 3600 * 1000);
  std::mutex mu;
  json missions = json::object();
  missions["m-1"] = Mission("m-1", clock.NowMs());
  missions["m-offline"] = Mission("m-offline", clock.NowMs());
  json blocked = Mission("m-blocked", clock.NowMs());
  blocked["can_fire"] = false;
  blocked["blocked"] = {{"code", "tier_not_allowed"},
                        {"reason", "NIBBLER may not fire PRECISION_STRIKE."}};
  missions["m-blocked"] = blocked;
  std::vector<std::shared_ptr<SseStream>> streams;

  const auto authorized = [](const Request& req) {
    return req.Header("Authorization") == std::string("tma ") + kInitData;
  };
  const auto unauthorized = [] { return JsonError(401, "unauthorized", "Bad initData."); };
  router_.ServeStatic("/hud/", testing::SourceDir() / "web" / "hud");
  router_.Get("/api/missions/{id}", [&](const Request& req, Responder res) {
    if (!authorized(req)) return (void)res.Send(unauthorized());
    std::lock_guard lock(mu);
    const std::string id(req.Param("id"));
    if (!missions.contains(id)) return (void)res.Send(JsonError(404, "mission_not_found", "No."));
    res.Send(Json(200, missions[id]));
  });
  router_.Get("/api/signals/{id}/mission", [&](const Request& req, Responder res) {
    if (!authorized(req)) return (void)res.Send(unauthorized());
    std::lock_guard lock(mu);
    res.Send(Json(200, missions["m-1"]));
  });
  router_.Sse("/api/events", [&](const Request& req, std::shared_ptr<SseStream> s) {
    if (!authorized(req)) return std::optional<Response>(unauthorized());
    std::lock_guard lock(mu);
    streams.push_back(std::move(s));
    return std::optional<Response>{};
  });
  router_.Post("/api/fire", [&](const Request& req, Responder res) {
    if (!authorized(req)) return (void)res.Send(unauthorized());
    const json body = json::parse(req.body, nullptr, false);
    const std::string id = body.is_object() ? body.value("mission_id", "") : "";
    if (id == "m-offline") {
      return (void)res.Send(
          JsonError(503, "terminal_offline", "Your terminal has not reported for 2 minutes."));
    }
    if (id != "m-1") return (void)res.Send(JsonError(404, "mission_not_found", "No."));
    // Answered later from another thread, like the store's commit callback; then the lifecycle.
    workers_.emplace_back([&, res] {
      const auto push = [&](const char* status, json fire_fields) {
        std::lock_guard lock(mu);
        json& m = missions["m-1"];
        m["status"] = status;
        m["can_fire"] = false;
        if (m["fire"].is_null()) m["fire"] = json::object();
        m["fire"].update(fire_fields);
        m["fire"]["status"] = status;
        for (auto& s : streams) s->Send("mission", m.dump());
      };
      std::this_thread::sleep_for(100ms);
      const TimeMs fired_at = clock.NowMs();
      push("fired", {{"fire_id", "f-1"}, {"fired_at", fired_at}});
      res.Send(Json(202, {{"fire_id", "f-1"},
                          {"mission_id", "m-1"},
                          {"status", "fired"},
                          {"fired_at", fired_at}}));
      std::this_thread::sleep_for(300ms);
      push("delivered", {{"delivered_at", clock.NowMs()}});
      std::this_thread::sleep_for(300ms);
      push("filled", {{"fill_price", 1.08503}, {"fill_volume", 0.12}, {"ticket", 512331}});
      std::this_thread::sleep_for(300ms);
      push("closed", {{"close_price", 1.0875}, {"profit", 42.5}, {"close_reason", "tp"}});
    });
  });

  ServerOptions o;
  o.clock = &clock;
  o.io_threads = 2;
  server_ = std::make_unique<HttpServer>(o, router_);
  auto port = server_->Start();
  ASSERT_TRUE(port.has_value());

  const auto script = testing::SourceDir() / "tests" / "unit" / "web" / "hud_browser.mjs";
  const std::string cmd = "cd '" + testing::SourceDir().string() + "' && node '" + script.string() +
                          "' http://127.0.0.1:" + std::to_string(*port) + " '" + chromium + "' '" +
                          kInitData + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "see the HUD check output above";
  // The handlers use this test's locals: stop before they go.
  server_->Stop();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

}  // namespace
}  // namespace bitten::web
