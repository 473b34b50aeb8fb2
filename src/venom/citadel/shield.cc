#include "venom/citadel/shield.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bitten::venom::citadel {

namespace {

int UtcHour(TimeMs t) {
  TimeMs ms_of_day = t % 86'400'000;
  if (ms_of_day < 0) ms_of_day += 86'400'000;
  return static_cast<int>(ms_of_day / 3'600'000);
}

}  // namespace

void ShieldOptions::Validate(std::vector<std::string>& problems) const {
  for (double w :
       {w_spread, w_volatility, w_alignment, w_session, w_liquidity, w_news, w_correlation}) {
    if (!(w >= 0)) problems.push_back("shield weights must be >= 0");
  }
  if (!(w_spread + w_volatility + w_alignment + w_session + w_liquidity + w_news + w_correlation >
        0)) {
    problems.push_back("shield weights must not all be 0");
  }
  if (!(min_coverage >= 0 && min_coverage <= 1)) problems.push_back("min_coverage must be in 0..1");
  for (double m : {size_approved, size_active, size_volatility_zone, size_unverified}) {
    if (!(m >= 0 && m <= 1)) problems.push_back("shield size multipliers must be in 0..1");
  }
  if (news_before_min < 0 || news_after_min < 0) problems.push_back("news window must be >= 0");
  if (!(round_number_step_pips > 0)) problems.push_back("round_number_step_pips must be > 0");
  if (min_swing_bars < 5) problems.push_back("min_swing_bars must be >= 5");
  if (min_correlation_returns < 3) problems.push_back("min_correlation_returns must be >= 3");
}

double ShieldOptions::SizeMultiplier(ShieldBand band) const {
  switch (band) {
    case ShieldBand::kApproved:
      return size_approved;
    case ShieldBand::kActive:
      return size_active;
    case ShieldBand::kVolatilityZone:
      return size_volatility_zone;
    case ShieldBand::kUnverified:
      return size_unverified;
  }
  return size_unverified;
}

Shield Combine(const std::vector<Component>& components, const ShieldOptions& options) {
  double weighted = 0, weights = 0, total = 0;
  int with_data = 0;
  std::string text;
  for (const Component& c : components) {
    total += c.weight;
    if (!text.empty()) text += "; ";
    if (c.score) {
      weighted += c.weight * *c.score;
      weights += c.weight;
      ++with_data;
      text += fmt::format("{} {:.1f} ({})", c.name, *c.score, c.detail);
    } else {
      text += fmt::format("{}: insufficient data ({})", c.name, c.detail);
    }
  }
  Shield sh;
  double raw = weights > 0 ? weighted / weights : 0;
  if (total > 0 && weights / total < options.min_coverage) {
    raw = std::min(raw, 3.9);
    text = fmt::format("only {} of {} components have data; ", with_data, components.size()) + text;
  }
  sh.score = std::round(raw * 10.0) / 10.0;
  sh.band = BandForScore(sh.score);
  sh.size_multiplier = options.SizeMultiplier(sh.band);
  sh.explanation = std::move(text);
  return sh;
}

double SpreadScore(double spread_pips, double median_spread_pips) {
  if (!(median_spread_pips > 0)) return spread_pips > 0 ? 0.0 : 10.0;
  const double r = spread_pips / median_spread_pips;
  if (r <= 1.0) return 10.0;
  return std::clamp(10.0 * (2.5 - r) / 1.5, 0.0, 10.0);
}

double AtrRegimeScore(double atr_pips, double average_atr_pips) {
  if (!(average_atr_pips > 0)) return 0.0;
  const double q = atr_pips / average_atr_pips;
  if (q < 0.8) return std::clamp(10.0 * q / 0.8, 0.0, 10.0);
  if (q <= 1.5) return 10.0;
  return std::clamp(10.0 * (3.0 - q) / 1.5, 0.0, 10.0);
}

double SessionScore(TimeMs bar_time) {
  const int h = UtcHour(bar_time);
  if (h >= 12 && h < 16) return 10;
  if (h >= 7 && h < 12) return 8;
  if (h >= 16 && h < 20) return 6;
  if (h >= 20 && h < 22) return 4;
  return 3;
}

