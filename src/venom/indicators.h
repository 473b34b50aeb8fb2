// Streaming indicators with TA-Lib's definitions (default compatibility, no unstable period). Feed
// values in time order with Update(); value() (or the named accessors of multi-output indicators)
// is meaningful only when ready(). lookback() is the number of inputs consumed before the first
// output, so the first ready() input has index lookback(), equal to TA-Lib's outBegIdx for the same
// arguments. Values equal TA-Lib's TA_SMA / TA_EMA / TA_RSI / TA_ATR / TA_BBANDS / TA_MACD / TA_ADX
// / TA_STOCH / TA_CCI output for the same input: each class performs the same floating-point
// operations in the same order as TA-Lib's C code, so results agree to the last bit in practice
// (tests/unit/venom compare them with TA-Lib's own C code on the real market files, relative error
// <= 1e-9).
//
// Cost: O(1) time per update and O(period) memory, no history rescans, with one exception chosen to
// match TA-Lib: Cci's mean deviation needs every value of its window, so it sums the window each
// update (O(period), as TA_CCI does). Rolling windows (Sma, BBands, Stoch) use fixed-size ring
// buffers with running sums; Stoch's highest high / lowest low use monotonic queues (amortised
// O(1)). The classes allocate only in their constructors. Not thread-safe: one owner per instance.
#pragma once

#include <cstdint>
#include <vector>

namespace bitten::venom {

// Simple moving average over `period` inputs (TA_SMA). A running sum updated as TA-Lib does
// (add the new input, divide, then subtract the one leaving the window). period >= 1.
class Sma {
 public:
  explicit Sma(int period);
  // Inline: the smallest indicator, where a call per input would be a third of the cost.
  void Update(double x) {
    // TA_INT_SMA: add the new input, take the average, then drop the oldest input of the window.
    window_[static_cast<std::size_t>(pos_)] = x;
    if (++pos_ == period_) pos_ = 0;  // now the slot of the oldest input in the window
    ++count_;
    sum_ += x;
    if (count_ < period_) return;
    value_ = sum_ / period_;
    sum_ -= window_[static_cast<std::size_t>(pos_)];
  }
  bool ready() const { return count_ >= period_; }
  double value() const { return value_; }
  int period() const { return period_; }
  int lookback() const { return period_ - 1; }

 private:
  int period_;
  std::vector<double> window_;  // ring buffer of the last `period` inputs
  int pos_ = 0;                 // next slot to write
  std::int64_t count_ = 0;
  double sum_ = 0;
  double value_ = 0;
};

// Exponential moving average, k = 2 / (period + 1). The first value (after `period` inputs) is the
// simple average of the first `period` inputs; then ema += (x - ema) * k. period >= 1.
class Ema {
 public:
  explicit Ema(int period);
  void Update(double x);
  bool ready() const { return count_ >= period_; }
  double value() const { return value_; }
  int period() const { return period_; }
  int lookback() const { return period_ - 1; }

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
// RSI = 100 × avg_gain / (avg_gain + avg_loss), and 0 when both are (TA-Lib's) zero. period >= 2.
class Rsi {
 public:
  explicit Rsi(int period);
  void Update(double close);
  bool ready() const { return count_ > period_; }
  double value() const { return value_; }
  int period() const { return period_; }
  int lookback() const { return period_; }

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
//   atr = (atr × (period − 1) + tr) / period.   period >= 1.
class Atr {
 public:
  explicit Atr(int period);
  void Update(double high, double low, double close);
  bool ready() const { return count_ > period_; }
  double value() const { return value_; }
  int period() const { return period_; }
  int lookback() const { return period_; }

 private:
  int period_;
  std::int64_t count_ = 0;
  double prev_close_ = 0;
  double sum_ = 0;
  double value_ = 0;
};

// Bollinger Bands (TA_BBANDS with MA type SMA): middle = SMA(period), deviation = population
// standard deviation over the same window computed from a running sum of squares as TA-Lib does
// (0 when the variance is zero or negative by rounding), upper/lower = middle ± nbdev × deviation.
// period >= 2, nbdev any finite value (TA-Lib's default is 5, 2).
class BBands {
 public:
  BBands(int period, double nbdev);
  void Update(double x);
  bool ready() const { return count_ >= period_; }
  double upper() const { return upper_; }
  double middle() const { return middle_; }
  double lower() const { return lower_; }
  int period() const { return period_; }
  double nbdev() const { return nbdev_; }
  int lookback() const { return period_ - 1; }

