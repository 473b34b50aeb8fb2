// How many missions of one signal are in each status, without reading the missions themselves.
//
// The group alert's "fired / filled" counts (app/core.cc QueueAlertEdit) need only the statuses of
// a signal's missions; reading and parsing every mission (ListMissionsBySignal) costs a JSON parse
// per user, and a signal fanned out to 100,000 users has 100,000 of them. This is one aggregate
// query over the missions_signal index. Stateless; use it from the thread that owns `db`.
#pragma once

#include <map>
#include <string_view>

#include "base/error.h"
#include "missions/types.h"
#include "store/db.h"

namespace bitten::store {

// Missions of `signal_id` by status (statuses with no mission are absent). A status text this
// binary does not know is an error naming the signal.
Result<std::map<missions::MissionStatus, int>> CountMissionsBySignal(const Database& db,
                                                                     std::string_view signal_id);

}  // namespace bitten::store
