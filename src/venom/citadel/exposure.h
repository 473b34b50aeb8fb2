// CITADEL correlation component: would this signal add to risk that is already open? The core
// supplies the open positions (symbol, side) with Engine::SetOpenExposure; the engine keeps M15
// closes of every symbol it sees (context.h).
//
// For each open position the effective correlation e with the new signal is
//   - the same symbol: +1 on the same side, −1 on the opposite side;
//   - else, with at least min_correlation_returns common M15 returns in the last kReturnBars (bars
//     of both symbols with the same open time, consecutive in both): the Pearson correlation of
//     the two symbols' M15 log returns, times +1 on the same side and −1 on opposite sides;
//   - else the currency-leg rule: a BUY of BASE/QUOTE is long BASE and short QUOTE (+1/−1 per leg,
//     SELL the reverse); e = (sum over currencies of leg(signal) × leg(position)) / 2, so EURUSD
//     BUY against GBPUSD BUY (both short USD) is 0.5, against USDJPY BUY (long USD) −0.5.
// The component takes the worst (largest) e: score 10 when e <= 0.3, 0 when e >= 0.9, linear
// between; no open positions: 10. Never supplied exposure (SetOpenExposure not called):
// insufficient data. Pure functions; thread-safe.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "market/instrument.h"
#include "market/types.h"
#include "venom/citadel/shield.h"

namespace bitten::venom::citadel {

struct OpenPosition {
  std::string symbol;
  market::Side side = market::Side::kBuy;
};

using CloseSeries = std::deque<std::pair<TimeMs, double>>;

// Pearson correlation of the log returns of two close series over the returns both have (a return
// is between consecutive entries of a series; it counts when the other series has the same two
// times consecutively). `n` receives the number of common returns. nullopt when n < 3 or a
// variance is 0.
std::optional<double> ReturnCorrelation(const CloseSeries& a, const CloseSeries& b, int* n);

// The currency-leg overlap in [−1, 1] described above.
double LegOverlap(const market::Instrument& a, market::Side a_side, const market::Instrument& b,
                  market::Side b_side);

// `series_of(symbol)` returns the M15 close series of a symbol, or nullptr when the engine has not
// seen it. `positions` nullopt: exposure never supplied.
template <typename SeriesOf>
Component CorrelationComponent(const market::Instrument& inst, market::Side side,
                               const std::optional<std::vector<OpenPosition>>& positions,
                               const market::InstrumentTable& table, SeriesOf series_of,
                               const ShieldOptions& options);

// Score of a worst effective correlation e (10 at <= 0.3, 0 at >= 0.9).
double CorrelationScore(double e);

}  // namespace bitten::venom::citadel

#include "venom/citadel/exposure_inl.h"
