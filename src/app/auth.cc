#include "app/auth.h"

#include "app/dev_login.h"
#include "base/crypto.h"
#include "telegram/init_data.h"

namespace bitten::app {

namespace {

// Case-insensitive scheme match; returns the credentials after "<scheme> " or nullopt.
std::optional<std::string_view> Credentials(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return std::nullopt;
  }
  std::string_view rest = header.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

}  // namespace

Authenticator::Authenticator(const AuthConfig& config, std::string bot_token, const Clock& clock)
    : config_(config), bot_token_(std::move(bot_token)), clock_(clock) {
  if (config_.dev_login) {
    auto raw = FromHex(config_.dev_login_secret_hex);
    if (raw && !raw->empty()) dev_secret_ = std::move(*raw);
  }
}

Result<Principal> Authenticator::Authenticate(std::string_view authorization,
                                              Purpose purpose) const {
  if (authorization.empty()) {
    return Fail("unauthorized", "missing Authorization header (tma <initData> or Bearer <token>)");
  }
  if (auto init_data = Credentials(authorization, "tma")) {
    if (bot_token_.empty()) {
      return Fail("unauthorized", "Telegram is not configured on this server: initData refused");
    }
    const std::int64_t max_age_s = purpose == Purpose::kFire ? config_.init_data_max_age_fire_s
                                                             : config_.init_data_max_age_read_s;
    auto user =
        telegram::ValidateInitData(*init_data, bot_token_, clock_.NowMs(), max_age_s * 1000);
    if (!user) return tl::unexpected(user.error());
    Principal p;
    p.telegram_id = user->id;
    return p;
  }
  if (auto token = Credentials(authorization, "bearer")) {
    if (dev_secret_.empty()) return Fail("unauthorized", "dev login is disabled on this server");
    auto user_id = VerifyDevToken(dev_secret_, *token, clock_.NowMs());
    if (!user_id) return tl::unexpected(user_id.error());
    Principal p;
    p.user_id = std::move(*user_id);
    return p;
  }
  return Fail("unauthorized",
              "unsupported Authorization scheme (use tma <initData> or Bearer <token>)");
}

}  // namespace bitten::app
