#include "market/types.h"

namespace bitten::market {

std::string_view ToString(Side s) { return s == Side::kBuy ? "BUY" : "SELL"; }

std::optional<Side> ParseSide(std::string_view s) {
  if (s == "BUY") return Side::kBuy;
  if (s == "SELL") return Side::kSell;
  return std::nullopt;
}

TimeMs TimeframeMs(Timeframe tf) {
  switch (tf) {
    case Timeframe::kM1:
      return 60'000;
    case Timeframe::kM5:
      return 300'000;
    case Timeframe::kM15:
      return 900'000;
    case Timeframe::kH1:
      return 3'600'000;
    case Timeframe::kH4:
      return 14'400'000;
  }
  return 60'000;
}

std::string_view ToString(Timeframe tf) {
  switch (tf) {
    case Timeframe::kM1:
      return "M1";
    case Timeframe::kM5:
      return "M5";
    case Timeframe::kM15:
      return "M15";
    case Timeframe::kH1:
      return "H1";
    case Timeframe::kH4:
      return "H4";
  }
  return "M1";
}

}  // namespace bitten::market
