#include "venom/signal.h"

#include <fmt/format.h>

#include "base/crypto.h"
#include "base/format.h"

namespace bitten::venom {

std::string_view ToString(SignalClass c) {
  return c == SignalClass::kPrecisionStrike ? "PRECISION_STRIKE" : "RAPID_ASSAULT";
}

std::optional<SignalClass> ParseSignalClass(std::string_view s) {
  if (s == "RAPID_ASSAULT") return SignalClass::kRapidAssault;
  if (s == "PRECISION_STRIKE") return SignalClass::kPrecisionStrike;
  return std::nullopt;
}

std::string_view ToString(ShieldBand b) {
  switch (b) {
    case ShieldBand::kApproved:
      return "SHIELD_APPROVED";
    case ShieldBand::kActive:
      return "SHIELD_ACTIVE";
    case ShieldBand::kVolatilityZone:
      return "VOLATILITY_ZONE";
    case ShieldBand::kUnverified:
      return "UNVERIFIED";
  }
  return "UNVERIFIED";
}

ShieldBand BandForScore(double score) {
  if (score >= 8) return ShieldBand::kApproved;
  if (score >= 6) return ShieldBand::kActive;
  if (score >= 4) return ShieldBand::kVolatilityZone;
  return ShieldBand::kUnverified;
}

std::string CanonicalContent(const Signal& s) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", s.symbol, market::ToString(s.side),
                     ToString(s.signal_class), s.setup, s.bar_time, FormatFixed(s.entry, s.digits),
                     FormatFixed(s.sl, s.digits), FormatFixed(s.tp, s.digits));
}

std::string ComputeSignalHash(const Signal& s) { return Sha256Hex(CanonicalContent(s)); }

nlohmann::json ToJson(const Signal& s) {
  return {
      {"signal_id", s.signal_id},
      {"symbol", s.symbol},
      {"side", market::ToString(s.side)},
      {"class", ToString(s.signal_class)},
      {"setup", s.setup},
      {"bar_time", s.bar_time},
      {"entry", RoundTo(s.entry, s.digits)},
      {"sl", RoundTo(s.sl, s.digits)},
      {"tp", RoundTo(s.tp, s.digits)},
      {"digits", s.digits},
      {"sl_pips", RoundTo(s.sl_pips, 1)},
      {"tp_pips", RoundTo(s.tp_pips, 1)},
      {"spread_pips", RoundTo(s.spread_pips, 1)},
      {"confidence", s.confidence},
      {"shield",
       {{"score", s.shield.score},
        {"band", ToString(s.shield.band)},
        {"explanation", s.shield.explanation},
        {"size_multiplier", s.shield.size_multiplier}}},
      {"created_at", s.created_at},
      {"expires_at", s.expires_at},
      {"signal_hash", s.signal_hash},
  };
}

}  // namespace bitten::venom
