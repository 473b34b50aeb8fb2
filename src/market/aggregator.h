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

// TimeframeAggregator: turns a stream of M1 bars of ONE symbol into bars of a higher timeframe
// (M5, M15, H1, H4; M1 passes bars through unchanged). Buckets are aligned to UTC boundaries:
// a bar's bucket is floor(time / tf) * tf, so H4 buckets start at 00, 04, 08, ... UTC. The
// output bar's time is the bucket's open time (not the first M1's), OHLC = first open, max high,
// min low, last close on each side (bid and ask), ticks = sum.
//
// Gaps: a bucket is closed and returned when an M1 bar of a later bucket arrives (or by Flush()).
// Missing minutes inside a bucket are simply absent from it; a bucket with no M1 bar at all
// (weekend, holiday, feed outage) produces no bar, and nothing is forward-filled. An M1 bar older
// than the open bucket cannot be placed: it is dropped and counted in late_bars(). Not
// thread-safe: one instance per symbol and timeframe, owned by one thread.
class TimeframeAggregator {
 public:
  explicit TimeframeAggregator(Timeframe tf);

  // Adds an M1 bar; returns the previous bucket's bar when this bar starts a later bucket.
  std::optional<Bar> Add(const Bar& m1);
  // Closes and returns the open bucket (nullopt when none is open). Use at end of data.
  std::optional<Bar> Flush();

  Timeframe timeframe() const { return tf_; }
  std::int64_t late_bars() const { return late_bars_; }

  // Open time of the bucket of `tf` containing t (floor, also for times before 1970).
  static TimeMs BucketOf(Timeframe tf, TimeMs t);

 private:
  Timeframe tf_;
  std::optional<Bar> open_;
  std::int64_t late_bars_ = 0;
};

}  // namespace bitten::market
