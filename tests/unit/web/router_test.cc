#include "web/router.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/paths.h"

namespace bitten::web {
namespace {

namespace fs = std::filesystem;

Request Make(std::string method, std::string_view target) {
  Request req;
  req.method = std::move(method);
  EXPECT_TRUE(ParseTarget(target, req)) << target;
  return req;
}

// Routes synchronously and returns the answer.
Response Call(const Router& router, std::string method, std::string_view target,
              HeaderList headers = {}) {
  Request req = Make(std::move(method), target);
  req.headers = std::move(headers);
  std::optional<Response> got;
  router.Handle(req, Responder([&](Response r) { got = std::move(r); }));
  EXPECT_TRUE(got.has_value());
  return got.value_or(Response{});
}

std::string ErrorCode(const Response& r) {
  return nlohmann::json::parse(r.body).at("error").at("code").get<std::string>();
}

void WriteFile(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

Router ApiRouter() {
  Router r;
  r.Get("/api/missions/{mission_id}", [](const Request& req, Responder res) {
    res.Send(Json(200, {{"route", "one"}, {"id", req.Param("mission_id")}}));
  });
  r.Get("/api/missions/active", [](const Request&, Responder res) {
    res.Send(Json(200, {{"route", "active"}}));
  });
  r.Get("/api/signals/{signal_id}/mission", [](const Request& req, Responder res) {
    res.Send(Json(200, {{"route", "by_signal"}, {"id", req.Param("signal_id")}}));
  });
  r.Post("/api/fire", [](const Request& req, Responder res) {
    res.Send(Json(202, {{"route", "fire"}, {"body", req.body}}));
  });
  r.Delete("/api/missions/{mission_id}", [](const Request&, Responder res) {
    res.Send(Json(200, {{"route", "delete"}}));
  });
  return r;
}

TEST(Router, MatchesPatternsAndBindsParams) {
  const Router r = ApiRouter();
  auto body = nlohmann::json::parse(Call(r, "GET", "/api/missions/0190f3b2-6c1e").body);
  EXPECT_EQ(body["route"], "one");
  EXPECT_EQ(body["id"], "0190f3b2-6c1e");
  body = nlohmann::json::parse(Call(r, "GET", "/api/signals/s%20x/mission?x=1").body);
  EXPECT_EQ(body["route"], "by_signal");
  EXPECT_EQ(body["id"], "s x");
  EXPECT_EQ(nlohmann::json::parse(Call(r, "DELETE", "/api/missions/m1").body)["route"], "delete");
}

TEST(Router, LiteralSegmentBeatsParameter) {
  const Router r = ApiRouter();
  EXPECT_EQ(nlohmann::json::parse(Call(r, "GET", "/api/missions/active").body)["route"], "active");
}

TEST(Router, UnknownPathIs404NotFound) {
  const Router r = ApiRouter();
  for (const char* target : {"/nope", "/api/missions", "/api/missions/", "/api/missions/a/b"}) {
    const Response res = Call(r, "GET", target);
    EXPECT_EQ(res.status, 404) << target;
    EXPECT_EQ(ErrorCode(res), "not_found") << target;
    EXPECT_EQ(res.content_type, "application/json");
  }
}

TEST(Router, WrongMethodIs405WithAllow) {
  const Router r = ApiRouter();
  Response res = Call(r, "GET", "/api/fire");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(ErrorCode(res), "method_not_allowed");
  EXPECT_EQ(res.Header("Allow"), "POST");
  res = Call(r, "POST", "/api/missions/m1");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.Header("allow"), "GET, DELETE");
}

TEST(Router, SseRouteResolvesAsStream) {
  Router r;
  r.Sse("/api/events",
        [](const Request&, std::shared_ptr<SseStream>) { return std::optional<Response>{}; });
  Request req = Make("GET", "/api/events");
  const auto res = r.Resolve(req);
  EXPECT_NE(res.sse, nullptr);
  EXPECT_EQ(res.handler, nullptr);
  EXPECT_FALSE(res.response.has_value());
  EXPECT_EQ(Call(r, "POST", "/api/events").status, 405);
}

class StaticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() / "site";
    WriteFile(root_ / "hud" / "index.html", "<!doctype html><title>HUD</title>");
    WriteFile(root_ / "hud" / "hud.js", "console.log(1)");
    WriteFile(root_ / "hud" / "hud.css", "body{}");
    WriteFile(root_ / "hud" / "img" / "logo.svg", "<svg/>");
    WriteFile(root_ / "hud" / "data.json", "{}");
    WriteFile(root_ / "hud" / "font.woff2", "wOF2");
    WriteFile(root_ / "hud" / "mod.mjs", "export {}");
    WriteFile(root_ / "hud" / "pic.png", "\x89PNG");
    WriteFile(root_ / "secret.txt", "TOP SECRET");
    router_.ServeStatic("/hud/", root_ / "hud");
  }

