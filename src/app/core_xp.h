// XP and per-user rules inside store works (docs/xp.md, docs/rules.md): the pieces of the core's
// fire and result paths that decide against the database, so that they hold whatever the core's
// memory says (a CLI change while serving, a result processed twice, concurrent fires). Each runs
// inside a store::Writer work, on the writer thread, and only touches the Txn it is given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "bridge/codec.h"
#include "missions/types.h"
#include "store/writer.h"
#include "store/xp.h"

namespace bitten::app {

struct XpResult {
  std::vector<store::XpEntry> awarded;  // new ledger rows (empty when all were already paid)
  std::int64_t points = 0;              // sum of `awarded`
  std::int64_t total = 0;               // the user's XP after them
};

// The XP of one fill or close result of `fire` (other result types award nothing): ledgered per
// (user, fire, reason), so a replay pays nothing twice; one "xp_awarded" journal event when
// something was paid; the win streak kept in kv "xp_streak:<user_id>". For a fill a Telegram
// message tells the linked trader (telegram_id != 0); a close's XP travels in the close DM, which
// the caller sends with `points`.
Result<XpResult> AwardXpForResult(store::Txn& txn, const missions::Fire& fire,
                                  bridge::ResultType type, std::int64_t telegram_id, TimeMs now);

// The per-user rules the store decides for a fire just inserted by the one-time lock: the user's
// pause and kill flags as stored (set by `bitten users pause|kill` even while serving) and the
// count of the user's fires this UTC day (including this one) against `fires_per_day`. Fails with
// "kill_switch" or "daily_fire_limit" (the work then rolls back: no fire row, no command).
Status CheckUserRulesInTxn(store::Txn& txn, const std::string& user_id, int fires_per_day,
                           TimeMs now);

}  // namespace bitten::app
