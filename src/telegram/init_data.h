// Telegram Mini App initData validation (CONTRACTS §4, ARCHITECTURE invariant 7: identity is
// proven, never asserted). Implements https://core.telegram.org/bots/webapps (section "Validating
// data received via the Mini App"):
//   1. parse the query string (application/x-www-form-urlencoded: "%XX" and "+" decoded);
//   2. data_check_string = every "key=value" pair except hash, sorted by key, joined by "\n";
//   3. secret_key = HMAC-SHA256(key = "WebAppData", message = bot_token);
//   4. valid when hex(HMAC-SHA256(secret_key, data_check_string)) equals hash (constant time);
//   5. auth_date (Unix seconds) no older than max_age_ms and at most kInitDataMaxFutureMs ahead
//      of now;
//   6. user is a JSON object with a positive integer id.
// Every failure is Error{code "unauthorized", message} with one of these messages (stable, tested):
//   "initData is malformed: <why>", "initData has no hash", "initData hash does not match",
//   "initData has no valid auth_date", "initData expired: signed <n> s ago, limit <m> s",
//   "initData auth_date is in the future", "initData has no valid user".
// Pure function, thread-safe. The bot token is never part of an error message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"

namespace bitten::telegram {

// How far auth_date may lie ahead of the server clock (clock skew). 60 s.
inline constexpr TimeMs kInitDataMaxFutureMs = 60'000;

struct InitDataUser {
  std::int64_t id = 0;  // the Telegram user id: the identity to trust
  std::string first_name;
  std::string last_name;      // "" when absent
  std::string username;       // "" when absent
  std::string language_code;  // "" when absent
  TimeMs auth_date = 0;       // auth_date in Unix ms
  std::string start_param;    // the direct link's startapp payload (a signal id), "" when absent
};

Result<InitDataUser> ValidateInitData(std::string_view raw, std::string_view bot_token, TimeMs now,
                                      TimeMs max_age_ms);

}  // namespace bitten::telegram
