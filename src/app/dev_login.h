// Dev-login tokens (CONTRACTS §4): a signed, expiring bearer token for using the HUD outside
// Telegram (the demo, browser tests). Issued by `bitten users login-link` and `bitten demo`;
// accepted by the server only when auth.dev_login is on. Format:
//
//   v1.<user_id>.<expires_at>.<hex HMAC-SHA256(secret, "v1.<user_id>.<expires_at>")>
//
// user_id is a UUIDv7 (no dots), expires_at Unix ms. The secret is the raw key bytes (decode
// auth.dev_login_secret_hex first). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"

namespace bitten::app {

std::string MintDevToken(std::string_view secret, const std::string& user_id, TimeMs expires_at);

// The user id the token was minted for. Fails with code "unauthorized" (and a message saying why:
// malformed, bad signature, expired) when the token is not one this secret minted or expires_at <=
// now. The signature is compared in constant time.
Result<std::string> VerifyDevToken(std::string_view secret, std::string_view token, TimeMs now);

}  // namespace bitten::app
