// The Signal: what VENOM emits and every later stage consumes (CONTRACTS §1). Prices are absolute
// at the instrument's digits; distances in pips; confidence 0–100 from deterministic sub-scores;
// the shield (CITADEL) verdict travels with it. signal_hash is the SHA-256 of the canonical content
// and is emitted at most once (the store enforces it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "market/types.h"

namespace bitten::venom {

enum class SignalClass { kRapidAssault, kPrecisionStrike };
std::string_view ToString(SignalClass c);  // "RAPID_ASSAULT" / "PRECISION_STRIKE"
std::optional<SignalClass> ParseSignalClass(std::string_view s);

enum class ShieldBand { kApproved, kActive, kVolatilityZone, kUnverified };
std::string_view ToString(
    ShieldBand b);  // "SHIELD_APPROVED", "SHIELD_ACTIVE", "VOLATILITY_ZONE", "UNVERIFIED"
ShieldBand BandForScore(double score);  // ≥8, ≥6, ≥4, <4

struct Shield {
  double score = 0;  // 0–10, one decimal
  ShieldBand band = ShieldBand::kUnverified;
  std::string explanation;  // one line per venom/citadel/shield.h, e.g. "spread 10.0 (...); ..."
  // Multiplier of the tier's risk for missions built from this signal, per band (options).
  double size_multiplier = 1.0;
};

struct Signal {
  std::string signal_id;  // UUIDv7
  std::string symbol;
  market::Side side = market::Side::kBuy;
  SignalClass signal_class = SignalClass::kRapidAssault;
  std::string setup;                 // e.g. "trend_pullback" (docs/venom.md)
  TimeMs bar_time = 0;               // open time of the M1 bar that triggered it
  double entry = 0, sl = 0, tp = 0;  // absolute prices at the instrument's digits
  int digits = 5;
  double sl_pips = 0, tp_pips = 0, spread_pips = 0;
  int confidence = 0;  // 0–100
  Shield shield;
  TimeMs created_at = 0;    // engine clock when emitted
  TimeMs expires_at = 0;    // missions built from it expire then (rule per class, docs/venom.md)
  std::string signal_hash;  // lowercase hex SHA-256 of CanonicalContent()
};

// "symbol|side|class|setup|bar_time|entry|sl|tp" with prices at `digits` decimals.
std::string CanonicalContent(const Signal& s);
std::string ComputeSignalHash(const Signal& s);

// Full JSON of every field above (the journal and the HUD payload carry it).
nlohmann::json ToJson(const Signal& s);

}  // namespace bitten::venom
