// Readers for the market data files users bring (../shared/data/market/README.md). The format is
// detected from the content (header or first line), never from the file name:
//
//   kLeanBars       header date_utc,ms_since_midnight_utc,bid_open,...,ask_close,last_ask_size
//   (UTC) kLeanTicks      header date_utc,ms_since_midnight_utc,bid,ask; the ms may be fractional
//   (floored) kIsoBars        header timestamp,open,high,low,close; ISO time with offset; ONE side
//   per file kIsoTicks       header timestamp,bid,ask; ISO time with fractional seconds and offset
//   kHistDataM1     no header, `YYYYMMDD HHMMSS;open;high;low;close;volume`, EST = UTC-5 all year
//   kHistDataTicks  no header, `YYYYMMDD HHMMSSfff,bid,ask,volume`, EST = UTC-5 all year
//
// The symbol is ReadOptions::symbol when set, else the file name's prefix before the first '_'
// ("EURUSD_M1_bidask_..." -> "EURUSD"). One-side bar files (kIsoBars, kHistDataM1) carry the side
// in the file name ("_bid_" / "_ask_"; neither: bid, HistData's convention); MergeBidAsk joins a
// bid file and an ask file.
//
// Failure is a value: "io_error" (cannot open), "unknown_format" (first line matches nothing),
// "wrong_kind" (ReadTicks on a bar file or the reverse), "bad_data" naming file, 1-based line
// number and what was wrong (missing field, not a number, non-positive or non-finite price, time
// going backwards). Nothing is silently dropped. Crossed quotes (ask < bid) are real in some vendor
// files: they are kept and counted (`crossed`), the caller decides. Parsing uses std::from_chars on
// one in-memory copy of the file. Stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "market/types.h"

namespace bitten::market {

enum class DataFormat { kLeanBars, kLeanTicks, kIsoBars, kIsoTicks, kHistDataM1, kHistDataTicks };
std::string_view ToString(DataFormat f);  // "lean_bars", "lean_ticks", ...
bool IsBarFormat(DataFormat f);

enum class QuoteSide { kBidAsk, kBid, kAsk };

struct ReadOptions {
  // Symbol of every row. Default: empty = taken from the file name's prefix.
  std::string symbol;
};

struct BarData {
  std::string symbol;
  DataFormat format = DataFormat::kLeanBars;
  // kBidAsk: both sides are real. kBid / kAsk (one-side files): that side's prices are in
  // open..close AND copied to ask_open..ask_close (zero spread); ReplayFeed and MergeBidAsk know.
  QuoteSide side = QuoteSide::kBidAsk;
  std::vector<Bar> bars;  // time strictly increasing
  std::int64_t crossed =
      0;  // bars with ask_close < close (after MergeBidAsk, or in a bid/ask file)
};

struct TickData {
  std::string symbol;
  DataFormat format = DataFormat::kLeanTicks;
  std::vector<Tick> ticks;   // time non-decreasing (several quotes in one ms are real)
  std::int64_t crossed = 0;  // ticks with ask < bid
};

// Reads the first line of `file` and names its format.
Result<DataFormat> DetectFormat(const std::filesystem::path& file);

Result<BarData> ReadBars(const std::filesystem::path& file, const ReadOptions& options = {});
Result<TickData> ReadTicks(const std::filesystem::path& file, const ReadOptions& options = {});

// Joins a bid-side and an ask-side bar file of the same symbol on bar time. Bars present in only
// one file are left out and counted in `unmatched` when non-null. Fails with "bad_request" when the
// sides or symbols do not fit.
Result<BarData> MergeBidAsk(const BarData& bid, const BarData& ask,
                            std::int64_t* unmatched = nullptr);

// Unix ms UTC of a civil date/time (proleptic Gregorian), for readers and tests.
TimeMs CivilToUnixMs(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

}  // namespace bitten::market
