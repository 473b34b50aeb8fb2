// ReplayFeed: a TickSource over a market data file (any format of market/reader.h).
//
// Tick files give their ticks as they are (a one-column tick file, TickData::side kBid/kAsk, gets
// the other side at the replay spread below). Bar files are synthesized into 4 quotes per bar, at
// the bar's open time +0 s, +15 s, +30 s and +59 s: the open, then the low then the high when close
// >= open (else the high then the low), then the close. The bid walks the bid OHLC and the ask
// walks the ask OHLC in the same order. A one-side bar file (kIsoBars, kHistDataM1) has no ask: the
// missing side is the given side ± a spread of ReplayOptions::spread_pips (default
// DefaultSpreadPips(symbol) of market/instrument.h). Feeding the quotes of one bar to M1Aggregator
// gives back that bar.
//
// With ReplayOptions::start_time every time is shifted by one constant offset (offset()) so that
// the first quote lands at start_time (the demo replays history at "now"). Times never decrease.
// Bar files are synthesized lazily. Not thread-safe (one consumer).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "market/feed.h"
#include "market/instrument.h"
#include "market/reader.h"

namespace bitten::market {

struct ReplayOptions {
  // Symbol of the quotes. Default: empty = from the file name (market/reader.h).
  std::string symbol;
  // Time of the first quote. Default: unset = the data's own times.
  std::optional<TimeMs> start_time;
  // Spread added to one-side bar files, in pips. Default: <= 0 = DefaultSpreadPips(symbol).
  double spread_pips = 0;
};

class ReplayFeed final : public TickSource {
 public:
  // Reads `file` (errors of ReadBars/ReadTicks, or "unknown_symbol" when a one-side bar file's
  // symbol is not in `instruments`, since its spread needs the pip size). `file` may also be a
  // `BIDFILE,ASKFILE` pair of one-side bar files (ParseDataSpec, ReadBarsPair of market/reader.h).
  static Result<ReplayFeed> Open(const std::filesystem::path& file,
                                 const ReplayOptions& options = {},
                                 const InstrumentTable& instruments = InstrumentTable::Defaults());
  static ReplayFeed FromTicks(TickData ticks, std::optional<TimeMs> start_time = std::nullopt);
  // `spread_price`: the absolute price distance added for one-side files (ignored for kBidAsk).
  static ReplayFeed FromBars(BarData bars, double spread_price,
                             std::optional<TimeMs> start_time = std::nullopt);

  std::optional<Tick> Next() override;

  // Added to every data time (0 without start_time).
  TimeMs offset() const { return offset_; }
  // Number of quotes this feed delivers in total.
  std::size_t size() const;

 private:
  ReplayFeed() = default;
  Tick QuoteOfBar(const Bar& b, int phase) const;

  std::vector<Tick> ticks_;
  BarData bars_;
  bool from_bars_ = false;
  double spread_price_ = 0;
  TimeMs offset_ = 0;
  std::size_t index_ = 0;
  int phase_ = 0;
};

}  // namespace bitten::market
