#include "venom/citadel/exposure.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace bitten::venom::citadel {

std::optional<double> ReturnCorrelation(const CloseSeries& a, const CloseSeries& b, int* n) {
  // Returns of b keyed by the time of their first bar.
  std::map<TimeMs, std::pair<TimeMs, double>> b_returns;
  for (std::size_t i = 1; i < b.size(); ++i) {
    b_returns[b[i - 1].first] = {b[i].first, std::log(b[i].second / b[i - 1].second)};
  }
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  int count = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    auto it = b_returns.find(a[i - 1].first);
    if (it == b_returns.end() || it->second.first != a[i].first) continue;
    const double x = std::log(a[i].second / a[i - 1].second), y = it->second.second;
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
    ++count;
  }
  if (n) *n = count;
  if (count < 3) return std::nullopt;
  const double k = count;
  const double vx = sxx - sx * sx / k, vy = syy - sy * sy / k;
  if (!(vx > 0 && vy > 0)) return std::nullopt;
  return std::clamp((sxy - sx * sy / k) / std::sqrt(vx * vy), -1.0, 1.0);
}

double LegOverlap(const market::Instrument& a, market::Side a_side, const market::Instrument& b,
                  market::Side b_side) {
  const double sa = a_side == market::Side::kBuy ? 1 : -1;
  const double sb = b_side == market::Side::kBuy ? 1 : -1;
  std::map<std::string, double> legs;
  legs[a.base_ccy] += sa;
  legs[a.quote_ccy] -= sa;
  double sum = 0;
  if (auto it = legs.find(b.base_ccy); it != legs.end()) sum += it->second * sb;
  if (auto it = legs.find(b.quote_ccy); it != legs.end()) sum += it->second * -sb;
  return sum / 2;
}

double CorrelationScore(double e) { return std::clamp(10.0 * (0.9 - e) / 0.6, 0.0, 10.0); }

}  // namespace bitten::venom::citadel
