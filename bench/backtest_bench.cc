// Full backtest throughput on the shared M1 files (docs/performance.md, "Backtest"): reading and
// parsing the file, the run loop (venom::Engine + bridge::PaperBroker per bar) and the statistics,
// counted in M1 bars per second on one thread. The parse-only and run-only parts are measured in
// the same binary so the split is visible. Needs ../shared/data/market (or $BITTEN_MARKET_DATA).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "app/backtest/data.h"
#include "app/backtest/runner.h"
#include "app/backtest/stats.h"
#include "market/instrument.h"

namespace {

using namespace bitten::app::backtest;

namespace fs = std::filesystem;

// $BITTEN_MARKET_DATA, else the first `shared/data/market` above the working directory.
fs::path DataDir() {
  if (const char* env = std::getenv("BITTEN_MARKET_DATA")) return env;
  std::error_code ec;
  for (fs::path p = fs::current_path(ec); !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / "shared" / "data" / "market", ec)) return p / "shared" / "data" / "market";
    if (p == p.parent_path()) break;
  }
  return "../shared/data/market";
}

std::string MarketFile(const char* name) { return (DataDir() / name).string(); }

const char* const kFiles[] = {"EURUSD_M1_bidask_oanda-lean_2014-05.csv",
                              "XAUUSD_M1_bidask_oanda-lean_2014-05.csv",
                              "GBPUSD_M1_bid_fxcm-nautilus_2012-02.csv,"
                              "GBPUSD_M1_ask_fxcm-nautilus_2012-02.csv"};

std::string Spec(int i) {
  std::string spec = kFiles[i];
  const auto comma = spec.find(',');
  if (comma == std::string::npos) return MarketFile(spec.c_str());
  return MarketFile(spec.substr(0, comma).c_str()) + "," +
         MarketFile(spec.substr(comma + 1).c_str());
}

void BM_FullBacktest(benchmark::State& state) {
  const auto instruments = bitten::market::InstrumentTable::Defaults();
  LoadOptions load;
  load.data = {Spec(static_cast<int>(state.range(0)))};
  std::int64_t bars = 0;
  for (auto _ : state) {
    auto data = LoadBacktestData(load, instruments);
    if (!data) {
      state.SkipWithError(data.error().message.c_str());
      return;
    }
    const RunResult run = RunBacktest(data->bars, RunOptions{}, instruments);
    const Summary s = Summarize(run);
    benchmark::DoNotOptimize(s.all.net_profit);
    bars += run.bars;
  }
  state.SetLabel(kFiles[state.range(0)]);
  state.counters["bars_per_s"] =
      benchmark::Counter(static_cast<double>(bars), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FullBacktest)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void BM_ParseOnly(benchmark::State& state) {
  const auto instruments = bitten::market::InstrumentTable::Defaults();
  LoadOptions load;
  load.data = {Spec(static_cast<int>(state.range(0)))};
  std::int64_t bars = 0;
  for (auto _ : state) {
    auto data = LoadBacktestData(load, instruments);
    if (!data) {
      state.SkipWithError(data.error().message.c_str());
      return;
    }
    bars += static_cast<std::int64_t>(data->bars.size());
  }
  state.SetLabel(kFiles[state.range(0)]);
  state.counters["bars_per_s"] =
      benchmark::Counter(static_cast<double>(bars), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseOnly)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void BM_RunOnly(benchmark::State& state) {
  const auto instruments = bitten::market::InstrumentTable::Defaults();
  LoadOptions load;
  load.data = {Spec(static_cast<int>(state.range(0)))};
  auto data = LoadBacktestData(load, instruments);
  if (!data) {
    state.SkipWithError(data.error().message.c_str());
    return;
  }
  std::int64_t bars = 0;
  for (auto _ : state) {
    const RunResult run = RunBacktest(data->bars, RunOptions{}, instruments);
    benchmark::DoNotOptimize(run.end_balance);
    bars += run.bars;
  }
  state.SetLabel(kFiles[state.range(0)]);
  state.counters["bars_per_s"] =
      benchmark::Counter(static_cast<double>(bars), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RunOnly)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

}  // namespace
