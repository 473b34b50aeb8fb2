// The mission builder: one signal becomes one personal mission per user (ARCHITECTURE "missions:
// per-user fan-out"). Every tier sees every signal: a mission is built for every user, and one the
// user may not fire carries blocked_code / blocked_reason saying why (CONTRACTS §2). Also the words
// and the JSON that show a mission: Briefing (DM and HUD text) and HudPayload (the HUD page's
// contract). Pure functions of their input apart from the new mission id; called on the core
// thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/clock.h"
#include "market/instrument.h"
#include "missions/types.h"
#include "venom/signal.h"

namespace bitten::missions {

// The user's trading account as the last heartbeat of their terminal reported it.
struct AccountView {
  bool known = false;    // false: no terminal, or it has not reported an account yet
  double balance = 0;    // account currency
  std::string currency;  // e.g. "USD"
};

// Builds the user's mission for `signal`.
// - mission_id: NewUuidV7(clock); created_at: clock; expires_at: signal.expires_at;
//   status: pending.
// - signal_id, symbol, side, class, entry/sl/tp, digits, sl_pips, tp_pips copied from the signal;
//   volume_step from `instrument` (which must be the signal's symbol: a mismatch aborts).
// - lots / risk_money: SizeLots with the account balance, rules.risk_pct, CITADEL's size
//   multiplier (signal.shield.size_multiplier; 0 refuses as min_lot_exceeds_risk), the
//   signal's sl_pips,
//   pip_value_per_lot (account currency; nullopt when no quote converts it yet) and the
//   instrument's volume spec; reward_money = lots × tp_pips × pip value (2 decimals).
// - blocked_code / blocked_reason, first that applies:
//     "tier_not_allowed"     the tier may not fire the class (lots are still sized when possible,
//                            so the HUD shows what an upgrade would trade)
//     "no_terminal"          the user has no terminal, or its account is not known (lots 0)
//     "sizing_unavailable"   no pip value (no quote to convert it) or a bad broker spec (lots 0)
//     "min_lot_exceeds_risk" even the minimum lot risks more than the budget (lots 0)
// - briefing: Briefing(mission, signal).
Mission BuildMission(const venom::Signal& signal, const User& user, const TierRules& rules,
                     const AccountView& account, std::optional<double> pip_value_per_lot,
                     const market::Instrument& instrument, const Clock& clock);

// The same missions for a whole fan-out (Core::EmitSignal: one signal, every user): what every
// user's mission shares is prepared once in the constructor (the briefing's signal, shield, price
// and expiry lines, R:R, the lot decimals), so Build does only the per-user part (sizing, the
// blocking reason, the lot line). Build(...) returns exactly what BuildMission returns for the
// same arguments and id (the briefing is byte-identical to Briefing(mission, signal): a test
// checks it across sized, unsized, blocked and CITADEL-scaled missions). Holds copies, not
// references; const after construction, so Build may be called from any thread.
class SignalMissionBuilder {
 public:
  // `instrument` must be the signal's symbol (a mismatch aborts, as in BuildMission).
  SignalMissionBuilder(const venom::Signal& signal, const market::Instrument& instrument);
  // The user's mission with the given id (NewUuidV7 / NewUuidV7Batch) and created_at.
  Mission Build(std::string mission_id, TimeMs created_at, const User& user, const TierRules& rules,
                const AccountView& account, std::optional<double> pip_value_per_lot) const;

 private:
  venom::Signal signal_;
  market::Instrument instrument_;
  std::string head_;     // the first three briefing lines (symbol..TP), each ending in '\n'
  std::string rr_;       // "R:R 1:2.00"
  std::string expires_;  // "Expires 14:05 UTC"
  int volume_decimals_ = 2;
};

// Short plain text, one fact per line, e.g.
//   EURUSD BUY | RAPID_ASSAULT | confidence 78
//   Shield SHIELD_ACTIVE 6.4            (" | size x0.75" when CITADEL's multiplier is not 1)
//   Entry 1.08500 | SL 1.08250 (25.0 pips) | TP 1.08875 (37.5 pips)
//   Lot 0.12 | risk 30.00 USD | reward 45.00 USD | R:R 1:1.50
//   Expires 14:05 UTC
// plus "Cannot fire: <reason>" when the mission is blocked. "Lot: not sized" when lots is 0.
std::string Briefing(const Mission& mission, const venom::Signal& signal);

// The HUD's JSON for one mission, exactly these members (web/hud and its tests depend on them):
//   mission_id signal_id user_id symbol side class setup confidence shield{score band explanation
//   size_multiplier}
//   entry sl tp digits sl_pips tp_pips lots risk_money reward_money rr currency created_at
//   expires_at status can_fire blocked(null|{code reason}) tier{name may_fire upgrade_to} briefing
//   fire(null|{fire_id status fired_at delivered_at fill_price fill_volume ticket close_price
//   profit close_reason})
// Prices are numbers rounded to `digits`, pips to 1 decimal, money and rr to 2, lots to the volume
// step's decimals. blocked: the mission's blocked_code/reason, except that the tier part follows
// `rules` as CheckFire does (an upgrade since the build unblocks, a downgrade blocks).
// can_fire: pending, not blocked, lots > 0 and no fire; it does not read a clock
// (the HUD counts down to expires_at; the core marks expired missions). tier.upgrade_to: the lowest
// tier that may fire this mission's class when `rules` may not (null otherwise, or when no tier
// may). In `fire`, times not yet reached, fill fields before a fill and close fields before a close
// are null. `rules` are the viewing user's current tier rules.
nlohmann::json HudPayload(const Mission& mission, const venom::Signal& signal,
                          const TierRules& rules, const std::optional<Fire>& fire);

}  // namespace bitten::missions
