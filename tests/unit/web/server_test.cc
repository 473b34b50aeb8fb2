// The server with real sockets: a real Beast HTTP client (synchronous, with socket receive
// timeouts so that a bug fails a test instead of hanging it) against HttpServer on an ephemeral
// port.
#include "web/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/paths.h"

namespace bitten::web {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

using HttpResponse = http::response<http::string_body>;

class Client {
 public:
  explicit Client(std::uint16_t port, int rcvbuf = 0) : socket_(ioc_) {
    socket_.open(tcp::v4());
    if (rcvbuf > 0) {
      socket_.set_option(net::socket_base::receive_buffer_size(rcvbuf));
    }
    timeval tv{5, 0};  // every read gives up after 5 s
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void Send(http::verb verb, std::string_view target, std::string body = {},
            std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || verb == http::verb::post) {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    http::write(socket_, req);
  }

  HttpResponse Read() {
    HttpResponse res;
    beast::error_code ec;
    http::read(socket_, buffer_, res, ec);
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }

  HttpResponse Do(http::verb verb, std::string_view target, std::string body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    Send(verb, target, std::move(body), std::move(headers));
    return Read();
  }

  void WriteRaw(std::string_view bytes) { net::write(socket_, net::buffer(bytes)); }

  // Reads raw bytes until `needle` has been seen (true) or the peer closes / 5 s pass (false).
  bool ReadUntil(std::string_view needle) {
    while (raw_.find(needle) == std::string::npos) {
      std::array<char, 4096> buf;
      beast::error_code ec;
      const std::size_t n = socket_.read_some(net::buffer(buf), ec);
      if (ec) return false;
      raw_.append(buf.data(), n);
    }
    return true;
  }
  // True when the server closed the connection (EOF or reset) within the read timeout.
  bool ClosedByPeer() {
    std::array<char, 65536> buf;
    while (true) {
      beast::error_code ec;
      socket_.read_some(net::buffer(buf), ec);
      if (ec == net::error::eof || ec == net::error::connection_reset) return true;
      if (ec) return false;  // timeout
    }
  }
  const std::string& raw() const { return raw_; }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string raw_;
};

std::string ErrorCode(const HttpResponse& r) {
  return nlohmann::json::parse(r.body()).at("error").at("code").get<std::string>();
}

class ServerTest : public ::testing::Test {
 protected:
  std::uint16_t Start(ServerOptions options = {}) {
    options.io_threads = 2;
    server_ = std::make_unique<HttpServer>(options, router_);
    auto port = server_->Start();
    EXPECT_TRUE(port.has_value()) << (port ? "" : port.error().message);
    return port.value_or(0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    for (auto& t : workers_) t.join();
  }

  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> workers_;
};

TEST_F(ServerTest, RoutesWithParamsQueryAndBody) {
  router_.Get("/api/missions/{mission_id}", [](const Request& req, Responder res) {
    res.Send(Json(200, {{"id", req.Param("mission_id")},
                        {"status", req.Query("status")},
                        {"auth", req.Header("authorization")},
                        {"remote_set", !req.remote.empty()}}));
  });
  router_.Post("/api/fire", [](const Request& req, Responder res) {
    res.Send(Json(202, {{"echo", nlohmann::json::parse(req.body)}}));
  });
  const auto port = Start();
  Client c(port);
  auto res = c.Do(http::verb::get, "/api/missions/m-42?status=active", {},
                  {{"Authorization", "tma query_id=1"}});
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  auto body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["id"], "m-42");
  EXPECT_EQ(body["status"], "active");
  EXPECT_EQ(body["auth"], "tma query_id=1");
  EXPECT_EQ(body["remote_set"], true);

