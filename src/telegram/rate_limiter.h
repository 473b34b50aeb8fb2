// Telegram's send limits (CONTRACTS §5: at most 30 messages/s overall, 1/s per chat, 20/min per
// group) as sliding windows: a send is allowed when fewer than `count` sends happened in the last
// `window_ms`: globally, for its chat, and (for groups, chat_id < 0) for its group. A sliding log
// is exact where a token bucket with a burst of `count` would let 2×count through in one window.
//
// Pure bookkeeping on caller-supplied times (no clock, no thread): the OutboxSender asks When()
// and records each send with Record(). Memory: at most `count` timestamps per chat; chats idle
// past their window are dropped once more than 1024 are tracked. Not thread-safe (one owner
// thread).
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "base/clock.h"

namespace bitten::telegram {

struct RateLimits {
  int global_count = 30;  // Default: 30 sends per global_window_ms
  TimeMs global_window_ms = 1000;
  int chat_count = 1;  // Default: 1 send per chat_window_ms to one chat
  TimeMs chat_window_ms = 1000;
  int group_count = 20;  // Default: 20 sends per group_window_ms to a group (chat_id < 0)
  TimeMs group_window_ms = 60000;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimits limits) : limits_(limits) {}

  // The earliest time >= now at which a send to chat_id is allowed.
  TimeMs When(std::int64_t chat_id, TimeMs now) const;
  // Records a send to chat_id at time t (the caller checked When() first).
  void Record(std::int64_t chat_id, TimeMs t);

 private:
  struct Window {
    std::deque<TimeMs> sends;  // ascending
  };
  static TimeMs Earliest(const Window& w, int count, TimeMs window_ms, TimeMs now);
  static void Push(Window& w, int count, TimeMs t);

  RateLimits limits_;
  Window global_;
  std::unordered_map<std::int64_t, Window> chats_;
  std::unordered_map<std::int64_t, Window> groups_;
};

}  // namespace bitten::telegram
