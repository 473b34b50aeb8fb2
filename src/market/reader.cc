#include "market/reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <system_error>
#include <utility>

namespace bitten::market {

namespace {

Result<std::string> Slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return Fail("io_error", "cannot open " + file.string());
  const std::streamoff size = in.tellg();
  if (size < 0) return Fail("io_error", "cannot size " + file.string());
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) return Fail("io_error", "cannot read " + file.string());
  // MetaTrader writes its exports as UTF-16LE with a byte order mark; the content is ASCII, so
  // keeping every other byte gives the same text in UTF-8.
  if (text.size() >= 2 && text[0] == '\xFF' && text[1] == '\xFE') {
    std::string narrow;
    narrow.reserve(text.size() / 2);
    for (std::size_t i = 2; i + 1 < text.size(); i += 2) narrow.push_back(text[i]);
    text = std::move(narrow);
  }
  return text;
}

std::string_view FirstLine(std::string_view text) {
  auto end = text.find('\n');
  std::string_view line = text.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // UTF-8 byte order mark.
  if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  return line;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int TwoDigits(std::string_view s, std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); }

// The whole of `s` as a double; false when it is not a number. Plain decimals of at most 15
// significant digits ("1.38676", "120", "-0.5") take Clinger's fast path: the digits as an exact
// integer divided by an exact power of ten, one correctly rounded operation, so the result is
// bit-identical to std::from_chars. Anything else (exponents, long mantissas) goes to from_chars.
bool ParseDouble(std::string_view s, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = s.data();
  const char* const end = p + s.size();
  const bool neg = p != end && *p == '-';
  if (neg) ++p;
  std::uint64_t mant = 0;
  int digits = 0, frac = 0;
  bool any = false;
  while (p != end && *p >= '0' && *p <= '9') {
    mant = mant * 10 + static_cast<unsigned>(*p - '0');
    if (mant != 0) ++digits;
    any = true;
    ++p;
  }
  if (p != end && *p == '.') {
    ++p;
    while (p != end && *p >= '0' && *p <= '9') {
      mant = mant * 10 + static_cast<unsigned>(*p - '0');
      if (mant != 0) ++digits;
      ++frac;
      any = true;
      ++p;
    }
  }
  if (p == end && any && digits <= 15 && frac <= 22) {
    const double v = static_cast<double>(mant) / kPow10[frac];
    out = neg ? -v : v;
    return true;
  }
  auto [q, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && q == end && !s.empty();
}

// --- Header analysis of the named-column formats -------------------------------------------

enum class Role {
  kIgnore,
  kDateTime,   // a full date and time, or epoch seconds/ms
  kDate,       // the date part when a separate time column exists
  kTimeOfDay,  // the time part
  kOpen,
  kHigh,
  kLow,
  kClose,
  kAskOpen,
  kAskHigh,
  kAskLow,
  kAskClose,
  kBid,
  kAsk,
};

struct Columns {
  char sep = ',';
  std::vector<Role> roles;
  std::vector<std::string> names;  // as written in the header, for messages
  bool bars = false;
  // kBidAsk when both sides are present; kBid / kAsk when the header names the side of a one-side
  // file (bid_open... / ask_open..., or a lone bid or ask tick column); nullopt when it does not.
  std::optional<QuoteSide> side;
  bool mt5 = false;      // `<DATE>` style header
  bool mt5_csv = false;  // time,...,tick_volume / spread
};

std::string Normalize(std::string_view raw) {
  std::string n;
  for (char c : raw) {
    if (c == '<' || c == '>' || c == '"' || c == '\'' || c == ' ' || c == '\t') continue;
    n.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c));
  }
  return n;
}

// 0..3 for open/high/low/close, -1 otherwise.
int PriceIndex(std::string_view n) {
  if (n == "open" || n == "o") return 0;
  if (n == "high" || n == "h") return 1;
  if (n == "low" || n == "l") return 2;
  if (n == "close" || n == "c") return 3;
  return -1;
}

