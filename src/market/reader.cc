#include "market/reader.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <utility>

namespace bitten::market {

namespace {

constexpr TimeMs kEstOffsetMs = 5 * 3'600'000;  // HistData: EST without daylight saving, UTC-5

Result<std::string> Slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return Fail("io_error", "cannot open " + file.string());
  const std::streamoff size = in.tellg();
  if (size < 0) return Fail("io_error", "cannot size " + file.string());
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) return Fail("io_error", "cannot read " + file.string());
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
  }
  return std::nullopt;
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

// One line being parsed; every failure names the file and line.
class LineParser {
 public:
  LineParser(const std::string& file, std::int64_t line_no, std::string_view line)
      : file_(file), line_no_(line_no), rest_(line) {}

  // The text up to the next `sep` (or the end), consumed with the separator.
  Result<std::string_view> Field(char sep, const char* what) {
    if (done_) return Error(std::string("missing field ") + what);
    auto pos = rest_.find(sep);
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
    auto [p, ec] = std::from_chars(f->data(), f->data() + f->size(), v);
    if (ec != std::errc() || p != f->data() + f->size() || f->empty()) {
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
    auto [p, ec] = std::from_chars(f->data(), f->data() + f->size(), v);
    if (ec != std::errc() || p != f->data() + f->size() || f->empty() || !std::isfinite(v)) {
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

  // "YYYY-MM-DD HH:MM:SS[.ffffff][Z|+HH:MM|-HH:MM]" (a 'T' separator is accepted too).
  Result<TimeMs> Iso(std::string_view s) {
    auto bad = [&] { return Error("bad ISO time '" + std::string(s) + "'"); };
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
        s[13] != ':' || s[16] != ':') {
      return bad();
    }
    auto y = Digits(s, 0, 4, "year");
    auto mo = Digits(s, 5, 2, "month");
    auto d = Digits(s, 8, 2, "day");
    auto h = Digits(s, 11, 2, "hour");
    auto mi = Digits(s, 14, 2, "minute");
    auto se = Digits(s, 17, 2, "second");
    if (!y || !mo || !d || !h || !mi || !se) return bad();
    TimeMs t = CivilToUnixMs(*y, *mo, *d, *h, *mi, *se);
    std::size_t i = 19;
    if (i < s.size() && s[i] == '.') {
      ++i;
      int ms = 0, n = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n < 3) ms = ms * 10 + (s[i] - '0');
        ++n;
        ++i;
      }
      if (n == 0) return bad();
      for (int k = n; k < 3; ++k) ms *= 10;
      t += ms;
    }
    if (i == s.size()) return t;  // no offset: UTC
    if (s[i] == 'Z' && i + 1 == s.size()) return t;
    if ((s[i] == '+' || s[i] == '-') && s.size() == i + 6 && s[i + 3] == ':') {
      auto oh = Digits(s, i + 1, 2, "offset");
      auto om = Digits(s, i + 4, 2, "offset");
      if (!oh || !om) return bad();
      TimeMs off = (*oh * 60 + *om) * 60'000LL;
      return s[i] == '+' ? t - off : t + off;
    }
    return bad();
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

Status ParseOneSideBar(LineParser& p, DataFormat f, const std::string& symbol, Bar& b) {
  b.symbol = symbol;
  const char sep = f == DataFormat::kIsoBars ? ',' : ';';
  BITTEN_TRY(ts, p.Field(sep, "timestamp"));
  if (f == DataFormat::kIsoBars) {
    BITTEN_TRY(t, p.Iso(ts));
    b.time = t;
  } else {
    // "YYYYMMDD HHMMSS" in EST.
    if (ts.size() != 15 || ts[8] != ' ') return p.Error("bad timestamp '" + std::string(ts) + "'");
    BITTEN_TRY(day, p.YyyyMmDd(ts.substr(0, 8)));
    BITTEN_TRY(hh, p.Digits(ts, 9, 2, "hour"));
    BITTEN_TRY(mm, p.Digits(ts, 11, 2, "minute"));
    BITTEN_TRY(ss, p.Digits(ts, 13, 2, "second"));
    b.time = day + ((hh * 60 + mm) * 60 + ss) * 1000LL + kEstOffsetMs;
  }
  BITTEN_TRY(o, p.Price(sep, "open"));
  BITTEN_TRY(h, p.Price(sep, "high"));
  BITTEN_TRY(l, p.Price(sep, "low"));
  BITTEN_TRY(c, p.Price(sep, "close"));
  if (f == DataFormat::kHistDataM1) {
    BITTEN_TRY(v, p.Number(sep, "volume"));
    (void)v;
  }
  b.open = b.ask_open = o;
  b.high = b.ask_high = h;
  b.low = b.ask_low = l;
  b.close = b.ask_close = c;
  return p.End();
}

Status ParseTick(LineParser& p, DataFormat f, const std::string& symbol, Tick& t) {
  t.symbol = symbol;
  if (f == DataFormat::kLeanTicks) {
    BITTEN_TRY(date, p.Field(',', "date_utc"));
    BITTEN_TRY(day, p.YyyyMmDd(date));
    BITTEN_TRY(ms, p.Number(',', "ms_since_midnight_utc"));
    t.time = day + static_cast<TimeMs>(std::floor(ms));
  } else if (f == DataFormat::kIsoTicks) {
    BITTEN_TRY(ts, p.Field(',', "timestamp"));
    BITTEN_TRY(tt, p.Iso(ts));
    t.time = tt;
  } else {
    // "YYYYMMDD HHMMSSfff" in EST.
    BITTEN_TRY(ts, p.Field(',', "timestamp"));
    if (ts.size() != 18 || ts[8] != ' ') return p.Error("bad timestamp '" + std::string(ts) + "'");
    BITTEN_TRY(day, p.YyyyMmDd(ts.substr(0, 8)));
    BITTEN_TRY(hh, p.Digits(ts, 9, 2, "hour"));
    BITTEN_TRY(mm, p.Digits(ts, 11, 2, "minute"));
    BITTEN_TRY(ss, p.Digits(ts, 13, 2, "second"));
    BITTEN_TRY(ms, p.Digits(ts, 15, 3, "millisecond"));
    t.time = day + ((hh * 60 + mm) * 60 + ss) * 1000LL + ms + kEstOffsetMs;
  }
  BITTEN_TRY(bid, p.Price(',', "bid"));
  const bool has_volume = f == DataFormat::kHistDataTicks;
  BITTEN_TRY(ask, p.Price(',', "ask"));
  t.bid = bid;
  t.ask = ask;
  if (has_volume) {
    BITTEN_TRY(v, p.Number(',', "volume"));
    (void)v;
  }
  return p.End();
}

#undef BITTEN_TRY

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
  }
  return "unknown";
}

