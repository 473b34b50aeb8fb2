// The journal: an append-only, hash-chained record of every step (ARCHITECTURE invariant 4).
//
// Each event is one row of table journal with a gapless seq (1, 2, 3, ...), a UUIDv7 event_id, and
// hash = SHA-256 hex of (prev_hash + '\n' + EventCanonicalText(row)), where prev_hash is the
// previous row's hash and 64 zeros for seq 1. The canonical text is the row's seq, event_id, time,
// type, signal_id, mission_id, fire_id, user_id, terminal_id and payload (compact JSON as stored),
// joined by
// '\n' (missing ids are empty). Changing, inserting or deleting any row breaks the chain at that
// row. The head (last seq and hash) is also kept in kv["journal.head"] in the same transaction, so
// cutting rows off the end is detected too.
//
// AppendEvent runs inside a Writer work, so the event commits atomically with the state change it
// records (a fire row and its "fire_accepted" event are durable together, or neither is). Verify
// and Trace read any connection (audit uses a read-only one). Errors name the file.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct Event {
  std::string
      type;  // snake_case step name: "signal_emitted", "fire_accepted", "command_delivered"...
  TimeMs time = 0;  // when it happened; 0 = the writer clock's now at append
  std::string signal_id, mission_id, fire_id, user_id, terminal_id;  // "" when not about one
  nlohmann::json payload = nlohmann::json::object();
};

struct JournalEvent {
  std::int64_t seq = 0;
  std::string event_id;
  Event event;
  std::string prev_hash;
  std::string hash;
};

// The text hashed for a row (see the header comment). `payload_text` is the payload as stored.
std::string EventCanonicalText(std::int64_t seq, std::string_view event_id, const Event& event,
                               std::string_view payload_text);

// Appends one event at the end of the chain and returns it as stored.
// Takes the event by value: move a large one in (a fan-out's `missions_built` carries every id).
Result<JournalEvent> AppendEvent(Txn& txn, Event event);

struct VerifyReport {
  bool ok = true;
  std::int64_t events = 0;      // rows checked
  std::int64_t broken_seq = 0;  // the first seq at fault (0 when ok)
  std::string problem;          // "hash_mismatch", "prev_link", "gap", "head_mismatch" ("" when ok)
  std::string message;          // a sentence for the operator
  std::string head_hash;        // hash of the last row checked (kGenesisHash when empty)
};

// Walks the whole chain in seq order and stops at the first break. The Result fails only when the
// journal cannot be read; a broken chain is an ok Result with report.ok == false.
Result<VerifyReport> VerifyJournal(const Database& db);

// Every event that names `id` in any id column; for a signal also the events of its missions and
// their fires, for a mission also its fire's events. Ordered by time, then seq.
Result<std::vector<JournalEvent>> TraceJournal(const Database& db, std::string_view id);

// The last `limit` events, newest first (payloads parsed; an unreadable one is discarded JSON).
Result<std::vector<JournalEvent>> RecentJournal(const Database& db, int limit);

// The last event's seq (0 when empty).
Result<std::int64_t> JournalHeadSeq(const Database& db);

}  // namespace bitten::store
