#include "market/reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/paths.h"

namespace bitten::market {
namespace {

// Data lines of a file, counted independently of the reader (non-empty lines minus the header).
std::int64_t DataLines(const std::filesystem::path& p, bool header) {
  std::ifstream in(p);
  std::string line;
  std::int64_t n = 0;
  while (std::getline(in, line)) {
    if (!line.empty()) ++n;
  }
  return header ? n - 1 : n;
}

std::filesystem::path WriteFile(const testing::TempDir& dir, const std::string& name,
                                const std::string& text) {
  auto p = dir.path() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

TEST(Reader, DetectsEveryShippedFormatFromContent) {
  const std::pair<const char*, DataFormat> files[] = {
      {"EURUSD_M1_bidask_oanda-lean_2014-05.csv", DataFormat::kLeanBars},
      {"XAUUSD_M1_bidask_oanda-lean_2014-05.csv", DataFormat::kLeanBars},
      {"EURUSD_ticks_bidask_oanda-lean_2014-05.csv", DataFormat::kLeanTicks},
      {"XAUUSD_ticks_bidask_oanda-lean_2014-05-01_02.csv", DataFormat::kLeanTicks},
      {"GBPUSD_M1_bid_fxcm-nautilus_2012-02.csv", DataFormat::kIsoBars},
      {"USDJPY_M1_ask_fxcm-nautilus_2013-02.csv", DataFormat::kIsoBars},
      {"USDJPY_M1_bid_histdata-calvincouch_2016-01_03.csv", DataFormat::kHistDataM1},
      {"EURUSD_ticks_bidask_histdata-nautilus_2020-01-01.csv", DataFormat::kHistDataTicks},
      {"USDJPY_ticks_bidask_truefx-nautilus_2013-01.csv", DataFormat::kIsoTicks},
  };
  for (const auto& [name, format] : files) {
    BITTEN_REQUIRE_MARKET_FILE(path, name);
    auto f = DetectFormat(path);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(*f, format) << name;
  }
}

TEST(Reader, LeanBarsEveryRowBothSides) {
  BITTEN_REQUIRE_MARKET_FILE(path, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  auto r = ReadBars(path);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->symbol, "EURUSD");
  EXPECT_EQ(r->side, QuoteSide::kBidAsk);
  EXPECT_EQ(static_cast<std::int64_t>(r->bars.size()), DataLines(path, true));
  // First row: 20140501,0,1.38676,1.38686,1.38669,1.38686,0,1.38686,1.38697,1.38680,1.38697,0
  const Bar& b = r->bars.front();
  EXPECT_EQ(b.time, CivilToUnixMs(2014, 5, 1));
  EXPECT_EQ(b.open, 1.38676);
  EXPECT_EQ(b.low, 1.38669);
  EXPECT_EQ(b.ask_high, 1.38697);
  EXPECT_EQ(b.ask_close, 1.38697);
  // Price range from the data README.
  double lo = 1e9, hi = 0;
  for (const Bar& x : r->bars) {
    lo = std::min(lo, x.low);
    hi = std::max(hi, x.high);
    EXPECT_EQ(x.time % 60'000, 0);
  }
  EXPECT_NEAR(lo, 1.36472, 0.0002);
  EXPECT_NEAR(hi, 1.39948, 0.0002);
}

// Every price the reader returns is bit-identical to std::from_chars on the raw field (the reader
// uses a faster exact path for plain decimals).
TEST(Reader, PricesAreBitIdenticalToFromChars) {
  for (const char* name : {"XAUUSD_M1_bidask_oanda-lean_2014-05.csv",
                           "USDJPY_M1_bid_histdata-calvincouch_2016-01_03.csv"}) {
    BITTEN_REQUIRE_MARKET_FILE(path, name);
    auto r = ReadBars(path);
    ASSERT_TRUE(r) << r.error().message;
    const bool lean = std::string(name).find("lean") != std::string::npos;
    const char sep = lean ? ',' : ';';
    std::ifstream in(path);
    std::string line;
    if (lean) std::getline(in, line);
    std::size_t i = 0;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      ASSERT_LT(i, r->bars.size());
      std::vector<double> fields;
      std::size_t pos = 0;
      while (true) {
        const auto end = line.find(sep, pos);
        const std::string f = line.substr(pos, end == std::string::npos ? end : end - pos);
        double v = 0;
        std::from_chars(f.data(), f.data() + f.size(), v);
        fields.push_back(v);
        if (end == std::string::npos) break;
        pos = end + 1;
      }
      const Bar& b = r->bars[i++];
      // Lean: date,ms,bo,bh,bl,bc,size,ao,ah,al,ac,size; HistData: ts;o;h;l;c;vol.
      ASSERT_EQ(b.open, fields[lean ? 2 : 1]) << line;
      ASSERT_EQ(b.high, fields[lean ? 3 : 2]) << line;
      ASSERT_EQ(b.low, fields[lean ? 4 : 3]) << line;
      ASSERT_EQ(b.close, fields[lean ? 5 : 4]) << line;
      if (lean) {
        ASSERT_EQ(b.ask_open, fields[7]) << line;
        ASSERT_EQ(b.ask_close, fields[10]) << line;
      }
    }
    EXPECT_EQ(i, r->bars.size());
  }
}

TEST(Reader, LeanTicksWithFractionalMilliseconds) {
  BITTEN_REQUIRE_MARKET_FILE(path, "XAUUSD_ticks_bidask_oanda-lean_2014-05-01_02.csv");
  auto r = ReadTicks(path);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(static_cast<std::int64_t>(r->ticks.size()), DataLines(path, true));
  // "20140501,43.142,1291.677,1292.033": floored to the millisecond.
  EXPECT_EQ(r->ticks.front().time, CivilToUnixMs(2014, 5, 1) + 43);
  EXPECT_EQ(r->ticks.front().bid, 1291.677);
  EXPECT_EQ(r->ticks.front().ask, 1292.033);
  EXPECT_EQ(r->ticks.front().symbol, "XAUUSD");
}

TEST(Reader, HistDataM1IsEstWithoutDaylightSaving) {
  BITTEN_REQUIRE_MARKET_FILE(path, "USDJPY_M1_bid_histdata-calvincouch_2016-01_03.csv");
  auto r = ReadBars(path);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->symbol, "USDJPY");
  EXPECT_EQ(r->side, QuoteSide::kBid);
  EXPECT_EQ(static_cast<std::int64_t>(r->bars.size()), DataLines(path, false));
  // "20160103 170000" EST is Sunday 2016-01-03 22:00 UTC.
  EXPECT_EQ(r->bars.front().time, CivilToUnixMs(2016, 1, 3, 22, 0, 0));
  EXPECT_EQ(r->bars.front().close, 120.205);
  // Summer dates keep UTC-5 (no daylight saving): no bar may be off the minute grid.
  for (const Bar& b : r->bars) ASSERT_EQ(b.time % 60'000, 0);
}

TEST(Reader, HistDataTicksAndTrueFxTicks) {
  BITTEN_REQUIRE_MARKET_FILE(hd, "EURUSD_ticks_bidask_histdata-nautilus_2020-01-01.csv");
  auto h = ReadTicks(hd);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(static_cast<std::int64_t>(h->ticks.size()), DataLines(hd, false));
  // "20200101 170000065" EST = 22:00:00.065 UTC.
  EXPECT_EQ(h->ticks.front().time, CivilToUnixMs(2020, 1, 1, 22, 0, 0) + 65);

  BITTEN_REQUIRE_MARKET_FILE(tf, "USDJPY_ticks_bidask_truefx-nautilus_2013-01.csv");
  auto t = ReadTicks(tf);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(static_cast<std::int64_t>(t->ticks.size()), DataLines(tf, true));
  // "2013-01-01 22:00:00.295000+00:00"
  EXPECT_EQ(t->ticks.front().time, CivilToUnixMs(2013, 1, 1, 22, 0, 0) + 295);
  EXPECT_EQ(t->ticks.front().bid, 86.655);
}

TEST(Reader, FxcmOneSideFilesMergeAndCountCrossedQuotes) {
  BITTEN_REQUIRE_MARKET_FILE(bid_path, "GBPUSD_M1_bid_fxcm-nautilus_2012-02.csv");
  BITTEN_REQUIRE_MARKET_FILE(ask_path, "GBPUSD_M1_ask_fxcm-nautilus_2012-02.csv");
  auto bid = ReadBars(bid_path);
  auto ask = ReadBars(ask_path);
  ASSERT_TRUE(bid) << bid.error().message;
  ASSERT_TRUE(ask) << ask.error().message;
  EXPECT_EQ(bid->side, QuoteSide::kBid);
  EXPECT_EQ(ask->side, QuoteSide::kAsk);
  EXPECT_EQ(static_cast<std::int64_t>(bid->bars.size()), DataLines(bid_path, true));
  EXPECT_EQ(bid->bars.front().time, CivilToUnixMs(2012, 2, 1));
  std::int64_t unmatched = -1;
  auto merged = MergeBidAsk(*bid, *ask, &unmatched);
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(unmatched, 0);
  EXPECT_EQ(merged->bars.size(), bid->bars.size());
  // Count crossed closes independently; the data README reports 347 for GBPUSD.
  std::int64_t crossed = 0;
  for (std::size_t i = 0; i < bid->bars.size(); ++i) {
    if (ask->bars[i].close < bid->bars[i].close) ++crossed;
    // Default rule (kClamp): a crossed ask is raised to the bid, others are untouched.
    ASSERT_EQ(merged->bars[i].ask_close, std::max(ask->bars[i].close, bid->bars[i].close));
    ASSERT_EQ(merged->bars[i].ask_low, std::max(ask->bars[i].low, bid->bars[i].low));
    ASSERT_EQ(merged->bars[i].close, bid->bars[i].close);
  }
  EXPECT_EQ(merged->crossed, crossed);
  EXPECT_EQ(crossed, 347);
  // kKeep leaves the vendor's prices as they are, still counted.
  auto kept = MergeBidAsk(*bid, *ask, nullptr, CrossedRule::kKeep);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->crossed, 347);
  for (std::size_t i = 0; i < bid->bars.size(); ++i) {
    ASSERT_EQ(kept->bars[i].ask_close, ask->bars[i].close);
  }
  // Wrong order of arguments is refused.
  EXPECT_FALSE(MergeBidAsk(*ask, *bid));
}

TEST(Reader, MalformedLineNamesFileLineAndProblem) {
  testing::TempDir dir;
  auto p = WriteFile(dir, "EURUSD_bad.csv",
                     "date_utc,ms_since_midnight_utc,bid,ask\n"
                     "20140501,292,1.38676,1.38686\n"
                     "20140501,920,1.3867x,1.38687\n");
  auto r = ReadTicks(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_data");
  EXPECT_NE(r.error().message.find("EURUSD_bad.csv:3:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("bid is not a number"), std::string::npos) << r.error().message;

  auto q = WriteFile(dir, "EURUSD_short.csv",
                     "timestamp,open,high,low,close\n"
                     "2012-02-01 00:00:00+00:00,1.5,1.6,1.4,1.55\n"
                     "2012-02-01 00:01:00+00:00,1.5,1.6,1.4\n");
  auto s = ReadBars(q);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find(":3: missing field close"), std::string::npos)
      << s.error().message;

  auto back = WriteFile(dir, "EURUSD_back.csv",
                        "timestamp,open,high,low,close\n"
                        "2012-02-01 00:01:00+00:00,1.5,1.6,1.4,1.55\n"
                        "2012-02-01 00:00:00+00:00,1.5,1.6,1.4,1.55\n");
  auto b = ReadBars(back);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find(":3: bar time"), std::string::npos) << b.error().message;

  auto neg = WriteFile(dir, "EURUSD_neg.csv", "20160103 170000;120.1;120.2;-1;120.1;0\n");
  auto n = ReadBars(neg);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find(":1: low must be a positive price"), std::string::npos)
      << n.error().message;

  auto extra = WriteFile(dir, "EURUSD_extra.csv",
                         "date_utc,ms_since_midnight_utc,bid,ask\n20140501,292,1.1,1.2,9\n");
  auto e = ReadTicks(extra);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find(":2: unexpected extra fields"), std::string::npos);
}

TEST(Reader, SymbolFromNameOrOverrideAndWrongKinds) {
  testing::TempDir dir;
  const std::string text = "timestamp,bid,ask\n2013-01-01T22:00:00.5Z,86.655,86.728\n";
  auto p = WriteFile(dir, "quotes.csv", text);
  auto r = ReadTicks(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_request");
  ReadOptions o;
  o.symbol = "USDJPY";
  auto ok = ReadTicks(p, o);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->ticks.front().symbol, "USDJPY");
  EXPECT_EQ(ok->ticks.front().time, CivilToUnixMs(2013, 1, 1, 22, 0, 0) + 500);
  EXPECT_EQ(ReadBars(p, o).error().code, "wrong_kind");

  auto off =
      WriteFile(dir, "EURUSD_off.csv",
                "timestamp,open,high,low,close\n2012-02-01 02:00:00+02:00,1.5,1.6,1.4,1.55\n");
  auto b = ReadBars(off);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->bars.front().time, CivilToUnixMs(2012, 2, 1, 0, 0, 0));

  auto junk = WriteFile(dir, "EURUSD_junk.csv", "hello,world\n");
  EXPECT_EQ(DetectFormat(junk).error().code, "unknown_format");
  EXPECT_EQ(DetectFormat(dir.path() / "missing.csv").error().code, "io_error");
}

}  // namespace
}  // namespace bitten::market
