// VENOM's named setups. Each is a pure function of one symbol's SymbolContext (venom/context.h)
// after the M1 bar that just closed: it returns a Candidate (side + the setup's own quality in
// [0, 1]) or nothing. Setups never see prices as absolute thresholds: every comparison is between
// indicator values of the same instrument, or in ATR units, or a ratio. The rule of each setup in
// words is in docs/venom.md and in the comment above its function; the engine applies the gates
// that are common to all (session, spread, spacing, daily caps, CITADEL). Stateless; thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "market/types.h"
#include "venom/context.h"

namespace bitten::venom::setups {

struct SetupOptions {
  // trend_pullback and range_reversal: H1 ADX(14) at least this is a trend; below
  // adx_range_max a range. Defaults: 20, 20.
  double adx_trend_min = 20;
  double adx_range_max = 20;
  // squeeze_breakout: Bollinger(20,2) width on M15 at most squeeze_ratio × its lowest width of the
  // last 96 M15 bars is a squeeze; a breakout must follow within squeeze_recent_bars M15 bars with
  // an M5 body of at least breakout_body_atr × M5 ATR(14). Defaults: 1.25, 4, 0.6.
  double squeeze_ratio = 1.25;
  int squeeze_recent_bars = 4;
  double breakout_body_atr = 0.6;
  // range_reversal: M15 CCI(20) beyond ±cci_extreme. Default: 100.
  double cci_extreme = 100;
  // ema_cross_rsi: BUY needs rsi_low < M1 RSI(14) < rsi_high (SELL mirrored). Defaults: 50, 70.
  double rsi_low = 50;
  double rsi_high = 70;
};

struct Candidate {
  market::Side side = market::Side::kBuy;
  std::string_view setup;  // static name
  double quality = 0;      // 0..1, the setup's own sub-score (documented per setup)
};

// The names, in evaluation order (ties in confidence go to the earlier one).
inline constexpr std::string_view kTrendPullback = "trend_pullback";
inline constexpr std::string_view kSqueezeBreakout = "squeeze_breakout";
inline constexpr std::string_view kRangeReversal = "range_reversal";
inline constexpr std::string_view kEmaCrossRsi = "ema_cross_rsi";

// H1 and M15 trend agree (context.h's trend()), H1 ADX(14) >= adx_trend_min; on a completed M5 bar
// that dipped to its EMA(21) (BUY: low <= EMA21) and closed back beyond it in the trend's direction
// with a body in that direction, M5 RSI(14) in 40..65 (SELL 35..60). Quality = 0.5 × min(1,
// (ADX − adx_trend_min) / 20) + 0.5 × where the M5 bar closed in its range (BUY: (close − low) /
// (high − low)).
std::optional<Candidate> TrendPullback(const SymbolContext& c, const SetupOptions& o);

// M15 squeeze within the last squeeze_recent_bars M15 bars; a completed M5 bar closes beyond the
// last M15 Bollinger band (BUY above the upper) with a body in that direction of at least
// breakout_body_atr × M5 ATR(14); H1 trend not against it (ready and != opposite). Quality = 0.5
// × min(1, body / (2 × breakout_body_atr × ATR)) + 0.5 × (H1 trend in the breakout's direction).
std::optional<Candidate> SqueezeBreakout(const SymbolContext& c, const SetupOptions& o);

// H1 ADX(14) < adx_range_max and M15 ADX(14) < adx_range_max + 5 (a range, no trend); M15 CCI(20)
// <= −cci_extreme (BUY) / >= +cci_extreme (SELL); the completed M5 bar reached the last M15
// Bollinger band (BUY low <= lower band); M5 Stochastic(14,3,3) %K crosses %D upward with %D < 25
// (SELL: downward with %D > 75). Quality = 0.5 × min(1, (|CCI| − cci_extreme) / cci_extreme) + 0.5
// × min(1, (adx_range_max − H1 ADX) / 10).
std::optional<Candidate> RangeReversal(const SymbolContext& c, const SetupOptions& o);

// On every M1 bar: M1 EMA(9) crosses EMA(21) (fast − slow changes sign from the previous bar),
// M1 RSI(14) in (rsi_low, rsi_high) for BUY (mirrored for SELL), and the M5 trend agrees. Quality
// = 0.5 × min(1, |EMA9 − EMA21| / (0.25 × M1 ATR)) + 0.5 × (1 − |RSI − 60| / 10) (BUY; 40 SELL).
// `prev_diff` is M1 EMA9 − EMA21 on the previous bar (the engine keeps it).
std::optional<Candidate> EmaCrossRsi(const SymbolContext& c, const SetupOptions& o,
                                     std::optional<double> prev_diff);

}  // namespace bitten::venom::setups
