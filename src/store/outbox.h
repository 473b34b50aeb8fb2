// The Telegram outbox in the store (table outbox, CONTRACTS §5: an alert or DM survives a restart
// and is sent once). Producers enqueue messages inside the same work as the state change that
// causes them; the sender (telegram thread, through an interface app/ implements over these
// functions) takes the next pending message, sends it, and records the outcome.
//
// Order: lowest `priority` number first (0 is most urgent), then enqueue order (id); a message is
// not due before its not_before. dedup_key (optional, unique) makes enqueueing idempotent: a second
// message with the same key is not stored. Status: pending -> sent | failed (gave up) | unknown
// (the request may have reached Telegram but no answer came: never resent automatically, so nothing
// is sent twice). Writes take a Txn, reads any connection; errors name the file ("outbox_not_found"
// for an update of an unknown id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

enum class OutboxStatus { kPending, kSent, kFailed, kUnknown };
std::string_view ToString(OutboxStatus s);  // "pending", "sent", "failed", "unknown"
std::optional<OutboxStatus> ParseOutboxStatus(std::string_view s);

struct OutboxMessage {
  std::int64_t id = 0;  // assigned by EnqueueOutbox
  int priority = 10;    // lower is sent first
  std::int64_t chat_id = 0;
  std::string method;     // Bot API method, e.g. "sendMessage"
  std::string payload;    // the JSON body for the method
  std::string dedup_key;  // "" = no dedup
  OutboxStatus status = OutboxStatus::kPending;
  int attempts = 0;
  TimeMs not_before = 0;
  TimeMs created_at = 0;
  TimeMs sent_at = 0;
  std::int64_t tg_message_id = 0;
  std::string error;  // last failure, for operators
};

// Stores a pending message; returns its id, or nullopt when dedup_key already exists (nothing
// stored).
Result<std::optional<std::int64_t>> EnqueueOutbox(Txn& txn, const OutboxMessage& message);
// The pending message due at `now` with the lowest priority number, then lowest id; nullopt if
// none.
Result<std::optional<OutboxMessage>> NextPendingOutbox(const Database& db, TimeMs now);
Result<std::optional<OutboxMessage>> GetOutbox(const Database& db, std::int64_t id);
// Counts of each status (for /metrics and tests).
Result<std::int64_t> CountOutbox(const Database& db, OutboxStatus status);

Status MarkOutboxSent(Txn& txn, std::int64_t id, std::int64_t tg_message_id, TimeMs sent_at);
Status MarkOutboxFailed(Txn& txn, std::int64_t id, std::string_view error);
Status MarkOutboxUnknown(Txn& txn, std::int64_t id, std::string_view error);
// Keeps the message pending but not before `not_before` (rate limit, 429 retry_after); counts an
// attempt.
Status DeferOutbox(Txn& txn, std::int64_t id, TimeMs not_before, std::string_view error);

}  // namespace bitten::store
