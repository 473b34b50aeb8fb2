// Backtest input: the market data files of `bitten backtest --data`, read with market/reader.h and
// turned into one time-ordered stream of M1 bars with real bid and ask prices.
//
//   - Bar files are used as they are. Tick files are aggregated to M1 with market::M1Aggregator,
//     as the server does live. A `--data BIDFILE,ASKFILE` pair of one-side bar files is joined
//     with market::MergeBidAsk (bars present on one side only are left out and counted).
//   - A one-side bar file alone (HistData M1, one fxcm file) has no ask: the ask is the bid plus
//     an assumed spread (LoadOptions::spread_pips, default market::DefaultSpreadPips), reported.
//   - Crossed quotes (ask < bid, real in the fxcm files) are clamped by the reader
//     (market::CrossedRule::kClamp: each ask price below its bid price is raised to the bid, zero
//     spread) and counted as read; a bar still crossed afterwards (an aggregated tick file) is
//     clamped here the same way and counted in clamped_bars.
//   - Filters: symbol (exact), and bar time in [from, to).
//   - A --data value is a FILE or BIDFILE,ASKFILE (market::ParseDataSpec).
//   - Several files are merged in time order; bars with the same time keep the order of the
//     --data options.
//
// Failures are values naming the file (and the line, from the reader): "io_error", "bad_data",
// "unknown_format", "unknown_symbol" (not in the instrument table), "no_data" (nothing left after
// the filters). Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "market/instrument.h"
#include "market/types.h"

namespace bitten::app::backtest {

struct LoadOptions {
  // Each entry is a FILE or BIDFILE,ASKFILE, as given to --data.
  std::vector<std::string> data;
  // Keep only this symbol. Default: empty = every symbol.
  std::string symbol;
  // Keep bars with from <= time < to (Unix ms UTC). Default: unset = no bound.
  std::optional<TimeMs> from;
  std::optional<TimeMs> to;
  // Assumed spread of one-side files, in pips. Default: <= 0 = market::DefaultSpreadPips.
  double spread_pips = 0;
  // Minutes the files' local time is ahead of UTC (market::ReadOptions::tz_offset_minutes).
  // Default: unset = the reader's default (UTC; EST for HistData).
  std::optional<int> tz_offset_minutes;
};

// What was read from one --data entry, for the report.
struct DataSource {
  std::string spec;                 // the --data value as given
  std::string symbol;               // BITTEN symbol
  std::string format;               // market::ToString(DataFormat), "+" joined for a bid,ask pair
  std::string kind;                 // "bars" or "ticks"
  std::int64_t rows = 0;            // bars or ticks read
  std::int64_t bars = 0;            // M1 bars kept after aggregation and filters
  std::int64_t crossed = 0;         // crossed quotes (bars or ticks) as read, clamped by the reader
  std::int64_t clamped_bars = 0;    // kept bars still crossed after reading, clamped here
  std::int64_t unmatched_bars = 0;  // bid,ask pair: bars present on one side only (left out)
  double assumed_spread_pips = 0;   // > 0 for a one-side file alone
  TimeMs first_bar = 0;             // kept bars (0 when none)
  TimeMs last_bar = 0;
};

struct LoadedData {
  std::vector<DataSource> sources;  // one per --data entry, in order
  std::vector<market::Bar> bars;    // every kept bar, time non-decreasing
};

Result<LoadedData> LoadBacktestData(const LoadOptions& options,
                                    const market::InstrumentTable& instruments);

// Parses a --from/--to value: "YYYY-MM-DD" (00:00 UTC) or "YYYY-MM-DDTHH:MM[:SS]" with an optional
// trailing "Z" (UTC). Fails with "usage" naming the value. `end_of_day` moves a date-only value to
// the next day's 00:00, so `--to 2014-05-09` includes the whole of the 9th.
Result<TimeMs> ParseDateOption(const std::string& option, const std::string& value,
                               bool end_of_day);

}  // namespace bitten::app::backtest
