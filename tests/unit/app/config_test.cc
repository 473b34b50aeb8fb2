#include "app/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "common/paths.h"

namespace bitten::app {
namespace {

const std::string kSecret(64, 'a');

std::string Write(const bitten::testing::TempDir& dir, const std::string& name,
                  const std::string& text) {
  const std::string path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsWhenTheFileIsEmpty) {
  bitten::testing::TempDir dir;
  auto c = LoadConfig(Write(dir, "empty.toml", ""));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->server.address, "127.0.0.1");
  EXPECT_EQ(c->store.path, "bitten.sqlite");
  EXPECT_EQ(c->tiers.size(), 4u);
  EXPECT_FALSE(c->auth.dev_login);
  EXPECT_TRUE(c->Validate()) << c->Validate().error().message;
}

TEST(ConfigTest, ReadsEverySection) {
  bitten::testing::TempDir dir;
  const std::string text = R"(log_level = "debug"
[server]
address = "0.0.0.0"
port = 0
public_url = "https://bitten.example/"
[store]
path = "/var/lib/bitten/db.sqlite"
[telegram]
token = "123:abc"
api_base = "http://127.0.0.1:9000"
group_chat_id = -100123
[auth]
dev_login = true
dev_login_secret_hex = ")" +
                           kSecret + R"("
[engine]
symbols = ["EURUSD", "USDJPY"]
rapid_ttl_s = 20
[[tiers]]
name = "FANG"
fires_per_day = 3
risk_pct = 1.5
[[terminals]]
terminal_id = "t1"
secret_hex = ")" + kSecret +
                           R"("
dir = "/tmp/t1"
heartbeat_ttl_ms = 5000
[[users]]
telegram_id = 1001
name = "Alice"
tier = "FANG"
terminal_id = "t1"
)";
  auto c = LoadConfig(Write(dir, "full.toml", text));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->server.port, 0);
  EXPECT_EQ(c->PublicUrl(), "https://bitten.example");
  EXPECT_EQ(c->store.path, "/var/lib/bitten/db.sqlite");
  EXPECT_EQ(c->telegram.group_chat_id, -100123);
  EXPECT_TRUE(c->auth.dev_login);
  ASSERT_EQ(c->engine.symbols.size(), 2u);
  EXPECT_EQ(c->engine.rapid_ttl_s, 20);
  bool saw_fang = false;
  for (const auto& t : c->tiers) {
    if (t.tier == missions::Tier::kFang) {
      saw_fang = true;
      EXPECT_EQ(t.fires_per_day, 3);
      EXPECT_DOUBLE_EQ(t.risk_pct, 1.5);
      EXPECT_EQ(t.max_open, 2);  // not overridden: the default stays
    }
  }
  EXPECT_TRUE(saw_fang);
  ASSERT_EQ(c->terminals.size(), 1u);
  EXPECT_EQ(c->terminals[0].heartbeat_ttl_ms, 5000);
  ASSERT_EQ(c->users.size(), 1u);
  EXPECT_EQ(c->users[0].tier, missions::Tier::kFang);
  EXPECT_EQ(c->users[0].terminal_id, "t1");
  EXPECT_TRUE(c->Validate()) << c->Validate().error().message;
}

TEST(ConfigTest, SyntaxErrorNamesFileAndLine) {
  bitten::testing::TempDir dir;
  const std::string path = Write(dir, "broken.toml", "[server]\nport = 80\naddress = \"x\n");
  auto c = LoadConfig(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "bad_config");
  EXPECT_NE(c.error().message.find(path + ":3"), std::string::npos) << c.error().message;
}

TEST(ConfigTest, MissingFileIsAnError) {
  auto c = LoadConfig("/nonexistent/bitten.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("/nonexistent/bitten.toml"), std::string::npos);
}

TEST(ConfigTest, TypeErrorsAndTyposNameLineAndSetting) {
  bitten::testing::TempDir dir;
  const std::string path = Write(dir, "types.toml",
                                 "[server]\nport = \"eighty\"\nprot = 1\n"
                                 "[[users]]\nname = \"Bob\"\ntier = \"GOLD\"\n");
  auto c = LoadConfig(path);
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find(path + ":2: server.port: must be an integer"), std::string::npos) << m;
  EXPECT_NE(m.find(path + ":3: server.prot: unknown setting"), std::string::npos) << m;
  EXPECT_NE(m.find(path + ":6: users[0].tier: unknown tier 'GOLD'"), std::string::npos) << m;
}

TEST(ConfigTest, PortOutOfRange) {
  bitten::testing::TempDir dir;
  auto c = LoadConfig(Write(dir, "port.toml", "[server]\nport = 70000\n"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("server.port: must be between 0 and 65535"), std::string::npos)
      << c.error().message;
}

TEST(ConfigTest, ValidateReportsEveryProblemAtOnce) {
  Config c;
  c.source_path = "bitten.toml";
  c.auth.dev_login = true;  // without a secret
  c.server.io_threads = 7;
  c.terminals.push_back({"T1", "abc", "", 30000});
  c.terminals.push_back({"t2", kSecret, "", 0});
  c.users.push_back({1, "Alice", missions::Tier::kFang, "t9"});
  c.log_level = "loud";
  auto s = c.Validate();
  ASSERT_FALSE(s);
  const std::string& m = s.error().message;
  for (const char* expected :
       {"bitten.toml: auth.dev_login_secret_hex: is required", "server.io_threads",
        "terminals[0].terminal_id: 'T1' must match", "terminals[0].secret_hex: must be 64 hex",
        "terminals[1].heartbeat_ttl_ms",
        "users[0].terminal_id: no [[terminals]] entry has "
        "terminal_id 't9'",
        "log_level"}) {
    EXPECT_NE(m.find(expected), std::string::npos) << "missing '" << expected << "' in:\n" << m;
  }
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 6) << m;
}

TEST(ConfigTest, TerminalIds) {
  EXPECT_TRUE(IsValidTerminalId("t1"));
  EXPECT_TRUE(IsValidTerminalId("0-a"));
  EXPECT_TRUE(IsValidTerminalId(std::string(32, 'a')));
  EXPECT_FALSE(IsValidTerminalId(std::string(33, 'a')));
  EXPECT_FALSE(IsValidTerminalId("-a"));
  EXPECT_FALSE(IsValidTerminalId(""));
  EXPECT_FALSE(IsValidTerminalId("a_b"));
  EXPECT_FALSE(IsValidTerminalId("A"));
}

TEST(ConfigTest, DuplicateTiersAndTerminals) {
  Config c;
  c.tiers.push_back(c.tiers[0]);
  c.terminals.push_back({"t1", kSecret, "/x", 1000});
  c.terminals.push_back({"t1", kSecret, "/x", 1000});
  auto s = c.Validate();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("tiers[4].name"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("terminals[1].terminal_id: 't1' appears twice"),
            std::string::npos);
  EXPECT_NE(s.error().message.find("terminals[1].dir"), std::string::npos);
}

TEST(ConfigTest, ExampleConfigLoadsAndValidates) {
  auto c = LoadConfig((bitten::testing::SourceDir() / "examples" / "bitten.toml").string());
  ASSERT_TRUE(c) << c.error().message;
  auto s = c->Validate();
  EXPECT_TRUE(s) << s.error().message;
}

}  // namespace
}  // namespace bitten::app
