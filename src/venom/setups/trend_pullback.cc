#include <algorithm>

#include "venom/setups/setup.h"

namespace bitten::venom::setups {

using market::Timeframe;

std::optional<Candidate> TrendPullback(const SymbolContext& c, const SetupOptions& o) {
  if (!c.completed(Timeframe::kM5)) return std::nullopt;
  const TimeframeState& h1 = c.tf(Timeframe::kH1);
  const TimeframeState& m15 = c.tf(Timeframe::kM15);
  const TimeframeState& m5 = c.tf(Timeframe::kM5);
  const auto h1_trend = h1.trend();
  const auto m15_trend = m15.trend();
  if (!h1_trend || !m15_trend || *h1_trend == 0 || *h1_trend != *m15_trend) return std::nullopt;
  if (!h1.adx.ready() || h1.adx.value() < o.adx_trend_min) return std::nullopt;
  if (!m5.ema21.ready() || !m5.rsi.ready() || !m5.last) return std::nullopt;
  const market::Bar& b = *m5.last;
  const double ema = m5.ema21.value();
  const double rsi = m5.rsi.value();
  const double range = b.high - b.low;
  if (!(range > 0)) return std::nullopt;
  const bool buy = *h1_trend > 0;
  double position = 0;
  if (buy) {
    if (!(b.low <= ema && b.close > ema && b.close > b.open && rsi >= 40 && rsi <= 65)) {
      return std::nullopt;
    }
    position = (b.close - b.low) / range;
  } else {
    if (!(b.high >= ema && b.close < ema && b.close < b.open && rsi >= 35 && rsi <= 60)) {
      return std::nullopt;
    }
    position = (b.high - b.close) / range;
  }
  Candidate cand;
  cand.side = buy ? market::Side::kBuy : market::Side::kSell;
  cand.setup = kTrendPullback;
  cand.quality = 0.5 * std::clamp((h1.adx.value() - o.adx_trend_min) / 20.0, 0.0, 1.0) +
                 0.5 * std::clamp(position, 0.0, 1.0);
  return cand;
}

}  // namespace bitten::venom::setups
