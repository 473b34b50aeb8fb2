#include "venom/citadel/shield.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bitten::venom::citadel {

namespace {

constexpr double kSpreadWeight = 0.40;
constexpr double kAtrWeight = 0.35;
constexpr double kSessionWeight = 0.25;

int UtcHour(TimeMs t) {
  TimeMs ms_of_day = t % 86'400'000;
  if (ms_of_day < 0) ms_of_day += 86'400'000;
  return static_cast<int>(ms_of_day / 3'600'000);
}

}  // namespace

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

Shield ScoreShield(const ShieldInputs& in) {
  double weighted = 0, weights = 0;
  std::string text;

  if (in.median_spread_pips) {
    const double s = SpreadScore(in.spread_pips, *in.median_spread_pips);
    weighted += kSpreadWeight * s;
    weights += kSpreadWeight;
    text += fmt::format("spread {:.1f} pips (median {:.1f}) {:.1f}/10", in.spread_pips,
                        *in.median_spread_pips, s);
  } else {
    text += fmt::format("spread {:.1f} pips: insufficient data", in.spread_pips);
    if (!in.spread_history_note.empty()) text += " (" + in.spread_history_note + ")";
  }

  text += "; ";
  if (in.atr_pips && in.average_atr_pips) {
    const double s = AtrRegimeScore(*in.atr_pips, *in.average_atr_pips);
    weighted += kAtrWeight * s;
    weights += kAtrWeight;
    const double q = *in.average_atr_pips > 0 ? *in.atr_pips / *in.average_atr_pips : 0;
    const char* regime = q < 0.8 ? "quiet" : (q <= 1.5 ? "normal" : "volatile");
    text += fmt::format("ATR {:.1f} pips (average {:.1f}, {}) {:.1f}/10", *in.atr_pips,
                        *in.average_atr_pips, regime, s);
  } else {
    text += "ATR regime: insufficient data";
    if (!in.atr_history_note.empty()) text += " (" + in.atr_history_note + ")";
  }

  const double session = SessionScore(in.bar_time);
  weighted += kSessionWeight * session;
  weights += kSessionWeight;
  text += fmt::format("; session {} {:.0f}/10", SessionName(in.bar_time), session);

  Shield sh;
  const double raw = weights > 0 ? weighted / weights : 0;
  sh.score = std::round(raw * 10.0) / 10.0;
  sh.band = BandForScore(sh.score);
  sh.explanation = std::move(text);
  return sh;
}

ShieldHistory::ShieldHistory(ShieldHistoryOptions options)
    : options_(options), atr_average_(options.atr_average_period) {}

void ShieldHistory::Update(double spread_pips, std::optional<double> atr_pips) {
  spreads_.push_back(spread_pips);
  if (spreads_.size() > options_.spread_window) spreads_.pop_front();
  if (atr_pips) atr_average_.Update(*atr_pips);
}

ShieldInputs ShieldHistory::Inputs(double spread_pips, std::optional<double> atr_pips,
                                   TimeMs bar_time) const {
  ShieldInputs in;
  in.spread_pips = spread_pips;
  in.bar_time = bar_time;
  in.atr_pips = atr_pips;
  if (spreads_.size() >= options_.min_spread_samples) {
    std::vector<double> v(spreads_.begin(), spreads_.end());
    const std::size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    double median = v[mid];
    if (v.size() % 2 == 0) {
      const double lower =
          *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
      median = (median + lower) / 2;
    }
    in.median_spread_pips = median;
  } else {
    in.spread_history_note =
        fmt::format("{} of {} bars", spreads_.size(), options_.min_spread_samples);
  }
  if (atr_average_.ready()) {
    in.average_atr_pips = atr_average_.value();
  } else {
    in.atr_history_note = atr_pips ? "ATR average warming up" : "ATR not ready";
  }
  return in;
}

}  // namespace bitten::venom::citadel
