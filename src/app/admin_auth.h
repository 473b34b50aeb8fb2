// Authentication of the Commander Throne's operator (/admin), separate from traders (a trader's
// initData or dev token never opens the console, and an admin session never fires a mission).
//
// - The password is configured as a hash only (`admin.password_hash`, made by
//   `bitten admin hash-password`): "pbkdf2-sha256$<iterations>$<salt hex>$<key hex>", PBKDF2-HMAC-
//   SHA256 from OpenSSL (PKCS5_PBKDF2_HMAC). Verification is constant-time.
// - A login creates a session: a 256-bit random id sent as the cookie `bitten_admin` (HttpOnly,
//   SameSite=Strict, Path=/, Secure when the public URL is https) and a separate 256-bit CSRF token
//   that the page reads from the login answer or GET /admin/api/session and sends back as
//   `X-CSRF-Token` on every state-changing request. SameSite=Strict keeps the cookie off cross-site
//   requests; the token is the second, independent guard (a same-site page still cannot read it).
//   Sessions expire after `admin.session_ttl_s` of inactivity and at most 24 h after login.
// - Login attempts are rate-limited per client address: at most `admin.login_max_attempts` failures
//   per `admin.login_window_s`; then every attempt (right or wrong) is refused with
//   "rate_limited" and a retry_after until the window frees up. A success clears the address's
//   failures.
//
// Thread-safety: all methods may be called from any io thread. The session table and the attempt
// counters are auth bookkeeping owned by this object, guarded by one mutex held only for map
// lookups (never across hashing or I/O); no domain state lives here.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"

namespace bitten::app {

struct AdminConfig {
  // "pbkdf2-sha256$<iterations>$<salt hex>$<key hex>"; "" = the console is closed (every login
  // refused with "admin_disabled"). Default: "".
  std::string password_hash;
  std::int64_t session_ttl_s = 3600;  // idle lifetime of a session. Default: 1 h
  int login_max_attempts = 5;         // failed logins allowed per address per window. Default: 5
  std::int64_t login_window_s = 900;  // the window. Default: 15 min
};

// Checks the form of a configured hash ("" is fine: console closed). The message names the part.
Status ValidatePasswordHash(std::string_view hash);
// A new hash of `password` with a random 16-byte salt. Iterations default to OWASP's 2023 figure
// for PBKDF2-HMAC-SHA256.
std::string HashAdminPassword(std::string_view password, int iterations = 600000);
// Constant-time check of `password` against a hash made by HashAdminPassword; false when the hash
// is malformed.
bool VerifyAdminPassword(std::string_view password, std::string_view hash);

struct AdminSession {
  std::string id;    // cookie value (hex)
  std::string csrf;  // X-CSRF-Token value (hex)
  TimeMs created_at = 0, expires_at = 0;
};

class AdminAuth {
 public:
  // `clock` must outlive the object. `secure_cookie`: add `Secure` to Set-Cookie (TLS in front).
  AdminAuth(AdminConfig config, const Clock& clock, bool secure_cookie);

  bool enabled() const { return !config_.password_hash.empty(); }

  // Errors: "admin_disabled" (no hash configured), "rate_limited" (message says when to retry;
  // `retry_after_s` set), "bad_password".
  Result<AdminSession> Login(std::string_view client, std::string_view password,
                             std::int64_t* retry_after_s = nullptr);
  // The session named by the request's Cookie header, refreshed (sliding expiry). Error
  // "unauthorized" when absent, unknown or expired.
  Result<AdminSession> Check(std::string_view cookie_header);
  // Check() plus the CSRF token of a state-changing request. Error "unauthorized" or "csrf".
  Result<AdminSession> CheckWrite(std::string_view cookie_header, std::string_view csrf_header);
  void Logout(std::string_view cookie_header);

  // Set-Cookie values that open and close a session.
  std::string SetCookie(const AdminSession& s) const;
  std::string ClearCookie() const;

  std::size_t sessions() const;

  static constexpr std::string_view kCookieName = "bitten_admin";

 private:
  void PruneLocked(TimeMs now);

  AdminConfig config_;
  const Clock& clock_;
  bool secure_cookie_;
  mutable std::mutex mu_;
  std::map<std::string, AdminSession, std::less<>> sessions_;        // by id
  std::map<std::string, std::deque<TimeMs>, std::less<>> failures_;  // by client address
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string CookieValue(std::string_view cookie_header, std::string_view name);

}  // namespace bitten::app
