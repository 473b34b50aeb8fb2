// CITADEL, the shield score of a signal: how safe the market around it is, 0–10 with one decimal,
// from seven components computed on real inputs. A component that lacks its data says
// "insufficient data" (and why) and is left out of the score: nothing is invented for it.
//
//   component    weight  score 0–10
//   spread       0.20    spread now vs the running median of the symbol's last 240 M1 spreads
//                        (needs 30): 10 when ratio r <= 1, falling linearly to 0 at r = 2.5
//   volatility   0.15    M1 ATR(14) vs its 120-bar EMA (ratio q): 10 for 0.8 <= q <= 1.5; below
//                        10 × q / 0.8 (dead market); above falling to 0 at q = 3 (spike)
//   alignment    0.15    trend (context.h) of M5, M15, H1, H4 vs the side, weights 0.2/0.3/0.3/0.2:
//                        with 1, neutral 0.5, against 0, over the timeframes that are ready
//                        (insufficient with fewer than two ready)
//   session      0.10    UTC hour: 12–16 London/New York overlap 10; 07–12 London 8; 16–20 New
//                        York 6; 20–22 late New York 4; 22–07 Asia/rollover 3
//   liquidity    0.15    liquidity.h: nearest swing level or round number in the trade's path
//   news         0.10    news_calendar.h: high-impact event of either currency inside the window 0,
//                        medium-impact 6, none 10; insufficient without a calendar covering the day
//   correlation  0.15    exposure.h: worst effective correlation with open positions
//
// Score = weighted mean over the components that have data, rounded to one decimal. If those
// carry less than min_coverage of the total weight the score is capped at 3.9 (UNVERIFIED): too
// little was verified. Band from BandForScore (venom/signal.h); size multiplier per band from the
// options. Pure functions, plus ShieldHistory (single-owner state); not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "market/types.h"
#include "venom/indicators.h"
#include "venom/signal.h"

namespace bitten::venom::citadel {

struct Component {
  std::string name;             // "spread", "volatility", ...
  double weight = 0;            // from ShieldOptions
  std::optional<double> score;  // 0–10; nullopt: insufficient data
  std::string detail;           // short text: the inputs, or why data is insufficient
};

struct ShieldOptions {
  // Component weights, in the order of the table above. Defaults: 0.20 0.15 0.15 0.10 0.15 0.10
  // 0.15.
  double w_spread = 0.20, w_volatility = 0.15, w_alignment = 0.15, w_session = 0.10,
         w_liquidity = 0.15, w_news = 0.10, w_correlation = 0.15;
  // Share of the total weight that must have data, else the score is capped at 3.9. Default: 0.5.
  double min_coverage = 0.5;
  // Size multiplier per band (mission sizing multiplies the tier's risk by it).
  // Defaults: APPROVED 1.0, ACTIVE 0.75, VOLATILITY_ZONE 0.5, UNVERIFIED 0.25.
  double size_approved = 1.0, size_active = 0.75, size_volatility_zone = 0.5,
         size_unverified = 0.25;
  // News window around an event: minutes before and after. Defaults: 30, 30.
  int news_before_min = 30;
  int news_after_min = 30;
  // Round-number grid in pips of the instrument (00 and 50 levels). Default: 50.
  double round_number_step_pips = 50;
  // M5 bars needed before swing levels count. Default: 12 (one hour).
  std::size_t min_swing_bars = 12;
  // Common M15 returns needed to use a measured correlation instead of the currency-leg rule.
  // Default: 30.
  int min_correlation_returns = 30;

  void Validate(std::vector<std::string>& problems) const;
  double SizeMultiplier(ShieldBand band) const;
};

// Combines components into score, band, size multiplier and the one-line explanation
// ("spread 10.0 (1.1 vs 1.0 pips); ...; news: insufficient data (no calendar)").
Shield Combine(const std::vector<Component>& components, const ShieldOptions& options);

// The simple components.
double SpreadScore(double spread_pips, double median_spread_pips);
double AtrRegimeScore(double atr_pips, double average_atr_pips);
double SessionScore(TimeMs bar_time);
const char* SessionName(TimeMs bar_time);

Component SpreadComponent(double spread_pips, std::optional<double> median_spread_pips,
                          const std::string& history_note, double weight);
Component VolatilityComponent(std::optional<double> atr_pips, std::optional<double> average_pips,
                              const std::string& history_note, double weight);
Component SessionComponent(TimeMs bar_time, double weight);
// trends: M5, M15, H1, H4 (nullopt: not ready).
Component AlignmentComponent(market::Side side, const std::array<std::optional<int>, 4>& trends,
                             double weight);

struct ShieldHistoryOptions {
  // Bars of spread history kept for the median. Default: 240 (four hours of M1).
  std::size_t spread_window = 240;
  // Spread samples needed before the median is used. Default: 30.
  std::size_t min_spread_samples = 30;
  // Period of the EMA that is the ATR's running average. Default: 120 bars.
  int atr_average_period = 120;
};

// Running spread and ATR inputs of one symbol (M1). Feed every bar after scoring the bar's shield,
// so a bar is compared with the history before it.
class ShieldHistory {
 public:
  explicit ShieldHistory(ShieldHistoryOptions options = {});
  void Update(double spread_pips, std::optional<double> atr_pips);
  // Median of the window, or nullopt with `note` saying how much history there is.
  std::optional<double> MedianSpread(std::string* note) const;
  std::optional<double> AverageAtr(std::string* note) const;

 private:
  ShieldHistoryOptions options_;
  std::deque<double> spreads_;
  Ema atr_average_;
};

}  // namespace bitten::venom::citadel
