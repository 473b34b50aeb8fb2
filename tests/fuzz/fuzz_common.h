// Shared helpers of the libFuzzer targets in tests/fuzz/ (see docs/protocol.md, "Fuzzing"): the
// secret of tests/data/bridge/secret.hex as raw bytes, and re-signing of fuzzed input so that the
// parsers' code after the signature check is reached too (a random input almost never carries a
// valid HMAC). Header-only, no shared state; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/crypto.h"

namespace bitten::fuzz {

// tests/data/bridge/secret.hex, decoded: the HMAC key of every vector.
inline const std::string& Secret() {
  static const std::string secret =
      *FromHex("6b1f0c8e4a2d9b7310fe55aa0c3d2e1f8a9b7c6d5e4f30211203f4e5d6c7b8a9");
  return secret;
}

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// fire.txt: replaces what follows the first line starting with "sig=" by the correct signature of
// the bytes before it (or appends a sig line when there is none).
inline std::string ResignFire(std::string_view text) {
  std::size_t at = std::string_view::npos;
  for (std::size_t pos = 0; pos < text.size();) {
    if (text.substr(pos).starts_with("sig=")) {
      at = pos;
      break;
    }
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  std::string body(text.substr(0, at));
  if (at == std::string_view::npos && !body.empty() && body.back() != '\n') body.push_back('\n');
  return body + "sig=" + HmacSha256Hex(Secret(), body) + "\n";
}

// A signed JSON line: replaces the signature after the last `,"sig":` (or appends one) with the
// correct one.
inline std::string ResignJson(std::string_view text) {
  std::string_view body = text;
  const std::size_t at = text.rfind(",\"sig\":");
  if (at != std::string_view::npos) {
    body = text.substr(0, at);
  } else if (!body.empty() && body.back() == '}') {
    body.remove_suffix(1);
  }
  return std::string(body) + ",\"sig\":\"" + HmacSha256Hex(Secret(), body) + "\"}";
}

// Aborts (a libFuzzer crash) when an invariant the parsers promise does not hold.
inline void Require(bool ok, const char* what) {
  if (!ok) {
    __builtin_trap();
  }
  (void)what;
}

}  // namespace bitten::fuzz
