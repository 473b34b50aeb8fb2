#include "telegram/init_data.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "base/crypto.h"

namespace bitten::telegram {
namespace {

tl::unexpected<Error> Unauthorized(std::string message) {
  return Fail("unauthorized", std::move(message));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> FormDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Str(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : "";
}

}  // namespace

Result<InitDataUser> ValidateInitData(std::string_view raw, std::string_view bot_token, TimeMs now,
                                      TimeMs max_age_ms) {
  if (raw.empty()) return Unauthorized("initData is malformed: empty");
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string hash;
  bool have_hash = false;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view part = raw.substr(start, end - start);
    start = end + 1;
    if (part.empty()) return Unauthorized("initData is malformed: empty field");
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      return Unauthorized("initData is malformed: field without '='");
    auto key = FormDecode(part.substr(0, eq));
    auto value = FormDecode(part.substr(eq + 1));
    if (!key || !value || key->empty()) {
      return Unauthorized("initData is malformed: bad percent-encoding");
    }
    const bool duplicate =
        (*key == "hash" && have_hash) ||
        std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == *key; });
    if (duplicate) return Unauthorized("initData is malformed: duplicate field " + *key);
    if (*key == "hash") {
      hash = std::move(*value);
      have_hash = true;
    } else {
      pairs.emplace_back(std::move(*key), std::move(*value));
    }
  }
  if (!have_hash || hash.empty()) return Unauthorized("initData has no hash");

  std::sort(pairs.begin(), pairs.end());
  std::string check;
  for (const auto& [k, v] : pairs) {
    if (!check.empty()) check += '\n';
    check += k;
    check += '=';
    check += v;
  }
  const Digest secret = HmacSha256("WebAppData", bot_token);
  const std::string secret_bytes(reinterpret_cast<const char*>(secret.data()), secret.size());
  const std::string expected = HmacSha256Hex(secret_bytes, check);
  if (!ConstantTimeEquals(expected, hash)) return Unauthorized("initData hash does not match");

  auto find = [&pairs](std::string_view key) -> const std::string* {
    for (const auto& p : pairs) {
      if (p.first == key) return &p.second;
    }
    return nullptr;
  };

  const std::string* auth = find("auth_date");
  std::int64_t auth_s = 0;
  if (auth == nullptr || auth->empty()) return Unauthorized("initData has no valid auth_date");
  {
    const char* b = auth->data();
    const char* e = b + auth->size();
    auto [p, ec] = std::from_chars(b, e, auth_s);
    if (ec != std::errc() || p != e || auth_s <= 0) {
      return Unauthorized("initData has no valid auth_date");
    }
  }
  const TimeMs auth_ms = auth_s * 1000;
  if (auth_ms - now > kInitDataMaxFutureMs) {
    return Unauthorized("initData auth_date is in the future");
  }
  if (now - auth_ms > max_age_ms) {
    return Unauthorized("initData expired: signed " + std::to_string((now - auth_ms) / 1000) +
                        " s ago, limit " + std::to_string(max_age_ms / 1000) + " s");
  }

  const std::string* user_text = find("user");
  if (user_text == nullptr) return Unauthorized("initData has no valid user");
  const nlohmann::json user = nlohmann::json::parse(*user_text, nullptr, false);
  if (!user.is_object()) return Unauthorized("initData has no valid user");
  auto id = user.find("id");
  if (id == user.end() || !id->is_number_integer() || id->get<std::int64_t>() <= 0) {
    return Unauthorized("initData has no valid user");
  }
  InitDataUser out;
  out.id = id->get<std::int64_t>();
  out.first_name = Str(user, "first_name");
  out.last_name = Str(user, "last_name");
  out.username = Str(user, "username");
  out.language_code = Str(user, "language_code");
  out.auth_date = auth_ms;
  if (const std::string* sp = find("start_param")) out.start_param = *sp;
  return out;
}

}  // namespace bitten::telegram
