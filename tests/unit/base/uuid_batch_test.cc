// NewUuidV7Batch: the ids of a fan-out, made at once. Same properties as NewUuidV7 (version 7,
// strictly increasing, the clock's time) and in order with the single ids made before and after.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/uuid.h"

namespace bitten {
namespace {

TEST(UuidBatch, IncreasingUniqueVersion7IdsInOrderWithSingleOnes) {
  // Later than any other test's clock (ids never go back, so an earlier time would be bumped).
  constexpr TimeMs kT = 7258118400123;  // 2200-01-01T00:00:00.123Z
  SimClock clock(kT);
  const std::string before = NewUuidV7(clock);
  // 10,000 ids in one millisecond overflow the 12-bit counter: later ids borrow the next
  // milliseconds (RFC 9562 §6.2) and stay in order.
  const std::vector<std::string> ids = NewUuidV7Batch(clock, 10'000);
  const std::string after = NewUuidV7(clock);
  ASSERT_EQ(ids.size(), 10'000u);
  std::string prev = before;
  for (const std::string& id : ids) {
    ASSERT_TRUE(IsUuidV7(id)) << id;
    ASSERT_LT(prev, id);
    prev = id;
  }
  EXPECT_LT(prev, after);
  EXPECT_EQ(UuidV7Time(ids.front()), kT);
  EXPECT_GT(UuidV7Time(ids.back()), kT);       // borrowed milliseconds
  EXPECT_LT(UuidV7Time(ids.back()), kT + 10);  // at most 10,000 / 2,048 of them, rounded up
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());

  // The random bits differ from id to id (62 of them after the counter).
  std::set<std::string> tails;
  for (const std::string& id : ids) tails.insert(id.substr(19));
  EXPECT_EQ(tails.size(), ids.size());

  EXPECT_TRUE(NewUuidV7Batch(clock, 0).empty());
}

}  // namespace
}  // namespace bitten
