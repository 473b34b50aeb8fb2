// libFuzzer target: the heartbeat.txt parser (bridge::ParseHeartbeat), as received and re-signed.
// Invariant: an accepted heartbeat encodes to text that parses back to the same terminal, time and
// number of symbol specs.
#include "bridge/codec.h"
#include "fuzz_common.h"

using namespace bitten;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  (void)bridge::ParseHeartbeat(text, fuzz::Secret());
  auto parsed = bridge::ParseHeartbeat(fuzz::ResignJson(text), fuzz::Secret());
  if (!parsed) return 0;
  auto back =
      bridge::ParseHeartbeat(bridge::EncodeHeartbeat(*parsed, fuzz::Secret()), fuzz::Secret());
  fuzz::Require(back.has_value(), "an encoded heartbeat parses");
  fuzz::Require(back->terminal == parsed->terminal && back->time == parsed->time &&
                    back->symbols.has_value() == parsed->symbols.has_value() &&
                    (!back->symbols || back->symbols->size() == parsed->symbols->size()),
                "round trip");
  return 0;
}
