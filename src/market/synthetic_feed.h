// SyntheticFeed: an endless, seeded, deterministic stream of quotes for one symbol (demo, tests,
// the paper bridge when no data file is given). The same (symbol, seed, start_time) gives the same
// quotes byte for byte on every machine: std::mt19937_64 (fully specified by the standard) feeds
// our own normal transform (Irwin–Hall: the sum of 12 uniforms minus 6, plain arithmetic, no libm),
// and prices are rounded to the instrument's digits.
//
// Model, in pips of the instrument: a quote every 500–1500 ms; the mid moves by a trend term plus
// noise (sigma per quote: 0.12 pips for FX majors, 0.15 for JPY pairs, 1.0 for XAUUSD) and a weak
// pull back to the start price. The trend is re-drawn at regime changes every 20–90 minutes of feed
// time (normal, sd 0.35 pips/minute for FX, 3 for gold; a third of regimes are flat), so the series
// alternates trends and ranges and an EMA-cross engine on M1 bars sees a setup every few dozen
// bars. The spread is DefaultSpreadPips (market/instrument.h) × a factor in [0.8, 1.3], widened ×3
// on about 1 quote in 200 (news-like). Start prices: EURUSD 1.0850, GBPUSD 1.2700, AUDUSD 0.6600,
// NZDUSD 0.6100, USDCHF 0.8800, USDCAD 1.3600, EURGBP 0.8550, USDJPY 150.000, EURJPY 162.000,
// GBPJPY 190.000, XAUUSD 2350.00; an unknown symbol trades around 1.0000 with a 0.0001 pip and 5
// digits. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "market/feed.h"

namespace bitten::market {

class SyntheticFeed final : public TickSource {
 public:
  SyntheticFeed(std::string symbol, std::uint64_t seed, TimeMs start_time);

  // Never ends (always returns a quote).
  std::optional<Tick> Next() override;

 private:
  double Uniform();  // [0, 1), 53 bits
  double Normal();   // Irwin–Hall, mean 0, sd 1, |z| <= 6
  void NewRegime();

  std::string symbol_;
  std::mt19937_64 rng_;
  TimeMs time_;
  int digits_ = 5;
  double pip_ = 0.0001;
  double point_ = 0.00001;  // smallest price step at digits_
  double start_price_ = 1.0;
  double base_spread_pips_ = 1.0;
  double sigma_pips_ = 0.12;
  double trend_sd_pips_per_min_ = 0.5;
  double offset_pips_ = 0;  // mid - start price, in pips
  double trend_pips_per_ms_ = 0;
  TimeMs regime_end_ = 0;
};

}  // namespace bitten::market