std::optional<Columns> AnalyzeHeader(std::string_view line) {
  Columns c;
  if (line.find('\t') != std::string_view::npos) {
    c.sep = '\t';
  } else if (line.find(';') != std::string_view::npos && line.find(',') == std::string_view::npos) {
    c.sep = ';';
  }
  c.mt5 = !line.empty() && line.front() == '<';
  int date_col = -1, time_col = -1, datetime_col = -1;
  bool side_bid[4] = {}, side_ask[4] = {}, plain[4] = {};
  bool bid = false, ask = false, mt5_extra = false;
  std::size_t pos = 0;
  while (true) {
    auto end = line.find(c.sep, pos);
    std::string_view raw = line.substr(pos, end == std::string_view::npos ? end : end - pos);
    const std::string n = Normalize(raw);
    const int col = static_cast<int>(c.roles.size());
    Role r = Role::kIgnore;
    auto side_price = [&](std::string_view rest, bool is_ask) {
      const int k = PriceIndex(rest);
      if (k < 0) return false;
      r = is_ask ? static_cast<Role>(static_cast<int>(Role::kAskOpen) + k)
                 : static_cast<Role>(static_cast<int>(Role::kOpen) + k);
      (is_ask ? side_ask : side_bid)[k] = true;
      return true;
    };
    if (n == "timestamp" || n == "datetime" || n == "date_time" || n == "time_utc" ||
        n == "gmttime" || n == "localtime" || n == "dt") {
      datetime_col = col;
    } else if (n == "date" || n == "day") {
      date_col = col;
    } else if (n == "time") {
      time_col = col;
    } else if (n == "bid") {
      r = Role::kBid, bid = true;
    } else if (n == "ask") {
      r = Role::kAsk, ask = true;
    } else if (const int k = PriceIndex(n); k >= 0) {
      r = static_cast<Role>(static_cast<int>(Role::kOpen) + k);
      plain[k] = true;
    } else if (n.starts_with("bid_") && side_price(std::string_view(n).substr(4), false)) {
    } else if (n.starts_with("ask_") && side_price(std::string_view(n).substr(4), true)) {
    } else if (n.starts_with("bid") && side_price(std::string_view(n).substr(3), false)) {
    } else if (n.starts_with("ask") && side_price(std::string_view(n).substr(3), true)) {
    } else if (n == "tick_volume" || n == "spread" || n == "real_volume") {
      mt5_extra = true;
    }
    c.roles.push_back(r);
    c.names.emplace_back(raw);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  // Time columns: a date and a time column, or one column holding both.
  if (datetime_col >= 0) {
    c.roles[static_cast<std::size_t>(datetime_col)] = Role::kDateTime;
  } else if (date_col >= 0 && time_col >= 0) {
    c.roles[static_cast<std::size_t>(date_col)] = Role::kDate;
    c.roles[static_cast<std::size_t>(time_col)] = Role::kTimeOfDay;
  } else if (time_col >= 0) {
    c.roles[static_cast<std::size_t>(time_col)] = Role::kDateTime;
  } else if (date_col >= 0) {
    c.roles[static_cast<std::size_t>(date_col)] = Role::kDateTime;
  } else {
    return std::nullopt;
  }
  auto all = [](const bool* f) { return f[0] && f[1] && f[2] && f[3]; };
  auto any = [](const bool* f) { return f[0] || f[1] || f[2] || f[3]; };
  if (any(plain) || any(side_bid) || any(side_ask)) {
    c.bars = true;
    const bool p = all(plain), sb = all(side_bid), sa = all(side_ask);
    if (p && !any(side_bid) && !any(side_ask)) {
      c.side = std::nullopt;
    } else if (sb && sa && !any(plain)) {
      c.side = QuoteSide::kBidAsk;
    } else if (sb && !any(side_ask) && !any(plain)) {
      c.side = QuoteSide::kBid;
    } else if (sa && !any(side_bid) && !any(plain)) {
      // One ask-side file: its prices go where one-side prices live (open..close).
      for (Role& r : c.roles) {
        if (r >= Role::kAskOpen && r <= Role::kAskClose) {
          r = static_cast<Role>(static_cast<int>(r) - 4);
        }
      }
      c.side = QuoteSide::kAsk;
    } else {
      return std::nullopt;  // incomplete or mixed OHLC columns
    }
  } else if (bid || ask) {
    c.bars = false;
    if (bid && ask) {
      c.side = QuoteSide::kBidAsk;
    } else {
      c.side = bid ? QuoteSide::kBid : QuoteSide::kAsk;
    }
  } else {
    return std::nullopt;
  }
  c.mt5_csv = !c.mt5 && mt5_extra && c.bars && time_col >= 0 && datetime_col < 0 && date_col < 0;
  return c;
}

std::optional<DataFormat> FormatOfFirstLine(std::string_view line) {
  if (line.starts_with("date_utc,ms_since_midnight_utc,")) {
    if (line.find("bid_open") != std::string_view::npos) return DataFormat::kLeanBars;
    if (line.ends_with(",bid,ask")) return DataFormat::kLeanTicks;
    return std::nullopt;
  }
  if (line == "timestamp,open,high,low,close") return DataFormat::kIsoBars;
  if (line == "timestamp,bid,ask") return DataFormat::kIsoTicks;
  if (line.size() > 16 && AllDigits(line.substr(0, 8)) && line[8] == ' ') {
    if (AllDigits(line.substr(9, 6)) && line[15] == ';') return DataFormat::kHistDataM1;
    if (line.size() > 19 && AllDigits(line.substr(9, 9)) && line[18] == ',') {
      return DataFormat::kHistDataTicks;
    }
    return std::nullopt;
  }
  auto cols = AnalyzeHeader(line);
  if (!cols) return std::nullopt;
  if (cols->mt5) return cols->bars ? DataFormat::kMt5Bars : DataFormat::kMt5Ticks;
  if (cols->mt5_csv) return DataFormat::kMt5Csv;
  return cols->bars ? DataFormat::kCsvBars : DataFormat::kCsvTicks;
}

bool HasHeader(DataFormat f) {
  return f != DataFormat::kHistDataM1 && f != DataFormat::kHistDataTicks;
}

bool IsHistData(DataFormat f) {
  return f == DataFormat::kHistDataM1 || f == DataFormat::kHistDataTicks;
}

bool IsLean(DataFormat f) { return f == DataFormat::kLeanBars || f == DataFormat::kLeanTicks; }

TimeMs TzMs(const ReadOptions& o, DataFormat f) {
  const int minutes = o.tz_offset_minutes ? *o.tz_offset_minutes : (IsHistData(f) ? -300 : 0);
  return static_cast<TimeMs>(minutes) * 60'000;
}

Result<std::string> SymbolFor(const std::filesystem::path& file, const ReadOptions& options) {
  if (!options.symbol.empty()) return options.symbol;
  std::string name = file.filename().string();
  auto us = name.find('_');
  std::string prefix = name.substr(0, us);
  bool ok = us != std::string::npos && !prefix.empty();
  for (char c : prefix) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) ok = false;
  }
  if (!ok) {
    return Fail("bad_request", "cannot tell the symbol of " + file.string() +
                                   " from its name (expected e.g. EURUSD_...); pass a symbol");
  }
  return prefix;
}

QuoteSide SideFromName(const std::filesystem::path& file) {
  std::string name = file.filename().string();
  if (name.find("_ask_") != std::string::npos || name.find("_ask.") != std::string::npos) {
    return QuoteSide::kAsk;
  }
  return QuoteSide::kBid;
}

