// VENOM engine: M1 bars in, at most one Signal per bar out. One Engine owns the multi-timeframe
// state (venom/context.h) of every symbol it sees and builds M5, M15, H1 and H4 from the M1 bars
// itself. It runs on the core thread (not thread-safe). The same bars in the same order (and the
// same exposure and calendar inputs) give the same signals byte for byte (CanonicalContent,
// signal_hash, confidence, shield): no randomness and no wall clock in any decision; only
// signal_id and created_at/expires_at come from the injected clock. The backtester and the live
// core run this same code.
//
// Per accepted M1 bar of a symbol:
//   1. The context takes the bar; higher-timeframe bars that closed with it update their
//      indicators.
//   2. Every enabled setup (venom/setups/setup.h: trend_pullback, squeeze_breakout,
//      range_reversal, ema_cross_rsi) is asked for a candidate; each candidate gets its confidence
//      (below); the highest wins, ties to the earlier setup in that order. Counted in `setups`.
//   3. Gates, each counted when it refuses: trading hours (no_trade_hours_utc, default the 21–22
//      UTC rollover), warm-up (M5 ATR not ready), the spread gate (spread at the close, crossed
//      quotes as 0, at most max_spread_to_stop × the stop), per-symbol spacing (min_spacing_ms of
//      bar time since the symbol's last signal), daily caps (per symbol and over all symbols, per
//      UTC day of the bar).
//   4. Stop = max(stop_atr_multiple × M5 ATR(14) in pips, the instrument's floor in pips: FX 6,
//      JPY pairs 6, gold 20, or a per-symbol override), rounded up to whole price points. Entry =
//      the ask at the close for BUY, the bid for SELL; SL/TP at stop × 1 and stop × R:R of the
//      class.
//   5. Confidence 0–100 = 30 × alignment + 25 × quality + 20 × momentum + 15 × cost + 10 × session,
//      rounded, each sub-score in [0, 1]:
//        alignment: trend (context.h) of M5, M15, H1, H4 weighted 0.2/0.3/0.3/0.2: with the side 1,
//                   neutral 0.5, against or not ready 0;
//        quality:   the setup's own sub-score (setup.h);
//        momentum:  0.5 if the last M5 MACD(12,26,9) histogram moved toward the side + 0.5 ×
//                   clamp(±(M1 RSI(14) − 50) / 20, 0, 1) (+ for BUY);
//        cost:      1 − spread / (max_spread_to_stop × stop), clamped to [0, 1];
//        session:   CITADEL's session score / 10.
//      PRECISION_STRIKE from precision_min_confidence (84), else RAPID_ASSAULT. Nothing lowers the
//      bar when signals are scarce.
//   6. CITADEL (venom/citadel/shield.h) scores the shield. A high-impact news event of either
//      currency inside the window blocks the signal when news_blocks; a score below block_below
//      blocks it. Blocked signals are counted and kept (the last recent_blocked_limit) with the
//      reason in recent_blocked(); they do not count for spacing or caps.
//   7. created_at = clock, expires_at = created_at + ttl of the class, signal_id = UUIDv7,
//      signal_hash = ComputeSignalHash.
// Bars of an unknown symbol, of another timeframe than M1, or not later than the symbol's previous
// bar are ignored and counted.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "market/instrument.h"
#include "market/types.h"
#include "venom/citadel/exposure.h"
#include "venom/citadel/news_calendar.h"
#include "venom/citadel/shield.h"
#include "venom/context.h"
#include "venom/setups/setup.h"
#include "venom/signal.h"

namespace bitten::venom {

struct EngineOptions {
  // Setups to run, by name (setup.h). Default: all four.
  std::vector<std::string> setups = {"trend_pullback", "squeeze_breakout", "range_reversal",
                                     "ema_cross_rsi"};
  setups::SetupOptions setup;
  // Stop = stop_atr_multiple × M5 ATR(14), at least the floor of the instrument class, in pips.
  // Defaults: 2.0; 6 (FX), 6 (JPY quote), 20 (XAU base).
  double stop_atr_multiple = 2.0;
  double min_stop_pips_fx = 6;
  double min_stop_pips_jpy = 6;
  double min_stop_pips_gold = 20;
  // Per-symbol floor overriding the class floor. Default: empty.
  std::map<std::string, double> min_stop_pips_by_symbol;
  // Reward:risk per class. Defaults: RAPID_ASSAULT 1.5, PRECISION_STRIKE 2.0.
  double rr_rapid = 1.5;
  double rr_precision = 2.0;
  // Confidence at or above which a signal is PRECISION_STRIKE. Default: 84.
  int precision_min_confidence = 84;
  // Spread gate: spread must be <= this fraction of the stop. Default: 0.35.
  double max_spread_to_stop = 0.35;
  // UTC hours (0–23) in which no signal is emitted. Default: 21, 22 (rollover, wide spreads).
  std::vector<int> no_trade_hours_utc = {21, 22};
  // Minimum bar time between two signals of one symbol. Default: 15 minutes.
  TimeMs min_spacing_ms = 15 * 60'000;
  // Signals per UTC day per symbol and over all symbols; 0 = no cap. Defaults: 6, 20.
  int max_signals_per_symbol_day = 6;
  int max_signals_per_day = 20;
  // Signal lifetime per class. Defaults: RAPID 15 min, PRECISION 30 min.
  TimeMs ttl_rapid_ms = 15 * 60'000;
  TimeMs ttl_precision_ms = 30 * 60'000;
  // CITADEL: history, components, block threshold (shield score below it blocks; 0 blocks
  // nothing), whether a high-impact news blackout blocks. Defaults: see shield.h; 4.0; true.
  citadel::ShieldHistoryOptions shield;
  citadel::ShieldOptions citadel;
  double block_below = 4.0;
  bool news_blocks = true;
  // Blocked signals kept for the admin console. Default: 50.
  std::size_t recent_blocked_limit = 50;

