// M1Aggregator: turns a stream of ticks (any number of symbols, interleaved) into one-minute bars
// per symbol, with bid OHLC, ask OHLC and the number of ticks. A bar's time is the open of its
// minute (UTC, floor of the tick time to the minute). A minute without ticks has no bar (as in the
// Lean files).
//
// A symbol's bar is closed and returned when a tick of that symbol from a later minute arrives, or
// by Flush(symbol) / FlushAll() / FlushBefore(now) (end of data; a quiet market in live use). A
// tick older than the symbol's open minute cannot be placed: it is dropped and counted in
// late_ticks(); ticks out of order inside the open minute are aggregated (OHLC follows arrival
// order, as the feed delivered them). Not thread-safe: owned by the core thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "market/types.h"

namespace bitten::market {

class M1Aggregator {
 public:
  // Adds a tick; returns the symbol's previous bar when this tick starts a later minute.
  std::optional<Bar> Add(const Tick& tick);

  // Closes and returns the open bar of `symbol` (nullopt when none is open).
  std::optional<Bar> Flush(const std::string& symbol);
  // Closes every open bar; returned in symbol order.
  std::vector<Bar> FlushAll();
  // Closes the open bars whose minute has ended at `now` (bar.time + 60 s <= now), in symbol order.
  std::vector<Bar> FlushBefore(TimeMs now);

  std::int64_t late_ticks() const { return late_ticks_; }

  // Open time of the minute containing t (floor, also for times before 1970).
  static TimeMs MinuteOf(TimeMs t);

 private:
  std::map<std::string, Bar> open_;  // symbol -> bar being built
  std::int64_t late_ticks_ = 0;
};

}  // namespace bitten::market
