// Readers for the formats users bring besides the shipped files (MetaTrader 5 exports, named-column
// CSV), the bid/ask pair, the format override, the time-zone option and the crossed-quote rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "common/paths.h"
#include "market/reader.h"

namespace bitten::market {
namespace {

std::filesystem::path Write(const testing::TempDir& dir, const std::string& name,
                            const std::string& text) {
  auto p = dir.path() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// Expects a bad_data error naming `file:line:` and containing `what`.
void ExpectBadLine(const Error& e, const std::string& file_line, const std::string& what) {
  EXPECT_EQ(e.code, "bad_data") << e.message;
  EXPECT_NE(e.message.find(file_line), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(what), std::string::npos) << e.message;
}

const char kMt5Bars[] =
    "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
    "2024.01.02\t00:00:00\t1.10427\t1.10447\t1.10420\t1.10438\t57\t0\t12\n"
    "2024.01.02\t00:01:00\t1.10438\t1.10442\t1.10430\t1.10431\t40\t0\t11\n";

TEST(ReaderMt5, TabBarsWithServerTimeOffset) {
  testing::TempDir dir;
  auto p = Write(dir, "EURUSD_M1_202401.csv", kMt5Bars);
  EXPECT_EQ(*DetectFormat(p), DataFormat::kMt5Bars);
  ReadOptions o;
  o.tz_offset_minutes = 120;  // broker server at UTC+2
  auto r = ReadBars(p, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->format, DataFormat::kMt5Bars);
  EXPECT_EQ(r->side, QuoteSide::kBid);
  ASSERT_EQ(r->bars.size(), 2u);
  EXPECT_EQ(r->bars[0].time, CivilToUnixMs(2024, 1, 1, 22, 0, 0));
  EXPECT_EQ(r->bars[0].open, 1.10427);
  EXPECT_EQ(r->bars[0].high, 1.10447);
  EXPECT_EQ(r->bars[0].low, 1.10420);
  EXPECT_EQ(r->bars[1].close, 1.10431);
  // Without the option the server time is taken as UTC.
  auto utc = ReadBars(p);
  ASSERT_TRUE(utc);
  EXPECT_EQ(utc->bars[0].time, CivilToUnixMs(2024, 1, 2, 0, 0, 0));
}

TEST(ReaderMt5, Utf16ExportIsRead) {
  testing::TempDir dir;
  std::string wide = "\xFF\xFE";
  for (char c : std::string(kMt5Bars)) {
    wide.push_back(c);
    wide.push_back('\0');
  }
  auto p = Write(dir, "EURUSD_M1_utf16.csv", wide);
  EXPECT_EQ(*DetectFormat(p), DataFormat::kMt5Bars);
  auto r = ReadBars(p);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->bars.size(), 2u);
  EXPECT_EQ(r->bars[1].open, 1.10438);
}

TEST(ReaderMt5, TabBarsBadLine) {
  testing::TempDir dir;
  auto p = Write(dir, "EURUSD_bad.csv",
                 std::string(kMt5Bars) + "2024.01.02\t00:02\t1.1\t1.2\tx\t1.1\t1\t0\t1\n");
  auto r = ReadBars(p);
  ASSERT_FALSE(r);
  ExpectBadLine(r.error(), "EURUSD_bad.csv:4:", "<LOW> is not a number: 'x'");
  auto q = Write(dir, "EURUSD_badtime.csv",
                 std::string(kMt5Bars) + "2024.13.02\t00:02\t1.1\t1.2\t1.0\t1.1\t1\t0\t1\n");
  ExpectBadLine(ReadBars(q).error(), "EURUSD_badtime.csv:4:", "bad date '2024.13.02'");
}

TEST(ReaderMt5, TicksCarryEmptySidesAndCountCrossed) {
  testing::TempDir dir;
  auto p = Write(dir, "XAUUSD_ticks.csv",
                 "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
                 "2024.01.02\t01:00:00.120\t2063.10\t2063.40\t\t\t6\n"
                 "2024.01.02\t01:00:00.350\t\t2063.50\t\t\t4\n"
                 "2024.01.02\t01:00:01.000\t2063.60\t\t\t\t2\n");
  EXPECT_EQ(*DetectFormat(p), DataFormat::kMt5Ticks);
  ReadOptions o;
  o.tz_offset_minutes = 120;
  auto r = ReadTicks(p, o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->ticks.size(), 3u);
  EXPECT_EQ(r->ticks[0].time, CivilToUnixMs(2024, 1, 1, 23, 0, 0) + 120);
  EXPECT_EQ(r->ticks[1].bid, 2063.10);  // carried
  EXPECT_EQ(r->ticks[1].ask, 2063.50);
  // Third tick: bid 2063.60 above the carried ask 2063.50: crossed, clamped to zero spread.
  EXPECT_EQ(r->crossed, 1);
  EXPECT_EQ(r->ticks[2].ask, 2063.60);

  auto bad = Write(dir, "XAUUSD_first_empty.csv",
                   "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
                   "2024.01.02\t01:00:00.120\t\t2063.40\t\t\t6\n");
  ExpectBadLine(ReadTicks(bad).error(), "XAUUSD_first_empty.csv:2:", "<BID> is empty");
}

TEST(ReaderMt5, CsvLayoutWithEpochOrIsoTimes) {
  testing::TempDir dir;
  // 1704153600 = 2024-01-02 00:00:00 (server time).
  auto p = Write(dir, "USDJPY_rates.csv",
                 "time,open,high,low,close,tick_volume,spread,real_volume\n"
                 "1704153600,141.010,141.060,140.980,141.020,120,3,0\n"
                 "1704153660,141.020,141.030,140.990,141.000,80,3,0\n");
  EXPECT_EQ(*DetectFormat(p), DataFormat::kMt5Csv);
  ReadOptions o;
  o.tz_offset_minutes = 180;
  auto r = ReadBars(p, o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->bars.size(), 2u);
  EXPECT_EQ(r->bars[0].time, CivilToUnixMs(2024, 1, 1, 21, 0, 0));
  EXPECT_EQ(r->bars[1].close, 141.0);

  auto iso = Write(dir, "USDJPY_rates_iso.csv",
                   "time,open,high,low,close,tick_volume,spread\n"
                   "2024-01-02 00:00:00,141.010,141.060,140.980,141.020,120,3\n"
                   "2024-01-02 00:01,141.020,141.030,140.990,141.000,80,3\n");
  EXPECT_EQ(*DetectFormat(iso), DataFormat::kMt5Csv);
  auto i = ReadBars(iso, o);
  ASSERT_TRUE(i) << i.error().message;
  EXPECT_EQ(i->bars[0].time, r->bars[0].time);
  EXPECT_EQ(i->bars[1].time, r->bars[1].time);

  auto bad = Write(dir, "USDJPY_bad.csv",
                   "time,open,high,low,close,tick_volume,spread\n"
                   "1704153600,141.010,141.060,140.980,141.020,120,3\n"
                   "17041536x0,141.010,141.060,140.980,141.020,120,3\n");
  ExpectBadLine(ReadBars(bad).error(), "USDJPY_bad.csv:3:", "bad time '17041536x0'");
}

TEST(ReaderCsv, NamedColumnsBothSidesOneSideAndTicks) {
  testing::TempDir dir;
  // Both sides, columns in any order, unknown columns ignored, ISO 'T' with Z.
  auto both = Write(dir, "EURUSD_both.csv",
                    "Date,volume,Bid_Open,Bid_High,Bid_Low,Bid_Close,Ask_Open,Ask_High,Ask_Low,"
                    "Ask_Close\n"
                    "2024-01-02T00:00:00Z,5,1.1,1.2,1.0,1.15,1.1002,1.2002,1.0002,1.1502\n");
  EXPECT_EQ(*DetectFormat(both), DataFormat::kCsvBars);
  auto b = ReadBars(both);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->side, QuoteSide::kBidAsk);
  EXPECT_EQ(b->bars[0].time, CivilToUnixMs(2024, 1, 2));
  EXPECT_EQ(b->bars[0].ask_low, 1.0002);
  EXPECT_EQ(b->bars[0].close, 1.15);

