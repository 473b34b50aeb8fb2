#include "missions/day_counters.h"

#include <algorithm>

#include "base/format.h"

namespace bitten::missions {

DayCounters::Today DayCounters::Get(const std::string& user_id, TimeMs now) const {
  const auto it = by_user_.find(user_id);
  if (it == by_user_.end() || it->second.day_start != UtcDayStart(now)) return {};
  return it->second.today;
}

double DayCounters::RealisedLossToday(const std::string& user_id, TimeMs now) const {
  return std::max(0.0, -Get(user_id, now).realised_pnl);
}

DayCounters::Entry* DayCounters::ForWrite(const std::string& user_id, TimeMs at) {
  const TimeMs day = UtcDayStart(at);
  Entry& e = by_user_[user_id];
  if (e.day_start > day) return nullptr;
  if (e.day_start < day) e = Entry{day, {}};
  return &e;
}

void DayCounters::AddFire(const std::string& user_id, TimeMs at) {
  if (Entry* e = ForWrite(user_id, at)) ++e->today.fires;
}

void DayCounters::AddRealised(const std::string& user_id, TimeMs at, double pnl) {
  if (Entry* e = ForWrite(user_id, at))
    e->today.realised_pnl = RoundTo(e->today.realised_pnl + pnl, 2);
}

void DayCounters::Restore(const std::string& user_id, TimeMs now, Today today) {
  today.realised_pnl = RoundTo(today.realised_pnl, 2);
  by_user_[user_id] = Entry{UtcDayStart(now), today};
}

void DayCounters::Prune(TimeMs now) {
  const TimeMs day = UtcDayStart(now);
  std::erase_if(by_user_, [day](const auto& kv) { return kv.second.day_start < day; });
}

}  // namespace bitten::missions
