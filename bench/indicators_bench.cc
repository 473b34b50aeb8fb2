// Streaming indicator throughput against TA-Lib's batch functions on the same real data, in the
// same run (docs/performance.md, section "Indicators"). Each iteration runs one indicator over
// every bar of the Lean EURUSD M1 bid file (15,366 bars): the streaming class is constructed fresh
// and fed bar by bar, writing each ready value into a preallocated output array, exactly the work
// TA-Lib's batch call does with its output arrays. items_per_second = bars (updates) per second.
// The target (issue 3) is each streaming indicator no slower than 2x its TA-Lib reference.
//
// The data directory is $BITTEN_MARKET_DATA, else the first `shared/data/market` found next to the
// working directory or one of its parents; a missing file makes every benchmark report an error.
#include <benchmark/benchmark.h>
#include <ta_libc.h>  // talib_ref (cmake/TalibRef.cmake): bench/test-only

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "market/reader.h"
#include "venom/indicators.h"

namespace {

namespace fs = std::filesystem;
using namespace bitten::venom;

fs::path DataDir() {
  if (const char* env = std::getenv("BITTEN_MARKET_DATA")) return env;
  std::error_code ec;
  for (fs::path p = fs::current_path(ec); !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / "shared" / "data" / "market", ec)) return p / "shared" / "data" / "market";
    if (p == p.parent_path()) break;
  }
  return "../shared/data/market";
}

struct Series {
  std::vector<double> high, low, close;
  std::string error;
  int size() const { return static_cast<int>(close.size()); }
};

const Series& Data() {
  static const Series s = [] {
    Series out;
    TA_Initialize();
    auto bars = bitten::market::ReadBars(DataDir() / "EURUSD_M1_bidask_oanda-lean_2014-05.csv");
    if (!bars) {
      out.error = bars.error().message;
      return out;
    }
    for (const auto& b : bars->bars) {
      out.high.push_back(b.high);
      out.low.push_back(b.low);
      out.close.push_back(b.close);
    }
    return out;
  }();
  return s;
}

// Runs `body(series, out...)` per iteration with up to three output arrays.
template <class Body>
void Run(benchmark::State& state, Body body) {
  const Series& s = Data();
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  std::vector<double> a(s.close.size()), b(s.close.size()), c(s.close.size());
  for (auto _ : state) {
    body(s, a.data(), b.data(), c.data());
    benchmark::DoNotOptimize(a.data());
    benchmark::DoNotOptimize(b.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * s.size());
}

// --- streaming ---------------------------------------------------------------------------------

template <class Ind, class... Args>
void StreamClose(benchmark::State& state, Args... args) {
  Run(state, [&](const Series& s, double* a, double*, double*) {
    Ind ind(args...);
    int n = 0;
    for (int i = 0; i < s.size(); ++i) {
      ind.Update(s.close[i]);
      if (ind.ready()) a[n++] = ind.value();
    }
  });
}

template <class Ind, class... Args>
void StreamHlc(benchmark::State& state, Args... args) {
  Run(state, [&](const Series& s, double* a, double*, double*) {
    Ind ind(args...);
    int n = 0;
    for (int i = 0; i < s.size(); ++i) {
      ind.Update(s.high[i], s.low[i], s.close[i]);
      if (ind.ready()) a[n++] = ind.value();
    }
  });
}

void BM_Stream_Sma(benchmark::State& st) { StreamClose<Sma>(st, 30); }
void BM_Stream_Ema(benchmark::State& st) { StreamClose<Ema>(st, 30); }
void BM_Stream_Rsi(benchmark::State& st) { StreamClose<Rsi>(st, 14); }
void BM_Stream_Atr(benchmark::State& st) { StreamHlc<Atr>(st, 14); }
void BM_Stream_Adx(benchmark::State& st) { StreamHlc<Adx>(st, 14); }
void BM_Stream_Cci(benchmark::State& st) { StreamHlc<Cci>(st, 14); }

void BM_Stream_BBands(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double* b, double* c) {
    BBands ind(20, 2.0);
    int n = 0;
    for (int i = 0; i < s.size(); ++i) {
      ind.Update(s.close[i]);
      if (!ind.ready()) continue;
      a[n] = ind.upper();
      b[n] = ind.middle();
      c[n++] = ind.lower();
    }
  });
}

