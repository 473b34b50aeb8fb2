#include <gtest/gtest.h>

#include <mutex>

#include "telegram/bot.h"
#include "unit/telegram/emulator_fixture.h"
#include "unit/telegram/fault_server.h"

namespace bitten::telegram {
namespace {

using nlohmann::json;
using testing::EmuChat;
using testing::EmuUser;
using testing::FaultServer;

constexpr const char* kToken = "777:poller-token";

struct Press {
  TelegramUser from;
  std::int64_t chat_id = 0;
  std::int64_t message_id = 0;
  std::string id;
  std::string data;
};

class RecordingBackend : public BotBackend {
 public:
  void OnCommand(const Update& u) override {
    std::lock_guard lock(mu_);
    commands_.push_back(u);
  }
  std::string OnCallback(const TelegramUser& from, std::int64_t chat_id, std::int64_t message_id,
                         const std::string& callback_query_id, const std::string& data) override {
    std::lock_guard lock(mu_);
    presses_.push_back({from, chat_id, message_id, callback_query_id, data});
    return "Confirm below";
  }
  std::vector<Update> commands() {
    std::lock_guard lock(mu_);
    return commands_;
  }
  std::vector<Press> presses() {
    std::lock_guard lock(mu_);
    return presses_;
  }

 private:
  std::mutex mu_;
  std::vector<Update> commands_;
  std::vector<Press> presses_;
};

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

BotPoller::Options At(const std::string& url) {
  BotPoller::Options o;
  o.api.base_url = url;
  o.api.token = kToken;
  o.bot_username = "BittenBot";
  o.idle_poll_ms = 50;
  o.error_backoff_ms = 200;
  o.conflict_backoff_ms = 400;
  return o;
}

TEST(BotPoller, StartCommandAndButtonPressFromTheEmulator) {
  testing::TelegramEmulator emu;
  ASSERT_TRUE(emu.ok()) << emu.error();
  RecordingBackend backend;
  std::atomic<std::int64_t> saved{0};
  BotPoller poller(
      At(emu.url()), backend, [] { return std::int64_t{0}; },
      [&](std::int64_t next) { saved = next; });
  poller.Start();

  const EmuUser alice{1001, "Alice", "alice"};
  ASSERT_TRUE(emu.UserCommand(kToken, alice, {1001, "private"}, "/start 0190f3b2-sig").is_object());
  ASSERT_TRUE(WaitFor([&] { return backend.commands().size() == 1; }));
  const Update u = backend.commands()[0];
  EXPECT_EQ(u.command, "start");
  EXPECT_EQ(u.args, "0190f3b2-sig");
  EXPECT_EQ(u.from.id, 1001);
  EXPECT_EQ(u.from.first_name, "Alice");
  EXPECT_EQ(u.from.username, "alice");
  EXPECT_EQ(u.chat_id, 1001);
  EXPECT_EQ(u.chat_type, "private");

  // Bob presses a button on a message in chat 3003: the backend must see Bob, not the chat.
  const EmuUser bob{2002, "Bob", "bob"};
  emu.UserCallback(kToken, bob, {3003, "private"}, 55, "fire:m1");
  ASSERT_TRUE(WaitFor([&] { return backend.presses().size() == 1; }));
  const Press p = backend.presses()[0];
  EXPECT_EQ(p.from.id, 2002);
  EXPECT_EQ(p.from.username, "bob");
  EXPECT_EQ(p.chat_id, 3003);
  EXPECT_EQ(p.message_id, 55);
  EXPECT_EQ(p.data, "fire:m1");
  EXPECT_FALSE(p.id.empty());
  ASSERT_TRUE(WaitFor([&] { return saved > 0; }));
  poller.Stop();
}

TEST(BotPoller, InGroupsOnlyHelpIsDispatched) {
  testing::TelegramEmulator emu;
  ASSERT_TRUE(emu.ok()) << emu.error();
  RecordingBackend backend;
  BotPoller poller(At(emu.url()), backend, {}, {});
  poller.Start();
  const EmuUser u{1001, "Alice", "alice"};
  const EmuChat group{-100777, "supergroup"};
  const EmuChat dm{1001, "private"};
  emu.UserCommand(kToken, u, group, "/start");           // ignored in groups
  emu.UserCommand(kToken, u, group, "/help@OtherBot");   // another bot's
  emu.UserMessage(kToken, u, dm, "hello");               // not a command
  emu.UserCommand(kToken, u, dm, "/fire@OtherBot m1");   // another bot's, even in private
  emu.UserCommand(kToken, u, group, "/Help@BittenBot");  // ours
  emu.UserCommand(kToken, u, dm, "/missions");
  ASSERT_TRUE(WaitFor([&] { return backend.commands().size() >= 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing else trickles in
  poller.Stop();
  const auto cmds = backend.commands();
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].command, "help");
  EXPECT_EQ(cmds[0].chat_id, -100777);
  EXPECT_EQ(cmds[0].chat_type, "supergroup");
  EXPECT_EQ(cmds[1].command, "missions");
  EXPECT_EQ(cmds[1].args, "");
}

TEST(BotPoller, AnswersEveryCallbackAndPersistsTheOffset) {
  const std::string updates = R"({"ok":true,"result":[
    {"update_id":99,"message":{"message_id":1,"from":{"id":5,"first_name":"Old"},
     "chat":{"id":5,"type":"private"},"text":"/stats"}},
    {"update_id":100,"callback_query":{"id":"cq-1","from":{"id":42,"first_name":"Presser"},
     "message":{"message_id":9,"chat":{"id":-1005,"type":"supergroup"}},"data":"confirm:m9"}}]})";
  FaultServer server({FaultServer::Json(200, updates),
                      FaultServer::Json(200, R"({"ok":true,"result":true})"),
                      FaultServer::Json(200, R"({"ok":true,"result":[]})")});
  RecordingBackend backend;
  std::atomic<std::int64_t> saved{0};
  BotPoller poller(
      At(server.url()), backend, [] { return std::int64_t{100}; },
      [&](std::int64_t next) { saved = next; });
  poller.Start();
  ASSERT_TRUE(WaitFor([&] { return server.requests().size() >= 3; }));
  poller.Stop();

