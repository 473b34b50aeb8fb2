// The leaderboard's order (docs/xp.md "Leaderboard"), kept sorted as XP and P&L change, so that a
// page of the leaderboard and a trader's own position cost O(log users + page) instead of a sort
// of every user per request (a second of the core thread at 1,000,000 users:
// docs/performance.md "Session 7").
#pragma once

#include <cstddef>
#include <cstdint>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <string>
#include <vector>

#include "base/clock.h"

namespace bitten::missions {

// A user's place: more XP first, then more P&L, then the older account, then the user id (a
// strict, deterministic order). `user_id` points at a string that outlives the entry (the core's
// User), which keeps an entry at 32 bytes.
struct RankKey {
  std::int64_t xp = 0;
  double pnl = 0;
  TimeMs created_at = 0;
  const std::string* user_id = nullptr;
};

struct RankBefore {
  bool operator()(const RankKey& a, const RankKey& b) const {
    if (a.xp != b.xp) return a.xp > b.xp;
    if (a.pnl != b.pnl) return a.pnl > b.pnl;
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return *a.user_id < *b.user_id;
  }
};

// An order-statistics tree (GCC's policy-based red-black tree): insert, erase and a key's position
// in O(log n). The caller erases a user's key before changing what it is made of and inserts the
// new one after (Core::Rerank).
class Ranking {
 public:
  // False when an equal key is already ranked (the same user twice).
  bool Insert(const RankKey& key) { return tree_.insert(key).second; }
  // False when the key is not ranked.
  bool Erase(const RankKey& key) { return tree_.erase(key) > 0; }
  // 0-based place of a ranked key (or where it would go).
  std::size_t PositionOf(const RankKey& key) const { return tree_.order_of_key(key); }
  std::size_t size() const { return tree_.size(); }
  // The first `n` keys in order.
  std::vector<RankKey> Top(std::size_t n) const;

 private:
  __gnu_pbds::tree<RankKey, __gnu_pbds::null_type, RankBefore, __gnu_pbds::rb_tree_tag,
                   __gnu_pbds::tree_order_statistics_node_update>
      tree_;
};

}  // namespace bitten::missions