const char* SessionName(TimeMs bar_time) {
  const int h = UtcHour(bar_time);
  if (h >= 12 && h < 16) return "London/New York overlap";
  if (h >= 7 && h < 12) return "London";
  if (h >= 16 && h < 20) return "New York";
  if (h >= 20 && h < 22) return "late New York";
  return "Asia/rollover";
}

Component SpreadComponent(double spread_pips, std::optional<double> median_spread_pips,
                          const std::string& history_note, double weight) {
  Component c{"spread", weight, std::nullopt, ""};
  if (median_spread_pips) {
    c.score = SpreadScore(spread_pips, *median_spread_pips);
    c.detail = fmt::format("{:.1f} vs median {:.1f} pips", spread_pips, *median_spread_pips);
  } else {
    c.detail = history_note;
  }
  return c;
}

Component VolatilityComponent(std::optional<double> atr_pips, std::optional<double> average_pips,
                              const std::string& history_note, double weight) {
  Component c{"volatility", weight, std::nullopt, ""};
  if (atr_pips && average_pips) {
    c.score = AtrRegimeScore(*atr_pips, *average_pips);
    const double q = *average_pips > 0 ? *atr_pips / *average_pips : 0;
    const char* regime = q < 0.8 ? "quiet" : (q <= 1.5 ? "normal" : "volatile");
    c.detail = fmt::format("ATR {:.1f} vs {:.1f} pips, {}", *atr_pips, *average_pips, regime);
  } else {
    c.detail = history_note;
  }
  return c;
}

Component SessionComponent(TimeMs bar_time, double weight) {
  return {"session", weight, SessionScore(bar_time), SessionName(bar_time)};
}

Component AlignmentComponent(market::Side side, const std::array<std::optional<int>, 4>& trends,
                             double weight) {
  static constexpr std::array<double, 4> kWeights = {0.2, 0.3, 0.3, 0.2};
  static constexpr std::array<const char*, 4> kNames = {"M5", "M15", "H1", "H4"};
  Component c{"alignment", weight, std::nullopt, ""};
  const int want = side == market::Side::kBuy ? 1 : -1;
  double sum = 0, w = 0;
  int ready = 0;
  for (std::size_t i = 0; i < trends.size(); ++i) {
    c.detail += (i ? " " : "");
    c.detail += kNames[i];
    if (!trends[i]) {
      c.detail += "?";
      continue;
    }
    ++ready;
    const double agree = *trends[i] == want ? 1.0 : (*trends[i] == 0 ? 0.5 : 0.0);
    c.detail += agree == 1.0 ? "+" : (agree == 0.5 ? "=" : "-");
    sum += kWeights[i] * agree;
    w += kWeights[i];
  }
  if (ready >= 2) {
    c.score = 10.0 * sum / w;
  } else {
    c.detail += ", fewer than 2 timeframes ready";
  }
  return c;
}

ShieldHistory::ShieldHistory(ShieldHistoryOptions options)
    : options_(options), atr_average_(options.atr_average_period) {}

void ShieldHistory::Update(double spread_pips, std::optional<double> atr_pips) {
  spreads_.push_back(spread_pips);
  if (spreads_.size() > options_.spread_window) spreads_.pop_front();
  if (atr_pips) atr_average_.Update(*atr_pips);
}

std::optional<double> ShieldHistory::MedianSpread(std::string* note) const {
  if (spreads_.size() < options_.min_spread_samples) {
    if (note) *note = fmt::format("{} of {} bars", spreads_.size(), options_.min_spread_samples);
    return std::nullopt;
  }
  std::vector<double> v(spreads_.begin(), spreads_.end());
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double median = v[mid];
  if (v.size() % 2 == 0) {
    const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
    median = (median + lower) / 2;
  }
  return median;
}

std::optional<double> ShieldHistory::AverageAtr(std::string* note) const {
  if (!atr_average_.ready()) {
    if (note) *note = "ATR average warming up";
    return std::nullopt;
  }
  return atr_average_.value();
}

}  // namespace bitten::venom::citadel
