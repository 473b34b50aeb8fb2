#include "telegram/bot_api.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "telegram/messages.h"
#include "unit/telegram/emulator_fixture.h"
#include "unit/telegram/fault_server.h"

namespace bitten::telegram {
namespace {

using nlohmann::json;
using testing::FaultServer;

constexpr const char* kToken = "123456:ABC-secret_token";

BotApi::Options At(const std::string& url, long timeout_ms = 3000) {
  BotApi::Options o;
  o.base_url = url;
  o.token = kToken;
  o.timeout_ms = timeout_ms;
  o.connect_timeout_ms = 2000;
  return o;
}

// ---- against the telegram-test-api emulator (a real Bot API implementation in node) ----

class BotApiEmulator : public ::testing::Test {
 protected:
  testing::TelegramEmulator emu_;
};

TEST_F(BotApiEmulator, SendMessageReachesTheChat) {
  ASSERT_TRUE(emu_.ok()) << emu_.error();
  BotApi api(At(emu_.url()));
  AlertView v;
  v.signal_id = "sig-1";
  v.symbol = "EURUSD";
  v.side = "BUY";
  v.signal_class = "RAPID_ASSAULT";
  v.entry = "1.08501";
  const OutMessage m = GroupAlert(v, {-100500, "BittenBot", "hud"});
  const CallResult r = api.Call(m.method, m.params);
  ASSERT_TRUE(r.ok()) << ToString(r.kind) << " " << r.description;
  EXPECT_GT(r.message_id(), 0);

  const json got = emu_.BotMessages(kToken, -100500);
  ASSERT_EQ(got.size(), 1u) << got.dump();
  EXPECT_EQ(got[0]["message"]["text"], m.params["text"]);
  EXPECT_EQ(got[0]["message"]["reply_markup"]["inline_keyboard"][0][0]["url"],
            "https://t.me/BittenBot/hud?startapp=sig-1");
  EXPECT_EQ(got[0]["messageId"], r.message_id());
  EXPECT_TRUE(emu_.BotMessages(kToken, 42).empty());  // nothing leaked into another chat
}

TEST_F(BotApiEmulator, EditMessageTextThenDeleteMessage) {
  ASSERT_TRUE(emu_.ok()) << emu_.error();
  BotApi api(At(emu_.url()));
  const CallResult sent = api.Call("sendMessage", {{"chat_id", 77}, {"text", "first"}});
  ASSERT_TRUE(sent.ok()) << sent.description;
  const std::int64_t id = sent.message_id();

  const CallResult edited =
      api.Call("editMessageText", {{"chat_id", 77}, {"message_id", id}, {"text", "second"}});
  ASSERT_TRUE(edited.ok()) << edited.description;
  auto text_of = [&](std::int64_t message_id) -> std::optional<std::string> {
    for (const auto& h : emu_.History(kToken)) {
      if (h.value("messageId", 0) == message_id && h.contains("message") &&
          h["message"].contains("chat_id")) {
        return h["message"]["text"].get<std::string>();
      }
    }
    return std::nullopt;
  };
  EXPECT_EQ(text_of(id), "second");

  const CallResult deleted = api.Call("deleteMessage", {{"chat_id", 77}, {"message_id", id}});
  ASSERT_TRUE(deleted.ok()) << deleted.description;
  EXPECT_EQ(text_of(id), std::nullopt);

  // Deleting it again is a permanent error with Telegram's description.
  const CallResult again = api.Call("deleteMessage", {{"chat_id", 77}, {"message_id", id}});
  EXPECT_EQ(again.kind, CallKind::kPermanent);
  EXPECT_EQ(again.error_code, 400);
  EXPECT_NE(again.description.find("wasn't found"), std::string::npos) << again.description;
}

// ---- against the fault injector ----

TEST(BotApiFaults, RateLimitedCarriesRetryAfterThenOk) {
  FaultServer server({
      FaultServer::Json(
          429,
          R"({"ok":false,"error_code":429,)"
          R"("description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}})"),
      FaultServer::Json(200,
                        R"({"ok":true,"result":{"message_id":991,"chat":{"id":5},"text":"hi"}})"),
  });
  BotApi api(At(server.url()));
  const json params{{"chat_id", 5}, {"text", "hi"}};
  CallResult r = api.Call("sendMessage", params);
  EXPECT_EQ(r.kind, CallKind::kRateLimited);
  EXPECT_EQ(r.retry_after_s, 1);
  EXPECT_EQ(r.error_code, 429);
  r = api.Call("sendMessage", params);
  ASSERT_TRUE(r.ok()) << r.description;
  EXPECT_EQ(r.message_id(), 991);

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, std::string("/bot") + kToken + "/sendMessage");
  EXPECT_EQ(json::parse(reqs[0].body), params);
  EXPECT_EQ(server.connections(), 1);  // keep-alive: one connection for both calls
}

