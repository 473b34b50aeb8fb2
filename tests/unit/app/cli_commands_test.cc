// Runs the built `bitten` binary: exit codes (0 ok, 2 usage, 1 runtime naming the file/setting) and
// outputs of serve's config checks, users, terminals and audit.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/dev_login.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "common/paths.h"
#include "common/run_bitten.h"

namespace bitten::app {
namespace {

using bitten::testing::BittenRun;
using Outcome = BittenRun;

std::string Write(const bitten::testing::TempDir& dir, const std::string& name,
                  const std::string& text) {
  const std::string path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST(CliCommandsTest, HelpForEveryCommand) {
  bitten::testing::TempDir dir;
  const std::vector<std::vector<std::string>> commands = {
      {"--help"},
      {"serve", "--help"},
      {"demo", "--help"},
      {"paper-bridge", "--help"},
      {"audit", "--help"},
      {"audit", "verify", "--help"},
      {"audit", "trace", "--help"},
      {"audit", "export", "--help"},
      {"users", "--help"},
      {"users", "add", "--help"},
      {"users", "list", "--help"},
      {"users", "set-tier", "--help"},
      {"users", "login-link", "--help"},
      {"terminals", "--help"},
      {"terminals", "add", "--help"},
      {"terminals", "list", "--help"},
      {"terminals", "rotate-secret", "--help"},
  };
  for (const auto& c : commands) {
    Outcome r = bitten::testing::RunBitten(dir.path(), c);
    std::string joined;
    for (const auto& a : c) joined += a + " ";
    EXPECT_EQ(r.code, 0) << joined << r.err;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << joined << r.out;
  }
}

TEST(CliCommandsTest, UsageErrorsExit2WithOneLine) {
  bitten::testing::TempDir dir;
  const std::vector<std::vector<std::string>> commands = {
      {},
      {"bogus"},
      {"serve"},
      {"serve", "--config"},
      {"serve", "--config", "a.toml", "--extra"},
      {"audit"},
      {"audit", "trace"},
      {"audit", "verify"},  // neither --db nor --config
      {"audit", "verify", "--db", "a", "--config", "b"},
      {"users", "add", "--db", "x.sqlite"},  // --name missing
      {"users", "add", "--db", "x.sqlite", "--name", "A", "--tier", "GOLD"},
      {"terminals", "add", "BAD_ID", "--db", "x.sqlite"},
      {"paper-bridge", "--dir", "d", "--terminal", "t1", "--secret", "zz", "--server",
       "http://127.0.0.1:1"},
      {"paper-bridge", "--dir", "d", "--terminal", "t1", "--secret", std::string(64, 'a'),
       "--server", "ftp://x"},
      {"demo", "--port", "99999"},
  };
  for (const auto& c : commands) {
    Outcome r = bitten::testing::RunBitten(dir.path(), c);
    std::string joined;
    for (const auto& a : c) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << "\n" << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << joined << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("bitten: ", 0), 0u) << joined << "\n" << r.err;
  }
  // Nothing was created by the refused commands.
  EXPECT_FALSE(std::filesystem::exists("x.sqlite"));
}

TEST(CliCommandsTest, ServeWithMissingConfigNamesTheFile) {
  bitten::testing::TempDir dir;
  const std::string path = (dir.path() / "nope.toml").string();
  Outcome r = bitten::testing::RunBitten(dir.path(), {"serve", "--config", path});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
}

TEST(CliCommandsTest, ServeWithMalformedConfigNamesFileAndLine) {
  bitten::testing::TempDir dir;
  const std::string path = Write(dir, "bad.toml", "[server]\nport = 8080\n[store\npath = \"x\"\n");
  Outcome r = bitten::testing::RunBitten(dir.path(), {"serve", "--config", path});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path + ":3"), std::string::npos) << r.err;
}

