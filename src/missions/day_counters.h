// Per-user counters of the current UTC day (CONTRACTS §2 "fires / day", "daily loss cap"): accepted
// fires and realised P&L, keyed by the UTC day (UtcDayStart). They reset at 00:00 UTC: a value
// recorded on an earlier day reads as zero, and the first write of a new day starts from zero. Net
// P&L is counted (a win today offsets a loss today); RealisedLossToday is the loss part as
// CheckFire wants it. An event for a day older than the one a user's counters hold is ignored (it
// cannot change today). Owned by the core thread (not thread-safe); on startup the core seeds it
// with Restore from the store.
#pragma once

#include <string>
#include <unordered_map>

#include "base/clock.h"

namespace bitten::missions {

class DayCounters {
 public:
  struct Today {
    int fires = 0;            // fires accepted this UTC day
    double realised_pnl = 0;  // closed P&L this UTC day, account currency, 2 decimals
  };

  // The counters of the UTC day containing `now` (zeros if nothing was recorded that day).
  Today Get(const std::string& user_id, TimeMs now) const;
  // Money lost today as a positive number: max(0, -realised_pnl).
  double RealisedLossToday(const std::string& user_id, TimeMs now) const;

  // One accepted fire at `at` (the fire's fired_at).
  void AddFire(const std::string& user_id, TimeMs at);
  // A closed position's P&L (profit + swap + commission) at `at` (the close time).
  void AddRealised(const std::string& user_id, TimeMs at, double pnl);
  // Startup: today's totals as the store counted them (replaces what is held for the user).
  void Restore(const std::string& user_id, TimeMs now, Today today);
  // Drops users whose counters are from an earlier day than `now` (memory only; reads are
  // unaffected).
  void Prune(TimeMs now);

  std::size_t size() const { return by_user_.size(); }

 private:
  struct Entry {
    TimeMs day_start = 0;
    Today today;
  };
  // The user's entry for the day of `at`, reset if it held an earlier day; nullptr if it holds a
  // later day (a late event).
  Entry* ForWrite(const std::string& user_id, TimeMs at);

  std::unordered_map<std::string, Entry> by_user_;
};

}  // namespace bitten::missions
