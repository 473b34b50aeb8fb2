// SymbolContext: everything VENOM knows about one symbol, built from its M1 bars alone. It owns a
// TimeframeAggregator per higher timeframe (M5, M15, H1, H4) and one TimeframeState (streaming
// indicators + the last completed bar) per timeframe, M1 included. Setups and CITADEL read it;
// only the engine writes it. Not thread-safe: one owner (the engine, on the core thread).
//
// When is a higher-timeframe bar complete? When the M1 bar of the bucket's LAST minute arrives
// (time + 1 min == bucket end: the bucket is flushed at once, no waiting for the next bucket) or,
// if that minute is missing, when an M1 bar of a later bucket arrives. So a setup evaluated on
// M1 bar t sees only higher-timeframe bars that closed by t + 1 min (the close of t): never the
// future, the same live and in a backtest.
//
// Indicator periods are fixed (they define the setups documented in docs/venom.md):
//   every timeframe: EMA(9), EMA(21), RSI(14), ATR(14);
//   M5 and above also: MACD(12,26,9), Stochastic(14,3,3), ADX(14), Bollinger(20,2), CCI(20), and
//   the Bollinger width's lowest value over the last kSqueezeLookback bars.
// Bounded history: the last kSwingBars M5 bars (swing levels for CITADEL's liquidity component)
// and the last kReturnBars + 1 M15 closes (correlation of returns between symbols).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>

#include "market/aggregator.h"
#include "market/types.h"
#include "venom/indicators.h"

namespace bitten::venom {

inline constexpr int kSqueezeLookback = 96;     // M15 bars: one day
inline constexpr std::size_t kSwingBars = 60;   // M5 bars: five hours
inline constexpr std::size_t kReturnBars = 96;  // M15 returns: one day

// Trend of one timeframe: +1 up (EMA9 > EMA21 and close > EMA21), -1 down (mirror), 0 neither;
// nullopt while EMA21 is not ready.
struct TimeframeState {
  explicit TimeframeState(bool full);
  void Update(const market::Bar& bar);
  std::optional<int> trend() const;

  bool full;  // the M5+ indicator set is kept
  std::int64_t bars = 0;
  std::optional<market::Bar> last;  // last completed bar
  Ema ema9{9}, ema21{21};
  Rsi rsi{14};
  Atr atr{14};
  Macd macd{12, 26, 9};
  double prev_macd_hist = 0;
  bool prev_macd_ready = false;
  Stoch stoch{14, 3, 3};
  double prev_stoch_k = 0, prev_stoch_d = 0;
  bool prev_stoch_ready = false;
  Adx adx{14};
  BBands bb{20, 2.0};
  Cci cci{20};
  RollingExtreme width_min{kSqueezeLookback, false};
  std::int64_t widths = 0;                       // Bollinger widths pushed into width_min
  std::optional<double> width_ratio;             // width / lowest width of the lookback (>= 1)
  std::optional<std::int64_t> last_squeeze_bar;  // `bars` when width_ratio last met the squeeze
};

struct SwingBar {
  TimeMs time;
  double high, low;
};

class SymbolContext {
 public:
  // `squeeze_ratio`: a Bollinger width at most this × its lookback low counts as a squeeze.
  explicit SymbolContext(double squeeze_ratio);

  // Feeds the next M1 bar (time increasing; the engine checks). Afterwards completed(tf) says
  // which timeframes closed a bar with it.
  void Add(const market::Bar& m1);

  const TimeframeState& tf(market::Timeframe t) const { return states_[Index(t)]; }
  bool completed(market::Timeframe t) const { return completed_[Index(t)]; }
  const std::deque<SwingBar>& m5_bars() const { return m5_bars_; }
  // (time, close) of the last kReturnBars + 1 completed M15 bars.
  const std::deque<std::pair<TimeMs, double>>& m15_closes() const { return m15_closes_; }

  static std::size_t Index(market::Timeframe t) { return static_cast<std::size_t>(t); }

 private:
  void Complete(market::Timeframe t, const market::Bar& bar);

  double squeeze_ratio_;
  std::array<TimeframeState, 5> states_;
  std::array<market::TimeframeAggregator, 4> aggregators_;  // M5, M15, H1, H4
  std::array<bool, 5> completed_{};
  std::deque<SwingBar> m5_bars_;
  std::deque<std::pair<TimeMs, double>> m15_closes_;
};

}  // namespace bitten::venom
