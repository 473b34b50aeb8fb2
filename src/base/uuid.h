// UUIDv7 identifiers (RFC 9562 §5.7): 48-bit Unix ms timestamp, then a 12-bit counter (method 1 of
// §6.2, "fixed-length dedicated counter") seeded at random each millisecond, then 62 random bits.
// Ids from one process are strictly increasing even within one millisecond and when the clock steps
// back (the last timestamp is reused); ids from different processes or restarts differ by their
// random bits. Lowercase canonical text (CONTRACTS §1). Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace bitten {

std::string NewUuidV7(const Clock& clock);

// `n` new ids at once, in increasing order, as `n` calls of NewUuidV7 within one millisecond would
// give them (one clock reading; the counter orders them, borrowing the next milliseconds when it
// overflows), but with one RAND_bytes call for all of them: a signal's fan-out needs one id per
// user (docs/performance.md "(b)"). Thread-safe, like NewUuidV7.
std::vector<std::string> NewUuidV7Batch(const Clock& clock, std::size_t n);

// True for lowercase canonical UUID text of version 7 (8-4-4-4-12 hex, version nibble 7, variant
// 10xx).
bool IsUuidV7(std::string_view s);

// The Unix ms embedded in a UUIDv7 (undefined for other text; check IsUuidV7 first).
TimeMs UuidV7Time(std::string_view s);

}  // namespace bitten