  // One side named in the header: ask_ columns only.
  auto ask = Write(dir, "EURUSD_x.csv",
                   "datetime;ask_open;ask_high;ask_low;ask_close\n"
                   "2024.01.02 00:00;1.1;1.2;1.0;1.15\n");
  auto a = ReadBars(ask);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->side, QuoteSide::kAsk);
  EXPECT_EQ(a->bars[0].close, 1.15);

  // Ticks with only a bid column: ask = bid, side kBid; an offset in the text wins over the option.
  auto bid = Write(dir, "EURUSD_bidticks.csv",
                   "time,bid\n2024-01-02 02:00:00.250+02:00,1.1\n2024-01-02 02:00:01+02:00,1.2\n");
  EXPECT_EQ(*DetectFormat(bid), DataFormat::kCsvTicks);
  ReadOptions o;
  o.tz_offset_minutes = 60;
  auto t = ReadTicks(bid, o);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->side, QuoteSide::kBid);
  EXPECT_EQ(t->ticks[0].time, CivilToUnixMs(2024, 1, 2) + 250);
  EXPECT_EQ(t->ticks[1].ask, 1.2);

  // Bad lines name file, line and problem.
  auto bad = Write(dir, "EURUSD_badticks.csv",
                   "timestamp,bid,ask,volume\n"
                   "2024-01-02 00:00:00,1.1,1.1001,3\n"
                   "2024-01-02 00:00:01,1.1,0,3\n");
  ExpectBadLine(ReadTicks(bad).error(), "EURUSD_badticks.csv:3:", "ask must be a positive price");
  auto back =
      Write(dir, "EURUSD_back.csv",
            "timestamp,bid,ask\n2024-01-02 00:00:01,1.1,1.2\n2024-01-02 00:00:00,1.1,1.2\n");
  ExpectBadLine(ReadTicks(back).error(), "EURUSD_back.csv:3:", "is before the previous tick");
  auto badbar =
      Write(dir, "EURUSD_badbar.csv",
            "Date,Bid_Open,Bid_High,Bid_Low,Bid_Close,Ask_Open,Ask_High,Ask_Low,Ask_Close\n"
            "2024-01-02 00:00,1.1,1.2,1.0,1.15,1.1,1.2,1.0\n");
  ExpectBadLine(ReadBars(badbar).error(), "EURUSD_badbar.csv:2:", "missing field Ask_Close");
}

