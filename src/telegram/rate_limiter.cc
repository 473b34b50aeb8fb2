#include "telegram/rate_limiter.h"

#include <algorithm>

namespace bitten::telegram {

TimeMs RateLimiter::Earliest(const Window& w, int count, TimeMs window_ms, TimeMs now) {
  if (count <= 0 || static_cast<int>(w.sends.size()) < count) return now;
  // The (size - count)-th oldest send must leave the window before another is allowed.
  const TimeMs oldest_that_counts = w.sends[w.sends.size() - static_cast<std::size_t>(count)];
  return std::max(now, oldest_that_counts + window_ms);
}

void RateLimiter::Push(Window& w, int count, TimeMs t) {
  w.sends.push_back(t);
  while (static_cast<int>(w.sends.size()) > std::max(count, 1)) w.sends.pop_front();
}

TimeMs RateLimiter::When(std::int64_t chat_id, TimeMs now) const {
  TimeMs t = Earliest(global_, limits_.global_count, limits_.global_window_ms, now);
  if (auto it = chats_.find(chat_id); it != chats_.end()) {
    t = std::max(t, Earliest(it->second, limits_.chat_count, limits_.chat_window_ms, now));
  }
  if (chat_id < 0) {
    if (auto it = groups_.find(chat_id); it != groups_.end()) {
      t = std::max(t, Earliest(it->second, limits_.group_count, limits_.group_window_ms, now));
    }
  }
  return t;
}

void RateLimiter::Record(std::int64_t chat_id, TimeMs t) {
  Push(global_, limits_.global_count, t);
  Push(chats_[chat_id], limits_.chat_count, t);
  if (chat_id < 0) Push(groups_[chat_id], limits_.group_count, t);
  // Forget chats whose every send has left its window (bounded memory over many users).
  if (chats_.size() > 1024) {
    std::erase_if(chats_, [&](const auto& kv) {
      return kv.second.sends.empty() || kv.second.sends.back() + limits_.chat_window_ms <= t;
    });
    std::erase_if(groups_, [&](const auto& kv) {
      return kv.second.sends.empty() || kv.second.sends.back() + limits_.group_window_ms <= t;
    });
  }
}

}  // namespace bitten::telegram
