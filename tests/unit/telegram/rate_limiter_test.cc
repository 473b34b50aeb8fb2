#include "telegram/rate_limiter.h"

#include <gtest/gtest.h>

namespace bitten::telegram {
namespace {

TEST(RateLimiter, OneSendPerSecondPerChatOthersUnaffected) {
  RateLimiter limiter({});
  EXPECT_EQ(limiter.When(42, 1000), 1000);
  limiter.Record(42, 1000);
  EXPECT_EQ(limiter.When(42, 1000), 2000);
  EXPECT_EQ(limiter.When(42, 1999), 2000);
  EXPECT_EQ(limiter.When(42, 2000), 2000);
  EXPECT_EQ(limiter.When(43, 1000), 1000);  // another chat is free
}

TEST(RateLimiter, GlobalThirtyPerSecond) {
  RateLimiter limiter({});
  for (int chat = 1; chat <= 30; ++chat) {
    ASSERT_EQ(limiter.When(chat, 100 + chat), 100 + chat);
    limiter.Record(chat, 100 + chat);
  }
  // The 31st send in the window waits until the first one (t=101) leaves it.
  EXPECT_EQ(limiter.When(31, 200), 1101);
  EXPECT_EQ(limiter.When(31, 1101), 1101);
}

TEST(RateLimiter, TwentyPerMinutePerGroupAsASlidingWindow) {
  RateLimiter limiter({});
  const std::int64_t group = -1001234567890;
  for (int i = 0; i < 20; ++i) {
    const TimeMs t = i * 1000;
    ASSERT_EQ(limiter.When(group, t), t) << i;  // 1/s per chat still allows these
    limiter.Record(group, t);
  }
  // 20 sends within the last minute: the next waits until the first (t=0) is a minute old,
  // not just for the per-chat second.
  EXPECT_EQ(limiter.When(group, 20000), 60000);
  limiter.Record(group, 60000);
  EXPECT_EQ(limiter.When(group, 61000), 61000);  // t=1000 left the window at 61000
  // A positive chat id (a user) never gets the group limit.
  for (int i = 0; i < 25; ++i) limiter.Record(7, 100000 + i * 1000);
  EXPECT_EQ(limiter.When(7, 125000), 125000);
}

TEST(RateLimiter, ConfigurableLimits) {
  RateLimits limits;
  limits.chat_count = 2;
  limits.chat_window_ms = 500;
  RateLimiter limiter(limits);
  limiter.Record(5, 0);
  EXPECT_EQ(limiter.When(5, 10), 10);
  limiter.Record(5, 10);
  EXPECT_EQ(limiter.When(5, 20), 500);
}

}  // namespace
}  // namespace bitten::telegram
