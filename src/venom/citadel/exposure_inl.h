// Template body of CorrelationComponent (venom/citadel/exposure.h).
#pragma once

#include <fmt/format.h>

#include "venom/citadel/exposure.h"

namespace bitten::venom::citadel {

template <typename SeriesOf>
Component CorrelationComponent(const market::Instrument& inst, market::Side side,
                               const std::optional<std::vector<OpenPosition>>& positions,
                               const market::InstrumentTable& table, SeriesOf series_of,
                               const ShieldOptions& options) {
  Component c{"correlation", options.w_correlation, std::nullopt, ""};
  if (!positions) {
    c.detail = "open exposure not supplied";
    return c;
  }
  if (positions->empty()) {
    c.score = 10;
    c.detail = "no open exposure";
    return c;
  }
  std::optional<double> worst;
  std::string worst_text;
  const CloseSeries* mine = series_of(inst.symbol);
  for (const OpenPosition& p : *positions) {
    const market::Instrument* other = table.Find(p.symbol);
    if (other == nullptr) continue;
    const double sign = p.side == side ? 1.0 : -1.0;
    double e = 0;
    std::string how;
    if (p.symbol == inst.symbol) {
      e = sign;
      how = "same symbol";
    } else {
      int n = 0;
      const CloseSeries* theirs = series_of(p.symbol);
      std::optional<double> r;
      if (mine && theirs) r = ReturnCorrelation(*mine, *theirs, &n);
      if (r && n >= options.min_correlation_returns) {
        e = sign * *r;
        how = fmt::format("M15 returns, n={}", n);
      } else {
        e = LegOverlap(inst, side, *other, p.side);
        how = "currency legs";
      }
    }
    if (!worst || e > *worst) {
      worst = e;
      worst_text =
          fmt::format("{:+.2f} with {} {} ({})", e, p.symbol, market::ToString(p.side), how);
    }
  }
  if (!worst) {
    c.score = 10;
    c.detail = "no open exposure on known symbols";
    return c;
  }
  c.score = CorrelationScore(*worst);
  c.detail = worst_text;
  return c;
}

}  // namespace bitten::venom::citadel
