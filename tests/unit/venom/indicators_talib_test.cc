// Every streaming indicator against TA-Lib's own C code (talib_ref) on the real market files: the
// first ready() input must be TA-Lib's outBegIdx (== lookback()), and every output from there on
// must equal TA-Lib's to a relative error of 1e-9 (in practice they are bit-identical).
#include <gtest/gtest.h>
#include <ta_libc.h>  // test-only TA-Lib reference (talib_ref, tests/CMakeLists.txt)

#include <cctype>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/paths.h"
#include "market/reader.h"
#include "venom/indicators.h"

namespace bitten::venom {
namespace {

struct Series {
  std::vector<double> high, low, close;
  int size() const { return static_cast<int>(close.size()); }
};

// The file's bars, bid side (use_ask = false) or ask side.
Series Load(const std::filesystem::path& path, bool use_ask) {
  Series s;
  auto data = market::ReadBars(path);
  EXPECT_TRUE(data) << (data ? "" : data.error().message);
  if (!data) return s;
  for (const auto& b : data->bars) {
    s.high.push_back(use_ask ? b.ask_high : b.high);
    s.low.push_back(use_ask ? b.ask_low : b.low);
    s.close.push_back(use_ask ? b.ask_close : b.close);
  }
  return s;
}

// Strictly relative: |got − want| <= 1e-9 × |want| (so 0 must be exactly 0).
::testing::AssertionResult Close(double got, double want) {
  if (std::fabs(got - want) <= 1e-9 * std::fabs(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << got << " want " << want << " rel " << std::fabs(got - want) / std::fabs(want);
}

// TA-Lib's outputs for one call.
struct Reference {
  int beg = 0, n = 0;
  std::vector<std::vector<double>> out;
};

Reference Outputs(int size, int count) {
  Reference r;
  r.out.assign(static_cast<std::size_t>(count),
               std::vector<double>(static_cast<std::size_t>(size)));
  return r;
}

// Feeds input i with `update(i)`, then checks ready(i) flips exactly at ref.beg and that the
// streaming outputs `got(i)` equal TA-Lib's; returns the number of outputs compared.
int Compare(const Series& s, const Reference& ref, int lookback, const char* what,
            const std::function<void(int)>& update, const std::function<bool()>& ready,
            const std::function<std::vector<double>()>& got) {
  EXPECT_EQ(ref.beg, lookback) << what;
  EXPECT_EQ(ref.n, s.size() - ref.beg) << what;
  int compared = 0;
  for (int i = 0; i < s.size(); ++i) {
    update(i);
    if (ready() != (i >= ref.beg)) {
      ADD_FAILURE() << what << ": ready() is " << ready() << " at input " << i
                    << ", TA-Lib's first output is at " << ref.beg;
      return compared;
    }
    if (!ready()) continue;
    const std::vector<double> values = got();
    for (std::size_t k = 0; k < values.size(); ++k) {
      const auto check = Close(values[k], ref.out[k][static_cast<std::size_t>(i - ref.beg)]);
      if (!check) {
        ADD_FAILURE() << what << " output " << k << " at input " << i << ": " << check.message();
        return compared;
      }
    }
    ++compared;
  }
  return compared;
}

struct FileSide {
  const char* file;
  bool ask;
};

class TaLibOnFile : public ::testing::TestWithParam<FileSide> {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(TA_Initialize(), TA_SUCCESS); }
};

#define LOAD_SERIES(s)                                \
  BITTEN_REQUIRE_MARKET_FILE(path_, GetParam().file); \
  const Series s = Load(path_, GetParam().ask);       \
  ASSERT_GT(s.size(), 10000) << path_;                \
  const int last = s.size() - 1

TEST_P(TaLibOnFile, Sma) {
  LOAD_SERIES(s);
  for (int period : {2, 20, 50, 200}) {
    Reference r = Outputs(s.size(), 1);
    ASSERT_EQ(TA_SMA(0, last, s.close.data(), period, &r.beg, &r.n, r.out[0].data()), TA_SUCCESS);
    Sma ind(period);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "SMA", [&](int i) { ind.Update(s.close[i]); },
                  [&] { return ind.ready(); }, [&] { return std::vector{ind.value()}; }),
              r.n)
        << period;
  }
}

TEST_P(TaLibOnFile, Ema) {
  LOAD_SERIES(s);
  for (int period : {2, 9, 30, 100}) {
    Reference r = Outputs(s.size(), 1);
    ASSERT_EQ(TA_EMA(0, last, s.close.data(), period, &r.beg, &r.n, r.out[0].data()), TA_SUCCESS);
    Ema ind(period);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "EMA", [&](int i) { ind.Update(s.close[i]); },
                  [&] { return ind.ready(); }, [&] { return std::vector{ind.value()}; }),
              r.n)
        << period;
  }
}

TEST_P(TaLibOnFile, Rsi) {
  LOAD_SERIES(s);
  for (int period : {2, 14, 30}) {
    Reference r = Outputs(s.size(), 1);
    ASSERT_EQ(TA_RSI(0, last, s.close.data(), period, &r.beg, &r.n, r.out[0].data()), TA_SUCCESS);
    Rsi ind(period);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "RSI", [&](int i) { ind.Update(s.close[i]); },
                  [&] { return ind.ready(); }, [&] { return std::vector{ind.value()}; }),
              r.n)
        << period;
  }
}

