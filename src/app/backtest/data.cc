#include "app/backtest/data.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "market/aggregator.h"
#include "market/instrument.h"
#include "market/reader.h"

namespace bitten::app::backtest {
namespace {

// Raises each ask price below its bid price to the bid; true when anything changed.
bool ClampCrossed(market::Bar& b) {
  bool changed = false;
  auto clamp = [&changed](double& ask, double bid) {
    if (ask < bid) {
      ask = bid;
      changed = true;
    }
  };
  clamp(b.ask_open, b.open);
  clamp(b.ask_high, b.high);
  clamp(b.ask_low, b.low);
  clamp(b.ask_close, b.close);
  return changed;
}

// Reads one --data entry into M1 bars (unfiltered).
Result<std::vector<market::Bar>> ReadEntry(const std::string& spec, DataSource& src,
                                           const LoadOptions& options,
                                           const market::InstrumentTable& instruments) {
  auto parsed = market::ParseDataSpec(spec);
  if (!parsed) return Fail("usage", "--data " + spec + ": " + parsed.error().message);
  const bool pair = parsed->ask_file.has_value();
  market::ReadOptions read;
  read.tz_offset_minutes = options.tz_offset_minutes;
  market::DataFormat format = market::DataFormat::kLeanBars;
  if (!pair) {
    auto f = market::DetectFormat(parsed->file);
    if (!f) return tl::unexpected(f.error());
    format = *f;
  }
  std::vector<market::Bar> bars;
  if (pair || market::IsBarFormat(format)) {
    auto data = market::ReadBarsSpec(spec, read);
    if (!data) return tl::unexpected(data.error());
    src.kind = "bars";
    src.format = std::string(market::ToString(data->format));
    src.symbol = data->symbol;
    src.rows = static_cast<std::int64_t>(data->bars.size());
    src.crossed = data->crossed;
    src.unmatched_bars = data->unmatched;
    const market::Instrument* inst = instruments.Find(data->symbol);
    if (inst == nullptr) {
      return Fail("unknown_symbol", spec + ": symbol " + data->symbol +
                                        " is not in the instrument table (CONTRACTS §1)");
    }
    if (data->side != market::QuoteSide::kBidAsk) {
      src.assumed_spread_pips =
          options.spread_pips > 0 ? options.spread_pips : market::DefaultSpreadPips(data->symbol);
      const double spread = market::PipsToPrice(*inst, src.assumed_spread_pips);
      // A one-side file copies its prices to both sides; an ask-only file is read as the ask.
      const double bid_shift = data->side == market::QuoteSide::kAsk ? -spread : 0.0;
      const double ask_shift = data->side == market::QuoteSide::kAsk ? 0.0 : spread;
      for (market::Bar& b : data->bars) {
        const double o = b.open, h = b.high, l = b.low, c = b.close;
        b.open = o + bid_shift, b.high = h + bid_shift, b.low = l + bid_shift,
        b.close = c + bid_shift;
        b.ask_open = o + ask_shift, b.ask_high = h + ask_shift, b.ask_low = l + ask_shift;
        b.ask_close = c + ask_shift;
      }
    }
    bars = std::move(data->bars);
  } else {
    auto ticks = market::ReadTicks(parsed->file, read);
    if (!ticks) return tl::unexpected(ticks.error());
    src.kind = "ticks";
    src.format = std::string(market::ToString(ticks->format));
    src.symbol = ticks->symbol;
    src.rows = static_cast<std::int64_t>(ticks->ticks.size());
    src.crossed = ticks->crossed;
    const market::Instrument* inst = instruments.Find(ticks->symbol);
    if (inst == nullptr) {
      return Fail("unknown_symbol", spec + ": symbol " + ticks->symbol +
                                        " is not in the instrument table (CONTRACTS §1)");
    }
    if (ticks->side != market::QuoteSide::kBidAsk) {
      src.assumed_spread_pips =
          options.spread_pips > 0 ? options.spread_pips : market::DefaultSpreadPips(ticks->symbol);
      const double spread = market::PipsToPrice(*inst, src.assumed_spread_pips);
      const bool ask_side = ticks->side == market::QuoteSide::kAsk;
      for (market::Tick& t : ticks->ticks) {
        if (ask_side) {
          t.bid = t.ask - spread;
        } else {
          t.ask = t.bid + spread;
        }
      }
    }
    market::M1Aggregator aggregator;
    bars.reserve(ticks->ticks.size() / 20 + 1);
    for (const market::Tick& t : ticks->ticks) {
      if (auto bar = aggregator.Add(t)) bars.push_back(std::move(*bar));
    }
    for (market::Bar& bar : aggregator.FlushAll()) bars.push_back(std::move(bar));
  }
  return bars;
}

}  // namespace

Result<LoadedData> LoadBacktestData(const LoadOptions& options,
                                    const market::InstrumentTable& instruments) {
  LoadedData out;
  std::vector<std::vector<market::Bar>> per_file;
  std::size_t total = 0;
  for (const std::string& spec : options.data) {
    DataSource src;
    src.spec = spec;
    auto bars = ReadEntry(spec, src, options, instruments);
    if (!bars) return tl::unexpected(bars.error());
    std::vector<market::Bar> kept;
    if (options.symbol.empty() || options.symbol == src.symbol) {
      // Filtered in place: the file's vector is kept, without copying every bar.
      kept = std::move(*bars);
      std::size_t w = 0;
      for (std::size_t r = 0; r < kept.size(); ++r) {
        market::Bar& b = kept[r];
        if (options.from && b.time < *options.from) continue;
        if (options.to && b.time >= *options.to) continue;
        if (ClampCrossed(b)) ++src.clamped_bars;
        if (w != r) kept[w] = std::move(b);
        ++w;
      }
      kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(w), kept.end());
    }
    src.bars = static_cast<std::int64_t>(kept.size());
    if (!kept.empty()) {
      src.first_bar = kept.front().time;
      src.last_bar = kept.back().time;
    }
    total += kept.size();
    per_file.push_back(std::move(kept));
    out.sources.push_back(std::move(src));
  }
  if (total == 0) {
    std::string what = "no bar left to backtest";
    if (!options.symbol.empty()) what += " of symbol " + options.symbol;
    if (options.from || options.to) what += " in the --from/--to window";
    std::string held;
    for (const DataSource& s : out.sources) {
      held += (held.empty() ? "" : "; ") + s.spec + ": " + s.symbol + " " + std::to_string(s.rows) +
              " " + s.kind;
    }
    return Fail("no_data", what + " (data read: " + held + ")");
  }
  if (per_file.size() == 1) {
    out.bars = std::move(per_file.front());
    return out;
  }
  out.bars.reserve(total);
  for (auto& bars : per_file) {
    for (market::Bar& b : bars) out.bars.push_back(std::move(b));
  }
  if (per_file.size() > 1) {
    std::stable_sort(out.bars.begin(), out.bars.end(),
                     [](const market::Bar& a, const market::Bar& b) { return a.time < b.time; });
  }
  return out;
}

