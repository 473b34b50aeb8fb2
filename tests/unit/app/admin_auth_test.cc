#include "app/admin_auth.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/clock.h"
#include "common/paths.h"
#include "common/run_bitten.h"

namespace bitten::app {
namespace {

// Few iterations keep the tests quick; the scheme is the same.
constexpr int kTestIterations = 1000;

AdminConfig ConfigWith(const std::string& password) {
  AdminConfig c;
  c.password_hash = HashAdminPassword(password, kTestIterations);
  c.session_ttl_s = 600;
  c.login_max_attempts = 3;
  c.login_window_s = 60;
  return c;
}

std::string CookieHeaderFor(const AdminSession& s) {
  return "other=1; " + std::string(AdminAuth::kCookieName) + "=" + s.id + "; x=y";
}

TEST(AdminPassword, HashVerifiesOnlyTheRightPassword) {
  const std::string h = HashAdminPassword("correct horse", kTestIterations);
  EXPECT_TRUE(ValidatePasswordHash(h).has_value());
  EXPECT_TRUE(VerifyAdminPassword("correct horse", h));
  EXPECT_FALSE(VerifyAdminPassword("correct hors", h));
  EXPECT_FALSE(VerifyAdminPassword("", h));
  // Salted: the same password hashes differently each time, and both verify.
  const std::string h2 = HashAdminPassword("correct horse", kTestIterations);
  EXPECT_NE(h, h2);
  EXPECT_TRUE(VerifyAdminPassword("correct horse", h2));
}

TEST(AdminPassword, MatchesAnIndependentPbkdf2Implementation) {
  // Made with Python's hashlib.pbkdf2_hmac('sha256', b'Password', salt, 80000) and confirmed with
  // `openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:Password
  //  -kdfopt hexsalt:000102030405060708090a0b0c0d0e0f -kdfopt iter:80000 PBKDF2`.
  const std::string h =
      "pbkdf2-sha256$80000$000102030405060708090a0b0c0d0e0f$"
      "dcbc5570822a10a88ae3e18f15e9a33638affc01ad3e83d8eda6de0b8b14b24f";
  EXPECT_TRUE(VerifyAdminPassword("Password", h));
  EXPECT_FALSE(VerifyAdminPassword("password", h));
}

TEST(AdminPassword, MalformedHashesAreNamed) {
  for (std::string bad : {"plain", "pbkdf2-sha256$10$00112233445566778899$00",
                          "md5$1000$0011223344556677$00", "pbkdf2-sha256$x$0011$00"}) {
    auto s = ValidatePasswordHash(bad);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_NE(s.error().message.find("admin.password_hash"), std::string::npos);
    EXPECT_FALSE(VerifyAdminPassword("anything", bad));
  }
  EXPECT_TRUE(ValidatePasswordHash("").has_value());  // console closed
}

TEST(AdminAuth, ClosedWithoutAHash) {
  SimClock clock(1'000'000);
  AdminAuth auth({}, clock, false);
  EXPECT_FALSE(auth.enabled());
  auto s = auth.Login("1.2.3.4", "");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "admin_disabled");
}

TEST(AdminAuth, LoginCheckCsrfLogout) {
  SimClock clock(1'000'000);
  AdminAuth auth(ConfigWith("pw"), clock, false);
  auto s = auth.Login("1.2.3.4", "pw");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->id.size(), 64u);
  EXPECT_NE(s->id, s->csrf);

  auto checked = auth.Check(CookieHeaderFor(*s));
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->csrf, s->csrf);

  EXPECT_EQ(auth.Check("").error().code, "unauthorized");
  EXPECT_EQ(auth.Check("bitten_admin=" + std::string(64, '0')).error().code, "unauthorized");

  EXPECT_TRUE(auth.CheckWrite(CookieHeaderFor(*s), s->csrf));
  EXPECT_EQ(auth.CheckWrite(CookieHeaderFor(*s), "").error().code, "csrf");
  EXPECT_EQ(auth.CheckWrite(CookieHeaderFor(*s), s->id).error().code, "csrf");

  auth.Logout(CookieHeaderFor(*s));
  EXPECT_EQ(auth.Check(CookieHeaderFor(*s)).error().code, "unauthorized");
}

