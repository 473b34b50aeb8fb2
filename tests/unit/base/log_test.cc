// Structured JSON logs (base/log.h): one JSON object per line with ts, level, msg and the context
// fields of the calling thread, through a real spdlog logger writing to a string sink.
#include "base/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bitten {
namespace {

using nlohmann::json;

std::vector<json> Lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(json::parse(line));  // throws (fails the test) if a line is not one object
  }
  return out;
}

class JsonLogTest : public ::testing::Test {
 protected:
  JsonLogTest() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    logger_ = std::make_shared<spdlog::logger>("jsontest", sink);
    logger_->set_formatter(MakeJsonLogFormatter());
    logger_->set_level(spdlog::level::debug);
  }
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST_F(JsonLogTest, OneObjectPerLineWithTsLevelMsg) {
  logger_->info("fire {} accepted", "f-1");
  logger_->warn("quote \"x\"\nsecond line\ttab");
  logger_->flush();
  const auto lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["msg"], "fire f-1 accepted");
  EXPECT_EQ(lines[0]["logger"], "jsontest");
  EXPECT_TRUE(lines[0]["pid"].is_number_integer());
  EXPECT_TRUE(lines[0]["thread"].is_number_integer());
  EXPECT_TRUE(std::regex_match(lines[0]["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << lines[0]["ts"];
  EXPECT_EQ(lines[1]["level"], "warning");
  EXPECT_EQ(lines[1]["msg"], "quote \"x\"\nsecond line\ttab");
}

TEST_F(JsonLogTest, ContextFieldsFollowTheirScopeOnTheirThread) {
  {
    ScopedLogContext outer({{"fire_id", "f-1"}, {"mission_id", "m-1"}});
    logger_->info("outer");
    {
      ScopedLogContext inner(ScopedLogContext::Fields{{"terminal_id", "t1"}});
      logger_->info("inner");
      std::thread([&] { logger_->info("other thread"); }).join();
    }
    logger_->info("outer again");
  }
  logger_->info("none");
  logger_->flush();
  const auto lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["fire_id"], "f-1");
  EXPECT_EQ(lines[0]["mission_id"], "m-1");
  EXPECT_FALSE(lines[0].contains("terminal_id"));
  EXPECT_EQ(lines[1]["terminal_id"], "t1");
  EXPECT_EQ(lines[1]["fire_id"], "f-1");
  EXPECT_FALSE(lines[2].contains("fire_id")) << "context is per thread";
  EXPECT_FALSE(lines[3].contains("terminal_id"));
  EXPECT_EQ(lines[3]["fire_id"], "f-1");
  EXPECT_FALSE(lines[4].contains("fire_id"));
}

TEST_F(JsonLogTest, InvalidUtf8IsReplacedNotThrown) {
  logger_->error(std::string("bad \xff byte"));
  logger_->flush();
  const auto lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["level"], "error");
}

TEST(LogFormat, OnlyTextAndJsonAreValid) {
  EXPECT_TRUE(IsValidLogFormat("text"));
  EXPECT_TRUE(IsValidLogFormat("json"));
  EXPECT_FALSE(IsValidLogFormat("xml"));
  EXPECT_FALSE(IsValidLogFormat(""));
}

}  // namespace
}  // namespace bitten