  res = c.Do(http::verb::post, "/api/fire", R"({"mission_id":"m-42"})");
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_EQ(nlohmann::json::parse(res.body())["echo"]["mission_id"], "m-42");
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowedAreJsonErrors) {
  router_.Post("/api/fire", [](const Request&, Responder res) { res.Send(Json(202, {})); });
  const auto port = Start();
  Client c(port);
  auto res = c.Do(http::verb::get, "/api/nothing");
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(ErrorCode(res), "not_found");
  EXPECT_FALSE(nlohmann::json::parse(res.body())["error"]["message"].get<std::string>().empty());
  res = c.Do(http::verb::get, "/api/fire");
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(ErrorCode(res), "method_not_allowed");
  EXPECT_EQ(res[http::field::allow], "POST");
}

TEST_F(ServerTest, EveryResponseCarriesServerTimeAndDate) {
  SimClock clock(1722289995123);
  router_.Get("/t", [](const Request&, Responder res) { res.Send(Json(200, {})); });
  ServerOptions o;
  o.clock = &clock;
  const auto port = Start(o);
  Client c(port);
  for (const char* target : {"/t", "/missing"}) {
    const auto res = c.Do(http::verb::get, target);
    EXPECT_EQ(res["X-Server-Time"], "1722289995123") << target;
    EXPECT_EQ(res[http::field::date], "Mon, 29 Jul 2024 21:53:15 GMT") << target;
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  }
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::atomic<int> hits{0};
  router_.Get("/n", [&](const Request&, Responder res) { res.Send(Json(200, {{"n", ++hits}})); });
  const auto port = Start();
  Client c(port);
  for (int i = 1; i <= 5; ++i) {
    const auto res = c.Do(http::verb::get, "/n");
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(nlohmann::json::parse(res.body())["n"], i);
  }
  EXPECT_EQ(server_->connections(), 1u);
  // Two pipelined requests are answered in order.
  c.Send(http::verb::get, "/n");
  c.Send(http::verb::get, "/n");
  EXPECT_EQ(nlohmann::json::parse(c.Read().body())["n"], 6);
  EXPECT_EQ(nlohmann::json::parse(c.Read().body())["n"], 7);
}

TEST_F(ServerTest, BodyOverTheLimitIs413AndCloses) {
  router_.Post("/api/fire", [](const Request&, Responder res) { res.Send(Json(202, {})); });
  ServerOptions o;
  o.body_limit = 1024;
  const auto port = Start(o);
  {
    Client ok(port);
    EXPECT_EQ(ok.Do(http::verb::post, "/api/fire", std::string(1024, 'x')).result_int(), 202);
  }
  Client c(port);
  const auto res = c.Do(http::verb::post, "/api/fire", std::string(4096, 'x'));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_EQ(ErrorCode(res), "body_too_large");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ServerTest, MalformedRequestIs400) {
  const auto port = Start();
  Client c(port);
  c.WriteRaw("this is not http\r\n\r\n");
  ASSERT_TRUE(c.ReadUntil("\r\n\r\n"));
  EXPECT_EQ(c.raw().rfind("HTTP/1.1 400", 0), 0u) << c.raw();
  ASSERT_TRUE(c.ReadUntil("}}"));
  EXPECT_NE(c.raw().find(R"("code":"bad_request")"), std::string::npos);
}

TEST_F(ServerTest, ExpectContinueGetsA100BeforeTheBody) {
  router_.Post("/api/report", [](const Request& req, Responder res) {
    res.Send(Json(200, {{"got", req.body}}));
  });
  const auto port = Start();
  Client c(port);
  c.WriteRaw(
      "POST /api/report HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  ASSERT_TRUE(c.ReadUntil("HTTP/1.1 100 Continue\r\n\r\n"));
  c.WriteRaw("hello");
  ASSERT_TRUE(c.ReadUntil(R"({"got":"hello"})"));
  EXPECT_NE(c.raw().find("HTTP/1.1 200 OK"), std::string::npos);
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  const auto port = Start(o);
  Client c(port);
  const auto res = c.Do(http::verb::get, "/x", {}, {{"X-Big", std::string(4000, 'a')}});
  EXPECT_EQ(res.result_int(), 431);
  EXPECT_EQ(ErrorCode(res), "headers_too_large");
}

TEST_F(ServerTest, ResponderCompletedFromAnotherThreadLater) {
  router_.Get("/slow", [this](const Request& req, Responder res) {
    workers_.emplace_back([res, id = std::string(req.Param("x"))] {
      std::this_thread::sleep_for(200ms);
      EXPECT_TRUE(res.Send(Json(200, {{"answered_by", "worker"}})));
      EXPECT_FALSE(res.Send(Json(500, {})));
    });
  });
  const auto port = Start();
  Client c(port);
  const auto res = c.Do(http::verb::get, "/slow");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(nlohmann::json::parse(res.body())["answered_by"], "worker");
  EXPECT_EQ(c.Do(http::verb::get, "/slow").result_int(), 200);  // connection still usable
}

TEST_F(ServerTest, DroppedResponderAnswers500) {
  router_.Get("/drop-now", [](const Request&, Responder) {});
  router_.Get("/drop-later", [this](const Request&, Responder res) {
    workers_.emplace_back([res = std::move(res)]() mutable {
      std::this_thread::sleep_for(100ms);
      Responder gone = std::move(res);  // last copy dies on this thread
    });
  });
  const auto port = Start();
  Client c(port);
  for (const char* target : {"/drop-now", "/drop-later"}) {
    const auto res = c.Do(http::verb::get, target);
    EXPECT_EQ(res.result_int(), 500) << target;
    EXPECT_EQ(ErrorCode(res), "internal") << target;
  }
}

TEST_F(ServerTest, HandlerTooSlowGets504AndTheLateAnswerIsDropped) {
  std::promise<Responder> held;
  router_.Get("/stuck", [&](const Request&, Responder res) { held.set_value(res); });
  router_.Get("/ok", [](const Request&, Responder res) { res.Send(Json(200, {{"ok", true}})); });
  ServerOptions o;
  o.handler_timeout_ms = 200;
  const auto port = Start(o);
  Client c(port);
  const auto res = c.Do(http::verb::get, "/stuck");
  EXPECT_EQ(res.result_int(), 504);
  EXPECT_EQ(ErrorCode(res), "timeout");
  Responder late = held.get_future().get();
  late.Send(Json(200, {{"late", true}}));
  const auto next = c.Do(http::verb::get, "/ok");
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), R"({"ok":true})");
}

TEST_F(ServerTest, ServesStaticFilesAndRefusesTraversal) {
  testing::TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "hud");
  std::ofstream(tmp.path() / "hud" / "index.html") << "<!doctype html>hud";
  std::ofstream(tmp.path() / "secret.txt") << "TOP SECRET";
  router_.ServeStatic("/hud/", tmp.path() / "hud");
  const auto port = Start();
  Client c(port);
  auto res = c.Do(http::verb::get, "/hud/");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res.body(), "<!doctype html>hud");
  for (const char* target : {"/hud/../secret.txt", "/hud/%2e%2e/secret.txt"}) {
    res = c.Do(http::verb::get, target);
    EXPECT_EQ(res.result_int(), 404) << target;
    EXPECT_EQ(res.body().find("TOP SECRET"), std::string::npos);
  }
}

