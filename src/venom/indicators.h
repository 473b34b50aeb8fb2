// Streaming indicators with TA-Lib's definitions (default compatibility, no unstable period), O(1)
// per update and O(1) memory: no history is kept or rescanned. Feed values in time order; value()
// is meaningful only when ready(). Values equal TA-Lib's TA_EMA / TA_RSI / TA_ATR output for the
// same input to rounding (tests/unit/venom compare them with TA-Lib's own C code). Not thread-safe.
#pragma once

#include <cstdint>

namespace bitten::venom {

// Exponential moving average, k = 2 / (period + 1). The first value (after `period` inputs) is the
// simple average of the first `period` inputs; then ema += (x - ema) * k. period >= 1.
class Ema {
 public:
  explicit Ema(int period);
  void Update(double x);
  bool ready() const { return count_ >= period_; }
  double value() const { return value_; }
  int period() const { return period_; }

 private:
  int period_;
  double k_;
  std::int64_t count_ = 0;
  double sum_ = 0;
  double value_ = 0;
};

// Relative strength index, Wilder's smoothing. Needs period + 1 inputs: the first value averages
// the first `period` gains and losses (close-to-close), later ones smooth
//   avg = (avg × (period − 1) + x) / period.
// RSI = 100 × avg_gain / (avg_gain + avg_loss), and 0 when both are (TA-Lib's) zero.
class Rsi {
 public:
  explicit Rsi(int period);
  void Update(double close);
  bool ready() const { return count_ > period_; }
  double value() const { return value_; }
  int period() const { return period_; }

 private:
  int period_;
  std::int64_t count_ = 0;
  double prev_ = 0;
  double gain_ = 0, loss_ = 0;
  double value_ = 0;
};

// Average true range, Wilder's smoothing. True range = max(high − low, |prev close − high|,
// |prev close − low|), so the first bar only provides its close. The first value (after period + 1
// bars) is the simple average of the first `period` true ranges; then
//   atr = (atr × (period − 1) + tr) / period.
class Atr {
 public:
  explicit Atr(int period);
  void Update(double high, double low, double close);
  bool ready() const { return count_ > period_; }
  double value() const { return value_; }
  int period() const { return period_; }

 private:
  int period_;
  std::int64_t count_ = 0;
  double prev_close_ = 0;
  double sum_ = 0;
  double value_ = 0;
};

}  // namespace bitten::venom