void HandleCrossed(Bar& b, CrossedRule rule, std::int64_t& crossed) {
  if (b.ask_close < b.close) ++crossed;
  if (rule == CrossedRule::kClamp) {
    b.ask_open = std::max(b.ask_open, b.open);
    b.ask_high = std::max(b.ask_high, b.high);
    b.ask_low = std::max(b.ask_low, b.low);
    b.ask_close = std::max(b.ask_close, b.close);
  }
}

void HandleCrossed(Tick& t, CrossedRule rule, std::int64_t& crossed) {
  if (t.ask < t.bid) {
    ++crossed;
    if (rule == CrossedRule::kClamp) t.ask = t.bid;
  }
}

// One line being parsed; every failure names the file and line.
class LineParser {
 public:
  LineParser(const std::string& file, std::int64_t line_no, std::string_view line)
      : file_(file), line_no_(line_no), line_(line), rest_(line) {}

  std::string_view line() const { return line_; }

  // The text up to the next `sep` (or the end), consumed with the separator.
  Result<std::string_view> Field(char sep, const char* what) {
    if (done_) return Error(std::string("missing field ") + what);
    // A plain loop: fields are a few characters long, shorter than memchr's set-up.
    std::size_t pos = 0;
    while (pos < rest_.size() && rest_[pos] != sep) ++pos;
    if (pos == rest_.size()) pos = std::string_view::npos;
    std::string_view f = rest_.substr(0, pos);
    if (pos == std::string_view::npos) {
      done_ = true;
      rest_ = {};
    } else {
      rest_.remove_prefix(pos + 1);
    }
    return f;
  }

  Result<double> Price(char sep, const char* what) {
    auto f = Field(sep, what);
    if (!f) return tl::unexpected(f.error());
    double v = 0;
    if (!ParseDouble(*f, v)) {
      return Error(std::string(what) + " is not a number: '" + std::string(*f) + "'");
    }
    if (!std::isfinite(v) || v <= 0) {
      return Error(std::string(what) + " must be a positive price: '" + std::string(*f) + "'");
    }
    return v;
  }

  Result<double> Number(char sep, const char* what) {
    auto f = Field(sep, what);
    if (!f) return tl::unexpected(f.error());
    double v = 0;
    if (!ParseDouble(*f, v) || !std::isfinite(v)) {
      return Error(std::string(what) + " is not a number: '" + std::string(*f) + "'");
    }
    return v;
  }

  // Fixed-width digits at the start of `s`.
  Result<int> Digits(std::string_view s, std::size_t pos, std::size_t n, const char* what) {
    if (pos + n > s.size() || !AllDigits(s.substr(pos, n))) {
      return Error(std::string("bad ") + what + " in '" + std::string(s) + "'");
    }
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  }