void BM_Stream_Macd(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double* b, double* c) {
    Macd ind(12, 26, 9);
    int n = 0;
    for (int i = 0; i < s.size(); ++i) {
      ind.Update(s.close[i]);
      if (!ind.ready()) continue;
      a[n] = ind.macd();
      b[n] = ind.signal();
      c[n++] = ind.hist();
    }
  });
}

void BM_Stream_Stoch(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double* b, double*) {
    Stoch ind(5, 3, 3);
    int n = 0;
    for (int i = 0; i < s.size(); ++i) {
      ind.Update(s.high[i], s.low[i], s.close[i]);
      if (!ind.ready()) continue;
      a[n] = ind.k();
      b[n++] = ind.d();
    }
  });
}

// --- TA-Lib batch (reference) ------------------------------------------------------------------

int Last(const Series& s) { return s.size() - 1; }

void BM_TaLib_Sma(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double*, double*) {
    int beg, n;
    TA_SMA(0, Last(s), s.close.data(), 30, &beg, &n, a);
  });
}
void BM_TaLib_Ema(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double*, double*) {
    int beg, n;
    TA_EMA(0, Last(s), s.close.data(), 30, &beg, &n, a);
  });
}
void BM_TaLib_Rsi(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double*, double*) {
    int beg, n;
    TA_RSI(0, Last(s), s.close.data(), 14, &beg, &n, a);
  });
}
void BM_TaLib_Atr(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double*, double*) {
    int beg, n;
    TA_ATR(0, Last(s), s.high.data(), s.low.data(), s.close.data(), 14, &beg, &n, a);
  });
}
void BM_TaLib_Adx(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double*, double*) {
    int beg, n;
    TA_ADX(0, Last(s), s.high.data(), s.low.data(), s.close.data(), 14, &beg, &n, a);
  });
}
void BM_TaLib_Cci(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double*, double*) {
    int beg, n;
    TA_CCI(0, Last(s), s.high.data(), s.low.data(), s.close.data(), 14, &beg, &n, a);
  });
}
void BM_TaLib_BBands(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double* b, double* c) {
    int beg, n;
    TA_BBANDS(0, Last(s), s.close.data(), 20, 2.0, 2.0, TA_MAType_SMA, &beg, &n, a, b, c);
  });
}
void BM_TaLib_Macd(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double* b, double* c) {
    int beg, n;
    TA_MACD(0, Last(s), s.close.data(), 12, 26, 9, &beg, &n, a, b, c);
  });
}
void BM_TaLib_Stoch(benchmark::State& state) {
  Run(state, [](const Series& s, double* a, double* b, double*) {
    int beg, n;
    TA_STOCH(0, Last(s), s.high.data(), s.low.data(), s.close.data(), 5, 3, TA_MAType_SMA, 3,
             TA_MAType_SMA, &beg, &n, a, b);
  });
}

}  // namespace

// Pairs side by side: streaming, then TA-Lib.
BENCHMARK(BM_Stream_Sma);
BENCHMARK(BM_TaLib_Sma);
BENCHMARK(BM_Stream_Ema);
BENCHMARK(BM_TaLib_Ema);
BENCHMARK(BM_Stream_Rsi);
BENCHMARK(BM_TaLib_Rsi);
BENCHMARK(BM_Stream_Atr);
BENCHMARK(BM_TaLib_Atr);
BENCHMARK(BM_Stream_BBands);
BENCHMARK(BM_TaLib_BBands);
BENCHMARK(BM_Stream_Macd);
BENCHMARK(BM_TaLib_Macd);
BENCHMARK(BM_Stream_Adx);
BENCHMARK(BM_TaLib_Adx);
BENCHMARK(BM_Stream_Stoch);
BENCHMARK(BM_TaLib_Stoch);
BENCHMARK(BM_Stream_Cci);
BENCHMARK(BM_TaLib_Cci);
