#include "venom/confidence.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "venom/citadel/shield.h"

namespace bitten::venom {

using market::Timeframe;

int ConfidenceParts::Total() const {
  const double sum = 30 * alignment + 25 * quality + 20 * momentum + 15 * cost + 10 * session;
  return std::clamp(static_cast<int>(std::lround(sum)), 0, 100);
}

ConfidenceParts ScoreConfidence(const SymbolContext& c, market::Side side, double quality,
                                double spread_pips, double stop_pips, double max_spread_to_stop,
                                TimeMs bar_time) {
  ConfidenceParts p;
  const int want = side == market::Side::kBuy ? 1 : -1;
  static constexpr std::array<std::pair<Timeframe, double>, 4> kTfs = {{{Timeframe::kM5, 0.2},
                                                                        {Timeframe::kM15, 0.3},
                                                                        {Timeframe::kH1, 0.3},
                                                                        {Timeframe::kH4, 0.2}}};
  for (const auto& [tf, w] : kTfs) {
    const auto t = c.tf(tf).trend();
    if (!t) continue;
    p.alignment += w * (*t == want ? 1.0 : (*t == 0 ? 0.5 : 0.0));
  }
  p.quality = std::clamp(quality, 0.0, 1.0);
  const TimeframeState& m5 = c.tf(Timeframe::kM5);
  if (m5.macd.ready() && m5.prev_macd_ready) {
    const double moved = m5.macd.hist() - m5.prev_macd_hist;
    if (want * moved > 0) p.momentum += 0.5;
  }
  const TimeframeState& m1 = c.tf(Timeframe::kM1);
  if (m1.rsi.ready()) p.momentum += 0.5 * std::clamp(want * (m1.rsi.value() - 50) / 20, 0.0, 1.0);
  const double budget = max_spread_to_stop * stop_pips;
  p.cost = budget > 0 ? std::clamp(1.0 - spread_pips / budget, 0.0, 1.0) : 0.0;
  p.session = citadel::SessionScore(bar_time) / 10.0;
  return p;
}

}  // namespace bitten::venom
