// Plain market data types shared by every module: quotes (ticks), bars and the trade side.
// Prices are absolute price levels (CONTRACTS §1); times are Unix ms UTC. Value types, no
// invariants beyond the comments; readers and the web layer refuse NaN/crossed/negative input
// before it gets here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace bitten::market {

enum class Side { kBuy, kSell };
std::string_view ToString(Side s);                  // "BUY" / "SELL"
std::optional<Side> ParseSide(std::string_view s);  // accepts "BUY"/"SELL" only

struct Tick {
  std::string symbol;  // BITTEN's name, e.g. "EURUSD"
  TimeMs time = 0;
  double bid = 0;
  double ask = 0;
};

enum class Timeframe { kM1, kM5, kM15, kH1, kH4 };
TimeMs TimeframeMs(Timeframe tf);
std::string_view ToString(Timeframe tf);  // "M1", "M5", ...

// One bar of one symbol. OHLC are bid prices; ask_close is the ask at the bar's close so the spread
// at the close is known. `time` is the bar's open time.
struct Bar {
  std::string symbol;
  Timeframe timeframe = Timeframe::kM1;
  TimeMs time = 0;
  double open = 0, high = 0, low = 0, close = 0;
  double ask_open = 0, ask_high = 0, ask_low = 0, ask_close = 0;
  std::int64_t ticks = 0;  // quotes aggregated into the bar (0 when read from a bar file)
};

}  // namespace bitten::market
