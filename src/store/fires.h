// Fires in the store (table fires) and the one-time lock (ARCHITECTURE invariant 2):
// fires.mission_id is UNIQUE, so a mission has at most one fire row whatever the concurrency.
// InsertFire of a mission that already has a fire writes nothing and returns the existing fire
// (inserted=false): the caller answers "duplicate" and never sends a second command. Writes take a
// Txn, reads any connection; errors name the file. Same thread rules as the connection used.
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

struct FireInsert {
  bool inserted = false;  // false: the mission was already fired; `fire` is that existing fire
  missions::Fire fire;
};

// The mission must exist (foreign key). A fire_id already used by another mission fails with
// "store_conflict".
Result<FireInsert> InsertFire(Txn& txn, const missions::Fire& fire);
// Rewrites the mutable fields of fire.fire_id: status, delivered_at, fill price/volume, ticket,
// close price, profit, close reason. "fire_not_found" when there is none.
Status UpdateFire(Txn& txn, const missions::Fire& fire);

Result<std::optional<missions::Fire>> GetFire(const Database& db, std::string_view fire_id);
// The same reads inside a writer work, through its cached statements.
Result<std::optional<missions::Fire>> GetFire(Txn& txn, std::string_view fire_id);
Result<std::optional<missions::Fire>> GetFireByMission(Txn& txn, std::string_view mission_id);
Result<std::optional<missions::Fire>> GetFireByMission(const Database& db,
                                                       std::string_view mission_id);
// Fires committed but not yet claimed by their terminal (status fired or undelivered), oldest
// first: what startup redelivers (ARCHITECTURE invariant 1).
Result<std::vector<missions::Fire>> ListUndeliveredFires(const Database& db);
// Every fire in `status`, in no particular order.
Result<std::vector<missions::Fire>> ListFiresInStatus(const Database& db,
                                                      missions::FireStatus status);
// The fires of every mission not yet in a terminal status or created at or after `since`: the
// fires of the missions the core reloads at startup (store::ListLiveMissions and
// store::ListFinishedMissionsCreatedSince), read in one query instead of one per mission.
Result<std::vector<missions::Fire>> ListFiresOfLiveOrRecentMissions(const Database& db,
                                                                    TimeMs since);

}  // namespace bitten::store
