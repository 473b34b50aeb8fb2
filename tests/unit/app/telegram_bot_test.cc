// The bot through a real app::Server with Telegram on (issue 6): commands typed into the
// telegram-test-api emulator (a real node process) reach the server by long polling, and the
// answers come back through the durable outbox to the emulator's chat. Also: invites (/start
// inv-<code>, store/invites.h), the webhook intake (POST /telegram/webhook, secret header) with a
// FaultServer standing in for the Bot API, and the alert expiry edit + deletion queued in the
// store.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/bot_backend.h"
#include "app/config.h"
#include "app/core_telegram.h"
#include "app/http_client.h"
#include "app/server.h"
#include "base/clock.h"
#include "common/paths.h"
#include "store/db.h"
#include "store/invites.h"
#include "store/kv.h"
#include "store/outbox.h"
#include "store/signals.h"
#include "store/users.h"
#include "unit/telegram/emulator_fixture.h"
#include "unit/telegram/fault_server.h"

namespace bitten::app {
namespace {

using bitten::testing::TempDir;
using nlohmann::json;
using telegram::testing::EmuChat;
using telegram::testing::EmuUser;
using telegram::testing::FaultServer;
using telegram::testing::TelegramEmulator;

constexpr const char* kToken = "4242:bot-test-token";

Config BaseConfig(const std::filesystem::path& dir) {
  Config c;
  c.server.address = "127.0.0.1";
  c.server.port = 0;
  c.store.path = (dir / "bitten.sqlite").string();
  c.engine.symbols = {"EURUSD"};
  c.telegram.token = kToken;
  c.telegram.bot_username = "bitten_test_bot";
  c.users.push_back({1001, "alice", missions::Tier::kCommander, ""});
  c.users.push_back({0, "erin", missions::Tier::kFang, ""});
  return c;
}

// Collects the bot's messages to `chat` until `n` arrived (or 20 s passed).
std::vector<json> WaitForBotMessages(TelegramEmulator& emu, std::int64_t chat, std::size_t n) {
  std::vector<json> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    for (const json& m : emu.BotMessages(kToken, chat)) got.push_back(m["message"]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return got;
}

std::string TextOf(const json& m) { return m.value("text", std::string()); }

class TelegramBotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(emu_.ok()) << emu_.error();
    config_ = BaseConfig(tmp_.path());
    config_.telegram.api_base = emu_.url();
  }
  void Start() {
    auto s = Server::Start(config_, clock_);
    ASSERT_TRUE(s) << s.error().code << ": " << s.error().message;
    server_ = std::move(*s);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  TempDir tmp_;
  TelegramEmulator emu_;
  Config config_;
  RealClock clock_;
  std::unique_ptr<Server> server_;
};

TEST_F(TelegramBotTest, EveryCommandIsAnsweredInPrivateAndOnlyHelpInGroups) {
  Start();
  const EmuUser alice{1001, "Alice", "alice"};
  const EmuChat dm{1001, "private"};
  for (const char* cmd : {"/help", "/status", "/stats", "/xp", "/missions", "/fire"}) {
    emu_.UserCommand(kToken, alice, dm, cmd);
  }
  const EmuChat group{-100777, "group"};
  emu_.UserCommand(kToken, alice, group, "/stats");  // ignored in groups
  emu_.UserCommand(kToken, alice, group, "/help");   // answered

  const auto replies = WaitForBotMessages(emu_, 1001, 6);
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_EQ(TextOf(replies[0]), CoreBotBackend::HelpText());
  EXPECT_NE(TextOf(replies[0]).find("/stats"), std::string::npos);
  EXPECT_NE(TextOf(replies[0]).find("/xp"), std::string::npos);
  EXPECT_EQ(TextOf(replies[1]), "Fires today: 0 of 20\nOpen: 0 of 5\nTerminal: none");
  EXPECT_EQ(TextOf(replies[2]), "Today: 0 of 20 fires · 0 of 5 open\nP&L +0.00");
  EXPECT_EQ(TextOf(replies[3]).rfind("XP 0", 0), 0u) << TextOf(replies[3]);
  EXPECT_EQ(TextOf(replies[4]), "No active missions.");
  EXPECT_EQ(TextOf(replies[5]), "You have no mission to fire right now.");

  const auto in_group = WaitForBotMessages(emu_, -100777, 1);
  ASSERT_EQ(in_group.size(), 1u);
  EXPECT_EQ(TextOf(in_group[0]), CoreBotBackend::HelpText());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(emu_.BotMessages(kToken, -100777).empty());  // /stats in the group: no answer
}

TEST_F(TelegramBotTest, InviteLinksTheAccountOnceAndIsRefusedForAnother) {
  Start();
  std::string erin;
  {
    auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
    ASSERT_TRUE(db);
    auto users = store::ListUsers(**db);
    ASSERT_TRUE(users);
    for (const auto& u : *users) {
      if (u.name == "erin") erin = u.user_id;
    }
  }
  ASSERT_FALSE(erin.empty());
  const TimeMs now = clock_.NowMs();
  ASSERT_TRUE(server_->writer().SubmitAndWait([&](store::Txn& txn) {
    if (Status s = store::InsertInvite(txn, {"inv-good", erin, now, now + 3600000, 0, 0}); !s)
      return s;
    return store::InsertInvite(txn, {"inv-old", erin, now - 7200000, now - 3600000, 0, 0});
  }));

  emu_.UserCommand(kToken, {2002, "Erin", "erin"}, {2002, "private"}, "/start inv-good");
  auto r = WaitForBotMessages(emu_, 2002, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(TextOf(r[0]).rfind("✅ Linked. Welcome to BITTEN, erin.", 0), 0u) << TextOf(r[0]);

  emu_.UserCommand(kToken, {2003, "Mallory", "mallory"}, {2003, "private"}, "/start inv-good");
  emu_.UserCommand(kToken, {2004, "Late", "late"}, {2004, "private"}, "/start inv-old");
  emu_.UserCommand(kToken, {2005, "Guess", "guess"}, {2005, "private"}, "/start inv-nope");
  auto used = WaitForBotMessages(emu_, 2003, 1);
  auto old = WaitForBotMessages(emu_, 2004, 1);
  auto nope = WaitForBotMessages(emu_, 2005, 1);
  ASSERT_EQ(used.size(), 1u);
  ASSERT_EQ(old.size(), 1u);
  ASSERT_EQ(nope.size(), 1u);
  EXPECT_EQ(TextOf(used[0]),
            "Could not link this account: This invite was already used by another account.");
  EXPECT_EQ(TextOf(old[0]), "Could not link this account: This invite has expired.");
  EXPECT_EQ(TextOf(nope[0]), "Could not link this account: This invite code is not known.");

  // Durable: erin is linked to 2002, and the invite records who used it.
  auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
  ASSERT_TRUE(db);
  auto u = store::GetUser(**db, erin);
  ASSERT_TRUE(u && *u);
  EXPECT_EQ((*u)->telegram_id, 2002);
  auto inv = store::GetInvite(**db, "inv-good");
  ASSERT_TRUE(inv && *inv);
  EXPECT_EQ((*inv)->used_by, 2002);
}

TEST(TelegramWebhook, SecretHeaderCheckedUpdatesDispatchedOnceAndAnswered) {
  TempDir tmp;
  FaultServer api({FaultServer::Json(
      200, R"({"ok":true,"result":{"message_id":9,"chat":{"id":1001},"text":"x"}})")});
  Config config = BaseConfig(tmp.path());
  config.telegram.api_base = api.url();
  config.telegram.webhook_url = "https://bot.example.org/telegram/webhook";
  config.telegram.webhook_secret = "s3cret_Token-1";
  ASSERT_TRUE(config.Validate());
  RealClock clock;
  auto server = Server::Start(config, clock);
  ASSERT_TRUE(server) << server.error().message;

  // setWebhook was called with the URL and the secret.
  auto reqs = api.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_NE(reqs[0].path.find("/setWebhook"), std::string::npos);
  const json set = json::parse(reqs[0].body);
  EXPECT_EQ(set["url"], config.telegram.webhook_url);
  EXPECT_EQ(set["secret_token"], config.telegram.webhook_secret);

  HttpClient http({"http://127.0.0.1:" + std::to_string((*server)->port()), 2000, 10000});
  const json update = {{"update_id", 500},
                       {"message",
                        {{"message_id", 1},
                         {"from", {{"id", 1001}, {"first_name", "Alice"}}},
                         {"chat", {{"id", 1001}, {"type", "private"}}},
                         {"text", "/help"}}}};
  auto no_secret = http.Send("POST", "/telegram/webhook", update.dump(), {});
  ASSERT_TRUE(no_secret);
  EXPECT_EQ(no_secret->status, 401);
  auto wrong = http.Send("POST", "/telegram/webhook", update.dump(),
                         {{"X-Telegram-Bot-Api-Secret-Token", "s3cret_Token-2"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  const HttpHeaders ok_header{{"X-Telegram-Bot-Api-Secret-Token", "s3cret_Token-1"},
                              {"Content-Type", "application/json"}};
  auto bad = http.Send("POST", "/telegram/webhook", "[1,2]", ok_header);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto good = http.Send("POST", "/telegram/webhook", update.dump(), ok_header);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  auto again = http.Send("POST", "/telegram/webhook", update.dump(), ok_header);  // redelivery
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);

  // Exactly one /help answer went out through the outbox.
  auto help_sends = [&] {
    int n = 0;
    for (const auto& r : api.requests()) {
      if (r.path.find("/sendMessage") == std::string::npos) continue;
      const json b = json::parse(r.body, nullptr, false);
      if (b.value("chat_id", 0) == 1001 && b.value("text", "") == CoreBotBackend::HelpText()) ++n;
    }
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (help_sends() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // a duplicate would follow
  EXPECT_EQ(help_sends(), 1);
  for (const auto& r : api.requests()) {
    EXPECT_EQ(r.path.find("/getUpdates"), std::string::npos) << "polling while on a webhook";
  }
  (*server)->Stop();
}

TEST(TelegramWebhook, ConfigRequiresAWellFormedSecret) {
  TempDir tmp;
  Config config = BaseConfig(tmp.path());
  config.telegram.webhook_url = "https://bot.example.org/telegram/webhook";
  auto v = config.Validate();
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("telegram.webhook_secret"), std::string::npos);
  config.telegram.webhook_secret = "has space";
  EXPECT_FALSE(config.Validate());
  config.telegram.webhook_secret = "ok_secret-1";
  EXPECT_TRUE(config.Validate());
}

}  // namespace
}  // namespace bitten::app
