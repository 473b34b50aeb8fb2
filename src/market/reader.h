// Readers for the market data files users bring (../shared/data/market/README.md and
// docs/market-data.md). The format is detected from the content (header or first line), never from
// the file name; ReadOptions::format overrides the detection:
//
//   kLeanBars       header date_utc,ms_since_midnight_utc,bid_open,...,ask_close,last_ask_size
//   (UTC) kLeanTicks      header date_utc,ms_since_midnight_utc,bid,ask; fractional ms are floored
//   kIsoBars        header exactly timestamp,open,high,low,close; ISO time with offset; ONE side
//   kIsoTicks       header exactly timestamp,bid,ask; ISO time with fractional seconds and offset
//   kHistDataM1     no header, `YYYYMMDD HHMMSS;open;high;low;close;volume`, EST = UTC-5 all year
//   kHistDataTicks  no header, `YYYYMMDD HHMMSSfff,bid,ask,volume`, EST = UTC-5 all year
//   kMt5Bars        MetaTrader 5 "Export bars": tab-separated `<DATE> <TIME> <OPEN> <HIGH> <LOW>
//                   <CLOSE> <TICKVOL> <VOL> <SPREAD>`, dates `2024.01.02`, broker server time
//   kMt5Ticks       MetaTrader 5 "Export ticks": `<DATE> <TIME> <BID> <ASK> <LAST> <VOLUME>
//   <FLAGS>`;
//                   an empty BID/ASK repeats the previous one (MT5 writes only what changed)
//   kMt5Csv         `time,open,high,low,close,tick_volume,spread[,real_volume]` (MetaTrader5 Python
//                   package / copy_rates), epoch seconds or ISO text, broker server time
//   kCsvBars        any other header naming a time column and open/high/low/close, with optional
//                   bid_/ask_ prefixes (both sides, or one side); other columns are ignored
//   kCsvTicks       any other header naming a time column and bid and/or ask
//
// Times: everything returned is Unix ms UTC. Text without an explicit offset (and epoch numbers,
// which MT5 writes in server time) is local time at ReadOptions::tz_offset_minutes east of UTC;
// unset means 0 (UTC) except HistData, whose default is -300 (EST without daylight saving). An
// explicit offset in the text (`+02:00`, `Z`) always wins.
//
// The symbol is ReadOptions::symbol when set, else the file name's prefix before the first '_'
// ("EURUSD_M1_bidask_..." -> "EURUSD"). One-side files take their side from ReadOptions::side, else
// the file name ("_ask_" / "_ask." -> ask, otherwise bid; MT5 bars are bid bars). Separate bid and
// ask bar files of one symbol are read as a pair by ReadBarsPair / ReadBarsSpec("BID,ASK").
//
// Failure is a value: "io_error" (cannot open), "unknown_format" (first line matches nothing),
// "wrong_kind" (ReadTicks on a bar file or the reverse), "bad_data" naming file, 1-based line
// number and what was wrong (missing field, not a number, non-positive or non-finite price, bad
// time, time going backwards). A malformed line stops the read; nothing is silently dropped.
//
// Crossed quotes (ask < bid) are real in some vendor files (the FXCM bid/ask pairs were not sampled
// together). They are counted in `crossed` (bars: ask_close < bid close; ticks: ask < bid) and, by
// default (CrossedRule::kClamp), repaired by raising each crossed ask price to its bid price (zero
// spread, never a negative one); CrossedRule::kKeep leaves them as they are. Parsing uses
// std::from_chars on one in-memory copy of the file. Stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "market/types.h"

