// `bitten audit verify | trace ID | export` (ARCHITECTURE invariant 4): reads the hash-chained
// journal of a store through a read-only connection, so it is safe while `bitten serve` runs.
//
//   verify  walks the whole chain; exit 0 when intact, 1 naming the file and the first broken seq.
//   trace   the timeline of a signal, mission, fire, user or terminal id (human lines; --json: one
//           JSON object per line); exit 1 when the id names no event.
//   export  every event as JSON lines, in seq order (--from-seq N to resume).
#pragma once

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "store/journal.h"

namespace bitten::app {

void AddAuditCommand(CLI::App& root, CliAction* action);

// The JSON form of one journal row as `audit trace --json` and `audit export` print it.
nlohmann::json JournalEventJson(const store::JournalEvent& e);

}  // namespace bitten::app
