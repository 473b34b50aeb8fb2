#include "venom/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "base/uuid.h"
#include "common/paths.h"
#include "market/aggregator.h"
#include "market/reader.h"
#include "market/replay_feed.h"

namespace bitten::venom {
namespace {

using market::Bar;
using market::Side;
using market::Timeframe;

constexpr const char* kEurusd = "EURUSD_M1_bidask_oanda-lean_2014-05.csv";
constexpr const char* kXauusd = "XAUUSD_M1_bidask_oanda-lean_2014-05.csv";
constexpr const char* kGbpusdBid = "GBPUSD_M1_bid_fxcm-nautilus_2012-02.csv";
constexpr const char* kGbpusdAsk = "GBPUSD_M1_ask_fxcm-nautilus_2012-02.csv";
constexpr const char* kUsdjpyBid = "USDJPY_M1_bid_fxcm-nautilus_2013-02.csv";
constexpr const char* kUsdjpyAsk = "USDJPY_M1_ask_fxcm-nautilus_2013-02.csv";

// Every real data set with both sides, each file named by a BITTEN_REQUIRE_MARKET_FILE first.
#define REQUIRE_ALL_MARKET_FILES()             \
  BITTEN_REQUIRE_MARKET_FILE(f1_, kEurusd);    \
  BITTEN_REQUIRE_MARKET_FILE(f2_, kXauusd);    \
  BITTEN_REQUIRE_MARKET_FILE(f3_, kGbpusdBid); \
  BITTEN_REQUIRE_MARKET_FILE(f4_, kGbpusdAsk); \
  BITTEN_REQUIRE_MARKET_FILE(f5_, kUsdjpyBid); \
  BITTEN_REQUIRE_MARKET_FILE(f6_, kUsdjpyAsk)

const market::InstrumentTable& Table() {
  static const market::InstrumentTable kTable = market::InstrumentTable::Defaults();
  return kTable;
}

std::vector<Bar> LeanBars(const char* name) {
  auto d = market::ReadBars(testing::MarketDataDir() / name);
  EXPECT_TRUE(d) << d.error().message;
  return d ? d->bars : std::vector<Bar>{};
}

std::vector<Bar> FxcmBars(const char* bid_name, const char* ask_name) {
  auto bid = market::ReadBars(testing::MarketDataDir() / bid_name);
  auto ask = market::ReadBars(testing::MarketDataDir() / ask_name);
  EXPECT_TRUE(bid && ask);
  if (!bid || !ask) return {};
  auto m = market::MergeBidAsk(*bid, *ask);
  EXPECT_TRUE(m);
  return m ? m->bars : std::vector<Bar>{};
}

struct Dataset {
  std::string symbol;
  std::vector<Bar> bars;
};

const std::vector<Dataset>& AllData() {
  static const std::vector<Dataset> kData = {
      {"EURUSD", LeanBars(kEurusd)},
      {"XAUUSD", LeanBars(kXauusd)},
      {"GBPUSD", FxcmBars(kGbpusdBid, kGbpusdAsk)},
      {"USDJPY", FxcmBars(kUsdjpyBid, kUsdjpyAsk)},
  };
  return kData;
}

struct EngineRun {
  std::vector<Signal> signals;
  std::vector<Bar> signal_bars;  // the bar of each signal
  EngineStats stats;
  std::deque<BlockedSignal> blocked;
};

using OnSignal = std::function<void(const Engine&, const Signal&, const Bar&)>;

EngineRun RunEngine(const std::vector<Bar>& bars, EngineOptions options = {},
                    const OnSignal& on_signal = {},
                    const std::function<void(Engine&)>& prepare = {}) {
  SimClock clock(1'722'289'995'123);
  Engine engine(std::move(options), clock, Table());
  if (prepare) prepare(engine);
  EngineRun r;
  for (const Bar& b : bars) {
    clock.Set(b.time + 60'000);  // the bar closes a minute after it opens
    if (auto s = engine.OnBar(b)) {
      if (on_signal) on_signal(engine, *s, b);
      r.signals.push_back(std::move(*s));
      r.signal_bars.push_back(b);
    }
  }
  r.stats = engine.stats();
  r.blocked = engine.recent_blocked();
  return r;
}

std::int64_t Refusals(const EngineStats& s) {
  return s.refused_session + s.refused_warmup + s.refused_spread + s.refused_spacing +
         s.refused_daily_cap + s.blocked_news + s.blocked_shield;
}

// Every invariant a signal must satisfy, checked against the bar that produced it.
void CheckSignals(const EngineRun& r, const EngineOptions& o = {}) {
  const std::set<std::string> names(o.setups.begin(), o.setups.end());
  for (std::size_t i = 0; i < r.signals.size(); ++i) {
    const Signal& s = r.signals[i];
    const Bar& bar = r.signal_bars[i];
    SCOPED_TRACE(CanonicalContent(s));
    const market::Instrument& inst = *Table().Find(s.symbol);
    const double point = std::pow(10.0, -inst.digits);
    const double pip = inst.pip_size;
    EXPECT_EQ(s.digits, inst.digits);
    EXPECT_TRUE(names.count(s.setup)) << s.setup;
    const bool buy = s.side == Side::kBuy;
    EXPECT_NEAR(s.entry, buy ? bar.ask_close : bar.close, point / 2 + 1e-9);
    EXPECT_TRUE(buy ? (s.sl < s.entry && s.tp > s.entry) : (s.sl > s.entry && s.tp < s.entry));
    EXPECT_NEAR(std::fabs(s.entry - s.sl) / pip, s.sl_pips, 1e-6);
    EXPECT_NEAR(std::fabs(s.tp - s.entry) / pip, s.tp_pips, 1e-6);
    const double floor = inst.base_ccy == "XAU"
                             ? o.min_stop_pips_gold
                             : (inst.quote_ccy == "JPY" ? o.min_stop_pips_jpy : o.min_stop_pips_fx);
    EXPECT_GE(s.sl_pips, floor - 1e-9);
    const double rr = s.signal_class == SignalClass::kPrecisionStrike ? o.rr_precision : o.rr_rapid;
    EXPECT_LE(std::fabs(s.tp_pips - rr * s.sl_pips), point / pip + 1e-9);
    for (double p : {s.entry, s.sl, s.tp}) EXPECT_NEAR(p / point, std::round(p / point), 1e-6);
    EXPECT_GE(s.confidence, 0);
    EXPECT_LE(s.confidence, 100);
    EXPECT_EQ(s.signal_class == SignalClass::kPrecisionStrike,
              s.confidence >= o.precision_min_confidence);
    EXPECT_LE(s.spread_pips, o.max_spread_to_stop * s.sl_pips + 1e-9);
    const int hour = static_cast<int>(s.bar_time % 86'400'000 / 3'600'000);
    EXPECT_EQ(std::count(o.no_trade_hours_utc.begin(), o.no_trade_hours_utc.end(), hour), 0);
    EXPECT_EQ(s.created_at, s.bar_time + 60'000);  // from the injected clock
    EXPECT_EQ(s.expires_at - s.created_at, s.signal_class == SignalClass::kPrecisionStrike
                                               ? o.ttl_precision_ms
                                               : o.ttl_rapid_ms);
    EXPECT_TRUE(IsUuidV7(s.signal_id));
    EXPECT_EQ(s.signal_hash, ComputeSignalHash(s));
    EXPECT_EQ(s.shield.band, BandForScore(s.shield.score));
    EXPECT_GE(s.shield.score, o.block_below);
    EXPECT_DOUBLE_EQ(s.shield.size_multiplier, o.citadel.SizeMultiplier(s.shield.band));
    EXPECT_EQ(std::count(s.shield.explanation.begin(), s.shield.explanation.end(), '\n'), 0);
  }
}

TEST(Engine, SameBarsGiveTheSameSignalsByteForByte) {
  REQUIRE_ALL_MARKET_FILES();
  for (const Dataset& d : AllData()) {
    SCOPED_TRACE(d.symbol);
    const EngineRun a = RunEngine(d.bars), b = RunEngine(d.bars);
    ASSERT_GT(a.signals.size(), 20u);
    ASSERT_EQ(a.signals.size(), b.signals.size());
    for (std::size_t i = 0; i < a.signals.size(); ++i) {
      EXPECT_EQ(CanonicalContent(a.signals[i]), CanonicalContent(b.signals[i]));
      EXPECT_EQ(a.signals[i].signal_hash, b.signals[i].signal_hash);
      EXPECT_EQ(a.signals[i].confidence, b.signals[i].confidence);
      EXPECT_EQ(a.signals[i].shield.explanation, b.signals[i].shield.explanation);
      EXPECT_NE(a.signals[i].signal_id, b.signals[i].signal_id);  // ids unique, content not
    }
  }
}

TEST(Engine, LiveTicksAndTheBarFileGiveTheSameSignals) {
  // Live path: ticks -> M1Aggregator -> engine; backtest path: the M1 file -> engine.
  BITTEN_REQUIRE_MARKET_FILE(ticks_path, "EURUSD_ticks_bidask_oanda-lean_2014-05.csv");
  BITTEN_REQUIRE_MARKET_FILE(bars_path, kEurusd);
  auto feed = market::ReplayFeed::Open(ticks_path);
  ASSERT_TRUE(feed) << feed.error().message;
  market::M1Aggregator agg;
  std::vector<Bar> live;
  while (auto t = feed->Next()) {
    if (auto b = agg.Add(*t)) live.push_back(std::move(*b));
  }
  for (Bar& b : agg.FlushAll()) live.push_back(std::move(b));
  const EngineRun a = RunEngine(live);
  const EngineRun b = RunEngine(LeanBars(kEurusd));
  ASSERT_GT(a.signals.size(), 0u);
  ASSERT_EQ(a.signals.size(), b.signals.size());
  for (std::size_t i = 0; i < a.signals.size(); ++i) {
    EXPECT_EQ(a.signals[i].signal_hash, b.signals[i].signal_hash);
  }
}

TEST(Engine, SignalsOnEveryInstrumentAreSane) {
  REQUIRE_ALL_MARKET_FILES();
  std::set<std::string> setups_seen;
  int precision = 0;
  for (const Dataset& d : AllData()) {
    SCOPED_TRACE(d.symbol);
    const EngineRun r = RunEngine(d.bars);
    ASSERT_GT(r.signals.size(), 20u);
    CheckSignals(r);
    int buys = 0;
    for (const Signal& s : r.signals) {
      buys += s.side == Side::kBuy;
      setups_seen.insert(s.setup);
      precision += s.signal_class == SignalClass::kPrecisionStrike;
    }
    EXPECT_GT(buys, 0);
    EXPECT_LT(buys, static_cast<int>(r.signals.size()));
    EXPECT_EQ(r.stats.signals, static_cast<std::int64_t>(r.signals.size()));
    // Every bar with a candidate is accounted for: refused, blocked or emitted.
    EXPECT_EQ(r.stats.setups, Refusals(r.stats) + r.stats.signals);
    std::int64_t by_name = 0;
    for (const auto& [name, n] : r.stats.signals_by_name) by_name += n;
    EXPECT_EQ(by_name, r.stats.signals);
  }
  // All four setups reach a signal somewhere in the real data; PRECISION_STRIKE (confidence >= 84)
  // occurs without lowering the bar, and it stays a minority.
  EXPECT_EQ(setups_seen.size(), 4u);
  EXPECT_GT(precision, 0);
}

// Runs one setup alone over every data set, checking `rule` on the context at each signal.
int RunSetupAlone(
    const std::string& setup,
    const std::function<void(const SymbolContext&, const Signal&, const Bar&)>& rule) {
  EngineOptions o;
  o.setups = {setup};
  int total = 0;
  for (const Dataset& d : AllData()) {
    SCOPED_TRACE(d.symbol);
    const EngineRun r = RunEngine(d.bars, o, [&](const Engine& e, const Signal& s, const Bar& b) {
      SCOPED_TRACE(CanonicalContent(s));
      EXPECT_EQ(s.setup, setup);
      rule(*e.context(s.symbol), s, b);
    });
    CheckSignals(r, o);
    total += static_cast<int>(r.signals.size());
  }
  return total;
}

TEST(Setups, TrendPullbackFollowsItsRule) {
  REQUIRE_ALL_MARKET_FILES();
  const setups::SetupOptions so;
  const int n =
      RunSetupAlone("trend_pullback", [&](const SymbolContext& c, const Signal& s, const Bar&) {
        const int dir = s.side == Side::kBuy ? 1 : -1;
        EXPECT_TRUE(c.completed(Timeframe::kM5));  // triggers on the close of an M5 bar
        EXPECT_EQ(c.tf(Timeframe::kH1).trend(), dir);
        EXPECT_EQ(c.tf(Timeframe::kM15).trend(), dir);
        EXPECT_GE(c.tf(Timeframe::kH1).adx.value(), so.adx_trend_min);
        const TimeframeState& m5 = c.tf(Timeframe::kM5);
        const Bar& b = *m5.last;
        const double ema = m5.ema21.value(), rsi = m5.rsi.value();
        if (dir > 0) {
          EXPECT_LE(b.low, ema);
          EXPECT_GT(b.close, ema);
          EXPECT_GT(b.close, b.open);
          EXPECT_TRUE(rsi >= 40 && rsi <= 65) << rsi;
        } else {
          EXPECT_GE(b.high, ema);
          EXPECT_LT(b.close, ema);
          EXPECT_LT(b.close, b.open);
          EXPECT_TRUE(rsi >= 35 && rsi <= 60) << rsi;
        }
      });
  EXPECT_GT(n, 10);
}

TEST(Setups, SqueezeBreakoutFollowsItsRule) {
  REQUIRE_ALL_MARKET_FILES();
  const setups::SetupOptions so;
  const int n =
      RunSetupAlone("squeeze_breakout", [&](const SymbolContext& c, const Signal& s, const Bar&) {
        const bool buy = s.side == Side::kBuy;
        EXPECT_TRUE(c.completed(Timeframe::kM5));
        const TimeframeState& m15 = c.tf(Timeframe::kM15);
        ASSERT_TRUE(m15.last_squeeze_bar.has_value());
        EXPECT_LT(m15.bars - *m15.last_squeeze_bar, so.squeeze_recent_bars);
        const TimeframeState& m5 = c.tf(Timeframe::kM5);
        const Bar& b = *m5.last;
        EXPECT_GE(std::fabs(b.close - b.open), so.breakout_body_atr * m5.atr.value());
        if (buy) {
          EXPECT_GT(b.close, m15.bb.upper());
          EXPECT_GE(*c.tf(Timeframe::kH1).trend(), 0);
        } else {
          EXPECT_LT(b.close, m15.bb.lower());
          EXPECT_LE(*c.tf(Timeframe::kH1).trend(), 0);
        }
      });
  EXPECT_GT(n, 5);
}

TEST(Setups, RangeReversalFollowsItsRule) {
  REQUIRE_ALL_MARKET_FILES();
  const setups::SetupOptions so;
  const int n =
      RunSetupAlone("range_reversal", [&](const SymbolContext& c, const Signal& s, const Bar&) {
        const bool buy = s.side == Side::kBuy;
        EXPECT_TRUE(c.completed(Timeframe::kM5));
        EXPECT_LT(c.tf(Timeframe::kH1).adx.value(), so.adx_range_max);
        const TimeframeState& m15 = c.tf(Timeframe::kM15);
        EXPECT_LT(m15.adx.value(), so.adx_range_max + 5);
        const TimeframeState& m5 = c.tf(Timeframe::kM5);
        if (buy) {
          EXPECT_LE(m15.cci.value(), -so.cci_extreme);
          EXPECT_LE(m5.last->low, m15.bb.lower());
          EXPECT_LE(m5.prev_stoch_k, m5.prev_stoch_d);
          EXPECT_GT(m5.stoch.k(), m5.stoch.d());
          EXPECT_LT(m5.stoch.d(), 25);
        } else {
          EXPECT_GE(m15.cci.value(), so.cci_extreme);
          EXPECT_GE(m5.last->high, m15.bb.upper());
          EXPECT_GE(m5.prev_stoch_k, m5.prev_stoch_d);
          EXPECT_LT(m5.stoch.k(), m5.stoch.d());
          EXPECT_GT(m5.stoch.d(), 75);
        }
      });
  EXPECT_GT(n, 3);
}

TEST(Setups, EmaCrossRsiFollowsItsRule) {
  REQUIRE_ALL_MARKET_FILES();
  const int n =
      RunSetupAlone("ema_cross_rsi", [&](const SymbolContext& c, const Signal& s, const Bar&) {
        const bool buy = s.side == Side::kBuy;
        const TimeframeState& m1 = c.tf(Timeframe::kM1);
        const double diff = m1.ema9.value() - m1.ema21.value();
        const double rsi = m1.rsi.value();
        if (buy) {
          EXPECT_GT(diff, 0);
          EXPECT_TRUE(rsi > 50 && rsi < 70) << rsi;
          EXPECT_EQ(c.tf(Timeframe::kM5).trend(), 1);
        } else {
          EXPECT_LT(diff, 0);
          EXPECT_TRUE(rsi > 30 && rsi < 50) << rsi;
          EXPECT_EQ(c.tf(Timeframe::kM5).trend(), -1);
        }
      });
  EXPECT_GT(n, 20);
}

TEST(Setups, HigherTimeframeBarsCloseWithTheirLastMinute) {
  // An H1 bar is complete when its 59th minute closes: the engine must not wait for the next hour.
  SymbolContext c(1.25);
  const TimeMs t0 = market::CivilToUnixMs(2014, 5, 6, 10, 0);
  for (int m = 0; m < 60; ++m) {
    const double p = 1.3 + m * 1e-5;
    c.Add(Bar{"EURUSD", Timeframe::kM1, t0 + m * 60'000, p, p + 2e-5, p - 2e-5, p + 1e-5, p,
              p + 2e-5, p - 2e-5, p + 1e-5, 0});
    EXPECT_EQ(c.completed(Timeframe::kM5), (m + 1) % 5 == 0) << m;
    EXPECT_EQ(c.completed(Timeframe::kH1), m == 59) << m;
  }
  const TimeframeState& h1 = c.tf(Timeframe::kH1);
  ASSERT_TRUE(h1.last.has_value());
  EXPECT_EQ(h1.last->time, t0);
  EXPECT_NEAR(h1.last->close, 1.3 + 59e-5 + 1e-5, 1e-12);
  EXPECT_EQ(c.tf(Timeframe::kM5).bars, 12);
  EXPECT_EQ(c.tf(Timeframe::kM15).bars, 4);
}

TEST(Engine, SpacingHonouredPerSymbol) {
  BITTEN_REQUIRE_MARKET_FILE(path, kEurusd);
  const auto bars = LeanBars(kEurusd);
  EngineOptions o;
  o.min_spacing_ms = 60 * 60'000;
  o.max_signals_per_symbol_day = 0;
  o.max_signals_per_day = 0;
  const EngineRun spaced = RunEngine(bars, o);
  ASSERT_GT(spaced.signals.size(), 10u);
  for (std::size_t i = 1; i < spaced.signals.size(); ++i) {
    EXPECT_GE(spaced.signals[i].bar_time - spaced.signals[i - 1].bar_time, 60 * 60'000);
  }
  EXPECT_GT(spaced.stats.refused_spacing, 0);
  o.min_spacing_ms = 0;
  const EngineRun free = RunEngine(bars, o);
  EXPECT_EQ(free.stats.refused_spacing, 0);
  EXPECT_GT(free.signals.size(), spaced.signals.size());
}

TEST(Engine, DailyCapPerSymbol) {
  BITTEN_REQUIRE_MARKET_FILE(path, kXauusd);
  const auto bars = LeanBars(kXauusd);
  EngineOptions o;
  o.max_signals_per_symbol_day = 2;
  const EngineRun r = RunEngine(bars, o);
  ASSERT_GT(r.signals.size(), 5u);
  std::map<TimeMs, int> per_day;
  for (const Signal& s : r.signals) ++per_day[s.bar_time / 86'400'000];
  for (const auto& [day, n] : per_day) EXPECT_LE(n, 2) << "day " << day;
  EXPECT_GT(r.stats.refused_daily_cap, 0);
  o.max_signals_per_symbol_day = 0;
  o.max_signals_per_day = 0;
  const EngineRun uncapped = RunEngine(bars, o);
  EXPECT_EQ(uncapped.stats.refused_daily_cap, 0);
  EXPECT_GT(uncapped.signals.size(), r.signals.size());
}

TEST(Engine, DailyCapOverAllSymbols) {
  BITTEN_REQUIRE_MARKET_FILE(p1, kEurusd);
  BITTEN_REQUIRE_MARKET_FILE(p2, kXauusd);
  std::vector<Bar> bars = LeanBars(kEurusd);
  for (Bar& b : LeanBars(kXauusd)) bars.push_back(std::move(b));
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) {
    return a.time != b.time ? a.time < b.time : a.symbol < b.symbol;
  });
  EngineOptions o;
  o.max_signals_per_symbol_day = 0;
  o.max_signals_per_day = 3;
  const EngineRun r = RunEngine(bars, o);
  ASSERT_GT(r.signals.size(), 5u);
  std::map<TimeMs, int> per_day;
  std::set<std::string> symbols;
  for (const Signal& s : r.signals) {
    ++per_day[s.bar_time / 86'400'000];
    symbols.insert(s.symbol);
  }
  for (const auto& [day, n] : per_day) EXPECT_LE(n, 3) << "day " << day;
  EXPECT_EQ(symbols.size(), 2u);
  EXPECT_GT(r.stats.refused_daily_cap, 0);
}

TEST(Engine, SpreadGateRefusesWideSpreads) {
  BITTEN_REQUIRE_MARKET_FILE(path, kEurusd);
  auto bars = LeanBars(kEurusd);
  const EngineRun normal = RunEngine(bars);
  ASSERT_GT(normal.signals.size(), 0u);
  // Widen every ask by 4 pips: the spread (>= 4 pips) exceeds 0.35 × any stop under 11.4 pips.
  for (Bar& b : bars) {
    b.ask_open += 0.0004;
    b.ask_high += 0.0004;
    b.ask_low += 0.0004;
    b.ask_close += 0.0004;
  }
  const EngineRun wide = RunEngine(bars);
  EXPECT_GT(wide.stats.refused_spread, normal.stats.refused_spread + 100);
  EXPECT_LT(wide.signals.size(), normal.signals.size() / 2);
  for (const Signal& s : wide.signals) EXPECT_LE(s.spread_pips, 0.35 * s.sl_pips + 1e-9);
}

TEST(Engine, StopFloorsAreInEachInstrumentsPips) {
  REQUIRE_ALL_MARKET_FILES();
  // Price distance of the default floors: EURUSD 6 pips = 0.0006, USDJPY 6 pips of 0.01 = 0.06
  // (never 0.0006: the old bug of a 0.0001 JPY pip), XAUUSD 20 pips of 0.1 = 2.00.
  const std::map<std::string, double> kFloorPrice = {
      {"EURUSD", 0.0006}, {"GBPUSD", 0.0006}, {"USDJPY", 0.06}, {"XAUUSD", 2.0}};
  for (const Dataset& d : AllData()) {
    SCOPED_TRACE(d.symbol);
    const EngineRun r = RunEngine(d.bars);
    ASSERT_GT(r.signals.size(), 0u);
    bool at_floor = false;
    for (const Signal& s : r.signals) {
      EXPECT_GE(std::fabs(s.entry - s.sl), kFloorPrice.at(d.symbol) - 1e-9);
      at_floor |= std::fabs(std::fabs(s.entry - s.sl) - kFloorPrice.at(d.symbol)) < 1e-9;
    }
    // On the quieter data the floor binds (the M5 ATR stop is shorter); USDJPY in February 2013
    // was never that quiet, so a 20-pip JPY floor (0.20) is checked below instead.
    if (d.symbol != "USDJPY") {
      EXPECT_TRUE(at_floor) << "the floor binds on quiet bars";
    }
  }
  {
    EngineOptions o;
    o.min_stop_pips_jpy = 20;
    const EngineRun r = RunEngine(AllData()[3].bars, o);
    ASSERT_GT(r.signals.size(), 0u);
    bool at_floor = false;
    for (const Signal& s : r.signals) {
      EXPECT_GE(std::fabs(s.entry - s.sl), 0.20 - 1e-9);
      at_floor |= std::fabs(std::fabs(s.entry - s.sl) - 0.20) < 1e-9;
    }
    EXPECT_TRUE(at_floor);
  }
  // A per-symbol override wins over the class floor.
  EngineOptions o;
  o.min_stop_pips_by_symbol["EURUSD"] = 30;
  const EngineRun r = RunEngine(AllData()[0].bars, o);
  ASSERT_GT(r.signals.size(), 0u);
  for (const Signal& s : r.signals) EXPECT_GE(s.sl_pips, 30 - 1e-9);
}

TEST(Engine, MinStopIsPerInstrumentClass) {
  SimClock clock(0);
  EngineOptions o;
  o.min_stop_pips_by_symbol["GBPJPY"] = 8;
  Engine e(o, clock, Table());
  EXPECT_EQ(e.MinStopPips(*Table().Find("EURUSD")), 6);
  EXPECT_EQ(e.MinStopPips(*Table().Find("USDJPY")), 6);
  EXPECT_EQ(e.MinStopPips(*Table().Find("XAUUSD")), 20);
  EXPECT_EQ(e.MinStopPips(*Table().Find("GBPJPY")), 8);
}

TEST(Engine, NoSignalsInTheNoTradeHours) {
  BITTEN_REQUIRE_MARKET_FILE(path, kXauusd);
  const auto bars = LeanBars(kXauusd);
  EngineOptions o;
  o.no_trade_hours_utc = {};
  for (int h = 0; h < 7; ++h) o.no_trade_hours_utc.push_back(h);  // Asia closed
  const EngineRun r = RunEngine(bars, o);
  ASSERT_GT(r.signals.size(), 0u);
  CheckSignals(r, o);
  EXPECT_GT(r.stats.refused_session, 0);
  o.no_trade_hours_utc = {};
  EXPECT_EQ(RunEngine(bars, o).stats.refused_session, 0);
}

TEST(Citadel, BlockThresholdBlocksCountsAndKeepsTheReason) {
  BITTEN_REQUIRE_MARKET_FILE(path, kEurusd);
  const auto bars = LeanBars(kEurusd);
  EngineOptions o;
  o.block_below = 0;
  const EngineRun open = RunEngine(bars, o);
  EXPECT_EQ(open.stats.blocked_shield, 0);
  ASSERT_GT(open.signals.size(), 20u);
  o.block_below = 8;  // only SHIELD_APPROVED passes
  o.recent_blocked_limit = 5;
  const EngineRun strict = RunEngine(bars, o);
  CheckSignals(strict, o);
  EXPECT_GT(strict.stats.blocked_shield, 0);
  for (const Signal& s : strict.signals) EXPECT_EQ(s.shield.band, ShieldBand::kApproved);
  ASSERT_EQ(strict.blocked.size(), 5u);  // bounded
  for (const BlockedSignal& b : strict.blocked) {
    EXPECT_LT(b.shield.score, 8);
    EXPECT_EQ(b.reason.rfind("shield ", 0), 0u) << b.reason;
    EXPECT_FALSE(b.shield.explanation.empty());
  }
}

TEST(Citadel, NewsBlackoutBlocksSignalsNearHighImpactEvents) {
  BITTEN_REQUIRE_MARKET_FILE(path, kEurusd);
  const auto bars = LeanBars(kEurusd);
  const EngineRun base = RunEngine(bars);
  ASSERT_GT(base.signals.size(), 10u);
  for (const Signal& s : base.signals) {
    EXPECT_NE(s.shield.explanation.find("news: insufficient data (no calendar)"),
              std::string::npos);
  }
  // High-impact USD events 10 minutes after every third signal of the plain run; a low-impact
  // EUR event on the first day keeps the whole period covered.
  std::string csv = "time_utc,currency,impact,title\n2014-05-01 00:00,EUR,low,Bank holiday\n";
  std::set<TimeMs> near;
  for (std::size_t i = 0; i < base.signals.size(); i += 3) {
    const TimeMs t = base.signals[i].bar_time + 10 * 60'000;
    near.insert(base.signals[i].bar_time);
    const TimeMs s = t / 1000;
    const std::time_t tt = static_cast<std::time_t>(s);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    csv += std::string(buf) + ",USD,high,Test event " + std::to_string(i) + "\n";
  }
  csv += "2014-05-31 12:00,JPY,high,Other currency\n";
  auto cal = citadel::NewsCalendar::Parse(csv, "test.csv");
  ASSERT_TRUE(cal) << cal.error().message;
  auto shared = std::make_shared<const citadel::NewsCalendar>(std::move(*cal));
  EngineOptions keep_all;
  keep_all.recent_blocked_limit = 1'000'000;
  const EngineRun news =
      RunEngine(bars, keep_all, {}, [&](Engine& e) { e.SetNewsCalendar(shared); });
  EXPECT_GT(news.stats.blocked_news, 0);
  for (const Signal& s : news.signals) {
    EXPECT_EQ(near.count(s.bar_time), 0u) << "a signal inside a blackout";
    EXPECT_TRUE(s.shield.explanation.find("news 10.0 (no EUR/USD event") != std::string::npos ||
                s.shield.explanation.find("news 6.0") != std::string::npos)
        << s.shield.explanation;
  }
  const bool listed = std::any_of(news.blocked.begin(), news.blocked.end(), [](const auto& b) {
    return b.reason.rfind("news blackout: USD Test event", 0) == 0;
  });
  EXPECT_TRUE(listed);
  // With blocking off the same signals pass, their news component at 0.
  EngineOptions o;
  o.news_blocks = false;
  const EngineRun shown = RunEngine(bars, o, {}, [&](Engine& e) { e.SetNewsCalendar(shared); });
  EXPECT_EQ(shown.stats.blocked_news, 0);
  bool zero = false;
  for (const Signal& s : shown.signals)
    zero |= s.shield.explanation.find("news 0.0") != std::string::npos;
  EXPECT_TRUE(zero);
}

TEST(Citadel, CorrelationWithOpenExposure) {
  BITTEN_REQUIRE_MARKET_FILE(p1, kEurusd);
  BITTEN_REQUIRE_MARKET_FILE(p2, kXauusd);
  const auto eur = LeanBars(kEurusd);
  EngineOptions o;
  o.block_below = 0;
  // Never supplied: insufficient data.
  const EngineRun none = RunEngine(eur, o);
  ASSERT_GT(none.signals.size(), 0u);
  for (const Signal& s : none.signals) {
    EXPECT_NE(s.shield.explanation.find("correlation: insufficient data (open exposure not "
                                        "supplied)"),
              std::string::npos);
  }
  // An open EURUSD BUY: a new BUY is the same risk again (0.0), a SELL offsets it (10.0).
  const EngineRun same = RunEngine(eur, o, {}, [](Engine& e) {
    e.SetOpenExposure({{"EURUSD", Side::kBuy}});
  });
  int buys = 0, sells = 0;
  for (const Signal& s : same.signals) {
    if (s.side == Side::kBuy) {
      ++buys;
      EXPECT_NE(s.shield.explanation.find("correlation 0.0 (+1.00 with EURUSD BUY (same symbol))"),
                std::string::npos)
          << s.shield.explanation;
    } else {
      ++sells;
      EXPECT_NE(s.shield.explanation.find("correlation 10.0 (-1.00 with EURUSD BUY"),
                std::string::npos)
          << s.shield.explanation;
    }
  }
  EXPECT_GT(buys, 0);
  EXPECT_GT(sells, 0);
  // An open GBPUSD position the engine never saw: the currency-leg rule (both short USD: 0.5).
  const EngineRun legs = RunEngine(eur, o, {}, [](Engine& e) {
    e.SetOpenExposure({{"GBPUSD", Side::kBuy}});
  });
  for (const Signal& s : legs.signals) {
    const std::string want = s.side == Side::kBuy ? "+0.50 with GBPUSD BUY (currency legs)"
                                                  : "-0.50 with GBPUSD BUY (currency legs)";
    EXPECT_NE(s.shield.explanation.find(want), std::string::npos) << s.shield.explanation;
  }
  // XAUUSD seen alongside EURUSD: measured on common M15 returns once there are enough.
  std::vector<Bar> both = eur;
  for (Bar& b : LeanBars(kXauusd)) both.push_back(std::move(b));
  std::stable_sort(both.begin(), both.end(), [](const Bar& a, const Bar& b) {
    return a.time != b.time ? a.time < b.time : a.symbol < b.symbol;
  });
  const EngineRun measured = RunEngine(both, o, {}, [](Engine& e) {
    e.SetOpenExposure({{"XAUUSD", Side::kBuy}});
  });
  int with_returns = 0;
  for (const Signal& s : measured.signals) {
    if (s.symbol != "EURUSD") continue;
    with_returns +=
        s.shield.explanation.find("with XAUUSD BUY (M15 returns, n=") != std::string::npos;
  }
  EXPECT_GT(with_returns, 0);
}

TEST(Engine, FirstSignalWithinFourHoursOfData) {
  // The demo and the end-to-end test replay a file from its start with the core supplying the
  // (empty) exposure: the first signal must not wait for H1/H4 history (ema_cross_rsi needs M5).
  BITTEN_REQUIRE_MARKET_FILE(path, kEurusd);
  const auto bars = LeanBars(kEurusd);
  const EngineRun r = RunEngine(bars, {}, {}, [](Engine& e) { e.SetOpenExposure({}); });
  ASSERT_GT(r.signals.size(), 0u);
  std::printf("first EURUSD signal after %lld minutes: %s\n",
              static_cast<long long>((r.signals[0].bar_time - bars[0].time) / 60'000),
              r.signals[0].shield.explanation.c_str());
  EXPECT_LT(r.signals[0].bar_time - bars[0].time, 4 * 3'600'000);
}

TEST(Engine, IgnoresUnknownSymbolsAndOutOfOrderBars) {
  SimClock clock(0);
  Engine e(EngineOptions{}, clock, Table());
  Bar b{"BTCUSD", Timeframe::kM1, 60'000, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  EXPECT_FALSE(e.OnBar(b));
  b.symbol = "EURUSD";
  EXPECT_FALSE(e.OnBar(b));
  EXPECT_FALSE(e.OnBar(b));  // same time again
  b.timeframe = Timeframe::kM5;
  b.time = 120'000;
  EXPECT_FALSE(e.OnBar(b));
  EXPECT_EQ(e.stats().bars, 1);
  EXPECT_EQ(e.stats().ignored_bars, 3);
}

TEST(EngineOptions, ValidateReportsEveryProblem) {
  EXPECT_TRUE(EngineOptions{}.Validate());
  EngineOptions o;
  o.setups = {"trend_pullback", "martingale"};
  o.max_spread_to_stop = 0;
  o.ttl_rapid_ms = 0;
  o.no_trade_hours_utc = {24};
  o.block_below = 11;
  o.citadel.size_active = 2;
  auto st = o.Validate();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "bad_config");
  for (const char* word : {"martingale", "max_spread_to_stop", "ttl", "no_trade_hours_utc",
                           "block_below", "size multipliers"}) {
    EXPECT_NE(st.error().message.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace bitten::venom