namespace bitten::market {

enum class DataFormat {
  kLeanBars,
  kLeanTicks,
  kIsoBars,
  kIsoTicks,
  kHistDataM1,
  kHistDataTicks,
  kMt5Bars,
  kMt5Ticks,
  kMt5Csv,
  kCsvBars,
  kCsvTicks,
};
std::string_view ToString(DataFormat f);  // "lean_bars", "lean_ticks", ..., "csv_ticks"
// Inverse of ToString (for a --format option); nullopt for an unknown name.
std::optional<DataFormat> ParseDataFormat(std::string_view name);
bool IsBarFormat(DataFormat f);

enum class QuoteSide { kBidAsk, kBid, kAsk };

// What to do with ask < bid (see the header comment).
enum class CrossedRule { kClamp, kKeep };

struct ReadOptions {
  // Symbol of every row. Default: empty = taken from the file name's prefix.
  std::string symbol;
  // Format override. Default: unset = detected from the first line.
  std::optional<DataFormat> format;
  // Minutes the file's local time is ahead of UTC (broker server at UTC+2: 120; HistData EST:
  // -300). Default: unset = 0, or -300 for HistData formats.
  std::optional<int> tz_offset_minutes;
  // Side of one-side files. Default: unset = from the file name (see above).
  std::optional<QuoteSide> side;
  CrossedRule crossed_rule = CrossedRule::kClamp;
};

struct BarData {
  std::string symbol;
  DataFormat format = DataFormat::kLeanBars;
  // kBidAsk: both sides are real. kBid / kAsk (one-side files): that side's prices are in
  // open..close AND copied to ask_open..ask_close (zero spread); ReplayFeed and MergeBidAsk know.
  QuoteSide side = QuoteSide::kBidAsk;
  std::vector<Bar> bars;       // time strictly increasing
  std::int64_t crossed = 0;    // bars with ask_close < close as read (before the crossed rule)
  std::int64_t unmatched = 0;  // ReadBarsPair/MergeBidAsk: bars present in only one of the files
};

struct TickData {
  std::string symbol;
  DataFormat format = DataFormat::kLeanTicks;
  // kBidAsk, or the one side a one-column tick file has (then ask == bid).
  QuoteSide side = QuoteSide::kBidAsk;
  std::vector<Tick> ticks;   // time non-decreasing (several quotes in one ms are real)
  std::int64_t crossed = 0;  // ticks with ask < bid as read (before the crossed rule)
};

// Reads the first line of `file` and names its format.
Result<DataFormat> DetectFormat(const std::filesystem::path& file);
// The format of a first line (header or first data row); nullopt when it matches nothing.
std::optional<DataFormat> DetectFormatOfLine(std::string_view first_line);

Result<BarData> ReadBars(const std::filesystem::path& file, const ReadOptions& options = {});
Result<TickData> ReadTicks(const std::filesystem::path& file, const ReadOptions& options = {});

// Joins a bid-side and an ask-side bar file of the same symbol on bar time. Bars present in only
// one file are left out and counted (`unmatched`, and *unmatched when non-null). Crossed bars are
// counted and handled by `rule`. Fails with "bad_request" when the sides or symbols do not fit.
Result<BarData> MergeBidAsk(const BarData& bid, const BarData& ask,
                            std::int64_t* unmatched = nullptr,
                            CrossedRule rule = CrossedRule::kClamp);

// Reads a bid bar file and an ask bar file of one symbol (sides forced, whatever the names say)
// and merges them. `options` applies to both files.
Result<BarData> ReadBarsPair(const std::filesystem::path& bid_file,
                             const std::filesystem::path& ask_file,
                             const ReadOptions& options = {});

// A `--data` value: one file, or `BIDFILE,ASKFILE` (a comma splits only when the whole text is
// not itself an existing file). Fails with "bad_request" on an empty part or more than one comma.
struct DataSpec {
  std::filesystem::path file;                     // the file, or the bid file of a pair
  std::optional<std::filesystem::path> ask_file;  // set for a pair
};
Result<DataSpec> ParseDataSpec(std::string_view spec);
// ReadBars for a single file, ReadBarsPair for `BID,ASK`.
Result<BarData> ReadBarsSpec(std::string_view spec, const ReadOptions& options = {});

// Unix ms UTC of a civil date/time (proleptic Gregorian), for readers and tests.
TimeMs CivilToUnixMs(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

}  // namespace bitten::market