TEST(AdminAuth, CookieAttributes) {
  SimClock clock(1'000'000);
  AdminAuth plain(ConfigWith("pw"), clock, false);
  auto s = plain.Login("a", "pw");
  ASSERT_TRUE(s);
  const std::string c = plain.SetCookie(*s);
  EXPECT_EQ(c.rfind("bitten_admin=" + s->id + ";", 0), 0u);
  EXPECT_NE(c.find("HttpOnly"), std::string::npos);
  EXPECT_NE(c.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(c.find("Secure"), std::string::npos);
  AdminAuth tls(ConfigWith("pw"), clock, true);
  EXPECT_NE(tls.SetCookie(*s).find("; Secure"), std::string::npos);
  EXPECT_NE(tls.ClearCookie().find("Max-Age=0"), std::string::npos);
}

TEST(AdminAuth, SessionsExpireWhenIdleAndSlideWhenUsed) {
  SimClock clock(1'000'000);
  AdminAuth auth(ConfigWith("pw"), clock, false);
  auto s = auth.Login("a", "pw");
  ASSERT_TRUE(s);
  clock.Advance(500'000);  // within the 600 s idle limit
  ASSERT_TRUE(auth.Check(CookieHeaderFor(*s)));
  clock.Advance(500'000);  // 1000 s after login, 500 s after last use: still alive (sliding)
  ASSERT_TRUE(auth.Check(CookieHeaderFor(*s)));
  clock.Advance(601'000);  // idle too long
  EXPECT_EQ(auth.Check(CookieHeaderFor(*s)).error().code, "unauthorized");
  EXPECT_EQ(auth.sessions(), 0u);
}

TEST(AdminAuth, SessionsNeverOutliveADay) {
  SimClock clock(1'000'000);
  AdminConfig c = ConfigWith("pw");
  c.session_ttl_s = 7200;
  AdminAuth auth(c, clock, false);
  auto s = auth.Login("a", "pw");
  ASSERT_TRUE(s);
  for (int i = 0; i < 23; ++i) {
    clock.Advance(3600'000);
    ASSERT_TRUE(auth.Check(CookieHeaderFor(*s))) << i;
  }
  clock.Advance(3600'000);  // 24 h after login
  EXPECT_FALSE(auth.Check(CookieHeaderFor(*s)));
}

TEST(AdminAuth, FailedLoginsAreRateLimitedPerAddress) {
  SimClock clock(1'000'000);
  AdminAuth auth(ConfigWith("pw"), clock, false);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(auth.Login("9.9.9.9", "nope").error().code, "bad_password");
  std::int64_t retry = 0;
  auto limited = auth.Login("9.9.9.9", "pw", &retry);  // even the right password waits
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, "rate_limited");
  EXPECT_EQ(retry, 60);
  // Another address is not affected.
  EXPECT_TRUE(auth.Login("8.8.8.8", "pw"));
  clock.Advance(30'000);
  EXPECT_EQ(auth.Login("9.9.9.9", "pw", &retry).error().code, "rate_limited");
  EXPECT_EQ(retry, 30);
  clock.Advance(30'000);  // the window has passed
  ASSERT_TRUE(auth.Login("9.9.9.9", "pw"));
  // A success clears the failures: three more wrong tries are allowed again.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(auth.Login("9.9.9.9", "x").error().code, "bad_password");
  EXPECT_EQ(auth.Login("9.9.9.9", "x").error().code, "rate_limited");
}

TEST(CookieValue, FindsExactNames) {
  EXPECT_EQ(CookieValue("a=1; bitten_admin=abc; c=3", "bitten_admin"), "abc");
  EXPECT_EQ(CookieValue("xbitten_admin=abc", "bitten_admin"), "");
  EXPECT_EQ(CookieValue("bitten_admin=", "bitten_admin"), "");
  EXPECT_EQ(CookieValue("", "bitten_admin"), "");
}

TEST(AdminHashPasswordCommand, PrintsAHashThatVerifies) {
  testing::TempDir dir;
  const auto out = dir.path() / "hash.txt";
  const std::string cmd =
      "printf 'a long enough password\\n' | " + testing::ShellQuote(testing::BittenBinary()) +
      " admin hash-password --iterations 1000 > " + testing::ShellQuote(out.string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string hash = testing::ReadFileText(out);
  ASSERT_FALSE(hash.empty());
  ASSERT_EQ(hash.back(), '\n');
  hash.pop_back();
  EXPECT_TRUE(ValidatePasswordHash(hash).has_value()) << hash;
  EXPECT_TRUE(VerifyAdminPassword("a long enough password", hash));
  EXPECT_FALSE(VerifyAdminPassword("a long enough password\n", hash));

  // Too short, or nothing on stdin: a usage error (exit 2), nothing printed.
  const std::string bad = "printf 'short\\n' | " + testing::ShellQuote(testing::BittenBinary()) +
                          " admin hash-password > /dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(bad.c_str())), 2);
  auto none = testing::RunBitten(dir.path(), {"admin", "hash-password"});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("no password on stdin"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace bitten::app
