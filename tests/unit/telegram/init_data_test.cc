#include "telegram/init_data.h"

#include <gtest/gtest.h>

#include <string>

#include "common/paths.h"
#include "unit/telegram/emulator_fixture.h"

namespace bitten::telegram {
namespace {

constexpr const char* kToken = "7012345678:AAHk-test_token";
constexpr TimeMs kDay = 86'400'000;
constexpr const char* kUser =
    R"({"id":279058397,"first_name":"Влад","last_name":"K","username":"vdk","language_code":"en"})";

// initData signed by @telegram-apps/init-data-node, the reference implementation.
std::string Signed(const std::string& token, TimeMs auth_date_ms, const std::string& user = kUser,
                   const std::string& start_param = "") {
  const std::string script =
      (bitten::testing::SourceDir() / "tests/unit/telegram/sign_init_data.mjs").string();
  return testing::RunCapture("/usr/bin/node '" + script + "' '" + token + "' " +
                             std::to_string(auth_date_ms / 1000) + " '" + user + "' '" +
                             start_param + "'");
}

class InitData : public ::testing::Test {
 protected:
  TimeMs now_ = RealClock().NowMs();
};

TEST_F(InitData, AcceptsDataSignedByTheReferenceLibrary) {
  const std::string raw =
      Signed(kToken, now_ - 10'000, kUser, "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d");
  ASSERT_NE(raw.find("hash="), std::string::npos) << "signing helper failed: " << raw;
  auto user = ValidateInitData(raw, kToken, now_, kDay);
  ASSERT_TRUE(user) << user.error().message << "\n" << raw;
  EXPECT_EQ(user->id, 279058397);
  EXPECT_EQ(user->first_name, "Влад");  // percent-decoded UTF-8
  EXPECT_EQ(user->last_name, "K");
  EXPECT_EQ(user->username, "vdk");
  EXPECT_EQ(user->language_code, "en");
  EXPECT_EQ(user->start_param, "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d");
  EXPECT_EQ(user->auth_date, (now_ - 10'000) / 1000 * 1000);
}

TEST_F(InitData, RejectsATamperedField) {
  const std::string raw = Signed(kToken, now_ - 10'000);
  // Claim to be someone else: user id 279058397 -> 279058398.
  std::string forged = raw;
  const auto pos = forged.find("279058397");
  ASSERT_NE(pos, std::string::npos);
  forged[pos + 8] = '8';
  auto r = ValidateInitData(forged, kToken, now_, kDay);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "unauthorized");
  EXPECT_EQ(r.error().message, "initData hash does not match");
  // The untouched string is fine (so the failure above is the tampering).
  EXPECT_TRUE(ValidateInitData(raw, kToken, now_, kDay));
  // Adding a field the signer never signed is tampering too.
  EXPECT_FALSE(ValidateInitData(raw + "&chat_type=group", kToken, now_, kDay));
}

TEST_F(InitData, RejectsAnotherBotsToken) {
  const std::string raw = Signed("7099999999:AAOther", now_ - 10'000);
  auto r = ValidateInitData(raw, kToken, now_, kDay);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "initData hash does not match");
}

TEST_F(InitData, RejectsExpiredAndFutureAuthDate) {
  const std::string old = Signed(kToken, now_ - 2 * 3'600'000);  // two hours old
  EXPECT_TRUE(ValidateInitData(old, kToken, now_, kDay));        // fine for reads (24 h)
  auto r = ValidateInitData(old, kToken, now_, 3'600'000);       // too old to fire (1 h)
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "unauthorized");
  EXPECT_TRUE(r.error().message.starts_with("initData expired: signed 72")) << r.error().message;
  EXPECT_TRUE(r.error().message.ends_with("limit 3600 s")) << r.error().message;

  const std::string future = Signed(kToken, now_ + 10 * 60'000);
  r = ValidateInitData(future, kToken, now_, kDay);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "initData auth_date is in the future");
  EXPECT_TRUE(ValidateInitData(Signed(kToken, now_ + 20'000), kToken, now_, kDay));  // small skew
}

TEST_F(InitData, RejectsMalformedStrings) {
  const std::string raw = Signed(kToken, now_ - 10'000);
  auto message = [&](std::string_view s) {
    auto r = ValidateInitData(s, kToken, now_, kDay);
    EXPECT_FALSE(r) << s;
    if (r) return std::string("accepted");
    EXPECT_EQ(r.error().code, "unauthorized");
    return r.error().message;
  };
  EXPECT_EQ(message(""), "initData is malformed: empty");
  EXPECT_EQ(message("garbage"), "initData is malformed: field without '='");
  EXPECT_EQ(message("user=%zz&hash=00"), "initData is malformed: bad percent-encoding");
  EXPECT_EQ(message("user=%4"), "initData is malformed: bad percent-encoding");
  EXPECT_EQ(message("a=1&&hash=00"), "initData is malformed: empty field");
  // Without its hash the rest of a genuine string is worthless.
  const std::string no_hash = raw.substr(0, raw.find("&hash="));
  EXPECT_EQ(message(no_hash), "initData has no hash");
  EXPECT_EQ(message(raw + "&hash=00"), "initData is malformed: duplicate field hash");
  EXPECT_EQ(message("auth_date=1&hash="), "initData has no hash");
}

}  // namespace
}  // namespace bitten::telegram