TEST(CliCommandsTest, ServeWithInvalidConfigNamesEverySetting) {
  bitten::testing::TempDir dir;
  const std::string path = Write(dir, "invalid.toml",
                                 "[auth]\ndev_login = true\n"
                                 "[[terminals]]\nterminal_id = \"T 1\"\nsecret_hex = \"12\"\n"
                                 "[[users]]\nname = \"A\"\nterminal_id = \"t9\"\n");
  Outcome r = bitten::testing::RunBitten(dir.path(), {"serve", "--config", path});
  EXPECT_EQ(r.code, 1);
  for (const char* setting : {"auth.dev_login_secret_hex", "terminals[0].terminal_id",
                              "terminals[0].secret_hex", "users[0].terminal_id"}) {
    EXPECT_NE(r.err.find(setting), std::string::npos) << setting << "\n" << r.err;
  }
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
}

TEST(CliCommandsTest, TerminalsAddListRotate) {
  bitten::testing::TempDir dir;
  const std::string db = (dir.path() / "store.sqlite").string();
  Outcome add = bitten::testing::RunBitten(
      dir.path(), {"terminals", "add", "t1", "--db", db, "--dir", dir.path().string(), "--json"});
  ASSERT_EQ(add.code, 0) << add.err;
  auto added = nlohmann::json::parse(add.out);
  EXPECT_EQ(added["terminal_id"], "t1");
  const std::string secret = added["secret_hex"];
  EXPECT_EQ(secret.size(), 64u);

  Outcome dup = bitten::testing::RunBitten(dir.path(), {"terminals", "add", "t1", "--db", db});
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find(db), std::string::npos) << dup.err;

  Outcome list = bitten::testing::RunBitten(dir.path(), {"terminals", "list", "--db", db});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("t1"), std::string::npos);
  EXPECT_EQ(list.out.find(secret), std::string::npos) << "secrets are hidden by default";

  Outcome rotate = bitten::testing::RunBitten(
      dir.path(), {"terminals", "rotate-secret", "t1", "--db", db, "--json"});
  ASSERT_EQ(rotate.code, 0) << rotate.err;
  const std::string fresh = nlohmann::json::parse(rotate.out)["secret_hex"];
  EXPECT_NE(fresh, secret);
  Outcome shown =
      bitten::testing::RunBitten(dir.path(), {"terminals", "list", "--db", db, "--show-secrets"});
  EXPECT_NE(shown.out.find(fresh), std::string::npos) << shown.out;

  Outcome unknown =
      bitten::testing::RunBitten(dir.path(), {"terminals", "rotate-secret", "t2", "--db", db});
  EXPECT_EQ(unknown.code, 1);
}

