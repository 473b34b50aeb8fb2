#include "missions/ranking.h"

namespace bitten::missions {

std::vector<RankKey> Ranking::Top(std::size_t n) const {
  std::vector<RankKey> out;
  out.reserve(n < tree_.size() ? n : tree_.size());
  for (auto it = tree_.begin(); it != tree_.end() && out.size() < n; ++it) out.push_back(*it);
  return out;
}

}  // namespace bitten::missions
