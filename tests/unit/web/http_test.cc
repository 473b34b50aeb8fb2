#include "web/http.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

namespace bitten::web {
namespace {

TEST(ParseTarget, SplitsPathAndDecodesQuery) {
  Request req;
  ASSERT_TRUE(ParseTarget("/api/mis%73ions?status=active&x=a+b%26c&status=second&flag", req));
  EXPECT_EQ(req.path, "/api/missions");
  EXPECT_EQ(req.target, "/api/mis%73ions?status=active&x=a+b%26c&status=second&flag");
  EXPECT_EQ(req.Query("status"), "active");  // first occurrence wins
  EXPECT_EQ(req.Query("x"), "a b&c");
  EXPECT_EQ(req.query.count("flag"), 1u);
  EXPECT_EQ(req.Query("missing"), "");
}

TEST(ParseTarget, RefusesMalformedTargets) {
  Request req;
  EXPECT_FALSE(ParseTarget("api/missions", req));
  EXPECT_FALSE(ParseTarget("/a%zz", req));
  EXPECT_FALSE(ParseTarget("/a%2", req));
  EXPECT_FALSE(ParseTarget("/a%00b", req));
  EXPECT_FALSE(ParseTarget("/a?x=%g1", req));
  EXPECT_FALSE(ParseTarget("", req));
}

TEST(Request, HeaderLookupIsCaseInsensitive) {
  Request req;
  req.headers = {{"Authorization", "tma abc"}, {"X-Thing", "1"}, {"x-thing", "2"}};
  EXPECT_EQ(req.Header("authorization"), "tma abc");
  EXPECT_EQ(req.Header("X-THING"), "1");
  EXPECT_EQ(req.Header("Missing"), "");
}

TEST(JsonError, HasTheContractShape) {
  const Response r = JsonError(410, "mission_expired", "This mission expired at 14:05 UTC.");
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(r.content_type, "application/json");
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body, (nlohmann::json{{"error",
                                   {{"code", "mission_expired"},
                                    {"message", "This mission expired at 14:05 UTC."}}}}));
}

TEST(Json, DumpsTheValue) {
  const Response r = Json(202, {{"fire_id", "f"}, {"status", "fired"}});
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "fired");
}

TEST(Responder, AnswersExactlyOnceAcrossCopies) {
  int calls = 0;
  int status = 0;
  {
    Responder a([&](Response r) {
      ++calls;
      status = r.status;
    });
    Responder b = a;
    EXPECT_FALSE(b.answered());
    EXPECT_TRUE(b.Send(Json(200, {{"ok", true}})));
    EXPECT_FALSE(a.Send(Json(201, {})));
    EXPECT_TRUE(a.answered());
  }
  EXPECT_EQ(calls, 1);  // no 500 on destruction either
  EXPECT_EQ(status, 200);
}

TEST(Responder, DroppedWithoutAnswerSends500Internal) {
  std::optional<Response> got;
  {
    Responder r([&](Response resp) { got = std::move(resp); });
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, 500);
  EXPECT_EQ(nlohmann::json::parse(got->body)["error"]["code"], "internal");
}

TEST(Responder, OnlyOneOfManyConcurrentSendersWins) {
  std::atomic<int> calls{0};
  Responder r([&](Response) { ++calls; });
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([r, &wins] {
      if (r.Send(Json(200, {}))) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(calls.load(), 1);
}

TEST(SseStream, FramesEventsWithOneDataLinePerLine) {
  SseStream s;
  ASSERT_TRUE(s.Send("mission", "{\"a\":1}"));
  ASSERT_TRUE(s.Send("note", "line1\nline2\r\nline3"));
  EXPECT_EQ(s.queued(), 2u);
  EXPECT_EQ(s.TakeFrames(),
            "event: mission\ndata: {\"a\":1}\n\n"
            "event: note\ndata: line1\ndata: line2\ndata: line3\n\n");
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_FALSE(s.Send("bad\nname", "x"));
  EXPECT_FALSE(s.Send("", "x"));
}

TEST(SseStream, FullQueueClosesTheStreamAndFreesIt) {
  SseStream s(3);
  int closed = 0;
  s.SetOnClose([&] { ++closed; });
  EXPECT_TRUE(s.Send("e", "1"));
  EXPECT_TRUE(s.Send("e", "2"));
  EXPECT_TRUE(s.Send("e", "3"));
  EXPECT_FALSE(s.Send("e", "4"));
  EXPECT_FALSE(s.open());
  EXPECT_TRUE(s.dropped());
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(closed, 1);
  EXPECT_FALSE(s.Send("e", "5"));
  s.Close();
  s.NotifyClosed();
  EXPECT_EQ(closed, 1);  // once
  int late = 0;
  s.SetOnClose([&] { ++late; });  // set after the close: runs at once
  EXPECT_EQ(late, 1);
}

TEST(SseStream, WithAWriterTheCloseCallbackWaitsForTheWriter) {
  SseStream s(2);
  int wakes = 0;
  int closed = 0;
  s.Attach([&] { ++wakes; });
  s.SetOnClose([&] { ++closed; });
  EXPECT_TRUE(s.Send("e", "1"));  // empty → non-empty wakes the writer
  EXPECT_TRUE(s.Send("e", "2"));  // already non-empty: no new wake
  EXPECT_EQ(wakes, 1);
  s.Close();
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(closed, 0);  // not inside Close: the writer flushes, then reports
  EXPECT_EQ(s.TakeFrames(), "event: e\ndata: 1\n\nevent: e\ndata: 2\n\n");
  s.NotifyClosed();
  EXPECT_EQ(closed, 1);
}

TEST(HttpDate, IsImfFixdate) { EXPECT_EQ(HttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT"); }

}  // namespace
}  // namespace bitten::web
