// Telegram invites in the store (table invites, schema version 3). An operator creates a one-time
// code for a user (`bitten users invite`); the trader opens t.me/<bot>?start=<code> and the bot's
// /start <code> redeems it, linking the presser's Telegram account to that user
// (app/core_telegram).
//
// A code is redeemed once: a second /start with the same code from the same Telegram account is
// accepted again (idempotent, the bot may see an update twice), from another account it fails with
// "invite_used". Errors: "invite_not_found", "invite_expired", "invite_used", "store_conflict" for
// a duplicate code, "store_sql" otherwise, each naming the file. Writes take a Txn (a Writer
// work), reads any connection; same thread rules as the connection used.
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

struct Invite {
  std::string code;  // [A-Za-z0-9_-]{1,64} (a Telegram start payload)
  std::string user_id;
  TimeMs created_at = 0;
  TimeMs expires_at = 0;
  TimeMs used_at = 0;        // 0 = not redeemed
  std::int64_t used_by = 0;  // the Telegram id that redeemed it
};

Status InsertInvite(Txn& txn, const Invite& invite);
Result<std::optional<Invite>> GetInvite(const Database& db, std::string_view code);
// Every invite, newest first.
Result<std::vector<Invite>> ListInvites(const Database& db);
// Marks the invite used by telegram_id at now and returns it (see the header comment for errors).
Result<Invite> RedeemInvite(Txn& txn, std::string_view code, std::int64_t telegram_id, TimeMs now);

}  // namespace bitten::store
