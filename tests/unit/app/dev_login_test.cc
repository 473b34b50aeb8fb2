#include "app/dev_login.h"

#include <gtest/gtest.h>

namespace bitten::app {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kUser = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";

TEST(DevLoginTest, ValidTokenGivesTheUser) {
  const std::string token = MintDevToken(kSecret, kUser, 2000);
  EXPECT_EQ(token.rfind("v1." + kUser + ".2000.", 0), 0u) << token;
  auto user = VerifyDevToken(kSecret, token, 1999);
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(*user, kUser);
}

TEST(DevLoginTest, ExpiredTokenIsRefused) {
  const std::string token = MintDevToken(kSecret, kUser, 2000);
  auto user = VerifyDevToken(kSecret, token, 2000);
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, "unauthorized");
  EXPECT_NE(user.error().message.find("expired"), std::string::npos);
}

TEST(DevLoginTest, TamperedTokenIsRefused) {
  const std::string token = MintDevToken(kSecret, kUser, 2000);
  // Another user, a later expiry, a changed signature, another secret.
  std::string other_user = token;
  other_user[3] = other_user[3] == '0' ? '1' : '0';
  std::string later = "v1." + kUser + ".9000" + token.substr(token.rfind('.'));
  std::string bad_sig = token;
  bad_sig.back() = bad_sig.back() == '0' ? '1' : '0';
  for (const std::string& t : {other_user, later, bad_sig}) {
    auto user = VerifyDevToken(kSecret, t, 1000);
    ASSERT_FALSE(user) << t;
    EXPECT_EQ(user.error().code, "unauthorized");
  }
  EXPECT_FALSE(VerifyDevToken("another secret", token, 1000));
}

TEST(DevLoginTest, MalformedTokensAreRefused) {
  const std::string sig(64, 'a');
  for (const std::string& t :
       {std::string(), std::string("v1"), "v1." + kUser + ".2000", "v2." + kUser + ".2000." + sig,
        "v1." + kUser + ".20x0." + sig, "v1.." + std::string("2000.") + sig,
        "v1." + kUser + ".2000." + sig + ".extra", "v1." + kUser + ".2000.abc"}) {
    auto user = VerifyDevToken(kSecret, t, 1000);
    ASSERT_FALSE(user) << t;
    EXPECT_EQ(user.error().code, "unauthorized");
  }
}

}  // namespace
}  // namespace bitten::app
