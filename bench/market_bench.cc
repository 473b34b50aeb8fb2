// Market data parsing and aggregation throughput on the real shared files (docs/performance.md,
// section "Market data"). Each read benchmark reads one whole file per iteration (from the page
// cache) and reports rows/s and bytes/s. The MetaTrader 5 cases use files converted from the Lean
// EURUSD M1 bars into both MT5 layouts at start-up (temp dir). The data directory is
// $BITTEN_MARKET_DATA, else the first `shared/data/market` found next to the working directory or
// one of its parents; a missing file makes the benchmark report an error (never a fake figure).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "market/aggregator.h"
#include "market/reader.h"

namespace {

namespace fs = std::filesystem;
using bitten::market::Bar;
using bitten::market::ReadBars;
using bitten::market::ReadBarsPair;
using bitten::market::ReadTicks;

fs::path DataDir() {
  if (const char* env = std::getenv("BITTEN_MARKET_DATA")) return env;
  std::error_code ec;
  for (fs::path p = fs::current_path(ec); !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / "shared" / "data" / "market", ec)) return p / "shared" / "data" / "market";
    if (p == p.parent_path()) break;
  }
  return "../shared/data/market";
}

std::uintmax_t SizeOf(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// Writes the Lean EURUSD M1 bars in the two MetaTrader 5 layouts; returns {tab file, csv file}.
std::pair<fs::path, fs::path> Mt5Files() {
  static const std::pair<fs::path, fs::path> files = [] {
    const fs::path dir = fs::temp_directory_path() / "bitten-market-bench";
    fs::create_directories(dir);
    const fs::path tab = dir / "EURUSD_mt5_bars.csv", csv = dir / "EURUSD_mt5_rates.csv";
    auto bars = ReadBars(DataDir() / "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
    if (!bars) return std::make_pair(fs::path(), fs::path());
    std::ofstream t(tab), c(csv);
    t << "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n";
    c << "time,open,high,low,close,tick_volume,spread,real_volume\n";
    char line[256];
    for (const Bar& b : bars->bars) {
      const std::time_t secs = b.time / 1000;
      std::tm tm{};
      gmtime_r(&secs, &tm);
      std::snprintf(line, sizeof line,
                    "%04d.%02d.%02d\t%02d:%02d:00\t%.5f\t%.5f\t%.5f\t%.5f\t%d\t0\t%d\n",
                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, b.open,
                    b.high, b.low, b.close, 42, 11);
      t << line;
      std::snprintf(line, sizeof line, "%lld,%.5f,%.5f,%.5f,%.5f,42,11,0\n",
                    static_cast<long long>(secs), b.open, b.high, b.low, b.close);
      c << line;
    }
    return std::make_pair(tab, csv);
  }();
  return files;
}

template <typename ReadFn>
void RunRead(benchmark::State& state, const fs::path& file, std::uintmax_t bytes, ReadFn read) {
  if (file.empty() || !fs::exists(file)) {
    state.SkipWithError(("missing market data file " + file.string()).c_str());
    return;
  }
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto r = read();
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    rows = static_cast<std::int64_t>(r->size());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes));
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

void BarsFile(benchmark::State& state, const char* name) {
  const fs::path p = DataDir() / name;
  RunRead(state, p, SizeOf(p), [&]() -> bitten::Result<std::vector<Bar>> {
    auto r = ReadBars(p);
    if (!r) return tl::unexpected(r.error());
    return std::move(r->bars);
  });
}

void TicksFile(benchmark::State& state, const char* name) {
  const fs::path p = DataDir() / name;
  RunRead(state, p, SizeOf(p), [&]() -> bitten::Result<std::vector<bitten::market::Tick>> {
    auto r = ReadTicks(p);
    if (!r) return tl::unexpected(r.error());
    return std::move(r->ticks);
  });
}

void BM_LeanBarsEurusd(benchmark::State& s) {
  BarsFile(s, "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
}
void BM_LeanBarsXauusd(benchmark::State& s) {
  BarsFile(s, "XAUUSD_M1_bidask_oanda-lean_2014-05.csv");
}
void BM_LeanTicksEurusd(benchmark::State& s) {
  TicksFile(s, "EURUSD_ticks_bidask_oanda-lean_2014-05.csv");
}
void BM_LeanTicksXauusd(benchmark::State& s) {
  TicksFile(s, "XAUUSD_ticks_bidask_oanda-lean_2014-05-01_02.csv");
}
void BM_IsoBarsGbpusdBid(benchmark::State& s) {
  BarsFile(s, "GBPUSD_M1_bid_fxcm-nautilus_2012-02.csv");
}
void BM_IsoBarsPairGbpusd(benchmark::State& s) {
  const fs::path bid = DataDir() / "GBPUSD_M1_bid_fxcm-nautilus_2012-02.csv";
  const fs::path ask = DataDir() / "GBPUSD_M1_ask_fxcm-nautilus_2012-02.csv";
  RunRead(s, ask, SizeOf(bid) + SizeOf(ask), [&]() -> bitten::Result<std::vector<Bar>> {
    auto r = ReadBarsPair(bid, ask);
    if (!r) return tl::unexpected(r.error());
    return std::move(r->bars);
  });
}
void BM_IsoBarsPairUsdjpy(benchmark::State& s) {
  const fs::path bid = DataDir() / "USDJPY_M1_bid_fxcm-nautilus_2013-02.csv";
  const fs::path ask = DataDir() / "USDJPY_M1_ask_fxcm-nautilus_2013-02.csv";
  RunRead(s, ask, SizeOf(bid) + SizeOf(ask), [&]() -> bitten::Result<std::vector<Bar>> {
    auto r = ReadBarsPair(bid, ask);
    if (!r) return tl::unexpected(r.error());
    return std::move(r->bars);
  });
}
void BM_HistDataM1Usdjpy(benchmark::State& s) {
  BarsFile(s, "USDJPY_M1_bid_histdata-calvincouch_2016-01_03.csv");
}
void BM_HistDataTicksEurusd(benchmark::State& s) {
  TicksFile(s, "EURUSD_ticks_bidask_histdata-nautilus_2020-01-01.csv");
}
void BM_IsoTicksTrueFxUsdjpy(benchmark::State& s) {
  TicksFile(s, "USDJPY_ticks_bidask_truefx-nautilus_2013-01.csv");
}
void BM_Mt5TabBars(benchmark::State& s) {
  const fs::path p = Mt5Files().first;
  RunRead(s, p, SizeOf(p), [&]() -> bitten::Result<std::vector<Bar>> {
    auto r = ReadBars(p);
    if (!r) return tl::unexpected(r.error());
    return std::move(r->bars);
  });
}
void BM_Mt5CsvBars(benchmark::State& s) {
  const fs::path p = Mt5Files().second;
  RunRead(s, p, SizeOf(p), [&]() -> bitten::Result<std::vector<Bar>> {
    auto r = ReadBars(p);
    if (!r) return tl::unexpected(r.error());
    return std::move(r->bars);
  });
}

// Aggregation of the EURUSD M1 bars (already in memory) to H1, and of the EURUSD ticks to M1.
void BM_AggregateM1ToH1(benchmark::State& state) {
  auto bars = ReadBars(DataDir() / "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
  if (!bars) return state.SkipWithError(bars.error().message.c_str());
  for (auto _ : state) {
    bitten::market::TimeframeAggregator agg(bitten::market::Timeframe::kH1);
    std::int64_t n = 0;
    for (const Bar& b : bars->bars) n += agg.Add(b).has_value();
    n += agg.Flush().has_value();
    benchmark::DoNotOptimize(n);
  }
  state.counters["rows/s"] = benchmark::Counter(
      static_cast<double>(bars->bars.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

void BM_AggregateTicksToM1(benchmark::State& state) {
  auto ticks = ReadTicks(DataDir() / "EURUSD_ticks_bidask_oanda-lean_2014-05.csv");
  if (!ticks) return state.SkipWithError(ticks.error().message.c_str());
  for (auto _ : state) {
    bitten::market::M1Aggregator agg;
    std::int64_t n = 0;
    for (const auto& t : ticks->ticks) n += agg.Add(t).has_value();
    n += static_cast<std::int64_t>(agg.FlushAll().size());
    benchmark::DoNotOptimize(n);
  }
  state.counters["rows/s"] = benchmark::Counter(
      static_cast<double>(ticks->ticks.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

BENCHMARK(BM_LeanBarsEurusd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LeanBarsXauusd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LeanTicksEurusd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LeanTicksXauusd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IsoBarsGbpusdBid)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IsoBarsPairGbpusd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IsoBarsPairUsdjpy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HistDataM1Usdjpy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HistDataTicksEurusd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IsoTicksTrueFxUsdjpy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mt5TabBars)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mt5CsvBars)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AggregateM1ToH1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AggregateTicksToM1)->Unit(benchmark::kMillisecond);

}  // namespace
