#include "app/dev_login.h"

#include <charconv>
#include <vector>

#include "base/crypto.h"

namespace bitten::app {
namespace {

constexpr std::string_view kVersion = "v1";

std::string Payload(std::string_view user_id, std::string_view expires_at) {
  std::string p(kVersion);
  p += '.';
  p += user_id;
  p += '.';
  p += expires_at;
  return p;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find(sep, start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

std::string MintDevToken(std::string_view secret, const std::string& user_id, TimeMs expires_at) {
  const std::string payload = Payload(user_id, std::to_string(expires_at));
  return payload + "." + HmacSha256Hex(secret, payload);
}

Result<std::string> VerifyDevToken(std::string_view secret, std::string_view token, TimeMs now) {
  const std::vector<std::string_view> parts = Split(token, '.');
  if (parts.size() != 4 || parts[0] != kVersion || parts[1].empty() || parts[2].empty() ||
      parts[3].size() != 64) {
    return Fail("unauthorized", "Malformed dev-login token.");
  }
  TimeMs expires_at = 0;
  const auto [end, ec] =
      std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), expires_at);
  if (ec != std::errc() || end != parts[2].data() + parts[2].size()) {
    return Fail("unauthorized", "Malformed dev-login token.");
  }
  const std::string expected = HmacSha256Hex(secret, Payload(parts[1], parts[2]));
  if (!ConstantTimeEquals(expected, parts[3])) {
    return Fail("unauthorized", "Dev-login token signature is not valid.");
  }
  if (expires_at <= now) {
    return Fail("unauthorized", "Dev-login token expired; ask for a new login link.");
  }
  return std::string(parts[1]);
}

}  // namespace bitten::app
