// libFuzzer target: the HTTP request signature check (bridge::RequestVerifier, CONTRACTS §3.4).
// The input is split at its first four LFs into timestamp header, signature header, method, path
// and body. It is verified as received (must never pass unless the signature is right), then signed
// correctly and verified twice: the first must pass when the timestamp is in the window, the second
// is a replay and must fail.
#include <charconv>

#include "bridge/codec.h"
#include "fuzz_common.h"

using namespace bitten;

namespace {
constexpr TimeMs kNow = 1722289995500;

std::string_view Next(std::string_view& rest) {
  const std::size_t nl = rest.find('\n');
  const std::string_view part = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return part;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = fuzz::AsText(data, size);
  const std::string_view ts = Next(rest), sig = Next(rest), method = Next(rest), path = Next(rest);
  const std::string_view body = rest;
  bridge::RequestVerifier verifier(30'000, 16);
  const Status as_is = verifier.Verify(fuzz::Secret(), ts, sig, method, path, body, kNow);

  std::int64_t t = 0;
  const auto [p, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
  if (ec != std::errc() || p != ts.data() + ts.size()) {
    fuzz::Require(!as_is.has_value(), "a malformed timestamp never passes");
    return 0;
  }
  const std::string good = bridge::SignRequest(fuzz::Secret(), t, method, path, body);
  if (as_is.has_value()) fuzz::Require(sig == good, "only the right signature passes");
  bridge::RequestVerifier fresh(30'000, 16);
  const Status first = fresh.Verify(fuzz::Secret(), ts, good, method, path, body, kNow);
  const Status replay = fresh.Verify(fuzz::Secret(), ts, good, method, path, body, kNow);
  fuzz::Require(!replay.has_value(), "a replay never passes");
  const bool in_window = t >= kNow - 30'000 && t <= kNow + 30'000;
  if (first.has_value()) fuzz::Require(in_window, "only a timestamp in the window passes");
  if (in_window && t >= 0 && std::to_string(t) == ts) {
    fuzz::Require(first.has_value(), "a right signature in the window passes");
  }
  return 0;
}
