// `bitten backtest` end to end: the real binary on a real market data file. Report invariants
// (trades = wins + losses + other, equity curve end = sum of P&L, JSON parses, CSV rows = trades),
// byte-identical reruns, and the exit codes of CONTRACTS §6 (2 usage, 1 runtime naming the file).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/paths.h"
#include "common/run_bitten.h"

namespace bitten::app {
namespace {

using bitten::testing::ReadFileText;
using bitten::testing::RunBitten;
using bitten::testing::TempDir;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(BacktestCli, RealFileReportInvariantsAndByteIdenticalReruns) {
  BITTEN_REQUIRE_MARKET_FILE(eur, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  TempDir dir;
  const auto csv1 = (dir.path() / "t1.csv").string(), csv2 = (dir.path() / "t2.csv").string();
  const auto svg1 = (dir.path() / "e1.svg").string(), svg2 = (dir.path() / "e2.svg").string();
  auto run = [&](const std::string& csv, const std::string& svg) {
    return RunBitten(dir.path(), {"backtest", "--data", eur.string(), "--json", "--trades", csv,
                                  "--chart", svg});
  };
  const auto first = run(csv1, svg1);
  ASSERT_EQ(first.code, 0) << first.err;
  const auto second = run(csv2, svg2);
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);
  EXPECT_EQ(ReadFileText(csv1), ReadFileText(csv2));
  EXPECT_EQ(ReadFileText(svg1), ReadFileText(svg2));

  const nlohmann::json j = nlohmann::json::parse(first.out);  // throws (fails) when not JSON
  const auto& s = j.at("summary");
  const std::int64_t trades = s.at("trades");
  EXPECT_GT(trades, 0) << "no trade on two weeks of EURUSD M1: the engine or the loop is broken";
  EXPECT_EQ(trades, s.at("wins").get<std::int64_t>() + s.at("losses").get<std::int64_t>() +
                        s.at("other").get<std::int64_t>());
  EXPECT_EQ(j.at("engine").at("bars").get<std::int64_t>(), 15366);

  // Equity curve: one point per trade, its end = start + sum of the CSV's P&L = end balance.
  const auto& curve = j.at("equity_curve");
  ASSERT_EQ(static_cast<std::int64_t>(curve.size()), trades);
  const std::vector<std::string> rows = Lines(ReadFileText(csv1));
  ASSERT_EQ(static_cast<std::int64_t>(rows.size()), trades + 1);  // header + one row per trade
  EXPECT_EQ(rows[0].rfind("number,symbol,side,class,setup,confidence,session", 0), 0u);
  double sum = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string> cells;
    std::istringstream in(rows[i]);
    for (std::string c; std::getline(in, c, ',');) cells.push_back(c);
    ASSERT_EQ(cells.size(), 24u) << rows[i];
    sum += std::stod(cells[21]);  // profit
  }
  const double start = j.at("account").at("start_balance");
  const double end = j.at("account").at("end_balance");
  EXPECT_NEAR(end - start, sum, 0.005);
  EXPECT_NEAR(curve.back().at(1).get<double>(), end, 0.005);
  EXPECT_NEAR(s.at("net_profit").get<double>(), sum, 0.005);

  // Breakdowns add up to the whole.
  for (const char* by : {"by_class", "by_setup", "by_session", "by_symbol", "by_side"}) {
    std::int64_t n = 0;
    for (const auto& [key, g] : j.at(by).items()) n += g.at("trades").get<std::int64_t>();
    EXPECT_EQ(n, trades) << by;
  }
  std::int64_t n = 0;
  for (const auto& row : j.at("calibration")) n += row.at("trades").get<std::int64_t>();
  EXPECT_EQ(n, trades);

  const std::string svg = ReadFileText(svg1);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(BacktestCli, TextReportAndFilters) {
  BITTEN_REQUIRE_MARKET_FILE(eur, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  TempDir dir;
  const auto r = RunBitten(dir.path(), {"backtest", "--data", eur.string(), "--from", "2014-05-05",
                                        "--to", "2014-05-09"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* part :
       {"summary", "win rate", "profit factor", "expectancy", "max drawdown", "sharpe per trade",
        "by class", "by setup", "by session", "by symbol", "calibration", "2014-05-05T00:00Z"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("2014-05-04"), std::string::npos);
  EXPECT_EQ(r.out.find("2014-05-10"), std::string::npos);
}

TEST(BacktestCli, ErrorsExitWithTheRightCodeAndNameTheFault) {
  TempDir dir;
  const std::string missing = (dir.path() / "EURUSD_none.csv").string();
  auto r = RunBitten(dir.path(), {"backtest", "--data", missing});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("EURUSD_none.csv"), std::string::npos) << r.err;

  const std::string bad = (dir.path() / "EURUSD_bad.csv").string();
  std::ofstream(bad) << "date_utc,ms_since_midnight_utc,bid,ask\n20140501,0,1.38,1.3801\n"
                        "20140501,5,1.38,x\n";
  r = RunBitten(dir.path(), {"backtest", "--data", bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("EURUSD_bad.csv:3"), std::string::npos) << r.err;

  r = RunBitten(dir.path(), {"backtest", "--data", bad, "--from", "2014-02-30"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--from 2014-02-30"), std::string::npos) << r.err;
  r = RunBitten(dir.path(),
                {"backtest", "--data", bad, "--from", "2014-05-09", "--to", "2014-05-01"});
  EXPECT_EQ(r.code, 2);
  r = RunBitten(dir.path(), {"backtest"});
  EXPECT_EQ(r.code, 2);
  r = RunBitten(dir.path(), {"backtest", "--data", bad, "--risk-pct", "0"});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace bitten::app