bool IsBarFormat(DataFormat f) {
  return f == DataFormat::kLeanBars || f == DataFormat::kIsoBars || f == DataFormat::kHistDataM1;
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

Result<DataFormat> DetectFormat(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail("io_error", "cannot open " + file.string());
  std::string line;
  std::getline(in, line);
  auto f = FormatOfFirstLine(FirstLine(line));
  if (!f) {
    return Fail("unknown_format", file.string() + ":1: first line '" + line.substr(0, 80) +
                                      "' matches no known market data format");
  }
  return *f;
}

Result<BarData> ReadBars(const std::filesystem::path& file, const ReadOptions& options) {
  auto text = Slurp(file);
  if (!text) return tl::unexpected(text.error());
  auto format = FormatOfFirstLine(FirstLine(*text));
  if (!format) {
    return Fail("unknown_format", file.string() + ":1: first line '" +
                                      std::string(FirstLine(*text).substr(0, 80)) +
                                      "' matches no known market data format");
  }
  if (!IsBarFormat(*format)) {
    return Fail("wrong_kind",
                file.string() + " holds ticks (" + std::string(ToString(*format)) + "), not bars");
  }
  auto symbol = SymbolFor(file, options);
  if (!symbol) return tl::unexpected(symbol.error());
  BarData out;
  out.symbol = *symbol;
  out.format = *format;
  out.side = *format == DataFormat::kLeanBars ? QuoteSide::kBidAsk : SideFromName(file);
  out.bars.reserve(text->size() / 60);
  const std::string fname = file.string();
  const bool header = *format != DataFormat::kHistDataM1;
  Status st = ForEachLine(fname, *text, header, [&](LineParser& p) -> Status {
    Bar b;
    Status s = *format == DataFormat::kLeanBars ? ParseLeanBar(p, out.symbol, b)
                                                : ParseOneSideBar(p, *format, out.symbol, b);
    if (!s) return s;
    if (!out.bars.empty() && b.time <= out.bars.back().time) {
      return p.Error("bar time " + std::to_string(b.time) + " is not after the previous bar's " +
                     std::to_string(out.bars.back().time));
    }
    if (b.ask_close < b.close) ++out.crossed;
    out.bars.push_back(std::move(b));
    return Ok();
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<TickData> ReadTicks(const std::filesystem::path& file, const ReadOptions& options) {
  auto text = Slurp(file);
  if (!text) return tl::unexpected(text.error());
  auto format = FormatOfFirstLine(FirstLine(*text));
  if (!format) {
    return Fail("unknown_format", file.string() + ":1: first line '" +
                                      std::string(FirstLine(*text).substr(0, 80)) +
                                      "' matches no known market data format");
  }
  if (IsBarFormat(*format)) {
    return Fail("wrong_kind",
                file.string() + " holds bars (" + std::string(ToString(*format)) + "), not ticks");
  }
  auto symbol = SymbolFor(file, options);
  if (!symbol) return tl::unexpected(symbol.error());
  TickData out;
  out.symbol = *symbol;
  out.format = *format;
  out.ticks.reserve(text->size() / 30);
  const std::string fname = file.string();
  const bool header = *format != DataFormat::kHistDataTicks;
  Status st = ForEachLine(fname, *text, header, [&](LineParser& p) -> Status {
    Tick t;
    Status s = ParseTick(p, *format, out.symbol, t);
    if (!s) return s;
    if (!out.ticks.empty() && t.time < out.ticks.back().time) {
      return p.Error("tick time " + std::to_string(t.time) + " is before the previous tick's " +
                     std::to_string(out.ticks.back().time));
    }
    if (t.ask < t.bid) ++out.crossed;
    out.ticks.push_back(std::move(t));
    return Ok();
  });
  if (!st) return tl::unexpected(st.error());
  return out;
}

Result<BarData> MergeBidAsk(const BarData& bid, const BarData& ask, std::int64_t* unmatched) {
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
      if (m.ask_close < m.close) ++out.crossed;
      out.bars.push_back(std::move(m));
      ++i, ++j;
    }
  }
  lone += static_cast<std::int64_t>((bid.bars.size() - i) + (ask.bars.size() - j));
  if (unmatched) *unmatched = lone;
  return out;
}

}  // namespace bitten::market
