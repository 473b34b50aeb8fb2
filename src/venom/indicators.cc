#include "venom/indicators.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "base/error.h"

namespace bitten::venom {

namespace {
// TA-Lib's TA_EPSILON, TA_IS_ZERO and TA_IS_ZERO_OR_NEG (ta_func/ta_utility.h).
constexpr double kTaEpsilon = 0.00000000000001;
bool TaIsZero(double v) { return -kTaEpsilon < v && v < kTaEpsilon; }
bool TaIsZeroOrNeg(double v) { return v < kTaEpsilon; }

}  // namespace

Sma::Sma(int period) : period_(period), window_(static_cast<std::size_t>(std::max(period, 1))) {
  BITTEN_CHECK(period >= 1, "Sma period must be >= 1");
}

Ema::Ema(int period) : period_(period), k_(2.0 / (period + 1)) {
  BITTEN_CHECK(period >= 1, "Ema period must be >= 1");
}

void Ema::Update(double x) {
  ++count_;
  if (count_ < period_) {
    sum_ += x;
  } else if (count_ == period_) {
    sum_ += x;
    value_ = sum_ / period_;
  } else {
    value_ = ((x - value_) * k_) + value_;
  }
}

Rsi::Rsi(int period) : period_(period) { BITTEN_CHECK(period >= 2, "Rsi period must be >= 2"); }

void Rsi::Update(double close) {
  ++count_;
  if (count_ == 1) {
    prev_ = close;
    return;
  }
  const double diff = close - prev_;
  prev_ = close;
  if (count_ <= period_ + 1) {
    if (diff < 0) {
      loss_ -= diff;
    } else {
      gain_ += diff;
    }
    if (count_ < period_ + 1) return;
    loss_ /= period_;
    gain_ /= period_;
  } else {
    loss_ *= (period_ - 1);
    gain_ *= (period_ - 1);
    if (diff < 0) {
      loss_ -= diff;
    } else {
      gain_ += diff;
    }
    loss_ /= period_;
    gain_ /= period_;
  }
  const double total = gain_ + loss_;
  value_ = TaIsZero(total) ? 0.0 : 100.0 * (gain_ / total);
}

Atr::Atr(int period) : period_(period) { BITTEN_CHECK(period >= 1, "Atr period must be >= 1"); }

void Atr::Update(double high, double low, double close) {
  ++count_;
  if (count_ == 1) {
    prev_close_ = close;
    return;
  }
  double tr = high - low;
  tr = std::max(tr, std::fabs(prev_close_ - high));
  tr = std::max(tr, std::fabs(prev_close_ - low));
  prev_close_ = close;
  if (count_ <= period_ + 1) {
    sum_ += tr;
    if (count_ == period_ + 1) value_ = sum_ / period_;
    return;
  }
  value_ = value_ * (period_ - 1);
  value_ += tr;
  value_ /= period_;
}

BBands::BBands(int period, double nbdev)
    : period_(period), nbdev_(nbdev), window_(static_cast<std::size_t>(std::max(period, 1))) {
  BITTEN_CHECK(period >= 2, "BBands period must be >= 2");
  BITTEN_CHECK(std::isfinite(nbdev), "BBands deviation multiplier must be finite");
}

void BBands::Update(double x) {
  // TA_BBANDS = TA_INT_SMA for the middle band and TA_INT_stddev_using_precalc_ma for the
  // deviation, each with its own running sum updated in TA-Lib's order.
  window_[static_cast<std::size_t>(pos_)] = x;
  if (++pos_ == period_) pos_ = 0;  // now the slot of the oldest input in the window
  ++count_;
  sum_ += x;
  double sq = x * x;
  sum_sq_ += sq;
  if (count_ < period_) return;
  const double oldest = window_[static_cast<std::size_t>(pos_)];
  middle_ = sum_ / period_;
  sum_ -= oldest;
  double variance = sum_sq_ / period_;
  sq = oldest * oldest;
  sum_sq_ -= sq;
  variance -= middle_ * middle_;
  const double deviation = TaIsZeroOrNeg(variance) ? 0.0 : std::sqrt(variance);
  if (nbdev_ == 1.0) {
    upper_ = middle_ + deviation;
    lower_ = middle_ - deviation;
  } else {
    const double width = deviation * nbdev_;
    upper_ = middle_ + width;
    lower_ = middle_ - width;
  }
}

Macd::Macd(int fast, int slow, int signal)
    : fast_(std::min(fast, slow)),
      slow_(std::max(fast, slow)),
      fast_ema_(std::min(fast, slow)),
      slow_ema_(std::max(fast, slow)),
      signal_ema_(signal) {
  BITTEN_CHECK(fast_ >= 2, "Macd periods must be >= 2");
  BITTEN_CHECK(signal >= 2, "Macd signal period must be >= 2");
}

void Macd::Update(double x) {
  // TA_MACD starts both EMAs so that their first outputs fall on input slow − 1: the fast EMA
  // ignores inputs before slow − fast.
  ++count_;
  slow_ema_.Update(x);
  if (count_ > slow_ - fast_) fast_ema_.Update(x);
  if (!slow_ema_.ready()) return;
  macd_ = fast_ema_.value() - slow_ema_.value();
  signal_ema_.Update(macd_);
  if (signal_ema_.ready()) hist_ = macd_ - signal_ema_.value();
}

Adx::Adx(int period) : period_(period) { BITTEN_CHECK(period >= 2, "Adx period must be >= 2"); }

void Adx::Update(double high, double low, double close) {
  // TA_ADX, one loop iteration per input: inputs 1 .. period − 1 only sum +DM, −DM and TR; from
  // input period on the sums are Wilder-smoothed and DX is taken; inputs period .. 2 period − 1
  // sum DX for the first ADX, later ones smooth it.
  const std::int64_t index = count_++;
  if (index == 0) {
    prev_high_ = high;
    prev_low_ = low;
    prev_close_ = close;
    return;
  }
  const double diff_p = high - prev_high_;
  prev_high_ = high;
  const double diff_m = prev_low_ - low;
  prev_low_ = low;
  const bool smoothing = index >= period_;
  if (smoothing) {
    minus_dm_ -= minus_dm_ / period_;
    plus_dm_ -= plus_dm_ / period_;
  }
  if (diff_m > 0 && diff_p < diff_m) {
    minus_dm_ += diff_m;
  } else if (diff_p > 0 && diff_p > diff_m) {
    plus_dm_ += diff_p;
  }
  double tr = prev_high_ - prev_low_;
  double t2 = std::fabs(prev_high_ - prev_close_);
  if (t2 > tr) tr = t2;
  t2 = std::fabs(prev_low_ - prev_close_);
  if (t2 > tr) tr = t2;
  prev_close_ = close;
  if (!smoothing) {
    tr_ += tr;
    return;
  }
  tr_ = tr_ - (tr_ / period_) + tr;
  double dx = 0;
  bool have_dx = false;
  if (!TaIsZero(tr_)) {
    const double minus_di = 100.0 * (minus_dm_ / tr_);
    const double plus_di = 100.0 * (plus_dm_ / tr_);
    const double sum_di = minus_di + plus_di;
    if (!TaIsZero(sum_di)) {
      dx = 100.0 * (std::fabs(minus_di - plus_di) / sum_di);
      have_dx = true;
    }
  }
  const std::int64_t last_seed = 2 * static_cast<std::int64_t>(period_) - 1;
  if (index < last_seed) {
    if (have_dx) dx_sum_ += dx;
  } else if (index == last_seed) {
    if (have_dx) dx_sum_ += dx;
    value_ = dx_sum_ / period_;
  } else if (have_dx) {
    value_ = ((value_ * (period_ - 1)) + dx) / period_;
  }
}

namespace {
std::size_t PowerOfTwoAtLeast(int n) {
  std::size_t c = 1;
  while (c < static_cast<std::size_t>(n)) c <<= 1;
  return c;
}
}  // namespace

RollingExtreme::RollingExtreme(int period, bool highest)
    : period_(period),
      highest_(highest),
      scan_(period <= kScanLimit),
      mask_(PowerOfTwoAtLeast(std::max(period, 1)) - 1),
      values_(scan_ ? static_cast<std::size_t>(std::max(period, 1)) : mask_ + 1,
              highest ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity()),
      index_(scan_ ? 0 : mask_ + 1) {
  BITTEN_CHECK(period >= 1, "RollingExtreme period must be >= 1");
}

void RollingExtreme::Push(double x) {
  const std::int64_t index = count_++;
  if (scan_) {
    values_[head_] = x;
    if (++head_ == values_.size()) head_ = 0;
    return;
  }
  // Drop the front when it has left the window, then every candidate the new value dominates
  // (the queue holds strictly decreasing values for a maximum, increasing for a minimum).
  if (tail_ != head_ && index_[head_ & mask_] <= index - period_) ++head_;
  if (highest_) {
    while (tail_ != head_ && values_[(tail_ - 1) & mask_] <= x) --tail_;
  } else {
    while (tail_ != head_ && values_[(tail_ - 1) & mask_] >= x) --tail_;
  }
  values_[tail_ & mask_] = x;
  index_[tail_ & mask_] = index;
  ++tail_;
}

double RollingExtreme::value() const {
  BITTEN_CHECK(count_ > 0, "RollingExtreme::value() before any Push()");
  if (scan_) {
    // Branch-free over a window of at most kScanLimit values (unfilled slots hold ∓infinity).
    double v = values_[0];
    if (highest_) {
      for (const double x : values_) v = std::max(v, x);
    } else {
      for (const double x : values_) v = std::min(v, x);
    }
    return v;
  }
  return values_[head_ & mask_];
}

Stoch::Stoch(int fastk, int slowk, int slowd)
    : fastk_(fastk), highest_(fastk, true), lowest_(fastk, false), slow_k_(slowk), slow_d_(slowd) {
  BITTEN_CHECK(fastk >= 1, "Stoch fast %K period must be >= 1");
}

void Stoch::Update(double high, double low, double close) {
  ++count_;
  highest_.Push(high);
  lowest_.Push(low);
  if (count_ < fastk_) return;
  const double lowest = lowest_.value();
  const double diff = (highest_.value() - lowest) / 100.0;
  const double fast_k = diff != 0.0 ? (close - lowest) / diff : 0.0;
  slow_k_.Update(fast_k);
  if (slow_k_.ready()) slow_d_.Update(slow_k_.value());
}

Cci::Cci(int period) : period_(period), window_(static_cast<std::size_t>(std::max(period, 1))) {
  BITTEN_CHECK(period >= 2, "Cci period must be >= 2");
}

void Cci::Update(double high, double low, double close) {
  const double typical = (high + low + close) / 3;
  window_[static_cast<std::size_t>(pos_)] = typical;
  if (++pos_ == period_) pos_ = 0;
  ++count_;
  if (count_ < period_) return;
  // Summed by position in the ring, as TA_CCI does, so the rounding is TA-Lib's.
  double average = 0;
  for (const double v : window_) average += v;
  average /= period_;
  double deviation = 0;
  for (const double v : window_) deviation += std::fabs(v - average);
  const double distance = typical - average;
  value_ = (distance != 0.0 && deviation != 0.0) ? distance / (0.015 * (deviation / period_)) : 0.0;
}

}  // namespace bitten::venom
