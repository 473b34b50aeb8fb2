#include <algorithm>
#include <cmath>

#include "venom/setups/setup.h"

namespace bitten::venom::setups {

using market::Timeframe;

std::optional<Candidate> EmaCrossRsi(const SymbolContext& c, const SetupOptions& o,
                                     std::optional<double> prev_diff) {
  const TimeframeState& m1 = c.tf(Timeframe::kM1);
  if (!prev_diff || !m1.ema21.ready() || !m1.rsi.ready() || !m1.atr.ready()) return std::nullopt;
  const double diff = m1.ema9.value() - m1.ema21.value();
  const bool cross_up = *prev_diff <= 0 && diff > 0;
  const bool cross_down = *prev_diff >= 0 && diff < 0;
  if (!cross_up && !cross_down) return std::nullopt;
  const double rsi = m1.rsi.value();
  const bool buy = cross_up && rsi > o.rsi_low && rsi < o.rsi_high;
  const bool sell = cross_down && rsi > 100 - o.rsi_high && rsi < 100 - o.rsi_low;
  if (!buy && !sell) return std::nullopt;
  const auto m5_trend = c.tf(Timeframe::kM5).trend();
  if (!m5_trend || *m5_trend != (buy ? 1 : -1)) return std::nullopt;
  const double atr = m1.atr.value();
  Candidate cand;
  cand.side = buy ? market::Side::kBuy : market::Side::kSell;
  cand.setup = kEmaCrossRsi;
  const double sep = atr > 0 ? std::min(1.0, std::fabs(diff) / (0.25 * atr)) : 0.0;
  const double centre = std::clamp(1.0 - std::fabs(rsi - (buy ? 60.0 : 40.0)) / 10.0, 0.0, 1.0);
  cand.quality = 0.5 * sep + 0.5 * centre;
  return cand;
}

}  // namespace bitten::venom::setups
