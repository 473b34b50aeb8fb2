#include "base/uuid.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <mutex>

#include "base/error.h"

namespace bitten {
namespace {

std::mutex g_mu;
TimeMs g_last_ms = 0;
std::uint16_t g_counter = 0;  // 12 bits used

void Random(std::uint8_t* out, int n) {
  BITTEN_CHECK(RAND_bytes(out, n) == 1, "RAND_bytes failed: no entropy for ids");
}

// Next (ms, counter) under g_mu; `seed` (2 random bytes) starts the counter in a new millisecond.
void NextStamp(TimeMs& ms, std::uint16_t& counter, const std::uint8_t* seed) {
  if (ms > g_last_ms) {
    g_last_ms = ms;
    // Start the counter in the lower half so that many ids fit into one millisecond.
    g_counter = static_cast<std::uint16_t>(((seed[0] << 8) | seed[1]) & 0x07FF);
  } else {
    ms = g_last_ms;  // same millisecond or clock stepped back: keep order with the counter
    if (++g_counter > 0x0FFF) {
      ++g_last_ms;  // counter overflow: borrow the next millisecond (RFC 9562 §6.2)
      ms = g_last_ms;
      g_counter = 0;
    }
  }
  counter = g_counter;
}

// Writes the id's text from 16 random bytes `b` (modified), its time and counter.
std::string Text(std::uint8_t* b, TimeMs ms, std::uint16_t counter) {
  const auto ums = static_cast<std::uint64_t>(ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ums >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | ((counter >> 8) & 0x0F));
  b[7] = static_cast<std::uint8_t>(counter & 0xFF);
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(36, '-');
  std::size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;
    s[at++] = kHex[b[i] >> 4];
    s[at++] = kHex[b[i] & 0xF];
  }
  return s;
}

}  // namespace

std::string NewUuidV7(const Clock& clock) {
  std::array<std::uint8_t, 16> b{};
  Random(b.data(), static_cast<int>(b.size()));
  TimeMs ms = clock.NowMs();
  std::uint16_t counter;
  {
    std::lock_guard lock(g_mu);
    NextStamp(ms, counter, b.data() + 6);
  }
  return Text(b.data(), ms, counter);
}

std::vector<std::string> NewUuidV7Batch(const Clock& clock, std::size_t n) {
  std::vector<std::uint8_t> random(16 * n);
  std::vector<std::string> out;
  if (n == 0) return out;
  Random(random.data(), static_cast<int>(random.size()));
  out.reserve(n);
  const TimeMs now = clock.NowMs();
  std::lock_guard lock(g_mu);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t* b = random.data() + 16 * i;
    TimeMs ms = now;
    std::uint16_t counter;
    NextStamp(ms, counter, b + 6);
    out.push_back(Text(b, ms, counter));
  }
  return out;
}

bool IsUuidV7(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  if (s[14] != '7') return false;
  const char v = s[19];
  return v == '8' || v == '9' || v == 'a' || v == 'b';
}

TimeMs UuidV7Time(std::string_view s) {
  std::uint64_t ms = 0;
  int n = 0;
  for (char c : s) {
    if (c == '-') continue;
    if (n == 12) break;
    ms = (ms << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    ++n;
  }
  return static_cast<TimeMs>(ms);
}

}  // namespace bitten
