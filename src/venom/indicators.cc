#include "venom/indicators.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace bitten::venom {

namespace {
// TA-Lib's TA_IS_ZERO.
bool TaIsZero(double v) { return -0.00000001 < v && v < 0.00000001; }
}  // namespace

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

}  // namespace bitten::venom
