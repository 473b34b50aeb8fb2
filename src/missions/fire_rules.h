// Fire rules: may this user fire this mission now? (ARCHITECTURE invariants 2 and 3, CONTRACTS §4.)
// CheckFire runs every check in a fixed order and returns the FIRST failure as an Error whose code
// is a CONTRACTS §4 code and whose message a trader can act on; HttpStatusFor maps the code to the
// HTTP status of POST /api/fire. Pure functions of their input: the core thread gathers the input
// (mission, counters, terminal status) and calls them; they read no clock and no global state.
//
// Order (the first failing check wins; later checks never mask an earlier one):
//   1. mission_not_found     mission is null or another user's                        404
//   2. mission_closed        status is not pending (see "Duplicates" below)           409
//      mission_expired       status is already "expired" (the core marked it)         410
//   3. mission_expired       now >= expires_at (inclusive: expired AT expires_at)     410
//   4. kill_switch           global halt, then the user's kill flag, then its pause   403
//   5. tier_not_allowed      the user's CURRENT tier rules may not fire the class     403
//   6. min_lot_exceeds_risk  lots == 0 and the builder said so                        403
//   7. daily_fire_limit      fires_today >= fires_per_day                             429
//   8. max_open_positions    open_positions >= max_open                               429
//   9. no_terminal           the user has no terminal                                 503
//  10. terminal_offline      heartbeat age > ttl (age == ttl is online), never        503
//                            reported, not connected, or trading not allowed
//  11. daily_loss_cap        realised loss + open risk + this risk > cap; == passes   429
//                            (after the terminal: the cap is a share of the balance the
//                            terminal reports, unknown without a fresh heartbeat)
//  12. lots == 0 otherwise   the account or a quote was unknown at build time:        503
//                            "no_terminal" or "sizing_unavailable"; never a 0-lot order
//
// Duplicates: a mission this user already fired is NOT refused here. The caller looks up the
// existing fire first (and the store's UNIQUE(mission_id) decides races) and answers 200
// duplicate:true; only a mission with no fire reaches CheckFire, where any non-pending status means
// mission_closed.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "missions/types.h"

namespace bitten::missions {

// What the core knows about the user's terminal.
struct TerminalView {
  bool exists = false;           // the user has a registered terminal (User::terminal_id names it)
  TimeMs last_heartbeat_at = 0;  // server receive time of the last heartbeat; 0 = never
  bool connected = false;        // heartbeat's "connected"
  bool trade_allowed = false;    // heartbeat's "trade_allowed"
  TimeMs ttl_ms = 30'000;        // CONTRACTS §3.3 default 30 s
};

struct FireCheckInput {
  const Mission* mission = nullptr;  // nullptr = not found, or another user's
  const User* user = nullptr;        // required (the authenticated caller)
  const TierRules* rules = nullptr;  // required: the rules of the user's current tier
  TimeMs now = 0;                    // server clock
  bool kill_switch = false;          // global or this user's
  int fires_today = 0;               // accepted fires this UTC day (DayCounters)
  int open_positions = 0;            // the user's open (fired/delivered/filled) missions
  double realised_loss_today = 0;    // money, positive = loss (DayCounters::RealisedLossToday)
  double open_risk = 0;              // money at the stops of the open positions
  double balance = 0;                // account balance, account currency
  TerminalView terminal;
};

// Ok() when the fire may proceed, else the first failing check (see the order above). user and
// rules must not be null (a broken invariant: aborts).
Status CheckFire(const FireCheckInput& in);

// HTTP status of every CONTRACTS §4 error code: bad_request 400, unauthorized 401, tier_not_allowed
// / min_lot_exceeds_risk / kill_switch 403, mission_not_found 404, mission_closed 409,
// mission_expired 410, daily_fire_limit / max_open_positions / daily_loss_cap 429, terminal_offline
// / no_terminal 503, and this module's extension sizing_unavailable 503. Any other code: 500.
int HttpStatusFor(std::string_view code);

// "Your tier NIBBLER may not fire PRECISION_STRIKE missions; upgrade to FANG or above to fire
// them." (or "...; no tier may fire them." when none may). Shared by the builder and CheckFire.
std::string TierNotAllowedMessage(const TierRules& rules, venom::SignalClass c);

// "5 s", "2 min 5 s", "1 h 3 min" (negative ages read as 0 s).
std::string FormatAge(TimeMs age_ms);

}  // namespace bitten::missions