// --- Server-Sent Events ---

struct StreamBox {
  std::promise<std::shared_ptr<SseStream>> opened;
  std::promise<void> closed;
};

TEST_F(ServerTest, SseDeliversEventsInOrder) {
  StreamBox box;
  router_.Sse("/api/events", [&](const Request& req, std::shared_ptr<SseStream> s) {
    if (req.Header("Authorization") != "Bearer good") {
      return std::optional<Response>(JsonError(401, "unauthorized", "No valid credentials."));
    }
    s->Send("hello", "first");  // queued before the headers are out
    s->SetOnClose([&box] { box.closed.set_value(); });
    box.opened.set_value(s);
    return std::optional<Response>{};
  });
  const auto port = Start();

  Client refused(port);
  const auto res = refused.Do(http::verb::get, "/api/events");
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(ErrorCode(res), "unauthorized");

  Client c(port);
  c.Send(http::verb::get, "/api/events", {},
         {{"Authorization", "Bearer good"}, {"Accept", "text/event-stream"}});
  auto stream = box.opened.get_future().get();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(stream->Send("mission", nlohmann::json{{"seq", i}}.dump()));
  }
  ASSERT_TRUE(c.ReadUntil("data: {\"seq\":49}\n\n"));
  const std::string& raw = c.raw();
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(raw.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(raw.find("X-Server-Time: "), std::string::npos);
  std::size_t pos = raw.find("event: hello\ndata: first\n\n");
  ASSERT_NE(pos, std::string::npos);
  for (int i = 0; i < 50; ++i) {
    const std::string frame = "event: mission\ndata: {\"seq\":" + std::to_string(i) + "}\n\n";
    const std::size_t next = raw.find(frame, pos);
    ASSERT_NE(next, std::string::npos) << "event " << i << " missing or out of order";
    pos = next;
  }
  // The app closes the stream: the connection ends and on-close runs.
  stream->Close();
  EXPECT_TRUE(c.ClosedByPeer());
  EXPECT_EQ(box.closed.get_future().wait_for(5s), std::future_status::ready);
}