TEST(ReaderCsv, EveryShippedFormatStopsAtABadLine) {
  testing::TempDir dir;
  struct Case {
    const char* text;
    bool bars;
    const char* what;
    bool header = true;
  };
  const Case cases[] = {
      {"date_utc,ms_since_midnight_utc,bid_open,bid_high,bid_low,bid_close,last_bid_size,ask_open,"
       "ask_high,ask_low,ask_close,last_ask_size\n20140501,0,1.3,1.3,1.3,1.3,0,1.3,1.3,1.3,1.3,0\n"
       "2014050,60000,1.3,1.3,1.3,1.3,0,1.3,1.3,1.3,1.3,0\n",
       true, "bad date '2014050'"},
      {"date_utc,ms_since_midnight_utc,bid,ask\n20140501,1,1.3,1.4\n20140501,2,1.3,nan\n", false,
       "ask must be a positive price"},
      {"timestamp,open,high,low,close\n2012-02-01 00:00:00+00:00,1.5,1.6,1.4,1.55\n"
       "2012-02-01 00:01:00+25:00x,1.5,1.6,1.4,1.55\n",
       true, "bad timestamp"},
      {"timestamp,bid,ask\n2013-01-01 22:00:00.295000+00:00,86.655,86.728\n"
       "2013-01-01 22:00:00.395000+00:00,86.655\n",
       false, "missing field ask"},
      {"20160103 170000;120.2;120.3;120.1;120.2;0\n20160103 170100;120.2;120.3;120.1;120.2\n", true,
       "missing field volume", false},
      {"20200101 170000065,1.12,1.13,0\n20200101 17000006,1.12,1.13,0\n", false,
       "bad timestamp '20200101 17000006'", false},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string name = "EURUSD_case" + std::to_string(i++) + ".csv";
    auto p = Write(dir, name, c.text);
    ASSERT_TRUE(DetectFormat(p)) << name;
    if (c.bars) {
      auto r = ReadBars(p);
      ASSERT_FALSE(r) << name;
      ExpectBadLine(r.error(), name + (c.header ? ":3:" : ":2:"), c.what);
    } else {
      auto r = ReadTicks(p);
      ASSERT_FALSE(r) << name;
      ExpectBadLine(r.error(), name + (c.header ? ":3:" : ":2:"), c.what);
    }
  }
}