  Result<TimeMs> YyyyMmDd(std::string_view s) {
    if (s.size() != 8 || !AllDigits(s)) return Error("bad date '" + std::string(s) + "'");
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[4] - '0') * 10 + (s[5] - '0');
    int d = (s[6] - '0') * 10 + (s[7] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31) return Error("bad date '" + std::string(s) + "'");
    return CivilToUnixMs(y, m, d);
  }

  // A date: YYYY-MM-DD, YYYY.MM.DD, YYYY/MM/DD or YYYYMMDD. Returns the length consumed (0: none).
  static std::size_t ParseDate(std::string_view s, TimeMs& day) {
    int y = 0, m = 0, d = 0;
    std::size_t n = 0;
    if (s.size() >= 10 && AllDigits(s.substr(0, 4)) &&
        (s[4] == '-' || s[4] == '.' || s[4] == '/') && s[7] == s[4] && AllDigits(s.substr(5, 2)) &&
        AllDigits(s.substr(8, 2))) {
      y = TwoDigits(s, 0) * 100 + TwoDigits(s, 2);
      m = TwoDigits(s, 5);
      d = TwoDigits(s, 8);
      n = 10;
    } else if (s.size() >= 8 && AllDigits(s.substr(0, 8)) &&
               (s.size() == 8 || !std::isdigit(static_cast<unsigned char>(s[8])))) {
      y = TwoDigits(s, 0) * 100 + TwoDigits(s, 2);
      m = TwoDigits(s, 4);
      d = TwoDigits(s, 6);
      n = 8;
    } else {
      return 0;
    }
    if (m < 1 || m > 12 || d < 1 || d > 31) return 0;
    day = CivilToUnixMs(y, m, d);
    return n;
  }

  // A time of day HH:MM[:SS[.fff...]] with an optional offset (Z, +HH:MM, +HHMM). Returns false
  // when malformed; `offset` is set when the text carries one.
  static bool ParseClock(std::string_view s, TimeMs& ms, std::optional<TimeMs>& offset) {
    if (s.size() < 5 || s[2] != ':' || !AllDigits(s.substr(0, 2)) || !AllDigits(s.substr(3, 2))) {
      return false;
    }
    const int hh = TwoDigits(s, 0), mm = TwoDigits(s, 3);
    int ss = 0, frac = 0;
    std::size_t i = 5;
    if (i < s.size() && s[i] == ':') {
      if (s.size() < 8 || !AllDigits(s.substr(6, 2))) return false;
      ss = TwoDigits(s, 6);
      i = 8;
      if (i < s.size() && s[i] == '.') {
        ++i;
        int n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (n < 3) frac = frac * 10 + (s[i] - '0');
          ++n;
          ++i;
        }
        if (n == 0) return false;
        for (int k = n; k < 3; ++k) frac *= 10;
      }
    }
    if (hh > 23 || mm > 59 || ss > 60) return false;
    ms = ((hh * 60 + mm) * 60 + ss) * 1000LL + frac;
    if (i == s.size()) return true;
    if (s[i] == 'Z' && i + 1 == s.size()) {
      offset = 0;
      return true;
    }
    if (s[i] != '+' && s[i] != '-') return false;
    std::string_view o = s.substr(i + 1);
    int oh = 0, om = 0;
    if (o.size() == 5 && o[2] == ':' && AllDigits(o.substr(0, 2)) && AllDigits(o.substr(3, 2))) {
      oh = TwoDigits(o, 0), om = TwoDigits(o, 3);
    } else if (o.size() == 4 && AllDigits(o)) {
      oh = TwoDigits(o, 0), om = TwoDigits(o, 2);
    } else if (o.size() == 2 && AllDigits(o)) {
      oh = TwoDigits(o, 0);
    } else {
      return false;
    }
    const TimeMs off = (oh * 60 + om) * 60'000LL;
    offset = s[i] == '+' ? off : -off;
    return true;
  }

  // A full time value: epoch seconds (fraction allowed) or epoch ms (12+ integer digits), or a date
  // followed by ' ' or 'T' and a clock, or a date alone. Local times are shifted by `tz` (ms east
  // of UTC) unless the text has its own offset.
  Result<TimeMs> DateTime(std::string_view s, TimeMs tz, const std::string& what) {
    auto bad = [&] { return Error("bad " + what + " '" + std::string(s) + "'"); };
    TimeMs day = 0;
    const std::size_t n = ParseDate(s, day);
    if (n == 0 || (n == 8 && s.size() > 8 && s[8] == '.')) {
      // Epoch number.
      const auto dot = s.find('.');
      const std::string_view ip = s.substr(0, dot);
      if (!AllDigits(ip)) return bad();
      std::int64_t v = 0;
      std::from_chars(ip.data(), ip.data() + ip.size(), v);
      if (ip.size() >= 12) return v - tz;  // milliseconds
      TimeMs t = v * 1000;
      if (dot != std::string_view::npos) {
        std::string_view fp = s.substr(dot + 1);
        if (!AllDigits(fp)) return bad();
        int frac = 0, k = 0;
        for (; k < 3 && k < static_cast<int>(fp.size()); ++k)
          frac = frac * 10 + (fp[static_cast<std::size_t>(k)] - '0');
        for (; k < 3; ++k) frac *= 10;
        t += frac;
      }
      return t - tz;
    }
    if (n == s.size()) return day - tz;
    if (s[n] != ' ' && s[n] != 'T') return bad();
    TimeMs ms = 0;
    std::optional<TimeMs> off;
    if (!ParseClock(s.substr(n + 1), ms, off)) return bad();
    return day + ms - (off ? *off : tz);
  }

  // A date column and a time column.
  Result<TimeMs> DateAndClock(std::string_view date, std::string_view clock, TimeMs tz) {
    TimeMs day = 0;
    if (ParseDate(date, day) != date.size()) return Error("bad date '" + std::string(date) + "'");
    TimeMs ms = 0;
    std::optional<TimeMs> off;
    if (!ParseClock(clock, ms, off)) return Error("bad time '" + std::string(clock) + "'");
    return day + ms - (off ? *off : tz);
  }

  Status End() {
    if (!done_) return Error("unexpected extra fields '" + std::string(rest_) + "'");
    return Ok();
  }

  tl::unexpected<bitten::Error> Error(const std::string& what) const {
    return Fail("bad_data", file_ + ":" + std::to_string(line_no_) + ": " + what);
  }

 private:
  const std::string& file_;
  std::int64_t line_no_;
  std::string_view line_;
  std::string_view rest_;
  bool done_ = false;
};

#define BITTEN_TRY(var, expr)                           \
  auto var##_r = (expr);                                \
  if (!var##_r) return tl::unexpected(var##_r.error()); \
  auto var = *var##_r

// Calls fn(parser) for each non-empty data line (after the header when `header`).
template <typename Fn>
Status ForEachLine(const std::string& file, std::string_view text, bool header, Fn&& fn) {
  std::int64_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && header) continue;
    if (line.empty()) continue;
    LineParser p(file, line_no, line);
    Status st = fn(p);
    if (!st) return st;
  }
  return Ok();
}

// Fast paths for the Lean layouts (the big files): plain bool parsing without building a Result
// per field. They accept exactly what the checked parsers accept; when one returns false the
// checked parser runs on the same line to name the problem.
class Cursor {
 public:
  explicit Cursor(std::string_view line) : p_(line.data()), end_(line.data() + line.size()) {}
  bool Next(std::string_view& f) {
    if (done_) return false;
    const char* q = p_;
    while (q != end_ && *q != ',') ++q;
    f = std::string_view(p_, static_cast<std::size_t>(q - p_));
    if (q == end_) {
      done_ = true;
    } else {
      p_ = q + 1;
    }
    return true;
  }
  bool Price(double& v) {
    std::string_view f;
    return Next(f) && ParseDouble(f, v) && std::isfinite(v) && v > 0;
  }
  bool Number(double& v) {
    std::string_view f;
    return Next(f) && ParseDouble(f, v) && std::isfinite(v);
  }
  bool AtEnd() const { return done_; }

 private:
  const char* p_;
  const char* end_;
  bool done_ = false;
};

// YYYYMMDD -> Unix ms of its midnight, remembering the last date (rows of one day repeat it).
class DayCache {
 public:
  bool Get(std::string_view s, TimeMs& day) {
    if (s.size() != 8) return false;
    if (valid_ && s == std::string_view(key_, 8)) {
      day = day_;
      return true;
    }
    if (!AllDigits(s)) return false;
    const int y = TwoDigits(s, 0) * 100 + TwoDigits(s, 2), m = TwoDigits(s, 4), d = TwoDigits(s, 6);
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    std::copy(s.begin(), s.end(), key_);
    day_ = day = CivilToUnixMs(y, m, d);
    valid_ = true;
    return true;
  }

 private:
  char key_[8] = {};
  TimeMs day_ = 0;
  bool valid_ = false;
};

