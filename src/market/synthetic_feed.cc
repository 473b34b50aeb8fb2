#include "market/synthetic_feed.h"

#include <utility>

#include "market/instrument.h"

namespace bitten::market {

namespace {

struct Profile {
  const char* symbol;
  double start_price;
};

constexpr Profile kProfiles[] = {
    {"EURUSD", 1.0850},  {"GBPUSD", 1.2700},  {"AUDUSD", 0.6600},  {"NZDUSD", 0.6100},
    {"USDCHF", 0.8800},  {"USDCAD", 1.3600},  {"EURGBP", 0.8550},  {"USDJPY", 150.000},
    {"EURJPY", 162.000}, {"GBPJPY", 190.000}, {"XAUUSD", 2350.00},
};

// Rounds half away from zero at `digits` decimals without libm differences: via integer steps.
double RoundToDigits(double v, int digits) {
  double scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  const double scaled = v * scale;
  const auto n = static_cast<std::int64_t>(scaled + (scaled >= 0 ? 0.5 : -0.5));
  return static_cast<double>(n) / scale;
}

}  // namespace

SyntheticFeed::SyntheticFeed(std::string symbol, std::uint64_t seed, TimeMs start_time)
    : symbol_(std::move(symbol)), rng_(seed), time_(start_time) {
  static const InstrumentTable kTable = InstrumentTable::Defaults();
  if (const Instrument* inst = kTable.Find(symbol_)) {
    digits_ = inst->digits;
    pip_ = inst->pip_size;
    base_spread_pips_ = DefaultSpreadPips(symbol_);
  } else {
    base_spread_pips_ = 2.0;
  }
  for (const Profile& p : kProfiles) {
    if (symbol_ == p.symbol) start_price_ = p.start_price;
  }
  const bool gold = symbol_ == "XAUUSD";
  const bool jpy = symbol_.size() == 6 && symbol_.substr(3) == "JPY";
  sigma_pips_ = gold ? 1.0 : (jpy ? 0.15 : 0.12);
  trend_sd_pips_per_min_ = gold ? 3.0 : 0.35;
  regime_end_ = time_;
  point_ = 1.0;
  for (int i = 0; i < digits_; ++i) point_ /= 10;
}

double SyntheticFeed::Uniform() {
  return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

double SyntheticFeed::Normal() {
  double s = 0;
  for (int i = 0; i < 12; ++i) s += Uniform();
  return s - 6.0;
}

void SyntheticFeed::NewRegime() {
  // 20–90 minutes; a third of the regimes are ranges (no trend).
  const TimeMs length = 20 * 60'000 + static_cast<TimeMs>(Uniform() * 70 * 60'000);
  regime_end_ = time_ + length;
  const bool range = Uniform() < 1.0 / 3.0;
  trend_pips_per_ms_ = range ? 0.0 : Normal() * trend_sd_pips_per_min_ / 60'000.0;
}

std::optional<Tick> SyntheticFeed::Next() {
  const TimeMs step = 500 + static_cast<TimeMs>(Uniform() * 1000);
  time_ += step;
  if (time_ >= regime_end_) NewRegime();
  // Weak mean reversion (half-life of about a day of quotes) keeps the price near its start.
  offset_pips_ +=
      trend_pips_per_ms_ * static_cast<double>(step) + sigma_pips_ * Normal() - offset_pips_ * 1e-5;
  double spread_pips = base_spread_pips_ * (0.8 + 0.5 * Uniform());
  if (Uniform() < 1.0 / 200.0) spread_pips *= 3;
  Tick t;
  t.symbol = symbol_;
  t.time = time_;
  const double mid = start_price_ + offset_pips_ * pip_;
  t.bid = RoundToDigits(mid - 0.5 * spread_pips * pip_, digits_);
  t.ask = RoundToDigits(t.bid + spread_pips * pip_, digits_);
  if (t.ask <= t.bid) t.ask = RoundToDigits(t.bid + point_, digits_);
  return t;
}

}  // namespace bitten::market