TEST_P(TaLibOnFile, Atr) {
  LOAD_SERIES(s);
  for (int period : {1, 14, 50}) {
    Reference r = Outputs(s.size(), 1);
    ASSERT_EQ(TA_ATR(0, last, s.high.data(), s.low.data(), s.close.data(), period, &r.beg, &r.n,
                     r.out[0].data()),
              TA_SUCCESS);
    Atr ind(period);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "ATR",
                  [&](int i) { ind.Update(s.high[i], s.low[i], s.close[i]); },
                  [&] { return ind.ready(); }, [&] { return std::vector{ind.value()}; }),
              r.n)
        << period;
  }
}

TEST_P(TaLibOnFile, BBands) {
  LOAD_SERIES(s);
  struct Args {
    int period;
    double k;
  };
  for (Args a : {Args{5, 2.0}, Args{20, 2.0}, Args{20, 1.0}, Args{50, 2.5}}) {
    Reference r = Outputs(s.size(), 3);
    ASSERT_EQ(TA_BBANDS(0, last, s.close.data(), a.period, a.k, a.k, TA_MAType_SMA, &r.beg, &r.n,
                        r.out[0].data(), r.out[1].data(), r.out[2].data()),
              TA_SUCCESS);
    BBands ind(a.period, a.k);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "BBANDS", [&](int i) { ind.Update(s.close[i]); },
                  [&] { return ind.ready(); },
                  [&] {
                    return std::vector{ind.upper(), ind.middle(), ind.lower()};
                  }),
              r.n)
        << a.period << "," << a.k;
  }
}

TEST_P(TaLibOnFile, Macd) {
  LOAD_SERIES(s);
  struct Args {
    int fast, slow, signal;
  };
  for (Args a : {Args{12, 26, 9}, Args{5, 35, 5}, Args{26, 12, 9}, Args{3, 10, 2}}) {
    Reference r = Outputs(s.size(), 3);
    ASSERT_EQ(TA_MACD(0, last, s.close.data(), a.fast, a.slow, a.signal, &r.beg, &r.n,
                      r.out[0].data(), r.out[1].data(), r.out[2].data()),
              TA_SUCCESS);
    Macd ind(a.fast, a.slow, a.signal);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "MACD", [&](int i) { ind.Update(s.close[i]); },
                  [&] { return ind.ready(); },
                  [&] {
                    return std::vector{ind.macd(), ind.signal(), ind.hist()};
                  }),
              r.n)
        << a.fast << "," << a.slow << "," << a.signal;
  }
}

TEST_P(TaLibOnFile, Adx) {
  LOAD_SERIES(s);
  for (int period : {2, 14, 30}) {
    Reference r = Outputs(s.size(), 1);
    ASSERT_EQ(TA_ADX(0, last, s.high.data(), s.low.data(), s.close.data(), period, &r.beg, &r.n,
                     r.out[0].data()),
              TA_SUCCESS);
    Adx ind(period);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "ADX",
                  [&](int i) { ind.Update(s.high[i], s.low[i], s.close[i]); },
                  [&] { return ind.ready(); }, [&] { return std::vector{ind.value()}; }),
              r.n)
        << period;
  }
}

TEST_P(TaLibOnFile, Stoch) {
  LOAD_SERIES(s);
  struct Args {
    int fastk, slowk, slowd;
  };
  for (Args a : {Args{5, 3, 3}, Args{14, 3, 3}, Args{1, 1, 1}, Args{21, 5, 4}}) {
    Reference r = Outputs(s.size(), 2);
    ASSERT_EQ(TA_STOCH(0, last, s.high.data(), s.low.data(), s.close.data(), a.fastk, a.slowk,
                       TA_MAType_SMA, a.slowd, TA_MAType_SMA, &r.beg, &r.n, r.out[0].data(),
                       r.out[1].data()),
              TA_SUCCESS);
    Stoch ind(a.fastk, a.slowk, a.slowd);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "STOCH",
                  [&](int i) { ind.Update(s.high[i], s.low[i], s.close[i]); },
                  [&] { return ind.ready(); },
                  [&] {
                    return std::vector{ind.k(), ind.d()};
                  }),
              r.n)
        << a.fastk << "," << a.slowk << "," << a.slowd;
  }
}

TEST_P(TaLibOnFile, Cci) {
  LOAD_SERIES(s);
  for (int period : {2, 14, 20, 40}) {
    Reference r = Outputs(s.size(), 1);
    ASSERT_EQ(TA_CCI(0, last, s.high.data(), s.low.data(), s.close.data(), period, &r.beg, &r.n,
                     r.out[0].data()),
              TA_SUCCESS);
    Cci ind(period);
    EXPECT_EQ(Compare(
                  s, r, ind.lookback(), "CCI",
                  [&](int i) { ind.Update(s.high[i], s.low[i], s.close[i]); },
                  [&] { return ind.ready(); }, [&] { return std::vector{ind.value()}; }),
              r.n)
        << period;
  }
}

INSTANTIATE_TEST_SUITE_P(
    RealData, TaLibOnFile,
    ::testing::Values(FileSide{"EURUSD_M1_bidask_oanda-lean_2014-05.csv", false},
                      FileSide{"EURUSD_M1_bidask_oanda-lean_2014-05.csv", true},
                      FileSide{"XAUUSD_M1_bidask_oanda-lean_2014-05.csv", false},
                      FileSide{"USDJPY_M1_bid_fxcm-nautilus_2013-02.csv", false},
                      FileSide{"GBPUSD_M1_ask_fxcm-nautilus_2012-02.csv", false},
                      FileSide{"USDJPY_M1_bid_histdata-calvincouch_2016-01_03.csv", false}),
    [](const ::testing::TestParamInfo<FileSide>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name + (info.param.ask ? "_ask" : "_bid");
    });

}  // namespace
}  // namespace bitten::venom
