// The economic calendar CITADEL's news component reads (config `citadel.news_calendar`). A CSV
// file, UTF-8, one event per line, this header first:
//
//   time_utc,currency,impact,title
//   2014-05-02 12:30,USD,high,Non-Farm Payrolls
//
// time_utc: `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM:SS` (UTC, an optional trailing `Z`); currency:
// three letters (USD, EUR, JPY, GBP, XAU, ...); impact: high, medium or low; title: the rest of
// the line (may contain commas). Blank lines and lines starting with `#` are skipped. A bad line
// stops the load with an error naming the file, the line and what is wrong ("bad_data").
//
// The calendar covers the UTC days from its first event's day to its last event's day: outside
// them it knows nothing, and the news component says "insufficient data" instead of "no news".
// Immutable after loading; safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"

namespace bitten::venom::citadel {

enum class Impact { kLow, kMedium, kHigh };

struct NewsEvent {
  TimeMs time = 0;
  std::string currency;
  Impact impact = Impact::kLow;
  std::string title;
};

class NewsCalendar {
 public:
  static Result<NewsCalendar> Load(const std::string& path);
  // `name` is used in error messages in place of the file name.
  static Result<NewsCalendar> Parse(std::string_view text, const std::string& name);

  // True when `t` falls on a day the calendar covers.
  bool Covers(TimeMs t) const;
  // The most severe event (ties: the nearest in time, then the earlier) of one of `currencies` with
  // time in [t − after_ms, t + before_ms], or nullopt.
  std::optional<NewsEvent> Nearby(TimeMs t, const std::vector<std::string>& currencies,
                                  TimeMs before_ms, TimeMs after_ms) const;
  const std::vector<NewsEvent>& events() const { return events_; }

 private:
  std::vector<NewsEvent> events_;  // sorted by time
  TimeMs first_day_ = 0, end_day_ = 0;
};

}  // namespace bitten::venom::citadel