bool FastLeanBar(std::string_view line, const std::string& symbol, DayCache& days, Bar& b) {
  Cursor c(line);
  std::string_view date;
  TimeMs day = 0;
  double ms = 0, size = 0;
  if (!c.Next(date) || !days.Get(date, day) || !c.Number(ms)) return false;
  if (!c.Price(b.open) || !c.Price(b.high) || !c.Price(b.low) || !c.Price(b.close) ||
      !c.Number(size) || !c.Price(b.ask_open) || !c.Price(b.ask_high) || !c.Price(b.ask_low) ||
      !c.Price(b.ask_close) || !c.Number(size) || !c.AtEnd()) {
    return false;
  }
  b.symbol = symbol;
  b.time = day + static_cast<TimeMs>(std::floor(ms));
  return true;
}

bool FastLeanTick(std::string_view line, const std::string& symbol, DayCache& days, Tick& t) {
  Cursor c(line);
  std::string_view date;
  TimeMs day = 0;
  double ms = 0;
  if (!c.Next(date) || !days.Get(date, day) || !c.Number(ms) || !c.Price(t.bid) ||
      !c.Price(t.ask) || !c.AtEnd()) {
    return false;
  }
  t.symbol = symbol;
  t.time = day + static_cast<TimeMs>(std::floor(ms));
  return true;
}

Status ParseLeanBar(LineParser& p, const std::string& symbol, Bar& b) {
  BITTEN_TRY(date, p.Field(',', "date_utc"));
  BITTEN_TRY(day, p.YyyyMmDd(date));
  BITTEN_TRY(ms, p.Number(',', "ms_since_midnight_utc"));
  b.symbol = symbol;
  b.time = day + static_cast<TimeMs>(std::floor(ms));
  BITTEN_TRY(bo, p.Price(',', "bid_open"));
  BITTEN_TRY(bh, p.Price(',', "bid_high"));
  BITTEN_TRY(bl, p.Price(',', "bid_low"));
  BITTEN_TRY(bc, p.Price(',', "bid_close"));
  BITTEN_TRY(bs, p.Number(',', "last_bid_size"));
  BITTEN_TRY(ao, p.Price(',', "ask_open"));
  BITTEN_TRY(ah, p.Price(',', "ask_high"));
  BITTEN_TRY(al, p.Price(',', "ask_low"));
  BITTEN_TRY(ac, p.Price(',', "ask_close"));
  BITTEN_TRY(as, p.Number(',', "last_ask_size"));
  (void)bs;
  (void)as;
  b.open = bo, b.high = bh, b.low = bl, b.close = bc;
  b.ask_open = ao, b.ask_high = ah, b.ask_low = al, b.ask_close = ac;
  return p.End();
}

Status ParseHistDataBar(LineParser& p, const std::string& symbol, TimeMs tz, Bar& b) {
  b.symbol = symbol;
  const char sep = ';';
  // "YYYYMMDD HHMMSS" in local (EST) time.
  BITTEN_TRY(ts, p.Field(sep, "timestamp"));
  if (ts.size() != 15 || ts[8] != ' ') return p.Error("bad timestamp '" + std::string(ts) + "'");
  BITTEN_TRY(day, p.YyyyMmDd(ts.substr(0, 8)));
  BITTEN_TRY(hh, p.Digits(ts, 9, 2, "hour"));
  BITTEN_TRY(mm, p.Digits(ts, 11, 2, "minute"));
  BITTEN_TRY(ss, p.Digits(ts, 13, 2, "second"));
  b.time = day + ((hh * 60 + mm) * 60 + ss) * 1000LL - tz;
  BITTEN_TRY(o, p.Price(sep, "open"));
  BITTEN_TRY(h, p.Price(sep, "high"));
  BITTEN_TRY(l, p.Price(sep, "low"));
  BITTEN_TRY(c, p.Price(sep, "close"));
  BITTEN_TRY(v, p.Number(sep, "volume"));
  (void)v;
  b.open = b.ask_open = o;
  b.high = b.ask_high = h;
  b.low = b.ask_low = l;
  b.close = b.ask_close = c;
  return p.End();
}

Status ParseLeanOrHistTick(LineParser& p, DataFormat f, const std::string& symbol, TimeMs tz,
                           Tick& t) {
  t.symbol = symbol;
  if (f == DataFormat::kLeanTicks) {
    BITTEN_TRY(date, p.Field(',', "date_utc"));
    BITTEN_TRY(day, p.YyyyMmDd(date));
    BITTEN_TRY(ms, p.Number(',', "ms_since_midnight_utc"));
    t.time = day + static_cast<TimeMs>(std::floor(ms));
  } else {
    // "YYYYMMDD HHMMSSfff" in local (EST) time.
    BITTEN_TRY(ts, p.Field(',', "timestamp"));
    if (ts.size() != 18 || ts[8] != ' ') return p.Error("bad timestamp '" + std::string(ts) + "'");
    BITTEN_TRY(day, p.YyyyMmDd(ts.substr(0, 8)));
    BITTEN_TRY(hh, p.Digits(ts, 9, 2, "hour"));
    BITTEN_TRY(mm, p.Digits(ts, 11, 2, "minute"));
    BITTEN_TRY(ss, p.Digits(ts, 13, 2, "second"));
    BITTEN_TRY(ms, p.Digits(ts, 15, 3, "millisecond"));
    t.time = day + ((hh * 60 + mm) * 60 + ss) * 1000LL + ms - tz;
  }
  BITTEN_TRY(bid, p.Price(',', "bid"));
  BITTEN_TRY(ask, p.Price(',', "ask"));
  t.bid = bid;
  t.ask = ask;
  if (f == DataFormat::kHistDataTicks) {
    BITTEN_TRY(v, p.Number(',', "volume"));
    (void)v;
  }
  return p.End();
}

