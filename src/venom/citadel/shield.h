// CITADEL, the shield score of a signal (skeleton): how safe the market conditions are for a trade
// right now, 0–10 with one decimal, from real inputs only. Three components, each scored 0–10:
//
//   spread   the current spread against the running median spread of the symbol (ratio r):
//            10 when r <= 1, falling linearly to 0 at r = 2.5.
//   atr      the current ATR against its running average (ratio q): 10 for 0.8 <= q <= 1.5 (normal
//            regime); below, 10 × q / 0.8 (dead market); above, falling linearly to 0 at q = 3
//            (volatility spike).
//   session  the UTC hour of the bar: 12–16 London/New York overlap 10; 07–12 London 8;
//            16–20 New York 6; 20–22 late New York 4; 22–07 Asia / rollover 3.
//
// The score is the weighted mean (spread 0.40, atr 0.35, session 0.25) of the components that have
// data, re-normalised over those weights. A component without enough history says "insufficient
// data" in the explanation and is left out: no value is invented for it. Band from BandForScore
// (venom/signal.h). ShieldHistory keeps the per-symbol running inputs (O(1) per bar; the median is
// taken over a bounded window only when a shield is scored). Pure functions / single-owner state;
// not thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "venom/indicators.h"
#include "venom/signal.h"

namespace bitten::venom::citadel {

struct ShieldInputs {
  double spread_pips = 0;                    // spread at the signal bar's close
  std::optional<double> median_spread_pips;  // running median; nullopt: insufficient history
  std::optional<double> atr_pips;            // current ATR; nullopt: not ready
  std::optional<double> average_atr_pips;    // running average of the ATR; nullopt: not ready
  TimeMs bar_time = 0;                       // UTC, for the session
  // Filled in the explanation when a component lacks data, e.g. "12 of 30 bars".
  std::string spread_history_note;
  std::string atr_history_note;
};

Shield ScoreShield(const ShieldInputs& in);

// The per-symbol component scores, exposed for tests and for the docs.
double SpreadScore(double spread_pips, double median_spread_pips);
double AtrRegimeScore(double atr_pips, double average_atr_pips);
double SessionScore(TimeMs bar_time);
const char* SessionName(TimeMs bar_time);

struct ShieldHistoryOptions {
  // Bars of spread history kept for the median. Default: 240 (four hours of M1).
  std::size_t spread_window = 240;
  // Spread samples needed before the median is used. Default: 30.
  std::size_t min_spread_samples = 30;
  // Period of the EMA that is the ATR's running average. Default: 120 bars.
  int atr_average_period = 120;
};

// Running inputs of one symbol. Feed every bar (after scoring the bar's shield, so a bar is
// compared with the history before it).
class ShieldHistory {
 public:
  explicit ShieldHistory(ShieldHistoryOptions options = {});
  void Update(double spread_pips, std::optional<double> atr_pips);
  // Inputs for a shield now: history fields filled when there is enough of it.
  ShieldInputs Inputs(double spread_pips, std::optional<double> atr_pips, TimeMs bar_time) const;

 private:
  ShieldHistoryOptions options_;
  std::deque<double> spreads_;
  Ema atr_average_;
};

}  // namespace bitten::venom::citadel
