#include "missions/sizing.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/format.h"

namespace bitten::missions {
namespace {

bool PositiveFinite(double v) { return std::isfinite(v) && v > 0; }

// Money with its currency when known: "25.00 USD".
std::string Money(double v, const std::string& ccy) {
  return ccy.empty() ? FormatFixed(v, 2) : FormatFixed(v, 2) + " " + ccy;
}

}  // namespace

int VolumeDecimals(double volume_step) {
  for (int d = 0; d < 8; ++d) {
    const double scaled = volume_step * std::pow(10.0, d);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6) return d;
  }
  return 8;
}

Result<LotSize> SizeLots(const SizingInput& in) {
  if (!PositiveFinite(in.sl_pips)) {
    return Fail("bad_sizing_input",
                fmt::format("stop distance must be > 0 pips, got {}", in.sl_pips));
  }
  if (!PositiveFinite(in.pip_value_per_lot)) {
    return Fail("bad_sizing_input",
                fmt::format("pip value per lot must be > 0, got {}", in.pip_value_per_lot));
  }
  if (!PositiveFinite(in.volume_step) || !PositiveFinite(in.volume_min) ||
      !std::isfinite(in.volume_max) || in.volume_max < in.volume_min) {
    return Fail("bad_sizing_input",
                fmt::format("broker volume spec is invalid: step {} min {} max {}", in.volume_step,
                            in.volume_min, in.volume_max));
  }
  if (!std::isfinite(in.balance) || !std::isfinite(in.risk_pct) ||
      !std::isfinite(in.size_multiplier)) {
    return Fail("bad_sizing_input", "balance, risk % and multiplier must be finite numbers");
  }

  const double budget = std::max(0.0, in.balance * in.risk_pct / 100.0 * in.size_multiplier);
  const double risk_per_lot = in.sl_pips * in.pip_value_per_lot;
  const double raw_lots = budget / risk_per_lot;
  // Round down to the step in integer step counts. The relative epsilon absorbs binary floating
  // error (0.12 / 0.01 = 11.999999999999998 must count 12 steps) without ever adding a real step.
  const double steps_exact = raw_lots / in.volume_step;
  const double steps = std::floor(steps_exact + 1e-9 * std::max(1.0, steps_exact));
  const int decimals = VolumeDecimals(in.volume_step);
  double lots = RoundTo(steps * in.volume_step, decimals);
  if (lots > in.volume_max) lots = in.volume_max;

  if (lots + 1e-12 < in.volume_min) {
    const double min_risk = in.volume_min * risk_per_lot;
    return Fail(
        "min_lot_exceeds_risk",
        fmt::format("The minimum lot {} risks {} at a {}-pip stop, more than the risk budget "
                    "of {} ({}% of {}).",
                    FormatFixed(in.volume_min, decimals), Money(min_risk, in.currency),
                    FormatFixed(in.sl_pips, 1), Money(budget, in.currency),
                    FormatFixed(in.risk_pct * in.size_multiplier, 2),
                    Money(in.balance, in.currency)));
  }
  return LotSize{lots, RoundTo(lots * risk_per_lot, 2)};
}

}  // namespace bitten::missions
