// Shared test fixtures: the EA's fill record for a mission as the HUD API shows it (JSON with side,
// lots, entry, sl, tp), filled at the entry with fixed order/deal/position numbers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "bridge/codec.h"
#include "market/types.h"

namespace bitten::testing {

inline bridge::ResultRecord FillOf(const nlohmann::json& mission, const std::string& terminal,
                                   const std::string& fire_id, std::int64_t seq, TimeMs time) {
  bridge::ResultRecord fill;
  fill.seq = seq;
  fill.type = bridge::ResultType::kFill;
  fill.terminal = terminal;
  fill.fire_id = fire_id;
  fill.mission_id = mission.value("mission_id", "");
  fill.retcode = 10009;
  fill.order = fill.position = 512331;
  fill.deal = 498812;
  fill.symbol = mission.value("symbol", "EURUSD");
  fill.side = mission["side"] == "BUY" ? market::Side::kBuy : market::Side::kSell;
  fill.volume = mission["lots"];
  fill.price = mission["entry"];
  fill.sl = mission["sl"];
  fill.tp = mission["tp"];
  fill.time = time;
  return fill;
}

}  // namespace bitten::testing