TEST(BotApiFaults, ServerErrorsAreTransientClientErrorsPermanent) {
  FaultServer server({
      FaultServer::Json(500,
                        R"({"ok":false,"error_code":500,"description":"Internal Server Error"})"),
      FaultServer::Json(502, "<html>Bad Gateway</html>"),
      FaultServer::Json(
          400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})"),
      FaultServer::Json(403, R"({"ok":false,"error_code":403,)"
                             R"("description":"Forbidden: bot was blocked by the user"})"),
      FaultServer::Json(409,
                        R"({"ok":false,"error_code":409,)"
                        R"("description":"Conflict: terminated by other getUpdates request"})"),
      FaultServer::Json(200, R"(not json)"),
  });
  BotApi api(At(server.url()));
  CallResult r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}});
  EXPECT_EQ(r.kind, CallKind::kTransient);
  EXPECT_EQ(r.http_status, 500);
  r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}});
  EXPECT_EQ(r.kind, CallKind::kTransient);
  EXPECT_EQ(r.http_status, 502);
  r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}});
  EXPECT_EQ(r.kind, CallKind::kPermanent);
  EXPECT_EQ(r.description, "Bad Request: chat not found");
  EXPECT_FALSE(r.conflict());
  r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}});
  EXPECT_EQ(r.kind, CallKind::kPermanent);
  EXPECT_EQ(r.error_code, 403);
  r = api.Call("getUpdates", {});
  EXPECT_EQ(r.kind, CallKind::kPermanent);
  EXPECT_TRUE(r.conflict());
  r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}});
  EXPECT_EQ(r.kind, CallKind::kUnknown);  // something answered 200: it may have acted
}

TEST(BotApiFaults, LostAnswerAfterSendIsUnknownNotTransient) {
  FaultServer server({FaultServer::Close()});
  BotApi api(At(server.url()));
  const CallResult r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}});
  EXPECT_EQ(r.kind, CallKind::kUnknown) << r.description;
  EXPECT_EQ(server.requests().size(), 1u);  // the request did reach the server
}

TEST(BotApiFaults, SendMessageIsNotSilentlyResentWhenAKeptAliveConnectionDies) {
  // libcurl would retry a request on a fresh connection when a reused one dies before any answer;
  // for sendMessage that could duplicate a message, so BotApi refuses and reports kUnknown.
  FaultServer server(
      {FaultServer::Json(200, R"({"ok":true,"result":{"message_id":1}})"), FaultServer::Close()});
  BotApi api(At(server.url()));
  ASSERT_TRUE(api.Call("sendMessage", {{"chat_id", 1}, {"text", "a"}}).ok());
  const CallResult r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "b"}});
  EXPECT_EQ(r.kind, CallKind::kUnknown) << r.description;
  EXPECT_EQ(server.requests().size(), 2u);  // "b" reached the server once, and only once
}

TEST(BotApiFaults, IdempotentCallsMayBeResentOnAFreshConnection) {
  FaultServer server({FaultServer::Json(200, R"({"ok":true,"result":[]})"), FaultServer::Close(),
                      FaultServer::Json(200, R"({"ok":true,"result":[]})")});
  BotApi api(At(server.url()));
  ASSERT_TRUE(api.Call("getUpdates", {{"timeout", 0}}).ok());
  const CallResult r = api.Call("getUpdates", {{"timeout", 0}});
  EXPECT_TRUE(r.ok()) << ToString(r.kind) << " " << r.description;
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections(), 2);
}

TEST(BotApiFaults, TimeoutAfterSendIsUnknown) {
  FaultServer server({FaultServer::Stall()});
  BotApi api(At(server.url()));
  const CallResult r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}}, 300);
  EXPECT_EQ(r.kind, CallKind::kUnknown) << r.description;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(BotApiFaults, ConnectionRefusedIsTransient) {
  // A port that was free a moment ago and has no listener.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  BotApi api(At("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port))));
  const CallResult r = api.Call("sendMessage", {{"chat_id", 1}, {"text", "x"}});
  EXPECT_EQ(r.kind, CallKind::kTransient) << r.description;
  EXPECT_EQ(r.description.find(kToken), std::string::npos);
}

TEST(BotApiFaults, TokenNeverAppearsInDescriptions) {
  FaultServer server({FaultServer::Json(
      404, std::string(R"({"ok":false,"error_code":404,"description":"Not Found: /bot)") + kToken +
               R"(/nope"})")});
  BotApi api(At(server.url()));
  const CallResult r = api.Call("nope", {});
  EXPECT_EQ(r.kind, CallKind::kPermanent);
  EXPECT_EQ(r.description.find(kToken), std::string::npos) << r.description;
  EXPECT_NE(r.description.find("<token>"), std::string::npos) << r.description;
}

TEST(BotApiFaults, AbortFlagStopsALongPoll) {
  FaultServer server({FaultServer::Stall()});
  BotApi api(At(server.url(), 30000));
  std::atomic<bool> abort{false};
  api.SetAbortFlag(&abort);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    abort = true;
  });
  const auto start = std::chrono::steady_clock::now();
  const CallResult r = api.Call("getUpdates", {{"timeout", 25}});
  const auto took = std::chrono::steady_clock::now() - start;
  t.join();
  EXPECT_EQ(r.kind, CallKind::kUnknown);
  EXPECT_EQ(r.description, "getUpdates: aborted");
  EXPECT_LT(took, std::chrono::seconds(10));  // not the 30 s deadline
}

}  // namespace
}  // namespace bitten::telegram
