// libFuzzer target: the trade_result.txt line parser (bridge::ParseResultLine) and the signed-JSON
// check it uses. Each input is parsed as received and again re-signed, so the member checks behind
// the HMAC are fuzzed too. Invariant: an accepted record encodes to a line that parses back to the
// same seq, type, terminal and fire_id.
#include "bridge/codec.h"
#include "fuzz_common.h"

using namespace bitten;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  (void)bridge::ParseResultLine(text, fuzz::Secret());
  auto parsed = bridge::ParseResultLine(fuzz::ResignJson(text), fuzz::Secret());
  if (!parsed) return 0;
  const std::string again = bridge::EncodeResultLine(*parsed, fuzz::Secret());
  auto back = bridge::ParseResultLine(again, fuzz::Secret());
  fuzz::Require(back.has_value(), "an encoded record parses");
  fuzz::Require(back->seq == parsed->seq && back->type == parsed->type &&
                    back->terminal == parsed->terminal && back->fire_id == parsed->fire_id,
                "round trip");
  return 0;
}