// One row of a named-column file: fills the time and the prices the header names into `px`
// (indexes: Role - kOpen). Empty bid/ask fields keep the previous value when `carry` (MT5 ticks).
Status ParseColumns(LineParser& p, const Columns& c, TimeMs tz, bool carry, TimeMs& time,
                    double* px) {
  std::string_view date;
  bool have_date = false;
  for (std::size_t i = 0; i < c.roles.size(); ++i) {
    const char* name = c.names[i].c_str();
    const Role r = c.roles[i];
    switch (r) {
      case Role::kIgnore: {
        BITTEN_TRY(f, p.Field(c.sep, name));
        (void)f;
        break;
      }
      case Role::kDateTime: {
        BITTEN_TRY(f, p.Field(c.sep, name));
        BITTEN_TRY(t, p.DateTime(f, tz, c.names[i]));
        time = t;
        break;
      }
      case Role::kDate: {
        BITTEN_TRY(f, p.Field(c.sep, name));
        date = f;
        have_date = true;
        break;
      }
      case Role::kTimeOfDay: {
        BITTEN_TRY(f, p.Field(c.sep, name));
        if (!have_date) return p.Error("the time column comes before the date column");
        BITTEN_TRY(t, p.DateAndClock(date, f, tz));
        time = t;
        break;
      }
      default: {
        const auto k =
            static_cast<std::size_t>(static_cast<int>(r) - static_cast<int>(Role::kOpen));
        if (carry && (r == Role::kBid || r == Role::kAsk)) {
          BITTEN_TRY(f, p.Field(c.sep, name));
          if (f.empty()) {
            if (!(px[k] > 0)) return p.Error(std::string(name) + " is empty and no earlier one");
            break;
          }
          double v = 0;
          if (!ParseDouble(f, v)) {
            return p.Error(std::string(name) + " is not a number: '" + std::string(f) + "'");
          }
          if (!std::isfinite(v) || v <= 0) {
            return p.Error(std::string(name) + " must be a positive price: '" + std::string(f) +
                           "'");
          }
          px[k] = v;
          break;
        }
        BITTEN_TRY(v, p.Price(c.sep, name));
        px[k] = v;
        break;
      }
    }
  }
  return p.End();
}

#undef BITTEN_TRY

// Fast path of ParseColumns for rows without carried (possibly empty) fields: the same fields and
// checks as plain bools, without a Result per field. It accepts exactly what ParseColumns accepts
// except epoch-number times, which it leaves to it; when it returns false the checked parser runs
// on the same line, to parse it or to name the problem.
bool FastDateTime(std::string_view s, TimeMs tz, TimeMs& out) {
  TimeMs day = 0;
  const std::size_t n = LineParser::ParseDate(s, day);
  if (n == 0 || (n == 8 && s.size() > 8 && s[8] == '.')) return false;
  if (n == s.size()) {
    out = day - tz;
    return true;
  }
  if (s[n] != ' ' && s[n] != 'T') return false;
  TimeMs ms = 0;
  std::optional<TimeMs> off;
  if (!LineParser::ParseClock(s.substr(n + 1), ms, off)) return false;
  out = day + ms - (off ? *off : tz);
  return true;
}

bool FastColumns(std::string_view line, const Columns& c, TimeMs tz, TimeMs& time, double* px) {
  const char* p = line.data();
  const char* const end = p + line.size();
  bool done = false;
  std::string_view date;
  bool have_date = false;
  for (std::size_t i = 0; i < c.roles.size(); ++i) {
    if (done) return false;
    const char* q = p;
    while (q != end && *q != c.sep) ++q;
    const std::string_view f(p, static_cast<std::size_t>(q - p));
    if (q == end) {
      done = true;
    } else {
      p = q + 1;
    }
    const Role r = c.roles[i];
    switch (r) {
      case Role::kIgnore:
        break;
      case Role::kDateTime:
        if (!FastDateTime(f, tz, time)) return false;
        break;
      case Role::kDate:
        date = f;
        have_date = true;
        break;
      case Role::kTimeOfDay: {
        if (!have_date) return false;
        TimeMs day = 0;
        if (LineParser::ParseDate(date, day) != date.size()) return false;
        TimeMs ms = 0;
        std::optional<TimeMs> off;
        if (!LineParser::ParseClock(f, ms, off)) return false;
        time = day + ms - (off ? *off : tz);
        break;
      }
      default: {
        double v = 0;
        if (!ParseDouble(f, v) || !std::isfinite(v) || v <= 0) return false;
        px[static_cast<std::size_t>(static_cast<int>(r) - static_cast<int>(Role::kOpen))] = v;
        break;
      }
    }
  }
  return done;
}

// Format and text of a file: the override, or the detection on its first line.
Result<DataFormat> FormatOf(const std::filesystem::path& file, std::string_view text,
                            const ReadOptions& options) {
  if (options.format) return *options.format;
  auto format = FormatOfFirstLine(FirstLine(text));
  if (!format) {
    return Fail("unknown_format", file.string() + ":1: first line '" +
                                      std::string(FirstLine(text).substr(0, 80)) +
                                      "' matches no known market data format");
  }
  return *format;
}

Result<Columns> ColumnsOf(const std::filesystem::path& file, std::string_view text,
                          DataFormat format, bool bars) {
  auto cols = AnalyzeHeader(FirstLine(text));
  if (!cols || cols->bars != bars) {
    return Fail("bad_data", file.string() + ":1: the header '" +
                                std::string(FirstLine(text).substr(0, 80)) +
                                "' does not name a time column and " +
                                (bars ? "open/high/low/close columns" : "bid and/or ask columns") +
                                " as format " + std::string(ToString(format)) + " needs");
  }
  return *cols;
}

}  // namespace

