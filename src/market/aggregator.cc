#include "market/aggregator.h"

#include <algorithm>
#include <utility>

namespace bitten::market {

namespace {

Bar Start(const Tick& t, TimeMs minute) {
  Bar b;
  b.symbol = t.symbol;
  b.timeframe = Timeframe::kM1;
  b.time = minute;
  b.open = b.high = b.low = b.close = t.bid;
  b.ask_open = b.ask_high = b.ask_low = b.ask_close = t.ask;
  b.ticks = 1;
  return b;
}

void Extend(Bar& b, const Tick& t) {
  b.high = std::max(b.high, t.bid);
  b.low = std::min(b.low, t.bid);
  b.close = t.bid;
  b.ask_high = std::max(b.ask_high, t.ask);
  b.ask_low = std::min(b.ask_low, t.ask);
  b.ask_close = t.ask;
  ++b.ticks;
}

}  // namespace

TimeMs M1Aggregator::MinuteOf(TimeMs t) {
  constexpr TimeMs kMinute = 60'000;
  TimeMs q = t / kMinute;
  if (t % kMinute != 0 && t < 0) --q;
  return q * kMinute;
}

std::optional<Bar> M1Aggregator::Add(const Tick& tick) {
  const TimeMs minute = MinuteOf(tick.time);
  auto it = open_.find(tick.symbol);
  if (it == open_.end()) {
    open_.emplace(tick.symbol, Start(tick, minute));
    return std::nullopt;
  }
  Bar& bar = it->second;
  if (minute == bar.time) {
    Extend(bar, tick);
    return std::nullopt;
  }
  if (minute < bar.time) {
    ++late_ticks_;
    return std::nullopt;
  }
  Bar closed = std::move(bar);
  bar = Start(tick, minute);
  return closed;
}

std::optional<Bar> M1Aggregator::Flush(const std::string& symbol) {
  auto it = open_.find(symbol);
  if (it == open_.end()) return std::nullopt;
  Bar b = std::move(it->second);
  open_.erase(it);
  return b;
}

std::vector<Bar> M1Aggregator::FlushAll() {
  std::vector<Bar> out;
  out.reserve(open_.size());
  for (auto& [sym, bar] : open_) out.push_back(std::move(bar));
  open_.clear();
  return out;
}

std::vector<Bar> M1Aggregator::FlushBefore(TimeMs now) {
  std::vector<Bar> out;
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second.time + 60'000 <= now) {
      out.push_back(std::move(it->second));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

TimeframeAggregator::TimeframeAggregator(Timeframe tf) : tf_(tf) {}

TimeMs TimeframeAggregator::BucketOf(Timeframe tf, TimeMs t) {
  const TimeMs len = TimeframeMs(tf);
  TimeMs q = t / len;
  if (t % len != 0 && t < 0) --q;
  return q * len;
}

std::optional<Bar> TimeframeAggregator::Add(const Bar& m1) {
  const TimeMs bucket = BucketOf(tf_, m1.time);
  if (open_ && bucket == open_->time) {
    Bar& b = *open_;
    b.high = std::max(b.high, m1.high);
    b.low = std::min(b.low, m1.low);
    b.close = m1.close;
    b.ask_high = std::max(b.ask_high, m1.ask_high);
    b.ask_low = std::min(b.ask_low, m1.ask_low);
    b.ask_close = m1.ask_close;
    b.ticks += m1.ticks;
    return std::nullopt;
  }
  if (open_ && bucket < open_->time) {
    ++late_bars_;
    return std::nullopt;
  }
  std::optional<Bar> closed = std::move(open_);
  open_ = m1;
  open_->timeframe = tf_;
  open_->time = bucket;
  return closed;
}

std::optional<Bar> TimeframeAggregator::Flush() {
  std::optional<Bar> b = std::move(open_);
  open_.reset();
  return b;
}

}  // namespace bitten::market
