#include "venom/context.h"

namespace bitten::venom {

using market::Timeframe;

TimeframeState::TimeframeState(bool full_set) : full(full_set) {}

void TimeframeState::Update(const market::Bar& bar) {
  ++bars;
  last = bar;
  ema9.Update(bar.close);
  ema21.Update(bar.close);
  rsi.Update(bar.close);
  atr.Update(bar.high, bar.low, bar.close);
  if (!full) return;
  prev_macd_ready = macd.ready();
  prev_macd_hist = macd.hist();
  macd.Update(bar.close);
  prev_stoch_ready = stoch.ready();
  prev_stoch_k = stoch.k();
  prev_stoch_d = stoch.d();
  stoch.Update(bar.high, bar.low, bar.close);
  adx.Update(bar.high, bar.low, bar.close);
  cci.Update(bar.high, bar.low, bar.close);
  bb.Update(bar.close);
  if (bb.ready()) {
    const double width = bb.upper() - bb.lower();
    width_min.Push(width);
    ++widths;
    width_ratio.reset();
    if (widths >= kSqueezeLookback && width_min.value() > 0) {
      width_ratio = width / width_min.value();
    }
  }
}

std::optional<int> TimeframeState::trend() const {
  if (!ema21.ready() || !last) return std::nullopt;
  const double c = last->close, f = ema9.value(), s = ema21.value();
  if (f > s && c > s) return 1;
  if (f < s && c < s) return -1;
  return 0;
}

SymbolContext::SymbolContext(double squeeze_ratio)
    : squeeze_ratio_(squeeze_ratio),
      states_{TimeframeState(false), TimeframeState(true), TimeframeState(true),
              TimeframeState(true), TimeframeState(true)},
      aggregators_{market::TimeframeAggregator(Timeframe::kM5),
                   market::TimeframeAggregator(Timeframe::kM15),
                   market::TimeframeAggregator(Timeframe::kH1),
                   market::TimeframeAggregator(Timeframe::kH4)} {}

void SymbolContext::Complete(Timeframe t, const market::Bar& bar) {
  TimeframeState& st = states_[Index(t)];
  st.Update(bar);
  completed_[Index(t)] = true;
  if (st.width_ratio && *st.width_ratio <= squeeze_ratio_) st.last_squeeze_bar = st.bars;
  if (t == Timeframe::kM5) {
    m5_bars_.push_back({bar.time, bar.high, bar.low});
    if (m5_bars_.size() > kSwingBars) m5_bars_.pop_front();
  } else if (t == Timeframe::kM15) {
    m15_closes_.emplace_back(bar.time, bar.close);
    if (m15_closes_.size() > kReturnBars + 1) m15_closes_.pop_front();
  }
}

void SymbolContext::Add(const market::Bar& m1) {
  completed_.fill(false);
  Complete(Timeframe::kM1, m1);
  static constexpr std::array<Timeframe, 4> kHigher = {Timeframe::kM5, Timeframe::kM15,
                                                       Timeframe::kH1, Timeframe::kH4};
  for (std::size_t i = 0; i < kHigher.size(); ++i) {
    const Timeframe t = kHigher[i];
    market::TimeframeAggregator& agg = aggregators_[i];
    if (auto closed = agg.Add(m1)) Complete(t, *closed);
    const TimeMs end = market::TimeframeAggregator::BucketOf(t, m1.time) + market::TimeframeMs(t);
    if (m1.time + market::TimeframeMs(Timeframe::kM1) == end) {
      if (auto closed = agg.Flush()) Complete(t, *closed);
    }
  }
}

}  // namespace bitten::venom
