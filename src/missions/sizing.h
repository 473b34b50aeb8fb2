// Risk sizing (CONTRACTS §2, ARCHITECTURE invariant 6): how many lots a user may trade so that the
// stop loses at most risk % of the balance. lots = balance × risk % × multiplier / (sl_pips × pip
// value per lot), rounded DOWN to the broker's volume step (never up: rounding must not raise the
// risk) and clamped to the volume maximum. When even the minimum lot would risk more than the
// budget, sizing is refused with "min_lot_exceeds_risk" and the message gives both amounts. Pure
// functions, any thread.
#pragma once

#include <string>

#include "base/error.h"

namespace bitten::missions {

struct SizingInput {
  double balance = 0;   // account balance, account currency
  double risk_pct = 0;  // % of the balance risked at the stop (tier rule), e.g. 2.0
  double sl_pips = 0;   // stop distance in the instrument's pips, > 0
  // Account currency per pip per 1.0 lot, > 0 (market::PipValuePerLot).
  double pip_value_per_lot = 0;
  double volume_step = 0.01;     // broker volume step, > 0
  double volume_min = 0.01;      // broker minimum volume, > 0
  double volume_max = 100;       // broker maximum volume, >= volume_min
  double size_multiplier = 1.0;  // scales the budget (CITADEL may shrink it later). Default: 1
  std::string currency;          // account currency, only for the words of errors. Default: ""
};

struct LotSize {
  double lots = 0;        // a multiple of volume_step, in [volume_min, volume_max]
  double risk_money = 0;  // lots × sl_pips × pip value, account currency, 2 decimals
};

// Fails with "min_lot_exceeds_risk" when the rounded size is below volume_min (a zero or negative
// balance, risk or multiplier lands here too: the budget is 0), and with "bad_sizing_input" naming
// the field when sl_pips, pip value or the volume spec are not positive finite numbers (a broken
// signal or a bad broker spec; the caller shows the mission as not fireable).
Result<LotSize> SizeLots(const SizingInput& in);

// Decimals of a volume step as text needs them: 0.01 → 2, 0.1 → 1, 1 → 0, 0.001 → 3 (max 8).
int VolumeDecimals(double volume_step);

}  // namespace bitten::missions
