#include <algorithm>
#include <cmath>

#include "venom/setups/setup.h"

namespace bitten::venom::setups {

using market::Timeframe;

std::optional<Candidate> SqueezeBreakout(const SymbolContext& c, const SetupOptions& o) {
  if (!c.completed(Timeframe::kM5)) return std::nullopt;
  const TimeframeState& h1 = c.tf(Timeframe::kH1);
  const TimeframeState& m15 = c.tf(Timeframe::kM15);
  const TimeframeState& m5 = c.tf(Timeframe::kM5);
  if (!m15.last_squeeze_bar || m15.bars - *m15.last_squeeze_bar >= o.squeeze_recent_bars) {
    return std::nullopt;
  }
  if (!m15.bb.ready() || !m5.atr.ready() || !m5.last) return std::nullopt;
  const auto h1_trend = h1.trend();
  if (!h1_trend) return std::nullopt;
  const market::Bar& b = *m5.last;
  const double body = b.close - b.open;
  const double atr = m5.atr.value();
  if (!(atr > 0) || std::fabs(body) < o.breakout_body_atr * atr) return std::nullopt;
  bool buy = false;
  if (b.close > m15.bb.upper() && body > 0 && *h1_trend >= 0) {
    buy = true;
  } else if (b.close < m15.bb.lower() && body < 0 && *h1_trend <= 0) {
    buy = false;
  } else {
    return std::nullopt;
  }
  Candidate cand;
  cand.side = buy ? market::Side::kBuy : market::Side::kSell;
  cand.setup = kSqueezeBreakout;
  const bool h1_with = buy ? *h1_trend > 0 : *h1_trend < 0;
  cand.quality = 0.5 * std::min(1.0, std::fabs(body) / (2 * o.breakout_body_atr * atr)) +
                 0.5 * (h1_with ? 1.0 : 0.0);
  return cand;
}

}  // namespace bitten::venom::setups
