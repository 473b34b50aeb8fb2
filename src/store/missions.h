// Missions in the store (table missions): one row per user per signal. Queried columns (ids,
// status, times) are columns; the rest of the mission (prices, sizing, briefing, ...) is JSON.
// Writes take a Txn, reads any connection; errors name the file ("mission_not_found",
// "store_conflict", "store_corrupt" for a row this binary cannot read, "store_sql"). The signal and
// user a mission names must already be stored (foreign keys). Same thread rules as the connection
// used.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/writer.h"

namespace bitten::store {

// Inserts every mission with one prepared statement (a fan-out of 100k rows runs in one work).
// The JSON members a signal's missions share (symbol .. tp_pips) are rendered once per run of
// missions with the same values; the row text is the same as rendering each row in full. Any
// failure fails the whole call, naming the mission (the Writer then rolls the work back to its
// savepoint).
Status InsertMissions(Txn& txn, const std::vector<missions::Mission>& missions);
// Sets the status of one mission; "mission_not_found" when there is none.
Status SetMissionStatus(Txn& txn, std::string_view mission_id, missions::MissionStatus status);
// Compare-and-set: moves the mission to `next` only if it is in `expected`. True when it moved.
Result<bool> CompareAndSetMissionStatus(Txn& txn, std::string_view mission_id,
                                        missions::MissionStatus expected,
                                        missions::MissionStatus next);

Result<std::optional<missions::Mission>> GetMission(const Database& db,
                                                    std::string_view mission_id);
// The same read inside a writer work, through its cached statement.
Result<std::optional<missions::Mission>> GetMission(Txn& txn, std::string_view mission_id);
// A user's missions in one status (or every status when nullopt), newest first.
Result<std::vector<missions::Mission>> ListMissionsByUser(
    const Database& db, std::string_view user_id,
    std::optional<missions::MissionStatus> status = std::nullopt);
// The missions built from one signal, oldest first.
Result<std::vector<missions::Mission>> ListMissionsBySignal(const Database& db,
                                                            std::string_view signal_id);
// Every mission not yet in a terminal status (missions::IsTerminal), oldest first: what the core
// reloads at startup.
Result<std::vector<missions::Mission>> ListLiveMissions(const Database& db);
// The missions of every fire in `fire_status`, in no particular order.
Result<std::vector<missions::Mission>> ListMissionsOfFiresInStatus(
    const Database& db, missions::FireStatus fire_status);
// The live statuses of ARCHITECTURE "Mission lifecycle" (missions::IsTerminal is false for these),
// as an SQL list.
inline constexpr const char* kLiveMissionStatusesSql =
    "('pending', 'fired', 'delivered', 'undelivered', 'filled')";
// Every mission in a terminal status created at or after `since`, grouped by user (user_id order),
// each user's newest first: the day's finished missions the core reloads at startup (with
// ListLiveMissions), through the index missions_created instead of each user's whole history.
Result<std::vector<missions::Mission>> ListFinishedMissionsCreatedSince(const Database& db,
                                                                        TimeMs since);

}  // namespace bitten::store
