// Runs the built `bitten ta` on real market files and checks its CSV against TA-Lib's own C code
// (talib_ref) and the reader's bar times; plus the usage (exit 2) and data (exit 1) errors.
#include <gtest/gtest.h>
#include <ta_libc.h>  // test-only TA-Lib reference (talib_ref, tests/CMakeLists.txt)

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/paths.h"
#include "common/run_bitten.h"
#include "market/reader.h"

namespace bitten::app {
namespace {

using bitten::testing::RunBitten;
using bitten::testing::TempDir;

constexpr const char* kLeanEurusd = "EURUSD_M1_bidask_oanda-lean_2014-05.csv";

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : text) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty() || (!text.empty() && text.back() == sep && sep == ',')) parts.push_back(cur);
  return parts;
}

// The CSV as rows of cells (header first).
std::vector<std::vector<std::string>> Csv(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : Split(out, '\n')) rows.push_back(Split(line, ','));
  return rows;
}

double Number(const std::string& cell) {
  double v = std::nan("");
  std::from_chars(cell.data(), cell.data() + cell.size(), v);
  return v;
}

// Checks column `col` of the CSV: empty before TA-Lib's outBegIdx, then TA-Lib's values
// (relative error <= 1e-9).
void ExpectColumn(const std::vector<std::vector<std::string>>& rows, std::size_t col,
                  const std::vector<double>& ref, int beg, int n, const char* what) {
  ASSERT_EQ(static_cast<int>(rows.size()) - 1, beg + n) << what;
  for (int i = 0; i < beg + n; ++i) {
    const auto& row = rows[static_cast<std::size_t>(i) + 1];
    ASSERT_GT(row.size(), col) << what << " row " << i;
    if (i < beg) {
      ASSERT_EQ(row[col], "") << what << " row " << i << " is in warm-up";
      continue;
    }
    const double want = ref[static_cast<std::size_t>(i - beg)];
    ASSERT_LE(std::fabs(Number(row[col]) - want), 1e-9 * std::fabs(want))
        << what << " row " << i << ": " << row[col] << " vs TA-Lib " << want;
  }
}

class TaCmd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(TA_Initialize(), TA_SUCCESS); }
};

TEST_F(TaCmd, ColumnsEqualTaLibOnLeanEurusdBid) {
  BITTEN_REQUIRE_MARKET_FILE(path, kLeanEurusd);
  TempDir dir;
  const auto run = RunBitten(
      dir.path(), {"ta", "--data", path.string(), "--indicator", "sma:20", "--indicator", "macd",
                   "--indicator", "stoch", "--indicator", "bbands:20,2.5", "--indicator", "adx"});
  ASSERT_EQ(run.code, 0) << run.err;
  const auto rows = Csv(run.out);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(run.out.substr(0, run.out.find('\n')),
            "time,sma,macd,macd_signal,macd_hist,stoch_k,stoch_d,bb_upper,bb_middle,bb_lower,adx");

  auto bars = market::ReadBars(path);
  ASSERT_TRUE(bars) << bars.error().message;
  std::vector<double> high, low, close;
  for (const auto& b : bars->bars) {
    high.push_back(b.high);
    low.push_back(b.low);
    close.push_back(b.close);
  }
  const int last = static_cast<int>(close.size()) - 1;
  ASSERT_EQ(rows.size(), close.size() + 1);
  for (std::size_t i = 0; i < bars->bars.size(); ++i) {
    ASSERT_EQ(rows[i + 1].size(), 11u) << "row " << i;
    ASSERT_EQ(rows[i + 1][0], std::to_string(bars->bars[i].time)) << "row " << i;
  }
  // 2014-05-01 00:00 UTC is the file's first bar.
  EXPECT_EQ(rows[1][0], "1398902400000");

  std::vector<double> a(close.size()), b(close.size()), c(close.size());
  int beg = 0, n = 0;
  ASSERT_EQ(TA_SMA(0, last, close.data(), 20, &beg, &n, a.data()), TA_SUCCESS);
  ExpectColumn(rows, 1, a, beg, n, "sma");
  ASSERT_EQ(TA_MACD(0, last, close.data(), 12, 26, 9, &beg, &n, a.data(), b.data(), c.data()),
            TA_SUCCESS);
  ExpectColumn(rows, 2, a, beg, n, "macd");
  ExpectColumn(rows, 3, b, beg, n, "macd_signal");
  ExpectColumn(rows, 4, c, beg, n, "macd_hist");
  ASSERT_EQ(TA_STOCH(0, last, high.data(), low.data(), close.data(), 5, 3, TA_MAType_SMA, 3,
                     TA_MAType_SMA, &beg, &n, a.data(), b.data()),
            TA_SUCCESS);
  ExpectColumn(rows, 5, a, beg, n, "stoch_k");
  ExpectColumn(rows, 6, b, beg, n, "stoch_d");
  ASSERT_EQ(TA_BBANDS(0, last, close.data(), 20, 2.5, 2.5, TA_MAType_SMA, &beg, &n, a.data(),
                      b.data(), c.data()),
            TA_SUCCESS);
  ExpectColumn(rows, 7, a, beg, n, "bb_upper");
  ExpectColumn(rows, 8, b, beg, n, "bb_middle");
  ExpectColumn(rows, 9, c, beg, n, "bb_lower");
  ASSERT_EQ(TA_ADX(0, last, high.data(), low.data(), close.data(), 14, &beg, &n, a.data()),
            TA_SUCCESS);
  ExpectColumn(rows, 10, a, beg, n, "adx");
}