std::string_view ToString(DataFormat f) {
  switch (f) {
    case DataFormat::kLeanBars:
      return "lean_bars";
    case DataFormat::kLeanTicks:
      return "lean_ticks";
    case DataFormat::kIsoBars:
      return "iso_bars";
    case DataFormat::kIsoTicks:
      return "iso_ticks";
    case DataFormat::kHistDataM1:
      return "histdata_m1";
    case DataFormat::kHistDataTicks:
      return "histdata_ticks";
    case DataFormat::kMt5Bars:
      return "mt5_bars";
    case DataFormat::kMt5Ticks:
      return "mt5_ticks";
    case DataFormat::kMt5Csv:
      return "mt5_csv";
    case DataFormat::kCsvBars:
      return "csv_bars";
    case DataFormat::kCsvTicks:
      return "csv_ticks";
  }
  return "unknown";
}

std::optional<DataFormat> ParseDataFormat(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(DataFormat::kCsvTicks); ++i) {
    const auto f = static_cast<DataFormat>(i);
    if (ToString(f) == name) return f;
  }
  return std::nullopt;
}

bool IsBarFormat(DataFormat f) {
  return f == DataFormat::kLeanBars || f == DataFormat::kIsoBars || f == DataFormat::kHistDataM1 ||
         f == DataFormat::kMt5Bars || f == DataFormat::kMt5Csv || f == DataFormat::kCsvBars;
}

TimeMs CivilToUnixMs(int year, int month, int day, int hour, int minute, int second) {
  // Howard Hinnant's days_from_civil.
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>(month > 2 ? month - 3 : month + 9);
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days =
      static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return ((days * 24 + hour) * 60 + minute) * 60'000LL + second * 1000LL;
}

std::optional<DataFormat> DetectFormatOfLine(std::string_view first_line) {
  return FormatOfFirstLine(FirstLine(first_line));
}

Result<DataFormat> DetectFormat(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail("io_error", "cannot open " + file.string());
  // Enough for any header; UTF-16 files are narrowed like Slurp does.
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.size() >= 2 && head[0] == '\xFF' && head[1] == '\xFE') {
    std::string narrow;
    for (std::size_t i = 2; i + 1 < head.size(); i += 2) narrow.push_back(head[i]);
    head = std::move(narrow);
  }
  const std::string_view line = FirstLine(head);
  auto f = FormatOfFirstLine(line);
  if (!f) {
    return Fail("unknown_format", file.string() + ":1: first line '" +
                                      std::string(line.substr(0, 80)) +
                                      "' matches no known market data format");
  }
  return *f;
}

