#include "app/backtest_cmd.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/backtest/data.h"
#include "app/backtest/report.h"
#include "app/backtest/runner.h"
#include "app/backtest/stats.h"
#include "market/instrument.h"

namespace bitten::app {
namespace {

struct BacktestArgs {
  std::vector<std::string> data;
  std::string symbol;
  std::string from, to;
  bool json = false;
  std::string trades_csv;
  std::string chart_svg;
  double balance = 10000;
  double risk_percent = 1.0;
  int slippage_points = 0;
  double spread_pips = 0;
  std::optional<int> tz_offset_minutes;
};

Status WriteWhole(const std::string& path, const std::string& text, const char* option) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (f) f.close();
  if (!f) return Fail("io_error", std::string(option) + " " + path + ": cannot write the file");
  return Ok();
}

int RunBacktestCommand(const BacktestArgs& a) {
  backtest::LoadOptions load;
  load.data = a.data;
  load.symbol = a.symbol;
  load.spread_pips = a.spread_pips;
  load.tz_offset_minutes = a.tz_offset_minutes;
  if (!a.from.empty()) {
    auto t = backtest::ParseDateOption("--from", a.from, false);
    if (!t) return ReportFailure(t.error());
    load.from = *t;
  }
  if (!a.to.empty()) {
    auto t = backtest::ParseDateOption("--to", a.to, true);
    if (!t) return ReportFailure(t.error());
    load.to = *t;
  }
  if (load.from && load.to && *load.from >= *load.to) {
    return ReportFailure(Error{"usage", "--from " + a.from + " is not before --to " + a.to});
  }
  const market::InstrumentTable instruments = market::InstrumentTable::Defaults();
  auto data = backtest::LoadBacktestData(load, instruments);
  if (!data) return ReportFailure(data.error());

  backtest::RunOptions run_options;
  run_options.balance = a.balance;
  run_options.risk_percent = a.risk_percent;
  run_options.slippage_points = a.slippage_points;
  const backtest::RunResult run = backtest::RunBacktest(data->bars, run_options, instruments);
  const backtest::Summary summary = backtest::Summarize(run);
  const backtest::ReportContext ctx{&*data, &run_options};

  if (!a.trades_csv.empty()) {
    if (auto s = WriteWhole(a.trades_csv, backtest::TradesCsv(run), "--trades"); !s) {
      return ReportFailure(s.error());
    }
  }
  if (!a.chart_svg.empty()) {
    std::string title = "BITTEN backtest equity:";
    for (const backtest::DataSource& s : data->sources) title += " " + s.symbol;
    if (auto s = WriteWhole(a.chart_svg, backtest::EquitySvg(run, title), "--chart"); !s) {
      return ReportFailure(s.error());
    }
  }
  if (a.json) {
    std::cout << backtest::JsonReport(ctx, run, summary).dump(2) << "\n";
  } else {
    std::cout << backtest::TextReport(ctx, run, summary);
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

void AddBacktestCommand(CLI::App& root, CliAction* action) {
  CLI::App* cmd = root.add_subcommand(
      "backtest",
      "Replay market data through the VENOM engine and a simulated broker; report the results");
  auto args = std::make_shared<BacktestArgs>();
  cmd->add_option("--data", args->data,
                  "Market data file (bars or ticks, any format of docs/backtest.md), or "
                  "BIDFILE,ASKFILE; repeat for several files")
      ->required();
  cmd->add_option("--symbol", args->symbol, "Only this symbol (e.g. EURUSD)");
  cmd->add_option("--from", args->from, "First UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS])");
  cmd->add_option("--to", args->to,
                  "Last UTC date, inclusive for a date (YYYY-MM-DD), exclusive for a time");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_option("--trades", args->trades_csv, "Write one CSV row per trade to this file");
  cmd->add_option("--chart", args->chart_svg, "Write the equity curve as SVG to this file");
  cmd->add_option("--balance", args->balance, "Starting balance in USD. Default: 10000")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--risk-pct", args->risk_percent,
                  "Risk per trade, % of the starting balance. Default: 1")
      ->check(CLI::Range(0.01, 100.0));
  cmd->add_option("--slippage-points", args->slippage_points,
                  "Adverse slippage of entries and stop exits, in points. Default: 0")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--spread-pips", args->spread_pips,
                  "Spread assumed for one-side bar files, in pips. Default: the symbol's typical "
                  "spread")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--tz-offset", args->tz_offset_minutes,
                  "Minutes the files' times are ahead of UTC (MT5 server time, e.g. 120). Default: "
                  "UTC, or EST (-300) for HistData files")
      ->check(CLI::Range(-720, 840));
  cmd->callback([args, action] { *action = [args] { return RunBacktestCommand(*args); }; });
}

}  // namespace bitten::app