TEST_F(ServerTest, SseKeepAliveCommentsWhenIdle) {
  StreamBox box;
  router_.Sse("/api/events", [&](const Request&, std::shared_ptr<SseStream> s) {
    box.opened.set_value(s);
    return std::optional<Response>{};
  });
  ServerOptions o;
  o.sse_keepalive_ms = 100;
  const auto port = Start(o);
  Client c(port);
  c.Send(http::verb::get, "/api/events");
  EXPECT_TRUE(c.ReadUntil(": keep-alive\n\n"));
}

TEST_F(ServerTest, SseClientThatDoesNotReadIsDroppedWhenTheQueueIsFull) {
  StreamBox box;
  router_.Sse("/api/events", [&](const Request&, std::shared_ptr<SseStream> s) {
    s->SetOnClose([&box] { box.closed.set_value(); });
    box.opened.set_value(s);
    return std::optional<Response>{};
  });
  ServerOptions o;
  o.sse_max_queued = 16;
  const auto port = Start(o);
  Client c(port, /*rcvbuf=*/4096);
  c.Send(http::verb::get, "/api/events");
  ASSERT_TRUE(c.ReadUntil(": connected\n\n"));
  auto stream = box.opened.get_future().get();
  // The client now reads nothing. Socket buffers fill, then the bounded queue, then Send fails.
  const std::string data(64 * 1024, 'x');
  int sent = 0;
  bool refused = false;
  for (; sent < 20000 && !refused; ++sent) {
    refused = !stream->Send("mission", data);
    if (sent % 16 == 0) std::this_thread::sleep_for(1ms);  // let the writer drain what it can
  }
  EXPECT_TRUE(refused) << "queue never filled after " << sent << " events";
  EXPECT_FALSE(stream->open());
  EXPECT_TRUE(stream->dropped());
  EXPECT_EQ(stream->queued(), 0u);  // memory released
  EXPECT_EQ(box.closed.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(stream->Send("mission", "late"));
}

TEST_F(ServerTest, SseClientLeavingRunsOnClose) {
  StreamBox box;
  router_.Sse("/api/events", [&](const Request&, std::shared_ptr<SseStream> s) {
    s->SetOnClose([&box] { box.closed.set_value(); });
    box.opened.set_value(s);
    return std::optional<Response>{};
  });
  const auto port = Start();
  auto c = std::make_unique<Client>(port);
  c->Send(http::verb::get, "/api/events");
  auto stream = box.opened.get_future().get();
  ASSERT_TRUE(c->ReadUntil(": connected\n\n"));
  c.reset();  // client disconnects
  EXPECT_EQ(box.closed.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(stream->open());
}

TEST_F(ServerTest, StopClosesOpenConnectionsAndJoins) {
  StreamBox box;
  std::promise<Responder> held;
  router_.Sse("/api/events", [&](const Request&, std::shared_ptr<SseStream> s) {
    s->SetOnClose([&box] { box.closed.set_value(); });
    box.opened.set_value(s);
    return std::optional<Response>{};
  });
  router_.Get("/pending", [&](const Request&, Responder res) { held.set_value(res); });
  router_.Get("/ok", [](const Request&, Responder res) { res.Send(Json(200, {})); });
  const auto port = Start();

  Client idle(port);
  EXPECT_EQ(idle.Do(http::verb::get, "/ok").result_int(), 200);  // now idle in keep-alive
  Client events(port);
  events.Send(http::verb::get, "/api/events");
  auto stream = box.opened.get_future().get();
  Client waiting(port);
  waiting.Send(http::verb::get, "/pending");
  Responder responder = held.get_future().get();

  server_->Stop();
  EXPECT_EQ(box.closed.get_future().wait_for(0s), std::future_status::ready);
  EXPECT_FALSE(stream->Send("mission", "after stop"));
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_TRUE(events.ClosedByPeer());
  EXPECT_TRUE(waiting.ClosedByPeer());
  EXPECT_TRUE(responder.Send(Json(200, {})));  // harmless: nobody to answer
  server_->Stop();                             // idempotent
  // A new connection is refused.
  EXPECT_THROW(Client late(port), boost::system::system_error);
}

TEST(HttpServerStart, BindFailureIsAnError) {
  Router router;
  HttpServer first({}, router);
  auto port = first.Start();
  ASSERT_TRUE(port.has_value());
  ServerOptions o;
  o.port = *port;
  HttpServer second(o, router);
  auto again = second.Start();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "bind_failed");
  ServerOptions bad;
  bad.address = "not-an-address";
  HttpServer third(bad, router);
  EXPECT_FALSE(third.Start().has_value());
}

}  // namespace
}  // namespace bitten::web