TEST(CliCommandsTest, UsersAndLoginLinkAndAudit) {
  bitten::testing::TempDir dir;
  const std::string secret(64, 'b');
  const std::string db = (dir.path() / "bitten.sqlite").string();
  const std::string config = Write(dir, "bitten.toml",
                                   "[server]\npublic_url = \"https://hud.example/\"\n"
                                   "[store]\npath = \"" +
                                       db +
                                       "\"\n"
                                       "[auth]\ndev_login = true\ndev_login_secret_hex = \"" +
                                       secret + "\"\n");
  ASSERT_EQ(
      bitten::testing::RunBitten(dir.path(), {"terminals", "add", "t1", "--config", config}).code,
      0);

  Outcome add = bitten::testing::RunBitten(
      dir.path(), {"users", "add", "--config", config, "--name", "Alice", "--telegram-id", "1001",
                   "--tier", "fang", "--terminal", "t1"});
  ASSERT_EQ(add.code, 0) << add.err;
  const std::string user_id = Lines(add.out).at(0);
  EXPECT_EQ(user_id.size(), 36u);

  Outcome no_terminal = bitten::testing::RunBitten(
      dir.path(), {"users", "add", "--config", config, "--name", "Bob", "--terminal", "t7"});
  EXPECT_EQ(no_terminal.code, 1);
  EXPECT_NE(no_terminal.err.find("t7"), std::string::npos) << no_terminal.err;

  Outcome list =
      bitten::testing::RunBitten(dir.path(), {"users", "list", "--config", config, "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  ASSERT_EQ(Lines(list.out).size(), 1u) << list.out;
  auto alice = nlohmann::json::parse(Lines(list.out)[0]);
  EXPECT_EQ(alice["user_id"], user_id);
  EXPECT_EQ(alice["tier"], "FANG");
  EXPECT_EQ(alice["terminal_id"], "t1");

  Outcome tier = bitten::testing::RunBitten(
      dir.path(), {"users", "set-tier", "1001", "COMMANDER", "--config", config});
  ASSERT_EQ(tier.code, 0) << tier.err;
  EXPECT_NE(tier.out.find("FANG -> COMMANDER"), std::string::npos) << tier.out;

  Outcome link = bitten::testing::RunBitten(
      dir.path(), {"users", "login-link", "Alice", "--config", config, "--mission", "m1"});
  ASSERT_EQ(link.code, 0) << link.err;
  const std::string url = Lines(link.out).at(0);
  const std::string prefix = "https://hud.example/hud/?token=";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  ASSERT_NE(url.find("&mission=m1"), std::string::npos) << url;
  const std::string token = url.substr(prefix.size(), url.find('&') - prefix.size());
  RealClock clock;
  auto who = VerifyDevToken(*FromHex(secret), token, clock.NowMs());
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(*who, user_id);

  Outcome nobody =
      bitten::testing::RunBitten(dir.path(), {"users", "login-link", "Zed", "--config", config});
  EXPECT_EQ(nobody.code, 1);
  EXPECT_NE(nobody.err.find("Zed"), std::string::npos);

  Outcome verify = bitten::testing::RunBitten(dir.path(), {"audit", "verify", "--config", config});
  EXPECT_EQ(verify.code, 0) << verify.err;
  EXPECT_NE(verify.out.find("journal ok"), std::string::npos) << verify.out;

  Outcome trace =
      bitten::testing::RunBitten(dir.path(), {"audit", "trace", user_id, "--db", db, "--json"});
  ASSERT_EQ(trace.code, 0) << trace.err;
  auto events = Lines(trace.out);
  ASSERT_EQ(events.size(), 2u) << trace.out;
  EXPECT_EQ(nlohmann::json::parse(events[0])["type"], "user_added");
  EXPECT_EQ(nlohmann::json::parse(events[1])["type"], "user_tier_set");

  Outcome human = bitten::testing::RunBitten(dir.path(), {"audit", "trace", user_id, "--db", db});
  EXPECT_NE(human.out.find("user_tier_set"), std::string::npos) << human.out;

  Outcome exported = bitten::testing::RunBitten(dir.path(), {"audit", "export", "--db", db});
  ASSERT_EQ(exported.code, 0) << exported.err;
  auto rows = Lines(exported.out);
  ASSERT_EQ(rows.size(), 3u) << exported.out;  // terminal_added, user_added, user_tier_set
  std::int64_t seq = 0;
  for (const auto& row : rows) {
    auto j = nlohmann::json::parse(row);
    EXPECT_EQ(j["seq"].get<std::int64_t>(), ++seq);
    EXPECT_EQ(j["hash"].get<std::string>().size(), 64u);
    EXPECT_EQ(j.dump().find("secret"), std::string::npos) << "no secret in the journal";
  }

  Outcome none = bitten::testing::RunBitten(
      dir.path(), {"audit", "trace", "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d", "--db", db});
  EXPECT_EQ(none.code, 1);
}

TEST(CliCommandsTest, LoginLinkRefusedWhenDevLoginIsOff) {
  bitten::testing::TempDir dir;
  const std::string db = (dir.path() / "bitten.sqlite").string();
  const std::string config = Write(dir, "off.toml", "[store]\npath = \"" + db + "\"\n");
  ASSERT_EQ(
      bitten::testing::RunBitten(dir.path(), {"users", "add", "--db", db, "--name", "Alice"}).code,
      0);
  Outcome r =
      bitten::testing::RunBitten(dir.path(), {"users", "login-link", "Alice", "--config", config});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("auth.dev_login"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(config), std::string::npos) << r.err;
}

TEST(CliCommandsTest, AuditOnAMissingStoreNamesTheFile) {
  bitten::testing::TempDir dir;
  const std::string db = (dir.path() / "missing.sqlite").string();
  for (const char* sub : {"verify", "export"}) {
    Outcome r = bitten::testing::RunBitten(dir.path(), {"audit", sub, "--db", db});
    EXPECT_EQ(r.code, 1) << sub;
    EXPECT_NE(r.err.find(db), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace bitten::app
