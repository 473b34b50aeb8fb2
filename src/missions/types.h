// Users, tiers, missions and fires: the plain data of the missions module (CONTRACTS §2,
// ARCHITECTURE "Mission lifecycle"). Value types; the core thread owns the live copies, the store
// persists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "market/types.h"
#include "venom/signal.h"

namespace bitten::missions {

enum class Tier { kPressPass, kNibbler, kFang, kCommander };
std::string_view ToString(Tier t);  // "PRESS_PASS", "NIBBLER", "FANG", "COMMANDER"
std::optional<Tier> ParseTier(std::string_view s);

// The rules of one tier (CONTRACTS §2 defaults; the operator's config may change every number).
struct TierRules {
  Tier tier = Tier::kPressPass;
  int fires_per_day = 6;
  int max_open = 1;
  double risk_pct = 1.0;  // % of balance risked per trade
  double daily_loss_cap_pct = 6.0;
  bool may_fire_rapid = true;       // RAPID_ASSAULT
  bool may_fire_precision = false;  // PRECISION_STRIKE
  bool auto_fire = false;
  int auto_fire_min_confidence = 101;  // auto-fire only at or above this confidence
  // The lowest tier of the whole table whose rules may fire each class (nullopt: no tier may, or
  // the table was not linked). Denormalised so that one tier's rules can name the upgrade in a
  // refusal ("upgrade to FANG"); LinkUpgradeTiers() fills them from the table. Default: unlinked.
  std::optional<Tier> lowest_tier_rapid;
  std::optional<Tier> lowest_tier_precision;
};
// Defaults for every tier, in tier order, already linked (LinkUpgradeTiers).
std::vector<TierRules> DefaultTierRules();
bool MayFire(const TierRules& rules, venom::SignalClass c);
// Fills lowest_tier_rapid / lowest_tier_precision of every entry from the whole table ("lowest" in
// Tier enum order). Call once after loading the operator's tier config.
void LinkUpgradeTiers(std::vector<TierRules>& table);
// The lowest tier that may fire class `c` as linked into `rules` (nullopt when none or unlinked).
std::optional<Tier> LowestTierFor(const TierRules& rules, venom::SignalClass c);

struct User {
  std::string user_id;           // UUIDv7
  std::int64_t telegram_id = 0;  // Telegram user id (0 = not linked yet)
  std::string name;
  Tier tier = Tier::kPressPass;
  std::string terminal_id;  // the user's MT5 terminal ("" = none)
  std::int64_t xp = 0;
  TimeMs created_at = 0;
  // Per-user halts (docs/rules.md), persisted in the store: `paused` is a temporary stop (the
  // trader's or the operator's), `killed` is the operator's kill switch for this user. Either
  // refuses every fire with "kill_switch". Default: false.
  bool paused = false;
  bool killed = false;
};

enum class MissionStatus {
  kPending,
  kFired,
  kDelivered,
  kUndelivered,
  kFilled,
  kClosed,
  kRejected,
  kExpired,
  kCancelled,
  kFailed
};
std::string_view ToString(MissionStatus s);  // "pending", "fired", ... (lowercase)
std::optional<MissionStatus> ParseMissionStatus(std::string_view s);
// pending/fired/delivered/undelivered/filled are live; the rest are terminal.
bool IsTerminal(MissionStatus s);

struct Mission {
  std::string mission_id;  // UUIDv7
  std::string signal_id;
  std::string user_id;
  std::string symbol;
  market::Side side = market::Side::kBuy;
  venom::SignalClass signal_class = venom::SignalClass::kRapidAssault;
  double entry = 0, sl = 0, tp = 0;
  int digits = 5;
  double sl_pips = 0, tp_pips = 0;
  double lots = 0;            // 0 when sizing was impossible
  double volume_step = 0.01;  // the broker's volume step the lots were rounded to (text decimals)
  double risk_money = 0;      // account currency, at the stop
  double reward_money = 0;    // account currency, at the target
  std::string account_ccy = "USD";
  TimeMs created_at = 0;
  TimeMs expires_at = 0;
  MissionStatus status = MissionStatus::kPending;
  // Why this user may not fire it ("" when it may): a CONTRACTS §4 code and the words for it.
  std::string blocked_code;
  std::string blocked_reason;
  std::string briefing;  // the DM / HUD text
};

enum class FireStatus {
  kFired,
  kDelivered,
  kUndelivered,
  kFilled,
  kRejected,
  kExpired,
  kClosed,
  kFailed
};
std::string_view ToString(FireStatus s);
std::optional<FireStatus> ParseFireStatus(std::string_view s);

struct Fire {
  std::string fire_id;  // UUIDv7
  std::string mission_id;
  std::string user_id;
  std::string terminal_id;
  FireStatus status = FireStatus::kFired;
  TimeMs fired_at = 0;
  TimeMs delivered_at = 0;
  // From the terminal's results:
  double fill_price = 0;
  double fill_volume = 0;
  std::int64_t ticket = 0;  // MT5 position ticket
  double close_price = 0;
  double profit = 0;  // profit + swap + commission, account currency
  std::string close_reason;
};

}  // namespace bitten::missions
