// VENOM engine (walking skeleton): M1 bars in, at most one Signal per bar out. One Engine owns the
// per-symbol indicator state of every symbol it sees; it runs on the core thread (not thread-safe).
// The same bars in the same order give the same signals (CanonicalContent and signal_hash) byte for
// byte: no randomness, no wall-clock in any decision; only signal_id and created_at/expires_at come
// from the injected clock.
//
// The rule ("ema_cross_rsi"), per symbol, on the bid closes of M1 bars:
//   1. EMA(9) crosses EMA(21): up when fast − slow goes from <= 0 on the previous bar to > 0 on
//      this one; down when it goes from >= 0 to < 0. EMAs, RSI(14) and ATR(14) must be ready.
//   2. Confirmed by RSI(14): BUY on a cross up with 50 < RSI < 70; SELL on a cross down with
//      30 < RSI < 50.
//   3. Stop distance = max(1.5 × ATR(14) in pips, the instrument's floor in pips): FX majors and
//      crosses 5, JPY pairs 5, gold (XAU…) 15 (options; per-instrument, never a price amount). The
//      distance is rounded up to whole price points so the floor holds after rounding.
//   4. Entry = the ask at the bar close for BUY (ask_close), the bid for SELL (close). SL/TP are
//      on the losing/winning side of the entry at stop × 1 and stop × R:R (RAPID_ASSAULT 1.5,
//      PRECISION_STRIKE 2.0), all rounded to the instrument's digits; sl_pips/tp_pips are the
//      distances of the rounded prices (so TP/SL equals R:R to within one point).
//   5. Spread gate: the spread at the close (ask_close − close, in pips, crossed quotes count as 0)
//      must be <= max_spread_to_stop × stop pips, else the setup is refused (counted).
//   6. Spacing: no second signal for a symbol within min_spacing_ms of bar time after its last one
//      (counted as refused).
//   7. Confidence 0–100 = the sum of three deterministic sub-scores, rounded:
//        RSI momentum (0–40): 40 × (1 − |RSI − 60| / 10) for BUY, |RSI − 40| for SELL;
//        EMA separation (0–30): 30 × min(1, |EMA9 − EMA21| / (0.25 × ATR)) — how decisively the
//          cross happened in the instrument's own volatility units;
//        spread cost (0–30): 30 × (1 − spread / (max_spread_to_stop × stop)), clamped at 0.
//      Class PRECISION_STRIKE when confidence >= precision_min_confidence (84), else RAPID_ASSAULT.
//      On the shipped M1 data (Lean EURUSD/XAUUSD, May 2014) no setup reaches 84 (max 79): with
//      5-pip floor stops the spread cost sub-score stays low. PRECISION_STRIKE is rare by
//      construction; nothing lowers the bar to make it appear.
//   8. Shield: venom/citadel ScoreShield over the symbol's spread and ATR history before this bar
//      and the bar's session. The shield informs; it does not gate the signal.
//   9. created_at = clock.NowMs(), expires_at = created_at + ttl of the class (RAPID 15 min,
//      PRECISION 30 min), signal_id = NewUuidV7(clock), signal_hash = ComputeSignalHash.
// Bars of an unknown symbol, of another timeframe, or not later than the symbol's previous bar are
// ignored and counted in stats().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/error.h"
#include "market/instrument.h"
#include "market/types.h"
#include "venom/citadel/shield.h"
#include "venom/indicators.h"
#include "venom/signal.h"

namespace bitten::venom {

struct EngineOptions {
  // Indicator periods. Defaults: 9, 21, 14, 14.
  int ema_fast = 9;
  int ema_slow = 21;
  int rsi_period = 14;
  int atr_period = 14;
  // BUY needs rsi_low < RSI < rsi_high; SELL needs 100 − rsi_high < RSI < 100 − rsi_low.
  // Defaults: 50, 70.
  double rsi_low = 50;
  double rsi_high = 70;
  // Stop = atr_stop_multiple × ATR, at least the floor of the instrument class, in pips.
  // Defaults: 1.5; 5 (FX), 5 (JPY quote), 15 (XAU base).
  double atr_stop_multiple = 1.5;
  double min_stop_pips_fx = 5;
  double min_stop_pips_jpy = 5;
  double min_stop_pips_gold = 15;
  // Per-symbol floor overriding the class floor. Default: empty.
  std::map<std::string, double> min_stop_pips_by_symbol;
  // Reward:risk per class. Defaults: RAPID_ASSAULT 1.5, PRECISION_STRIKE 2.0.
  double rr_rapid = 1.5;
  double rr_precision = 2.0;
  // Confidence at or above which a signal is PRECISION_STRIKE. Default: 84.
  int precision_min_confidence = 84;
  // Spread gate: spread must be <= this fraction of the stop. Default: 0.35.
  double max_spread_to_stop = 0.35;
  // Minimum bar time between two signals of one symbol. Default: 15 minutes.
  TimeMs min_spacing_ms = 15 * 60'000;
  // Signal lifetime per class. Defaults: RAPID 15 min, PRECISION 30 min.
  TimeMs ttl_rapid_ms = 15 * 60'000;
  TimeMs ttl_precision_ms = 30 * 60'000;
  // Shield history (venom/citadel/shield.h).
  citadel::ShieldHistoryOptions shield;

  // Every problem at once ("bad_config", one sentence per problem), or Ok.
  Status Validate() const;
};

struct EngineStats {
  std::int64_t bars = 0;             // bars accepted
  std::int64_t ignored_bars = 0;     // unknown symbol, other timeframe, time not increasing
  std::int64_t setups = 0;           // crosses confirmed by RSI
  std::int64_t refused_spread = 0;   // setups refused by the spread gate
  std::int64_t refused_spacing = 0;  // setups refused by the per-symbol spacing
  std::int64_t signals = 0;
};

class Engine {
 public:
  // `options` must be valid (Validate()); an invalid one is a programming error and aborts.
  // `clock` and `instruments` must outlive the engine.
  Engine(EngineOptions options, const Clock& clock, const market::InstrumentTable& instruments);

  std::optional<Signal> OnBar(const market::Bar& bar);

  const EngineStats& stats() const { return stats_; }
  const EngineOptions& options() const { return options_; }

  // The stop floor in pips that applies to `inst`.
  double MinStopPips(const market::Instrument& inst) const;

 private:
  struct SymbolState {
    explicit SymbolState(const EngineOptions& o)
        : fast(o.ema_fast),
          slow(o.ema_slow),
          rsi(o.rsi_period),
          atr(o.atr_period),
          shield(o.shield) {}
    Ema fast, slow;
    Rsi rsi;
    Atr atr;
    citadel::ShieldHistory shield;
    std::optional<double> prev_diff;  // fast − slow on the previous bar
    std::optional<TimeMs> last_bar_time;
    std::optional<TimeMs> last_signal_bar_time;
  };

  // The rule of the header on one accepted bar whose indicators are updated; no history update.
  std::optional<Signal> Evaluate(const market::Bar& bar, const market::Instrument& inst,
                                 SymbolState& st, double spread_pips,
                                 std::optional<double> atr_pips);

  EngineOptions options_;
  const Clock& clock_;
  const market::InstrumentTable& instruments_;
  std::map<std::string, SymbolState> symbols_;
  EngineStats stats_;
};

}  // namespace bitten::venom
