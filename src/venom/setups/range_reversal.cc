#include <algorithm>
#include <cmath>

#include "venom/setups/setup.h"

namespace bitten::venom::setups {

using market::Timeframe;

std::optional<Candidate> RangeReversal(const SymbolContext& c, const SetupOptions& o) {
  if (!c.completed(Timeframe::kM5)) return std::nullopt;
  const TimeframeState& h1 = c.tf(Timeframe::kH1);
  const TimeframeState& m15 = c.tf(Timeframe::kM15);
  const TimeframeState& m5 = c.tf(Timeframe::kM5);
  if (!h1.adx.ready() || !m15.adx.ready() || !m15.cci.ready() || !m15.bb.ready()) {
    return std::nullopt;
  }
  if (h1.adx.value() >= o.adx_range_max || m15.adx.value() >= o.adx_range_max + 5) {
    return std::nullopt;
  }
  if (!m5.stoch.ready() || !m5.prev_stoch_ready || !m5.last) return std::nullopt;
  const market::Bar& b = *m5.last;
  const double cci = m15.cci.value();
  const double k = m5.stoch.k(), d = m5.stoch.d();
  const double pk = m5.prev_stoch_k, pd = m5.prev_stoch_d;
  bool buy = false;
  if (cci <= -o.cci_extreme && b.low <= m15.bb.lower() && pk <= pd && k > d && d < 25) {
    buy = true;
  } else if (cci >= o.cci_extreme && b.high >= m15.bb.upper() && pk >= pd && k < d && d > 75) {
    buy = false;
  } else {
    return std::nullopt;
  }
  Candidate cand;
  cand.side = buy ? market::Side::kBuy : market::Side::kSell;
  cand.setup = kRangeReversal;
  cand.quality = 0.5 * std::clamp((std::fabs(cci) - o.cci_extreme) / o.cci_extreme, 0.0, 1.0) +
                 0.5 * std::clamp((o.adx_range_max - h1.adx.value()) / 10.0, 0.0, 1.0);
  return cand;
}

}  // namespace bitten::venom::setups
