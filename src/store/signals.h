// Signals in the store (table signals). The signal_hash column is UNIQUE: the same signal content
// is stored, and so emitted, at most once (CONTRACTS §1). The full signal (venom::ToJson) is kept
// in the json column for the journal, the HUD and audits. Writes take a Txn, reads any connection;
// errors name the file. Same thread rules as the connection used.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"
#include "venom/signal.h"

namespace bitten::store {

// True when stored; false when a signal with the same signal_hash already exists (nothing written).
// A different signal reusing an existing signal_id fails with "store_conflict".
Result<bool> InsertSignal(Txn& txn, const venom::Signal& signal);
// The stored JSON of a signal (venom::ToJson form), or nullopt.
Result<std::optional<nlohmann::json>> GetSignalJson(const Database& db, std::string_view signal_id);
// The signal_id stored for a hash, or nullopt.
Result<std::optional<std::string>> FindSignalIdByHash(const Database& db,
                                                      std::string_view signal_hash);

}  // namespace bitten::store