 private:
  int period_;
  double nbdev_;
  std::vector<double> window_;  // ring buffer of the last `period` inputs
  int pos_ = 0;                 // next slot to write
  std::int64_t count_ = 0;
  double sum_ = 0, sum_sq_ = 0;
  double upper_ = 0, middle_ = 0, lower_ = 0;
};

// MACD (TA_MACD): macd = EMA(fast) − EMA(slow), signal = EMA(signal) of macd, hist = macd − signal.
// TA-Lib's seeding is reproduced: both EMAs produce their first value at input slow − 1, so the
// fast EMA is seeded with the average of inputs slow − fast .. slow − 1 (not of the first `fast`
// inputs). If slow < fast they are swapped, as TA-Lib does. fast, slow, signal >= 2 (defaults 12,
// 26, 9): TA-Lib accepts signal = 1 but then misaligns its own output (its EMA lookback for period
// 1 is −1).
class Macd {
 public:
  Macd(int fast, int slow, int signal);
  void Update(double x);
  bool ready() const { return signal_ema_.ready(); }
  double macd() const { return macd_; }
  double signal() const { return signal_ema_.value(); }
  double hist() const { return hist_; }
  int lookback() const { return slow_ - 1 + signal_ema_.lookback(); }

 private:
  int fast_, slow_;
  std::int64_t count_ = 0;
  Ema fast_ema_, slow_ema_, signal_ema_;
  double macd_ = 0, hist_ = 0;
};

// Average directional movement index (TA_ADX), Wilder's smoothing of +DM, −DM and the true range
// exactly as TA-Lib sums and smooths them; the first ADX is the average of the first `period` DX
// values. Needs 2 × period bars (lookback 2 × period − 1). period >= 2 (default 14).
class Adx {
 public:
  explicit Adx(int period);
  void Update(double high, double low, double close);
  bool ready() const { return count_ >= 2 * static_cast<std::int64_t>(period_); }
  double value() const { return value_; }
  int period() const { return period_; }
  int lookback() const { return 2 * period_ - 1; }

 private:
  int period_;
  std::int64_t count_ = 0;
  double prev_high_ = 0, prev_low_ = 0, prev_close_ = 0;
  double plus_dm_ = 0, minus_dm_ = 0, tr_ = 0;  // Wilder sums
  double dx_sum_ = 0;
  double value_ = 0;
};

// Running highest or lowest value over the last `period` inputs. Windows of up to kScanLimit
// inputs (Stoch's usual 5 or 14) keep a ring and take the extreme with a branch-free pass over it,
// a bounded constant cost that measured faster than a queue whose pops mispredict; longer windows
// use a monotonic queue in a ring buffer (amortised O(1) per push). Used by Stoch; exposed for
// tests and other indicators.
class RollingExtreme {
 public:
  static constexpr int kScanLimit = 16;
  RollingExtreme(int period, bool highest);
  void Push(double x);
  double value() const;  // extreme of the last min(count, period) inputs; requires one push

 private:
  int period_;
  bool highest_;
  bool scan_;  // period <= kScanLimit: values_ is a plain ring, head_ the next slot
  std::int64_t count_ = 0;
  std::size_t mask_;                 // ring capacity (a power of two >= period) − 1
  std::vector<double> values_;       // ring of candidate values, front = the extreme
  std::vector<std::int64_t> index_;  // their input indices
  std::size_t head_ = 0, tail_ = 0;  // unwrapped positions; the ring slot is position & mask_
};

// Stochastic oscillator (TA_STOCH with SMA for both smoothings): fast %K = 100 × (close − lowest
// low) / (highest high − lowest low) over fastk bars (0 when the range is 0), %K (slow) =
// SMA(slowk) of fast %K, %D = SMA(slowd) of %K. Defaults 5, 3, 3. All periods >= 1.
class Stoch {
 public:
  Stoch(int fastk, int slowk, int slowd);
  void Update(double high, double low, double close);
  bool ready() const { return slow_d_.ready(); }
  double k() const { return slow_k_.value(); }
  double d() const { return slow_d_.value(); }
  int lookback() const { return fastk_ - 1 + slow_k_.lookback() + slow_d_.lookback(); }

 private:
  int fastk_;
  std::int64_t count_ = 0;
  RollingExtreme highest_, lowest_;
  Sma slow_k_, slow_d_;
};

// Commodity channel index (TA_CCI): typical price tp = (high + low + close) / 3,
// cci = (tp − mean) / (0.015 × mean deviation) over `period` bars, 0 when either factor is 0. The
// mean and the mean deviation are summed over the window each update in TA-Lib's order (O(period),
// the exception to O(1) noted above). period >= 2 (default 14).
class Cci {
 public:
  explicit Cci(int period);
  void Update(double high, double low, double close);
  bool ready() const { return count_ >= period_; }
  double value() const { return value_; }
  int period() const { return period_; }
  int lookback() const { return period_ - 1; }

 private:
  int period_;
  std::vector<double> window_;  // typical prices, input i at position i % period (as TA-Lib)
  int pos_ = 0;                 // == count_ % period
  std::int64_t count_ = 0;
  double value_ = 0;
};

}  // namespace bitten::venom