  const auto reqs = server.requests();
  EXPECT_EQ(reqs[0].path, std::string("/bot") + kToken + "/getUpdates");
  const json first = json::parse(reqs[0].body);
  EXPECT_EQ(first["offset"], 100);  // from load_offset
  EXPECT_EQ(first["timeout"], 25);
  EXPECT_EQ(first["allowed_updates"], json::array({"message", "callback_query"}));
  EXPECT_EQ(reqs[1].path, std::string("/bot") + kToken + "/answerCallbackQuery");
  EXPECT_EQ(json::parse(reqs[1].body),
            (json{{"callback_query_id", "cq-1"}, {"text", "Confirm below"}}));
  EXPECT_EQ(json::parse(reqs[2].body)["offset"], 101);
  EXPECT_EQ(saved, 101);
  EXPECT_TRUE(backend.commands().empty());  // update 99 is below the stored offset: already handled
  ASSERT_EQ(backend.presses().size(), 1u);
  EXPECT_EQ(backend.presses()[0].from.id, 42);  // the presser, not the group
  EXPECT_EQ(backend.presses()[0].chat_id, -1005);
}

TEST(BotPoller, ConflictIsDetectedAndBackedOffNotFought) {
  FaultServer server(
      {FaultServer::Json(409, R"({"ok":false,"error_code":409,)"
                              R"("description":"Conflict: terminated by other getUpdates request; )"
                              R"(make sure that only one bot instance is running"})")});
  RecordingBackend backend;
  BotPoller poller(At(server.url()), backend, {}, {});
  poller.Start();
  ASSERT_TRUE(WaitFor([&] { return poller.conflicts() >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  poller.Stop();
  // conflict_backoff_ms = 400: about 3 polls in 1 s, not hundreds.
  EXPECT_LE(server.requests().size(), 5u);
  EXPECT_EQ(poller.conflicts(), static_cast<std::int64_t>(server.requests().size()));
  const auto reqs = server.requests();
  for (std::size_t i = 1; i < reqs.size(); ++i) {
    EXPECT_GE(reqs[i].at - reqs[i - 1].at, std::chrono::milliseconds(380));
  }
}

TEST(BotPoller, StopInterruptsALongPoll) {
  FaultServer server({FaultServer::Stall()});
  RecordingBackend backend;
  BotPoller poller(At(server.url()), backend, {}, {});
  poller.Start();
  ASSERT_TRUE(WaitFor([&] { return server.requests().size() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  poller.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // not 25 s
}

TEST(ParseCommand, SplitsCommandAndArgs) {
  const json update = {{"update_id", 7},
                       {"message",
                        {{"message_id", 3},
                         {"from", {{"id", 9}, {"first_name", "A"}, {"last_name", "B"}}},
                         {"chat", {{"id", 9}, {"type", "private"}}},
                         {"text", "/FIRE@bittenbot   0190-m1  "}}}};
  auto u = ParseCommand(update, "BittenBot");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->command, "fire");
  EXPECT_EQ(u->args, "0190-m1");
  EXPECT_EQ(u->from.last_name, "B");
  EXPECT_EQ(u->message_id, 3);
  EXPECT_FALSE(ParseCommand({{"message", {{"text", "/"}}}}, "BittenBot"));
  EXPECT_FALSE(ParseCommand({{"message", {{"text", "hi"}}}}, "BittenBot"));
  EXPECT_FALSE(ParseCommand({{"edited_message", {{"text", "/start"}}}}, "BittenBot"));
}

}  // namespace
}  // namespace bitten::telegram
