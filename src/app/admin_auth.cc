#include "app/admin_auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "base/crypto.h"

namespace bitten::app {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr TimeMs kMaxSessionMs = 24 * 3600 * 1000LL;
constexpr std::size_t kKeyBytes = 32;

struct ParsedHash {
  int iterations = 0;
  std::string salt;  // raw
  std::string key;   // raw
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

Result<ParsedHash> ParseHash(std::string_view hash) {
  auto parts = Split(hash, '$');
  if (parts.size() != 4 || parts[0] != kScheme) {
    return Fail("bad_config",
                "admin.password_hash: expected pbkdf2-sha256$<iterations>$<salt hex>$<key hex> "
                "(make one with `bitten admin hash-password`)");
  }
  ParsedHash out;
  auto [p, ec] =
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), out.iterations);
  if (ec != std::errc() || p != parts[1].data() + parts[1].size() || out.iterations < 1000) {
    return Fail("bad_config", "admin.password_hash: iterations must be an integer >= 1000");
  }
  auto salt = FromHex(parts[2]);
  if (!salt || salt->size() < 8) {
    return Fail("bad_config", "admin.password_hash: the salt must be at least 8 bytes of hex");
  }
  auto key = FromHex(parts[3]);
  if (!key || key->size() != kKeyBytes) {
    return Fail("bad_config", "admin.password_hash: the key must be 32 bytes of hex");
  }
  out.salt = std::move(*salt);
  out.key = std::move(*key);
  return out;
}

std::string Pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  std::string key(kKeyBytes, '\0');
  int ok =
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(key.size()), reinterpret_cast<unsigned char*>(key.data()));
  BITTEN_CHECK(ok == 1, "PKCS5_PBKDF2_HMAC failed");
  return key;
}

}  // namespace

Status ValidatePasswordHash(std::string_view hash) {
  if (hash.empty()) return {};
  auto parsed = ParseHash(hash);
  if (!parsed) return tl::unexpected(parsed.error());
  return {};
}

std::string HashAdminPassword(std::string_view password, int iterations) {
  std::string salt = RandomBytes(16);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + ToHex(salt) + "$" +
         ToHex(Pbkdf2(password, salt, iterations));
}

bool VerifyAdminPassword(std::string_view password, std::string_view hash) {
  auto parsed = ParseHash(hash);
  if (!parsed) return false;
  return ConstantTimeEquals(Pbkdf2(password, parsed->salt, parsed->iterations), parsed->key);
}

std::string CookieValue(std::string_view header, std::string_view name) {
  for (std::string_view part : Split(header, ';')) {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return {};
}

AdminAuth::AdminAuth(AdminConfig config, const Clock& clock, bool secure_cookie)
    : config_(std::move(config)), clock_(clock), secure_cookie_(secure_cookie) {}

void AdminAuth::PruneLocked(TimeMs now) {
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires_at <= now; });
  const TimeMs window = config_.login_window_s * 1000;
  for (auto it = failures_.begin(); it != failures_.end();) {
    auto& q = it->second;
    while (!q.empty() && q.front() <= now - window) q.pop_front();
    it = q.empty() ? failures_.erase(it) : std::next(it);
  }
}

Result<AdminSession> AdminAuth::Login(std::string_view client, std::string_view password,
                                      std::int64_t* retry_after_s) {
  if (!enabled()) {
    return Fail("admin_disabled", "the console is closed: admin.password_hash is not configured");
  }
  const TimeMs now = clock_.NowMs();
  const TimeMs window = config_.login_window_s * 1000;
  {
    std::lock_guard lock(mu_);
    PruneLocked(now);
    auto it = failures_.find(client);
    if (it != failures_.end() &&
        static_cast<int>(it->second.size()) >= config_.login_max_attempts) {
      const std::int64_t wait_s = (it->second.front() + window - now + 999) / 1000;
      if (retry_after_s) *retry_after_s = wait_s;
      return Fail("rate_limited", "too many failed logins from this address; try again in " +
                                      std::to_string(wait_s) + " s");
    }
  }
  // Hashing happens outside the lock: it takes a noticeable time by design.
  if (!VerifyAdminPassword(password, config_.password_hash)) {
    std::lock_guard lock(mu_);
    failures_[std::string(client)].push_back(now);
    return Fail("bad_password", "wrong password");
  }
  AdminSession s;
  s.id = ToHex(RandomBytes(32));
  s.csrf = ToHex(RandomBytes(32));
  s.created_at = now;
  s.expires_at = std::min(now + config_.session_ttl_s * 1000, now + kMaxSessionMs);
  std::lock_guard lock(mu_);
  failures_.erase(std::string(client));
  sessions_[s.id] = s;
  return s;
}

Result<AdminSession> AdminAuth::Check(std::string_view cookie_header) {
  const std::string id = CookieValue(cookie_header, kCookieName);
  if (id.empty()) return Fail("unauthorized", "admin login required");
  const TimeMs now = clock_.NowMs();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.expires_at <= now) {
    if (it != sessions_.end()) sessions_.erase(it);
    return Fail("unauthorized", "the admin session has expired; log in again");
  }
  it->second.expires_at =
      std::min(now + config_.session_ttl_s * 1000, it->second.created_at + kMaxSessionMs);
  return it->second;
}

Result<AdminSession> AdminAuth::CheckWrite(std::string_view cookie_header,
                                           std::string_view csrf_header) {
  auto s = Check(cookie_header);
  if (!s) return s;
  if (csrf_header.empty() || !ConstantTimeEquals(csrf_header, s->csrf)) {
    return Fail("csrf", "missing or wrong X-CSRF-Token");
  }
  return s;
}

void AdminAuth::Logout(std::string_view cookie_header) {
  const std::string id = CookieValue(cookie_header, kCookieName);
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

std::string AdminAuth::SetCookie(const AdminSession& s) const {
  // The browser may keep it for the session's longest life; the server enforces the idle expiry.
  std::string c =
      std::string(kCookieName) + "=" + s.id +
      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(kMaxSessionMs / 1000);
  if (secure_cookie_) c += "; Secure";
  return c;
}

std::string AdminAuth::ClearCookie() const {
  std::string c = std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (secure_cookie_) c += "; Secure";
  return c;
}

std::size_t AdminAuth::sessions() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace bitten::app
