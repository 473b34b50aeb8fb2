#include "base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace bitten {

Digest Sha256(std::string_view data) {
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest d{};
  unsigned int len = 0;
  const auto* out =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data(), &len);
  BITTEN_CHECK(out != nullptr && len == d.size(), "HMAC-SHA256 failed");
  return d;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return ToHex(HmacSha256(key, data));
}

std::string ToHex(const std::uint8_t* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = kHex[data[i] >> 4];
    s[2 * i + 1] = kHex[data[i] & 0xF];
  }
  return s;
}

Result<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Fail("bad_hex", "hex text has an odd number of digits");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return Fail("bad_hex", "hex text has a character that is not a hex digit");
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomBytes(std::size_t n) {
  std::string s(n, '\0');
  BITTEN_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n)) == 1,
               "RAND_bytes failed");
  return s;
}

}  // namespace bitten