  // Every problem at once ("bad_config", one sentence per problem), or Ok.
  Status Validate() const;
};

struct EngineStats {
  std::int64_t bars = 0;               // bars accepted
  std::int64_t ignored_bars = 0;       // unknown symbol, other timeframe, time not increasing
  std::int64_t setups = 0;             // bars where a setup produced a candidate
  std::int64_t refused_session = 0;    // ... refused: no-trade hour
  std::int64_t refused_warmup = 0;     // ... refused: M5 ATR not ready for the stop
  std::int64_t refused_spread = 0;     // ... refused by the spread gate
  std::int64_t refused_spacing = 0;    // ... refused by the per-symbol spacing
  std::int64_t refused_daily_cap = 0;  // ... refused by a daily cap
  std::int64_t blocked_news = 0;       // ... blocked by a news blackout
  std::int64_t blocked_shield = 0;     // ... blocked by the shield threshold
  std::int64_t signals = 0;
  std::map<std::string, std::int64_t> setups_by_name;   // candidates that won their bar
  std::map<std::string, std::int64_t> signals_by_name;  // signals emitted per setup
};

// A signal CITADEL blocked, for the admin console.
struct BlockedSignal {
  std::string symbol;
  market::Side side = market::Side::kBuy;
  std::string setup;
  TimeMs bar_time = 0;
  int confidence = 0;
  Shield shield;
  std::string reason;  // "news blackout: USD Non-Farm Payrolls at 12:30 UTC" / "shield 3.2 < 4.0"
};

class Engine {
 public:
  // `options` must be valid (Validate()); an invalid one is a programming error and aborts.
  // `clock` and `instruments` must outlive the engine.
  Engine(EngineOptions options, const Clock& clock, const market::InstrumentTable& instruments);
  // Not copyable: it keeps pointers into its own per-symbol map.
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  std::optional<Signal> OnBar(const market::Bar& m1_bar);

  // The open positions (symbol, side) CITADEL's correlation component weighs new signals against.
  // Until the first call that component says "insufficient data".
  void SetOpenExposure(std::vector<citadel::OpenPosition> positions);
  // The calendar of the news component; nullptr (the default): "insufficient data".
  void SetNewsCalendar(std::shared_ptr<const citadel::NewsCalendar> calendar);

  const EngineStats& stats() const { return stats_; }
  const EngineOptions& options() const { return options_; }
  // Newest last, at most options().recent_blocked_limit.
  const std::deque<BlockedSignal>& recent_blocked() const { return recent_blocked_; }

  // The stop floor in pips that applies to `inst`.
  double MinStopPips(const market::Instrument& inst) const;
  // The context of a symbol (nullptr before its first bar), for tests and tools.
  const SymbolContext* context(const std::string& symbol) const;

 private:
  struct SymbolState {
    explicit SymbolState(const EngineOptions& o)
        : context(o.setup.squeeze_ratio), shield(o.shield) {}
    // The symbol's entry in `instruments_`, found when the state is made. The table only inserts
    // or replaces entries in place (InstrumentTable::Upsert/Override), so the pointer stays valid.
    const market::Instrument* inst = nullptr;
    SymbolContext context;
    citadel::ShieldHistory shield;
    std::optional<double> prev_diff;  // M1 EMA9 − EMA21 on the previous bar
    std::optional<TimeMs> last_bar_time;
    std::optional<TimeMs> last_signal_bar_time;
    TimeMs day = -1;
    int day_signals = 0;
  };

  std::optional<Signal> Evaluate(const market::Bar& bar, const market::Instrument& inst,
                                 SymbolState& st, double spread_pips,
                                 std::optional<double> atr_pips);
  Shield ScoreShield(const Signal& s, const market::Instrument& inst, const SymbolState& st,
                     std::optional<double> atr_pips, std::optional<citadel::NewsEvent>* news);
  void Block(const Signal& s, std::string reason);

  EngineOptions options_;
  const Clock& clock_;
  const market::InstrumentTable& instruments_;
  std::map<std::string, SymbolState> symbols_;
  // The state of the last bar's symbol (bars of one symbol come in runs): its map key and state.
  const std::string* last_symbol_ = nullptr;
  SymbolState* last_state_ = nullptr;
  // options_.setups as kinds, in order, so a bar does not compare setup names.
  enum class SetupKind { kTrendPullback, kSqueezeBreakout, kRangeReversal, kEmaCrossRsi, kNone };
  std::vector<SetupKind> setup_kinds_;
  std::optional<std::vector<citadel::OpenPosition>> exposure_;
  std::shared_ptr<const citadel::NewsCalendar> calendar_;
  std::deque<BlockedSignal> recent_blocked_;
  TimeMs day_ = -1;
  int day_signals_ = 0;
  EngineStats stats_;
};

}  // namespace bitten::venom
