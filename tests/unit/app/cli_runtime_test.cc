// Runs the long-running commands of the built `bitten` binary, bounded by --for: paper-bridge
// against a server that is not there (the file journal must still work) and the zero-configuration
// demo.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/paths.h"
#include "common/run_bitten.h"

namespace bitten::app {
namespace {

namespace fs = std::filesystem;

using bitten::testing::BittenRun;
using Outcome = BittenRun;

using bitten::testing::BittenBinary;
using bitten::testing::ReadFileText;
using bitten::testing::ShellQuote;

TEST(CliRuntimeTest, PaperBridgeRunsWithoutAServerAndStopsOnTime) {
  bitten::testing::TempDir dir;
  const fs::path terminal = dir.path() / "t1";
  // Port 9 (discard) on localhost: connection refused; the bridge must carry on.
  Outcome r = bitten::testing::RunBitten(
      dir.path(), {"paper-bridge", "--dir", terminal.string(), "--terminal", "t1", "--secret",
                   std::string(64, 'c'), "--server", "http://127.0.0.1:9", "--speed", "600",
                   "--for", "1.5", "--heartbeat-ms", "200"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(terminal / "heartbeat.txt")) << r.err;
  const std::string hb = ReadFileText(terminal / "heartbeat.txt");
  EXPECT_NE(hb.find("\"terminal\":\"t1\""), std::string::npos) << hb;
  EXPECT_NE(r.err.find("stopped"), std::string::npos) << r.err;
}

TEST(CliRuntimeTest, PaperBridgeReplaysARealDataFile) {
  BITTEN_REQUIRE_MARKET_FILE(file, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  bitten::testing::TempDir dir;
  const fs::path terminal = dir.path() / "t1";
  Outcome r = bitten::testing::RunBitten(
      dir.path(), {"paper-bridge", "--dir", terminal.string(), "--terminal", "t1", "--secret",
                   std::string(64, 'c'), "--server", "http://127.0.0.1:9", "--data", file.string(),
                   "--speed", "0", "--exit-at-end", "--for", "60"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(terminal / "heartbeat.txt"));
}

TEST(CliRuntimeTest, PaperBridgeBadDataFileIsAUsageError) {
  bitten::testing::TempDir dir;
  Outcome r = bitten::testing::RunBitten(
      dir.path(), {"paper-bridge", "--dir", (dir.path() / "t1").string(), "--terminal", "t1",
                   "--secret", std::string(64, 'c'), "--server", "http://127.0.0.1:9", "--data",
                   (dir.path() / "none.csv").string()});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("none.csv"), std::string::npos) << r.err;
}

TEST(CliRuntimeTest, PaperBridgeMalformedDataNamesFileAndLine) {
  bitten::testing::TempDir dir;
  const fs::path data = dir.path() / "EURUSD_ticks.csv";
  std::ofstream(data) << "date_utc,ms_since_midnight_utc,bid,ask\n20140501,1000,1.3,1.31\n"
                         "20140501,2000,abc,1.31\n";
  Outcome r = bitten::testing::RunBitten(
      dir.path(), {"paper-bridge", "--dir", (dir.path() / "t1").string(), "--terminal", "t1",
                   "--secret", std::string(64, 'c'), "--server", "http://127.0.0.1:9", "--data",
                   data.string(), "--for", "1"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(data.string()), std::string::npos) << r.err;
}

// Started in the background by a shell (SIGINT ignored on entry, as `cmd &` does), both
// long-running commands still stop cleanly on SIGINT and on SIGTERM.
TEST(CliRuntimeTest, LongRunningCommandsStopOnSigintAndSigterm) {
  bitten::testing::TempDir dir;
  const std::string terminal = (dir.path() / "t1").string();
  // Each command and the line it prints once its signal handling is in place.
  const std::vector<std::pair<std::string, std::string>> commands = {
      {ShellQuote(BittenBinary()) + " paper-bridge --dir " + ShellQuote(terminal) +
           " --terminal t1 --secret " + std::string(64, 'c') + " --server http://127.0.0.1:9",
       "paper-bridge t1:"},
      {ShellQuote(BittenBinary()) + " demo --port 0 --speed 60", "Press Ctrl-C"},
  };
  int run = 0;
  for (const auto& [command, ready] : commands) {
    for (const char* signal : {"INT", "TERM"}) {
      const fs::path log = dir.path() / ("log" + std::to_string(++run) + ".txt");  // fresh each run
      // Wait until the command is up, signal it, and report its exit code (124: did not stop).
      const std::string script =
          command + " >" + ShellQuote(log.string()) + " 2>&1 & pid=$!; i=0; until grep -q " +
          ShellQuote(ready) + " " + ShellQuote(log.string()) +
          "; do i=$((i+1)); if [ $i -gt 600 ]; then kill -KILL $pid; exit 125; fi; sleep 0.1; "
          "done; kill -" +
          signal +
          " $pid; i=0; while kill -0 $pid 2>/dev/null; do i=$((i+1)); if [ $i -gt 150 ]; then "
          "kill -KILL $pid; exit 124; fi; sleep 0.1; done; wait $pid";
      const int status = std::system(("sh -c " + ShellQuote(script)).c_str());
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      EXPECT_EQ(code, 0) << command << " on SIG" << signal << ":\n" << ReadFileText(log);
      EXPECT_NE(ReadFileText(log).find("signal"), std::string::npos) << ReadFileText(log);
    }
  }
}

TEST(CliRuntimeTest, DemoRunsTheLoopAndCleansUp) {
  bitten::testing::TempDir dir;
  Outcome r = bitten::testing::RunBitten(dir.path(),
                                         {"demo", "--port", "0", "--for", "4", "--speed", "600"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.out, m,
      std::regex(R"((http://127\.0\.0\.1:\d+)/hud/\?token=v1\.[0-9a-f-]{36}\.\d+\.[0-9a-f]{64})")))
      << r.out;
  EXPECT_NE(r.out.find(m[1].str() + "/status"), std::string::npos) << r.out;
  std::smatch store;
  ASSERT_TRUE(std::regex_search(r.out, store, std::regex(R"(Store: (\S+))"))) << r.out;
  EXPECT_FALSE(fs::exists(fs::path(store[1].str()).parent_path()))
      << "the demo's temporary folder is removed at exit";
}

}  // namespace
}  // namespace bitten::app
