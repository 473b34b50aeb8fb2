// libFuzzer target: the POST /api/ticks body parser (bridge::ParseTickBatch). Invariants of an
// accepted batch: a terminal, at most the limit of ticks, each with a symbol, finite positive
// prices and ask >= bid; it encodes to a body that parses back to the same ticks.
#include <cmath>

#include "bridge/codec.h"
#include "fuzz_common.h"

using namespace bitten;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = bridge::ParseTickBatch(fuzz::AsText(data, size), /*max_ticks=*/64);
  if (!parsed) return 0;
  fuzz::Require(!parsed->terminal.empty() && parsed->ticks.size() <= 64, "batch");
  for (const auto& t : parsed->ticks) {
    fuzz::Require(std::isfinite(t.bid) && std::isfinite(t.ask) && t.bid > 0 && t.ask >= t.bid,
                  "quote");
  }
  auto back = bridge::ParseTickBatch(bridge::EncodeTickBatch(*parsed), 64);
  fuzz::Require(back.has_value() && back->ticks.size() == parsed->ticks.size(), "round trip");
  return 0;
}
