// CITADEL liquidity component: is there a level in the trade's path before its target? Levels are
// the recent swing highs/lows of M5 (a bar whose high is above the highs of the two bars on each
// side, or whose low is below their lows, among the last kSwingBars M5 bars) and round numbers (the
// grid of round_number_step_pips pips of the instrument: for EURUSD at 50 pips, 1.3800 and 1.3850).
// For a BUY the obstacles are levels above the entry (resistance), for a SELL below it. With d the
// distance in pips from the entry to the nearest obstacle and tp the distance to the target:
// score = 10 × min(1, d / tp) (an obstacle at or beyond the target costs nothing). Insufficient
// data with fewer than min_swing_bars M5 bars. Everything in pips; no absolute price thresholds.
// Pure function; thread-safe.
#pragma once

#include <deque>

#include "market/instrument.h"
#include "market/types.h"
#include "venom/citadel/shield.h"
#include "venom/context.h"

namespace bitten::venom::citadel {

Component LiquidityComponent(market::Side side, double entry, double tp_pips,
                             const market::Instrument& inst, const std::deque<SwingBar>& m5_bars,
                             const ShieldOptions& options);

}  // namespace bitten::venom::citadel
