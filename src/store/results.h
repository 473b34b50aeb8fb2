// Terminal results in the store (table results): each (terminal, seq) record of a terminal's result
// journal (CONTRACTS §3.2) is processed once, whether it arrived through the file, HTTP, or both.
// InsertResult is the dedupe: run it in the same work as the state change the result causes, and
// act only when it returns true. Writes take a Txn, reads any connection; errors name the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

// True when recorded now; false when (terminal_id, seq) was already processed (nothing written).
// `line` is the raw result line as received; `fire_id` may be "".
Result<bool> InsertResult(Txn& txn, std::string_view terminal_id, std::int64_t seq,
                          std::string_view fire_id, std::string_view type, std::string_view line,
                          TimeMs now);
// The highest seq processed for a terminal (0 when none).
Result<std::int64_t> LastResultSeq(const Database& db, std::string_view terminal_id);

}  // namespace bitten::store