Result<BarData> ReadBars(const std::filesystem::path& file, const ReadOptions& options) {
  auto text = Slurp(file);
  if (!text) return tl::unexpected(text.error());
  auto format = FormatOf(file, *text, options);
  if (!format) return tl::unexpected(format.error());
  if (!IsBarFormat(*format)) {
    return Fail("wrong_kind",
                file.string() + " holds ticks (" + std::string(ToString(*format)) + "), not bars");
  }
  auto symbol = SymbolFor(file, options);
  if (!symbol) return tl::unexpected(symbol.error());
  BarData out;
  out.symbol = *symbol;
  out.format = *format;
  const TimeMs tz = TzMs(options, *format);
  std::optional<Columns> cols;
  if (!IsLean(*format) && !IsHistData(*format)) {
    auto c = ColumnsOf(file, *text, *format, true);
    if (!c) return tl::unexpected(c.error());
    cols = std::move(*c);
  }
  if (*format == DataFormat::kLeanBars) {
    out.side = QuoteSide::kBidAsk;
  } else if (cols && cols->side) {
    out.side = *cols->side;
  } else {
    out.side =
        options.side && *options.side != QuoteSide::kBidAsk ? *options.side : SideFromName(file);
  }
  out.bars.reserve(text->size() / 50);
  DayCache days;
  const std::string fname = file.string();
  Status st = ForEachLine(fname, *text, HasHeader(*format), [&](LineParser& p) -> Status {
    Bar b;
    Status s;
    if (*format == DataFormat::kLeanBars) {
      if (!FastLeanBar(p.line(), out.symbol, days, b)) s = ParseLeanBar(p, out.symbol, b);
    } else if (*format == DataFormat::kHistDataM1) {
      s = ParseHistDataBar(p, out.symbol, tz, b);
    } else {
      double px[8] = {};
      if (!FastColumns(p.line(), *cols, tz, b.time, px)) {
        s = ParseColumns(p, *cols, tz, false, b.time, px);
      }
      if (s) {
        b.symbol = out.symbol;
        b.open = px[0], b.high = px[1], b.low = px[2], b.close = px[3];
        if (out.side == QuoteSide::kBidAsk) {
          b.ask_open = px[4], b.ask_high = px[5], b.ask_low = px[6], b.ask_close = px[7];
        } else {
          b.ask_open = px[0], b.ask_high = px[1], b.ask_low = px[2], b.ask_close = px[3];
        }
      }
    }
    if (!s) return s;
    if (!out.bars.empty() && b.time <= out.bars.back().time) {
      return p.Error("bar time " + std::to_string(b.time) + " is not after the previous bar's " +
                     std::to_string(out.bars.back().time));
    }
    if (out.side == QuoteSide::kBidAsk) HandleCrossed(b, options.crossed_rule, out.crossed);
    out.bars.push_back(std::move(b));
    return Ok();
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<TickData> ReadTicks(const std::filesystem::path& file, const ReadOptions& options) {
  auto text = Slurp(file);
  if (!text) return tl::unexpected(text.error());
  auto format = FormatOf(file, *text, options);
  if (!format) return tl::unexpected(format.error());
  if (IsBarFormat(*format)) {
    return Fail("wrong_kind",
                file.string() + " holds bars (" + std::string(ToString(*format)) + "), not ticks");
  }
  auto symbol = SymbolFor(file, options);
  if (!symbol) return tl::unexpected(symbol.error());
  TickData out;
  out.symbol = *symbol;
  out.format = *format;
  const TimeMs tz = TzMs(options, *format);
  std::optional<Columns> cols;
  if (!IsLean(*format) && !IsHistData(*format)) {
    auto c = ColumnsOf(file, *text, *format, false);
    if (!c) return tl::unexpected(c.error());
    cols = std::move(*c);
    out.side = cols->side.value_or(QuoteSide::kBidAsk);
  }
  const bool carry = *format == DataFormat::kMt5Ticks;
  double px[10] = {};  // indexes Role - kOpen: 8 = bid, 9 = ask
  out.ticks.reserve(text->size() / 30);
  DayCache days;
  const std::string fname = file.string();
  Status st = ForEachLine(fname, *text, HasHeader(*format), [&](LineParser& p) -> Status {
    Tick t;
    Status s;
    if (!cols) {
      if (*format != DataFormat::kLeanTicks || !FastLeanTick(p.line(), out.symbol, days, t)) {
        s = ParseLeanOrHistTick(p, *format, out.symbol, tz, t);
      }
    } else {
      if (carry || !FastColumns(p.line(), *cols, tz, t.time, px)) {
        s = ParseColumns(p, *cols, tz, carry, t.time, px);
      }
      if (s) {
        t.symbol = out.symbol;
        t.bid = out.side == QuoteSide::kAsk ? px[9] : px[8];
        t.ask = out.side == QuoteSide::kBid ? px[8] : px[9];
      }
    }
    if (!s) return s;
    if (!out.ticks.empty() && t.time < out.ticks.back().time) {
      return p.Error("tick time " + std::to_string(t.time) + " is before the previous tick's " +
                     std::to_string(out.ticks.back().time));
    }
    HandleCrossed(t, options.crossed_rule, out.crossed);
    out.ticks.push_back(std::move(t));
    return Ok();
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<BarData> MergeBidAsk(const BarData& bid, const BarData& ask, std::int64_t* unmatched,
                            CrossedRule rule) {
  if (bid.side != QuoteSide::kBid || ask.side != QuoteSide::kAsk) {
    return Fail("bad_request", "MergeBidAsk needs a bid-side and an ask-side bar file");
  }
  if (bid.symbol != ask.symbol) {
    return Fail("bad_request",
                "MergeBidAsk: bid file is " + bid.symbol + ", ask file is " + ask.symbol);
  }
  BarData out;
  out.symbol = bid.symbol;
  out.format = bid.format;
  out.side = QuoteSide::kBidAsk;
  out.bars.reserve(std::min(bid.bars.size(), ask.bars.size()));
  std::int64_t lone = 0;
  std::size_t i = 0, j = 0;
  while (i < bid.bars.size() && j < ask.bars.size()) {
    const Bar& b = bid.bars[i];
    const Bar& a = ask.bars[j];
    if (b.time < a.time) {
      ++lone, ++i;
    } else if (a.time < b.time) {
      ++lone, ++j;
    } else {
      Bar m = b;
      m.ask_open = a.open;
      m.ask_high = a.high;
      m.ask_low = a.low;
      m.ask_close = a.close;
      m.ticks = b.ticks + a.ticks;
      HandleCrossed(m, rule, out.crossed);
      out.bars.push_back(std::move(m));
      ++i, ++j;
    }
  }
  lone += static_cast<std::int64_t>((bid.bars.size() - i) + (ask.bars.size() - j));
  out.unmatched = lone;
  if (unmatched) *unmatched = lone;
  return out;
}

Result<BarData> ReadBarsPair(const std::filesystem::path& bid_file,
                             const std::filesystem::path& ask_file, const ReadOptions& options) {
  ReadOptions o = options;
  o.side = QuoteSide::kBid;
  auto bid = ReadBars(bid_file, o);
  if (!bid) return tl::unexpected(bid.error());
  o.side = QuoteSide::kAsk;
  auto ask = ReadBars(ask_file, o);
  if (!ask) return tl::unexpected(ask.error());
  if (bid->side != QuoteSide::kBid) {
    return Fail("bad_request", bid_file.string() + " is not a one-side (bid) bar file");
  }
  if (ask->side != QuoteSide::kAsk) {
    return Fail("bad_request", ask_file.string() + " is not a one-side (ask) bar file");
  }
  if (bid->symbol != ask->symbol) {
    return Fail("bad_request", "bid file " + bid_file.string() + " is " + bid->symbol +
                                   " but ask file " + ask_file.string() + " is " + ask->symbol);
  }
  return MergeBidAsk(*bid, *ask, nullptr, options.crossed_rule);
}

Result<DataSpec> ParseDataSpec(std::string_view spec) {
  DataSpec out;
  if (spec.empty()) return Fail("bad_request", "empty --data value");
  std::error_code ec;
  const auto comma = spec.find(',');
  if (comma == std::string_view::npos || std::filesystem::exists(std::string(spec), ec)) {
    out.file = std::string(spec);
    return out;
  }
  const std::string_view bid = spec.substr(0, comma), ask = spec.substr(comma + 1);
  if (bid.empty() || ask.empty() || ask.find(',') != std::string_view::npos) {
    return Fail("bad_request", "--data '" + std::string(spec) +
                                   "': expected FILE or BIDFILE,ASKFILE (two non-empty paths)");
  }
  out.file = std::string(bid);
  out.ask_file = std::filesystem::path(std::string(ask));
  return out;
}

Result<BarData> ReadBarsSpec(std::string_view spec, const ReadOptions& options) {
  auto s = ParseDataSpec(spec);
  if (!s) return tl::unexpected(s.error());
  if (s->ask_file) return ReadBarsPair(s->file, *s->ask_file, options);
  return ReadBars(s->file, options);
}

}  // namespace bitten::market
