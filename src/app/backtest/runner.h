// The backtest loop: M1 bars, in time order, through the live VENOM engine and the simulated
// broker shared with the paper bridge (bridge::PaperBroker), one position per signal.
//
// For each bar: the SimClock is set to the bar's close (open time + 1 min); the broker resolves
// the SL/TP of open positions over the bar (PaperBroker::OnBar: stop first, gaps fill at the gap
// price) and takes the bar's close as the quote; then venom::Engine::OnBar sees the bar, and a
// signal is filled at once at that close (BUY at the ask, SELL at the bid, plus the adverse
// slippage option), i.e. at the signal's own entry price. Positions still open when the data ends
// are closed at the last quote (exit reason "end"). The engine is told the open positions
// (Engine::SetOpenExposure) whenever they change, so CITADEL's correlation component sees the
// backtest's own exposure as it would see the live one.
//
// Sizing: a fixed risk per trade of risk_percent of the STARTING balance (not compounded, so trades
// are comparable), volume = risk money / (sl_pips × pip value per lot), the pip value from
// market::PipValuePerLot with the broker's quotes; the broker rounds the volume down to the step.
// A signal the broker refuses (volume below the minimum, invalid stops, no conversion quote) is
// counted in `refused`, never traded silently.
//
// Deterministic: the same bars and options give the same trades (no randomness, no wall clock).
// Not thread-safe; one call owns everything it creates.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "market/instrument.h"
#include "market/types.h"
#include "venom/engine.h"

namespace bitten::app::backtest {

struct RunOptions {
  std::string currency = "USD";  // account currency. Default: USD.
  double balance = 10000;        // starting balance. Default: 10000.
  double risk_percent = 1.0;     // risk per trade, % of the starting balance. Default: 1.
  int slippage_points = 0;       // adverse slippage of entries and stop exits. Default: 0.
  venom::EngineOptions engine;   // Default: the engine's defaults.
};

// One closed position.
struct Trade {
  std::int64_t number = 0;  // 1, 2, ... in entry order
  std::string symbol;
  market::Side side = market::Side::kBuy;
  std::string signal_class;  // "RAPID_ASSAULT" / "PRECISION_STRIKE"
  std::string setup;
  int confidence = 0;
  std::string session;  // UTC session of the signal bar (SessionOf)
  double shield_score = 0;
  std::string shield_band;
  std::string signal_hash;
  int digits = 5;
  TimeMs entry_time = 0;  // the signal bar's close
  double entry = 0;       // fill price
  double sl = 0, tp = 0;
  double sl_pips = 0;     // from the fill to the stop
  double rr = 0;          // planned reward:risk (tp distance / sl distance from the fill)
  double volume = 0;      // lots
  double risk_money = 0;  // money lost at the stop with this volume, at the entry's pip value
  TimeMs exit_time = 0;
  double exit_price = 0;
  std::string exit_reason;  // "tp", "sl" or "end"
  double r = 0;             // result in R: price move in the trade's favour / stop distance
  double profit = 0;        // account currency, 2 decimals
  double balance_after = 0;
};

struct RunResult {
  std::vector<Trade> trades;  // in exit order (the order of the equity curve)
  double start_balance = 0;
  double end_balance = 0;
  std::int64_t bars = 0;
  venom::EngineStats engine;
  std::int64_t signals = 0;
  std::map<std::string, std::int64_t> refused;  // broker refusals by reason
  std::int64_t conversion_errors = 0;  // closes whose profit could not be converted (booked 0)
  std::vector<TimeMs> trading_days;    // UTC day starts that had at least one bar
};

// UTC session of a time: "asia" 00–07, "london" 07–12, "overlap" 12–16 (London/New York),
// "new_york" 16–21, "late" 21–24.
std::string SessionOf(TimeMs t);

RunResult RunBacktest(const std::vector<market::Bar>& bars, const RunOptions& options,
                      const market::InstrumentTable& instruments);

}  // namespace bitten::app::backtest
