#include "venom/citadel/liquidity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bitten::venom::citadel {

Component LiquidityComponent(market::Side side, double entry, double tp_pips,
                             const market::Instrument& inst, const std::deque<SwingBar>& m5_bars,
                             const ShieldOptions& options) {
  Component c{"liquidity", options.w_liquidity, std::nullopt, ""};
  if (m5_bars.size() < options.min_swing_bars) {
    c.detail =
        fmt::format("{} of {} M5 bars for swing levels", m5_bars.size(), options.min_swing_bars);
    return c;
  }
  const bool buy = side == market::Side::kBuy;
  // Distance in pips from the entry to a level in the trade's path (nullopt when behind it).
  auto ahead = [&](double level) -> std::optional<double> {
    const double d = (buy ? level - entry : entry - level) / inst.pip_size;
    return d >= 0 ? std::optional<double>(d) : std::nullopt;
  };
  std::optional<double> nearest;
  const char* what = "";
  const std::size_t n = m5_bars.size();
  for (std::size_t i = 2; i + 2 < n; ++i) {
    const SwingBar& b = m5_bars[i];
    bool swing = true;
    for (std::size_t j = i - 2; j <= i + 2; ++j) {
      if (j == i) continue;
      if (buy ? !(b.high > m5_bars[j].high) : !(b.low < m5_bars[j].low)) swing = false;
    }
    if (!swing) continue;
    if (auto d = ahead(buy ? b.high : b.low); d && (!nearest || *d < *nearest)) {
      nearest = d;
      what = buy ? "swing high" : "swing low";
    }
  }
  // The next round number in the trade's direction (a level exactly at the entry counts: d = 0).
  const double step = options.round_number_step_pips * inst.pip_size;
  const double grid = entry / step;
  const double level = (buy ? std::ceil(grid - 1e-9) : std::floor(grid + 1e-9)) * step;
  if (auto d = ahead(level); d && (!nearest || *d < *nearest)) {
    nearest = d;
    what = "round number";
  }
  const double dist = nearest.value_or(tp_pips);
  c.score = tp_pips > 0 ? 10.0 * std::min(1.0, dist / tp_pips) : 10.0;
  c.detail = fmt::format("{} {:.1f} pips ahead, target {:.1f}", what, dist, tp_pips);
  return c;
}

}  // namespace bitten::venom::citadel