Result<TimeMs> ParseDateOption(const std::string& option, const std::string& value,
                               bool end_of_day) {
  auto bad = [&] {
    return Fail("usage", option + " " + value +
                             ": expected a UTC date YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z]");
  };
  std::string v = value;
  if (!v.empty() && v.back() == 'Z') v.pop_back();
  // Positions of the fixed-width fields.
  auto num = [&v](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > v.size()) return false;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (v[i] < '0' || v[i] > '9') return false;
    }
    return std::from_chars(v.data() + pos, v.data() + pos + len, out).ec == std::errc();
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (v.size() < 10 || v[4] != '-' || v[7] != '-') return bad();
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d)) return bad();
  const bool date_only = v.size() == 10;
  if (!date_only) {
    if ((v[10] != 'T' && v[10] != ' ') || v.size() < 16 || v[13] != ':') return bad();
    if (!num(11, 2, h) || !num(14, 2, mi)) return bad();
    if (v.size() == 19) {
      if (v[16] != ':' || !num(17, 2, s)) return bad();
    } else if (v.size() != 16) {
      return bad();
    }
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
      y < 1970 || h > 23 || mi > 59 || s > 59) {
    return bad();
  }
  TimeMs t = market::CivilToUnixMs(y, mo, d, h, mi, s);
  if (date_only && end_of_day) t += 86'400'000;
  return t;
}

}  // namespace bitten::app::backtest
