#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/format.h"
#include "base/uuid.h"

namespace bitten {
namespace {

TEST(Uuid, IsVersion7AndCarriesTheClockTime) {
  // A time after any other test's clock: ids never go back, so an earlier time would be bumped.
  SimClock clock(4102444800123);  // 2100-01-01T00:00:00.123Z = 0x3bb2cc3d87b
  const std::string id = NewUuidV7(clock);
  EXPECT_TRUE(IsUuidV7(id)) << id;
  EXPECT_EQ(UuidV7Time(id), 4102444800123);
  EXPECT_EQ(id.substr(0, 13), "03bb2cc3-d87b");
}

TEST(Uuid, StrictlyIncreasingWithinOneMillisecondAndWhenTheClockStepsBack) {
  SimClock clock(1722289995123);
  std::string prev = NewUuidV7(clock);
  for (int i = 0; i < 10000; ++i) {
    if (i == 5000) clock.Set(1722289990000);  // a step back must not break ordering
    const std::string id = NewUuidV7(clock);
    ASSERT_LT(prev, id);
    prev = id;
  }
}

TEST(Uuid, UniqueAcrossThreads) {
  RealClock clock;
  std::vector<std::vector<std::string>> out(4);
  std::vector<std::thread> threads;
  for (auto& v : out) {
    threads.emplace_back([&v, &clock] {
      for (int i = 0; i < 5000; ++i) v.push_back(NewUuidV7(clock));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : out) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 20000u);
}

TEST(Uuid, RejectsOtherText) {
  EXPECT_FALSE(IsUuidV7("0190f3b2-6c1e-4a3b-9c1d-2e4f5a6b7c8d"));  // version 4
  EXPECT_FALSE(IsUuidV7("0190F3B2-6C1E-7A3B-9C1D-2E4F5A6B7C8D"));  // uppercase
  EXPECT_FALSE(IsUuidV7("0190f3b2-6c1e-7a3b-cc1d-2e4f5a6b7c8d"));  // variant
  EXPECT_FALSE(IsUuidV7("0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8"));
  EXPECT_TRUE(IsUuidV7("0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d"));
}

// RFC 4231 test case 2 and the SHA-256 of "abc" (FIPS 180-2).
TEST(Crypto, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HexRoundTripAndErrors) {
  const std::string bytes = RandomBytes(32);
  auto back = FromHex(ToHex(bytes));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, bytes);
  EXPECT_EQ(FromHex("abc").error().code, "bad_hex");
  EXPECT_EQ(FromHex("zz").error().code, "bad_hex");
  EXPECT_EQ(*FromHex("0AfF"), std::string("\x0a\xff", 2));
}

TEST(Crypto, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(Format, FixedDigitsRoundHalfAwayFromZero) {
  EXPECT_EQ(FormatFixed(1.0825, 5), "1.08250");
  EXPECT_EQ(FormatFixed(1.082499999999, 5), "1.08250");
  EXPECT_EQ(FormatFixed(150.1235, 3), "150.124");
  EXPECT_EQ(FormatFixed(2345.65, 2), "2345.65");
  EXPECT_EQ(FormatFixed(-0.845, 2), "-0.85");
}

TEST(Format, TimesInUtc) {
  EXPECT_EQ(FormatIsoMs(1722289995123), "2024-07-29T21:53:15.123Z");
  EXPECT_EQ(FormatHhMmUtc(1722289995123), "21:53 UTC");
  EXPECT_EQ(UtcDayStart(1722289995123), 1722211200000);
}

}  // namespace
}  // namespace bitten
