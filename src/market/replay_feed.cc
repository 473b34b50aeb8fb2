#include "market/replay_feed.h"

#include <utility>

namespace bitten::market {

namespace {
constexpr TimeMs kPhaseOffsetMs[4] = {0, 15'000, 30'000, 59'000};
}  // namespace

Result<ReplayFeed> ReplayFeed::Open(const std::filesystem::path& file, const ReplayOptions& options,
                                    const InstrumentTable& instruments) {
  ReadOptions ro;
  ro.symbol = options.symbol;
  // `BIDFILE,ASKFILE` (the --data form of a pair of one-side bar files).
  auto spec = ParseDataSpec(file.string());
  if (!spec) return tl::unexpected(spec.error());
  if (spec->ask_file) {
    auto pair = ReadBarsPair(spec->file, *spec->ask_file, ro);
    if (!pair) return tl::unexpected(pair.error());
    return FromBars(std::move(*pair), 0, options.start_time);
  }
  auto format = DetectFormat(file);
  if (!format) return tl::unexpected(format.error());
  if (!IsBarFormat(*format)) {
    auto ticks = ReadTicks(file, ro);
    if (!ticks) return tl::unexpected(ticks.error());
    if (ticks->side != QuoteSide::kBidAsk) {
      // A one-column tick file: the other side is the given one ± the replay spread.
      const Instrument* inst = instruments.Find(ticks->symbol);
      if (!inst) {
        return Fail("unknown_symbol",
                    file.string() + ": symbol " + ticks->symbol +
                        " is not in the instrument table (its spread needs a pip size)");
      }
      const double spread = PipsToPrice(
          *inst, options.spread_pips > 0 ? options.spread_pips : DefaultSpreadPips(ticks->symbol));
      for (Tick& t : ticks->ticks) {
        if (ticks->side == QuoteSide::kBid) {
          t.ask = t.bid + spread;
        } else {
          t.bid = t.ask - spread;
        }
      }
    }
    return FromTicks(std::move(*ticks), options.start_time);
  }
  auto bars = ReadBars(file, ro);
  if (!bars) return tl::unexpected(bars.error());
  double spread_price = 0;
  if (bars->side != QuoteSide::kBidAsk) {
    const Instrument* inst = instruments.Find(bars->symbol);
    if (!inst) {
      return Fail("unknown_symbol",
                  file.string() + ": symbol " + bars->symbol +
                      " is not in the instrument table (its spread needs a pip size)");
    }
    const double pips =
        options.spread_pips > 0 ? options.spread_pips : DefaultSpreadPips(bars->symbol);
    spread_price = PipsToPrice(*inst, pips);
  }
  return FromBars(std::move(*bars), spread_price, options.start_time);
}

ReplayFeed ReplayFeed::FromTicks(TickData ticks, std::optional<TimeMs> start_time) {
  ReplayFeed f;
  f.ticks_ = std::move(ticks.ticks);
  if (start_time && !f.ticks_.empty()) f.offset_ = *start_time - f.ticks_.front().time;
  return f;
}

ReplayFeed ReplayFeed::FromBars(BarData bars, double spread_price,
                                std::optional<TimeMs> start_time) {
  ReplayFeed f;
  f.from_bars_ = true;
  f.bars_ = std::move(bars);
  f.spread_price_ = spread_price;
  if (start_time && !f.bars_.bars.empty()) f.offset_ = *start_time - f.bars_.bars.front().time;
  return f;
}

std::size_t ReplayFeed::size() const { return from_bars_ ? bars_.bars.size() * 4 : ticks_.size(); }

Tick ReplayFeed::QuoteOfBar(const Bar& b, int phase) const {
  // Path: open, then the extreme against the bar's direction first, then the other, then close.
  const bool up = b.close >= b.open;
  auto pick = [&](double o, double h, double l, double c) {
    switch (phase) {
      case 0:
        return o;
      case 1:
        return up ? l : h;
      case 2:
        return up ? h : l;
      default:
        return c;
    }
  };
  Tick t;
  t.symbol = bars_.symbol;
  t.time = b.time + kPhaseOffsetMs[phase] + offset_;
  const double side = pick(b.open, b.high, b.low, b.close);
  switch (bars_.side) {
    case QuoteSide::kBidAsk:
      t.bid = side;
      t.ask = pick(b.ask_open, b.ask_high, b.ask_low, b.ask_close);
      break;
    case QuoteSide::kBid:
      t.bid = side;
      t.ask = side + spread_price_;
      break;
    case QuoteSide::kAsk:
      t.ask = side;
      t.bid = side - spread_price_;
      break;
  }
  return t;
}

std::optional<Tick> ReplayFeed::Next() {
  if (!from_bars_) {
    if (index_ >= ticks_.size()) return std::nullopt;
    Tick t = ticks_[index_++];
    t.time += offset_;
    return t;
  }
  if (index_ >= bars_.bars.size()) return std::nullopt;
  Tick t = QuoteOfBar(bars_.bars[index_], phase_);
  if (++phase_ == 4) {
    phase_ = 0;
    ++index_;
  }
  return t;
}

}  // namespace bitten::market
