// Authentication of HUD and bot callers (CONTRACTS §4, ARCHITECTURE invariant 7: identity is
// proven, never asserted). Turns an `Authorization` header into a Principal: the Telegram user id
// proven by a valid Mini App initData signature, or the user id carried by a valid dev-login token.
// It never reads a user id from any other header or from the query string.
//
//   Authorization: tma <initData>     telegram::ValidateInitData with the bot token; max age 24 h
//   for
//                                     reads, 1 h for POST /api/fire (AuthConfig). Needs a bot
//                                     token.
//   Authorization: Bearer <token>     VerifyDevToken (app/dev_login.h), only when auth.dev_login is
//   on.
//
// The Principal is only who the caller is; whether such a user exists is decided by the core, which
// owns the users (an unknown Telegram id is answered 401 there). Every failure is
// Error{"unauthorized", why}. Immutable after construction; thread-safe (called on HTTP io
// threads).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "app/config.h"
#include "base/clock.h"
#include "base/error.h"

namespace bitten::app {

// Who made a request, as proven by a signature.
struct Principal {
  std::int64_t telegram_id = 0;  // set for initData callers and bot updates
  std::string user_id;           // set for dev-token callers
};

class Authenticator {
 public:
  enum class Purpose { kRead, kFire };

  // `bot_token` may be empty (Telegram off): initData is then refused. A dev_login config with a
  // secret that is not hex is refused by Config::Validate; here it disables dev tokens.
  Authenticator(const AuthConfig& config, std::string bot_token, const Clock& clock);

  Result<Principal> Authenticate(std::string_view authorization, Purpose purpose) const;

 private:
  AuthConfig config_;
  std::string bot_token_;
  std::string dev_secret_;  // raw bytes; "" = dev tokens off
  const Clock& clock_;
};

}  // namespace bitten::app