TEST_F(TaCmd, AskAndMidSidesUseThosePrices) {
  BITTEN_REQUIRE_MARKET_FILE(path, "XAUUSD_M1_bidask_oanda-lean_2014-05.csv");
  auto bars = market::ReadBars(path);
  ASSERT_TRUE(bars) << bars.error().message;
  for (const std::string side : {"ask", "mid"}) {
    TempDir dir;
    const auto run = RunBitten(dir.path(), {"ta", "--data", path.string(), "--side", side,
                                            "--indicator", "cci:20", "--indicator", "rsi"});
    ASSERT_EQ(run.code, 0) << run.err;
    EXPECT_EQ(run.out.substr(0, run.out.find('\n')), "time,cci,rsi");
    std::vector<double> high, low, close;
    for (const auto& b : bars->bars) {
      if (side == "ask") {
        high.push_back(b.ask_high);
        low.push_back(b.ask_low);
        close.push_back(b.ask_close);
      } else {
        high.push_back((b.high + b.ask_high) / 2);
        low.push_back((b.low + b.ask_low) / 2);
        close.push_back((b.close + b.ask_close) / 2);
      }
    }
    const auto rows = Csv(run.out);
    const int last = static_cast<int>(close.size()) - 1;
    std::vector<double> out(close.size());
    int beg = 0, n = 0;
    ASSERT_EQ(TA_CCI(0, last, high.data(), low.data(), close.data(), 20, &beg, &n, out.data()),
              TA_SUCCESS);
    ExpectColumn(rows, 1, out, beg, n, side == "ask" ? "cci ask" : "cci mid");
    ASSERT_EQ(TA_RSI(0, last, close.data(), 14, &beg, &n, out.data()), TA_SUCCESS);
    ExpectColumn(rows, 2, out, beg, n, side == "ask" ? "rsi ask" : "rsi mid");
  }
}

TEST_F(TaCmd, RepeatedIndicatorsGetArgumentSuffixes) {
  BITTEN_REQUIRE_MARKET_FILE(path, kLeanEurusd);
  TempDir dir;
  const auto run = RunBitten(
      dir.path(), {"ta", "--data", path.string(), "--indicator", "ema:10", "--indicator", "ema:50",
                   "--indicator", "atr", "--indicator", "bbands", "--indicator", "bbands:20,1.5"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out.substr(0, run.out.find('\n')),
            "time,ema_10,ema_50,atr,bb_upper_5_2,bb_middle_5_2,bb_lower_5_2,bb_upper_20_1.5,"
            "bb_middle_20_1.5,bb_lower_20_1.5");
  const auto rows = Csv(run.out);
  // Warm-up lengths: ema:10 -> 9 empty rows, ema:50 -> 49, atr:14 -> 14.
  ASSERT_GT(rows.size(), 60u);
  EXPECT_EQ(rows[9][1], "");
  EXPECT_NE(rows[10][1], "");
  EXPECT_EQ(rows[49][2], "");
  EXPECT_NE(rows[50][2], "");
  EXPECT_EQ(rows[14][3], "");
  EXPECT_NE(rows[15][3], "");
}

TEST_F(TaCmd, OneSideFileDefaultsToItsSide) {
  BITTEN_REQUIRE_MARKET_FILE(path, "GBPUSD_M1_ask_fxcm-nautilus_2012-02.csv");
  TempDir dir;
  const auto run = RunBitten(dir.path(), {"ta", "--data", path.string(), "--indicator", "sma:5"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(Csv(run.out).size(), 30117u + 1);
  const auto wrong = RunBitten(
      dir.path(), {"ta", "--data", path.string(), "--side", "bid", "--indicator", "sma:5"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find(path.string()), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("only ask"), std::string::npos) << wrong.err;
  EXPECT_TRUE(wrong.out.empty());
}

TEST_F(TaCmd, UsageErrorsExitTwoWithOneLine) {
  BITTEN_REQUIRE_MARKET_FILE(path, kLeanEurusd);
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--indicator", "vwap"}, "unknown indicator 'vwap'"},
      {{"--indicator", "sma:0"}, "N of sma:N must be a whole number from 2"},
      {{"--indicator", "sma:1.5"}, "whole number"},
      {{"--indicator", "rsi:abc"}, "must be a number, got 'abc'"},
      {{"--indicator", "bbands:20,2,3"}, "too many arguments"},
      {{"--indicator", "bbands:20,inf"}, "must be a number"},
      {{"--indicator", "macd:12,26,1"}, "SIG of macd:F,S,SIG"},
      {{"--indicator", "sma:20", "--indicator", "sma:20"}, "same indicator and arguments"},
      {{"--indicator", "sma", "--side", "both"}, "--side"},
      {{}, "--indicator"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"ta", "--data", path.string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto run = RunBitten(dir.path(), args);
    EXPECT_EQ(run.code, 2) << c.says << ": " << run.err;
    EXPECT_NE(run.err.find(c.says), std::string::npos) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_TRUE(run.out.empty()) << c.says;
  }
}

TEST_F(TaCmd, BadDataExitsOneNamingFileAndLine) {
  TempDir dir;
  const std::string bad = (dir.path() / "EURUSD_bad.csv").string();
  std::ofstream(bad) << "timestamp,open,high,low,close\n"
                     << "2012-02-01 00:00:00+00:00,1.3,1.31,1.29,1.305\n"
                     << "2012-02-01 00:01:00+00:00,1.3,oops,1.29,1.305\n";
  const auto run = RunBitten(dir.path(), {"ta", "--data", bad, "--indicator", "sma:2"});
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.err.find(bad), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("3"), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty());

  const std::string missing = (dir.path() / "nope.csv").string();
  const auto none = RunBitten(dir.path(), {"ta", "--data", missing, "--indicator", "sma:2"});
  EXPECT_EQ(none.code, 1) << none.err;
  EXPECT_NE(none.err.find(missing), std::string::npos) << none.err;
}

}  // namespace
}  // namespace bitten::app
