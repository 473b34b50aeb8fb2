#include "missions/types.h"

#include <array>

namespace bitten::missions {
namespace {

constexpr std::array<std::string_view, 4> kTierNames = {"PRESS_PASS", "NIBBLER", "FANG",
                                                        "COMMANDER"};
constexpr std::array<std::string_view, 10> kMissionStatusNames = {
    "pending", "fired",    "delivered", "undelivered", "filled",
    "closed",  "rejected", "expired",   "cancelled",   "failed"};
constexpr std::array<std::string_view, 8> kFireStatusNames = {
    "fired", "delivered", "undelivered", "filled", "rejected", "expired", "closed", "failed"};

template <typename E, std::size_t N>
std::optional<E> Parse(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(Tier t) { return kTierNames[static_cast<std::size_t>(t)]; }
std::optional<Tier> ParseTier(std::string_view s) { return Parse<Tier>(kTierNames, s); }

std::vector<TierRules> DefaultTierRules() {
  std::vector<TierRules> table = {
      {Tier::kPressPass, 6, 1, 1.0, 6.0, true, false, false, 101},
      {Tier::kNibbler, 6, 1, 2.0, 6.0, true, false, false, 101},
      {Tier::kFang, 10, 2, 2.0, 8.5, true, true, false, 101},
      {Tier::kCommander, 20, 5, 2.0, 10.0, true, true, true, 80},
  };
  LinkUpgradeTiers(table);
  return table;
}

bool MayFire(const TierRules& rules, venom::SignalClass c) {
  return c == venom::SignalClass::kRapidAssault ? rules.may_fire_rapid : rules.may_fire_precision;
}

void LinkUpgradeTiers(std::vector<TierRules>& table) {
  std::optional<Tier> rapid;
  std::optional<Tier> precision;
  for (const TierRules& r : table) {
    if (r.may_fire_rapid && (!rapid || r.tier < *rapid)) rapid = r.tier;
    if (r.may_fire_precision && (!precision || r.tier < *precision)) precision = r.tier;
  }
  for (TierRules& r : table) {
    r.lowest_tier_rapid = rapid;
    r.lowest_tier_precision = precision;
  }
}

std::optional<Tier> LowestTierFor(const TierRules& rules, venom::SignalClass c) {
  return c == venom::SignalClass::kRapidAssault ? rules.lowest_tier_rapid
                                                : rules.lowest_tier_precision;
}

std::string_view ToString(MissionStatus s) {
  return kMissionStatusNames[static_cast<std::size_t>(s)];
}
std::optional<MissionStatus> ParseMissionStatus(std::string_view s) {
  return Parse<MissionStatus>(kMissionStatusNames, s);
}
bool IsTerminal(MissionStatus s) {
  switch (s) {
    case MissionStatus::kPending:
    case MissionStatus::kFired:
    case MissionStatus::kDelivered:
    case MissionStatus::kUndelivered:
    case MissionStatus::kFilled:
      return false;
    default:
      return true;
  }
}

std::string_view ToString(FireStatus s) { return kFireStatusNames[static_cast<std::size_t>(s)]; }
std::optional<FireStatus> ParseFireStatus(std::string_view s) {
  return Parse<FireStatus>(kFireStatusNames, s);
}

}  // namespace bitten::missions
