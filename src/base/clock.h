// The injected clock (STYLE.md: nautilus_trader). Every component reads time through a Clock so
// that the same engine code runs live (RealClock) and in backtests and tests (SimClock). Times are
// integer Unix milliseconds UTC, as on the wire (CONTRACTS §1). Both implementations are
// thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace bitten {

using TimeMs = std::int64_t;  // Unix milliseconds UTC

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
};

// Wall-clock time (system_clock).
class RealClock final : public Clock {
 public:
  TimeMs NowMs() const override;
};

// Time that moves only when told to. Used by replay feeds, backtests and tests.
class SimClock final : public Clock {
 public:
  explicit SimClock(TimeMs start = 0) : now_(start) {}
  TimeMs NowMs() const override { return now_.load(std::memory_order_acquire); }
  void Set(TimeMs t) { now_.store(t, std::memory_order_release); }
  void Advance(TimeMs d) { now_.fetch_add(d, std::memory_order_acq_rel); }

 private:
  std::atomic<TimeMs> now_;
};

// Shifts a base clock by a fixed offset (demo replay of historical data at "now", tests of clock
// skew).
class OffsetClock final : public Clock {
 public:
  OffsetClock(const Clock& base, TimeMs offset) : base_(base), offset_(offset) {}
  TimeMs NowMs() const override { return base_.NowMs() + offset_.load(std::memory_order_acquire); }
  void SetOffset(TimeMs o) { offset_.store(o, std::memory_order_release); }

 private:
  const Clock& base_;
  std::atomic<TimeMs> offset_;
};

}  // namespace bitten
