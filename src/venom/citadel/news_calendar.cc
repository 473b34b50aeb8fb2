#include "venom/citadel/news_calendar.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "market/reader.h"

namespace bitten::venom::citadel {

namespace {

constexpr TimeMs kDayMs = 86'400'000;

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "YYYY-MM-DD HH:MM[:SS][Z]" or with 'T'.
std::optional<TimeMs> ParseTime(std::string_view s) {
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  if (s.size() != 16 && s.size() != 19) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':') {
    return std::nullopt;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!ParseInt(s.substr(0, 4), y) || !ParseInt(s.substr(5, 2), mo) ||
      !ParseInt(s.substr(8, 2), d) || !ParseInt(s.substr(11, 2), h) ||
      !ParseInt(s.substr(14, 2), mi)) {
    return std::nullopt;
  }
  if (s.size() == 19 && (s[16] != ':' || !ParseInt(s.substr(17, 2), sec))) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return market::CivilToUnixMs(y, mo, d, h, mi, sec);
}

TimeMs DayOf(TimeMs t) { return t >= 0 ? t / kDayMs * kDayMs : ((t + 1) / kDayMs - 1) * kDayMs; }

int Rank(Impact i) { return static_cast<int>(i); }

}  // namespace

Result<NewsCalendar> NewsCalendar::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("io_error", path + ": cannot open the news calendar");
  std::ostringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

Result<NewsCalendar> NewsCalendar::Parse(std::string_view text, const std::string& name) {
  NewsCalendar cal;
  int line_no = 0;
  bool header = false;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') {
      if (end == text.size()) break;
      continue;
    }
    auto bad = [&](const std::string& what) {
      return Fail("bad_data", name + ":" + std::to_string(line_no) + ": " + what);
    };
    if (!header) {
      if (line != "time_utc,currency,impact,title") {
        return bad("expected the header 'time_utc,currency,impact,title'");
      }
      header = true;
      continue;
    }
    std::string_view f[4];
    std::string_view rest = line;
    for (int i = 0; i < 3; ++i) {
      const std::size_t c = rest.find(',');
      if (c == std::string_view::npos)
        return bad("expected 4 fields: time_utc,currency,impact,title");
      f[i] = rest.substr(0, c);
      rest.remove_prefix(c + 1);
    }
    f[3] = rest;
    NewsEvent e;
    auto t = ParseTime(f[0]);
    if (!t) return bad("time_utc '" + std::string(f[0]) + "' is not YYYY-MM-DD HH:MM[:SS] (UTC)");
    e.time = *t;
    if (f[1].size() != 3 ||
        !std::all_of(f[1].begin(), f[1].end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
      return bad("currency '" + std::string(f[1]) + "' is not three capital letters");
    }
    e.currency = std::string(f[1]);
    if (f[2] == "high") {
      e.impact = Impact::kHigh;
    } else if (f[2] == "medium") {
      e.impact = Impact::kMedium;
    } else if (f[2] == "low") {
      e.impact = Impact::kLow;
    } else {
      return bad("impact '" + std::string(f[2]) + "' is not high, medium or low");
    }
    if (f[3].empty()) return bad("title is empty");
    e.title = std::string(f[3]);
    cal.events_.push_back(std::move(e));
    if (end == text.size()) break;
  }
  if (!header) return Fail("bad_data", name + ": empty news calendar (no header)");
  std::stable_sort(cal.events_.begin(), cal.events_.end(),
                   [](const NewsEvent& a, const NewsEvent& b) { return a.time < b.time; });
  if (!cal.events_.empty()) {
    cal.first_day_ = DayOf(cal.events_.front().time);
    cal.end_day_ = DayOf(cal.events_.back().time) + kDayMs;
  }
  return cal;
}

bool NewsCalendar::Covers(TimeMs t) const {
  return !events_.empty() && t >= first_day_ && t < end_day_;
}

std::optional<NewsEvent> NewsCalendar::Nearby(TimeMs t, const std::vector<std::string>& currencies,
                                              TimeMs before_ms, TimeMs after_ms) const {
  auto it = std::lower_bound(events_.begin(), events_.end(), t - after_ms,
                             [](const NewsEvent& e, TimeMs v) { return e.time < v; });
  const NewsEvent* best = nullptr;
  for (; it != events_.end() && it->time <= t + before_ms; ++it) {
    if (std::find(currencies.begin(), currencies.end(), it->currency) == currencies.end()) continue;
    if (!best || Rank(it->impact) > Rank(best->impact) ||
        (Rank(it->impact) == Rank(best->impact) &&
         std::abs(it->time - t) < std::abs(best->time - t))) {
      best = &*it;
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

}  // namespace bitten::venom::citadel
