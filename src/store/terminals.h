// MT5 terminals in the store (table terminals): id, HMAC secret (hex), the folder the bridge shares
// with the terminal, creation time. Writes take a Txn (inside a Writer work), reads any connection.
// Errors: "terminal_not_found" for an update of an unknown id, "store_conflict" for a duplicate id,
// "store_sql" otherwise, each naming the file. Same thread rules as the connection used.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

struct Terminal {
  std::string terminal_id;  // CONTRACTS §1: [a-z0-9][a-z0-9-]{0,31}
  std::string secret_hex;   // 32 random bytes, lowercase hex
  std::string dir;  // the terminal's folder (MQL5/Files/bitten/), "" for HTTP-only terminals
  TimeMs created_at = 0;
};

Status InsertTerminal(Txn& txn, const Terminal& terminal);
Result<std::optional<Terminal>> GetTerminal(const Database& db, std::string_view terminal_id);
// Every terminal, by id.
Result<std::vector<Terminal>> ListTerminals(const Database& db);
Status SetTerminalSecret(Txn& txn, std::string_view terminal_id, std::string_view secret_hex);

}  // namespace bitten::store
