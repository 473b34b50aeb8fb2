// Hashing, HMAC and random bytes on OpenSSL. Everything the protocol signs (fire.txt, result lines,
// heartbeats, HTTP requests from terminals, Telegram initData, dev-login tokens) goes through
// these. Hex output is lowercase. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace bitten {

using Digest = std::array<std::uint8_t, 32>;

Digest Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);

// HMAC-SHA256 with a raw byte key.
Digest HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

std::string ToHex(const std::uint8_t* data, std::size_t n);
inline std::string ToHex(const Digest& d) { return ToHex(d.data(), d.size()); }
inline std::string ToHex(std::string_view bytes) {
  return ToHex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

// Decodes hex (either case) to raw bytes; fails with "bad_hex" on odd length or a non-hex
// character.
Result<std::string> FromHex(std::string_view hex);

// Constant-time comparison (CRYPTO_memcmp); false when the lengths differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically secure random bytes (RAND_bytes); aborts if the system has no entropy.
std::string RandomBytes(std::size_t n);

}  // namespace bitten