TEST(ReaderOptions, FormatOverrideAndTimeZone) {
  BITTEN_REQUIRE_MARKET_FILE(path, "USDJPY_M1_bid_histdata-calvincouch_2016-01_03.csv");
  // HistData default: EST (UTC-5); an explicit zero offset reads the same clock as UTC.
  ReadOptions o;
  o.tz_offset_minutes = 0;
  auto utc = ReadBars(path, o);
  ASSERT_TRUE(utc) << utc.error().message;
  EXPECT_EQ(utc->bars.front().time, CivilToUnixMs(2016, 1, 3, 17, 0, 0));
  // Override: reading the M1 file as HistData ticks fails on line 1 and says why.
  ReadOptions f;
  f.format = DataFormat::kHistDataTicks;
  EXPECT_EQ(ReadTicks(path, f).error().code, "bad_data");
  f.format = DataFormat::kLeanBars;
  auto lean = ReadBars(path, f);
  ASSERT_FALSE(lean);
  ExpectBadLine(lean.error(), "histdata-calvincouch_2016-01_03.csv:2:", "bad date");

  testing::TempDir dir;
  // A headered file the detection calls mt5_csv, forced to the generic csv_bars reader.
  auto p =
      Write(dir, "USDJPY_r.csv",
            "time,open,high,low,close,tick_volume,spread\n1704153600,141,141.1,140.9,141,1,3\n");
  f.format = DataFormat::kCsvBars;
  auto g = ReadBars(p, f);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->format, DataFormat::kCsvBars);
  // A generic format forced on a file whose header does not fit.
  f.format = DataFormat::kCsvTicks;
  EXPECT_EQ(ReadTicks(p, f).error().code, "bad_data");

  for (int k = 0; k <= static_cast<int>(DataFormat::kCsvTicks); ++k) {
    const auto df = static_cast<DataFormat>(k);
    EXPECT_EQ(ParseDataFormat(ToString(df)), df);
  }
  EXPECT_FALSE(ParseDataFormat("excel"));
}

TEST(ReaderPair, UsdjpyBidAskFilesAsOnePair) {
  BITTEN_REQUIRE_MARKET_FILE(bid_path, "USDJPY_M1_bid_fxcm-nautilus_2013-02.csv");
  BITTEN_REQUIRE_MARKET_FILE(ask_path, "USDJPY_M1_ask_fxcm-nautilus_2013-02.csv");
  auto r = ReadBarsSpec(bid_path.string() + "," + ask_path.string());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->symbol, "USDJPY");
  EXPECT_EQ(r->side, QuoteSide::kBidAsk);
  EXPECT_EQ(r->unmatched, 0);
  EXPECT_EQ(r->bars.size(), 28'761u);
  EXPECT_EQ(r->crossed, 683);  // the data README's figure
  for (const Bar& b : r->bars) {
    ASSERT_GE(b.ask_open, b.open);
    ASSERT_GE(b.ask_high, b.high);
    ASSERT_GE(b.ask_low, b.low);
    ASSERT_GE(b.ask_close, b.close);
  }
  // Given in the wrong order, the symbols still match but the sides are forced by position.
  auto single = ReadBarsSpec(bid_path.string());
  ASSERT_TRUE(single);
  EXPECT_EQ(single->side, QuoteSide::kBid);
}

TEST(ReaderPair, DataSpecParsing) {
  auto one = ParseDataSpec("a.csv");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->file, "a.csv");
  EXPECT_FALSE(one->ask_file);
  auto two = ParseDataSpec("bid.csv,ask.csv");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->file, "bid.csv");
  ASSERT_TRUE(two->ask_file);
  EXPECT_EQ(*two->ask_file, "ask.csv");
  EXPECT_EQ(ParseDataSpec("bid.csv,").error().code, "bad_request");
  EXPECT_EQ(ParseDataSpec("a,b,c").error().code, "bad_request");
  EXPECT_EQ(ParseDataSpec("").error().code, "bad_request");
  // An existing file whose name has a comma is one file.
  testing::TempDir dir;
  auto p = Write(dir, "EURUSD_a,b.csv", "timestamp,bid,ask\n2024-01-02 00:00:00,1.1,1.2\n");
  auto s = ParseDataSpec(p.string());
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->ask_file);
  // Mismatched symbols are refused.
  auto q =
      Write(dir, "GBPUSD_x.csv", "timestamp,open,high,low,close\n2024-01-02 00:00:00,1,1,1,1\n");
  auto e =
      Write(dir, "EURUSD_y.csv", "timestamp,open,high,low,close\n2024-01-02 00:00:00,1,1,1,1\n");
  EXPECT_EQ(ReadBarsPair(q, e).error().code, "bad_request");
}

}  // namespace
}  // namespace bitten::market