  testing::TempDir tmp_;
  fs::path root_;
  Router router_;
};

TEST_F(StaticTest, ServesFilesWithContentTypes) {
  struct Case {
    const char* target;
    const char* type;
  };
  for (const Case& c :
       {Case{"/hud/hud.js", "text/javascript; charset=utf-8"},
        Case{"/hud/mod.mjs", "text/javascript; charset=utf-8"},
        Case{"/hud/hud.css", "text/css; charset=utf-8"}, Case{"/hud/img/logo.svg", "image/svg+xml"},
        Case{"/hud/data.json", "application/json"}, Case{"/hud/font.woff2", "font/woff2"},
        Case{"/hud/pic.png", "image/png"}, Case{"/hud/index.html", "text/html; charset=utf-8"}}) {
    const Response res = Call(router_, "GET", c.target);
    EXPECT_EQ(res.status, 200) << c.target;
    EXPECT_EQ(res.content_type, c.type) << c.target;
    EXPECT_EQ(res.Header("Cache-Control"), "no-cache");
    EXPECT_FALSE(res.Header("ETag").empty());
  }
  EXPECT_EQ(Call(router_, "GET", "/hud/hud.js").body, "console.log(1)");
}

TEST_F(StaticTest, DirectoryServesIndexAndPrefixRedirects) {
  Response res = Call(router_, "GET", "/hud/");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "<!doctype html><title>HUD</title>");
  res = Call(router_, "GET", "/hud?mission=m1");
  EXPECT_EQ(res.status, 301);
  EXPECT_EQ(res.Header("Location"), "/hud/?mission=m1");
  res = Call(router_, "GET", "/hud/img");
  EXPECT_EQ(res.status, 301);
  EXPECT_EQ(res.Header("Location"), "/hud/img/");
}

TEST_F(StaticTest, ConditionalGetAnswers304) {
  const Response first = Call(router_, "GET", "/hud/hud.js");
  const std::string etag(first.Header("ETag"));
  const Response again = Call(router_, "GET", "/hud/hud.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(StaticTest, RefusesTraversalOutsideTheDirectory) {
  for (const char* target :
       {"/hud/../secret.txt", "/hud/%2e%2e/secret.txt", "/hud/%2E%2E%2Fsecret.txt",
        "/hud/img/../../secret.txt", "/hud/..%5csecret.txt", "/hud/./hud.js", "/hud//../secret.txt",
        "/hud/missing.js"}) {
    const Response res = Call(router_, "GET", target);
    EXPECT_EQ(res.status, 404) << target;
    EXPECT_EQ(res.body.find("TOP SECRET"), std::string::npos) << target;
  }
}

TEST_F(StaticTest, RefusesSymlinksLeadingOutside) {
  fs::create_symlink(root_ / "secret.txt", root_ / "hud" / "link.txt");
  const Response res = Call(router_, "GET", "/hud/link.txt");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body.find("TOP SECRET"), std::string::npos);
}

TEST_F(StaticTest, OnlyGetAndHead) {
  const Response res = Call(router_, "POST", "/hud/hud.js");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(Call(router_, "HEAD", "/hud/hud.js").status, 200);
}

TEST(ContentType, UnknownIsOctetStream) {
  EXPECT_EQ(ContentTypeFor("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace bitten::web
