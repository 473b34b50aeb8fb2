// A simulated broker account: market orders filled at the current quote, SL/TP closes on later
// quotes, profit in the account currency. Used by the paper bridge (the EA emulator) and by the
// backtester, so that both fill the same way. Deterministic: tickets and deals come from counters,
// no randomness.
//
// Rules (MT5's, simplified):
//   - BUY fills at ask + slippage, SELL at bid - slippage (Options::slippage_points, adverse).
//     If the slippage exceeds the command's max_slippage_points the order is refused (10004
//     "requote").
//   - Stops are checked against the price the position would close at: a BUY's sl must be below the
//     bid and its tp above the bid; a SELL's sl must be above the ask and its tp below the ask.
//     0 means "no stop". A stop on the wrong side (or equal to the price) refuses the order with
//     10016 "invalid stops"; it is never dropped silently (LESSONS: naked trades).
//   - Volume is rounded DOWN to the volume step and clamped to volume_max; below volume_min (after
//     rounding) the order is refused with 10014 "invalid volume".
//   - Unknown symbol: 10013 "invalid request"; no quote seen yet: 10021 "no quotes".
//   - OnQuote closes positions whose stop is touched: a BUY at the bid (sl when bid <= sl, tp when
//     bid >= tp), a SELL at the ask (sl when ask >= sl, tp when ask <= tp). The close price is the
//     quote, not the stop level (a gap slips). When both are touched, the stop wins (pessimistic).
//   - profit = (close - open) x contract_size x volume (negated for SELL) in the quote currency,
//     converted to the account currency like market::PipValuePerLot (direct or inverse pair with
//     the account currency, at the bid), rounded to 2 decimals. Swap and commission are 0.
//
//   - OnBar resolves a whole bar (bid OHLC and ask OHLC) for the backtester, conservatively:
//     a BUY exits on the bid side of the bar, a SELL on the ask side. First the bar's open: when it
//     is already through a stop (a gap, e.g. over a weekend), the position closes at the open
//     price, not at the stop level (sl checked before tp). Otherwise sl is touched when the
//     exit side's low (BUY) / high (SELL) reaches it, tp when the exit side's high (BUY) / low
//     (SELL) reaches it; when both are touched in the same bar the stop wins (the path inside a
//     bar is unknown, so assume the worst); a touched level fills at the level itself. Adverse
//     slippage (slippage_points) applies to stop exits (they become market orders), never to tp
//     (a limit order). Then the bar's close becomes the current quote.
//
// Prices are rounded to the symbol's digits. Not thread-safe: one owner (the paper bridge thread or
// the backtest loop).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "market/instrument.h"
#include "market/types.h"

namespace bitten::bridge {

inline constexpr int kRetcodeDone = 10009;
inline constexpr int kRetcodeRequote = 10004;
inline constexpr int kRetcodeInvalidRequest = 10013;
inline constexpr int kRetcodeInvalidVolume = 10014;
inline constexpr int kRetcodeInvalidStops = 10016;
inline constexpr int kRetcodeNoQuotes = 10021;
inline constexpr int kRetcodePositionClosed = 10036;

struct PaperPosition {
  std::int64_t ticket = 0;  // position id = order ticket
  std::string fire_id;
  std::string symbol;
  market::Side side = market::Side::kBuy;
  double volume = 0;
  double open_price = 0;
  double sl = 0;
  double tp = 0;
  TimeMs open_time = 0;
};

struct OpenRequest {
  std::string fire_id;
  std::string symbol;
  market::Side side = market::Side::kBuy;
  double volume = 0;
  double sl = 0;
  double tp = 0;
  int max_slippage_points = 0;
};

// The answer to Open: a fill (retcode 10009, position set) or a refusal (retcode, reason).
struct OpenOutcome {
  int retcode = 0;
  std::string reason;  // empty on a fill
  std::optional<PaperPosition> position;
  std::int64_t order = 0;
  std::int64_t deal = 0;
  bool filled() const { return position.has_value(); }
};

struct CloseEvent {
  PaperPosition position;
  double close_price = 0;
  double profit = 0;  // account currency, 2 decimals
  double swap = 0;
  double commission = 0;
  std::string reason;  // "sl", "tp" or "expert"
  std::int64_t deal = 0;
  TimeMs time = 0;
  // Set when the profit could not be converted to the account currency (no quote of a pair linking
  // the quote currency and the account currency yet); profit is then 0.
  std::optional<Error> conversion_error;
};

class PaperBroker final : public market::QuoteSource {
 public:
  struct Options {
    std::string currency = "USD";      // account currency. Default: USD.
    double balance = 10000;            // starting balance. Default: 10000.
    int slippage_points = 0;           // adverse slippage of every fill. Default: 0.
    std::int64_t first_ticket = 1000;  // first order/position ticket (deals count from it too)
  };

  PaperBroker(Options options, market::InstrumentTable instruments);

  // Updates the quote and closes the positions of tick.symbol whose SL or TP is touched, in ticket
  // order. Returns the closes (balance already updated).
  std::vector<CloseEvent> OnQuote(const market::Tick& tick);

  // Resolves the SL/TP of the positions of bar.symbol over the bar (rules above), in ticket
  // order, at bar time + the bar's length; then sets the quote to {close, ask_close}. Returns the
  // closes (balance already updated).
  std::vector<CloseEvent> OnBar(const market::Bar& bar);

  OpenOutcome Open(const OpenRequest& request, TimeMs now);

  // Closes the position opened by `fire_id` at the current quote (reason "expert"). Fails with
  // "no_position" when there is none open, "no_quote" when the symbol has no quote.
  Result<CloseEvent> Close(const std::string& fire_id, TimeMs now);

  // market::QuoteSource: {bid, ask} of the last OnQuote of the symbol.
  std::optional<std::pair<double, double>> Quote(const std::string& symbol) const override;

  // Converts an amount in `ccy` to the account currency with the current quotes; "no_quote" when no
  // pair links them.
  Result<double> ToAccountCurrency(double amount, const std::string& ccy) const;

  const std::string& currency() const { return options_.currency; }
  double balance() const { return balance_; }
  // Balance plus the floating profit of open positions at the current quotes (positions whose
  // profit cannot be converted yet count as 0).
  double equity() const;
  const std::map<std::int64_t, PaperPosition>& positions() const { return positions_; }
  const market::InstrumentTable& instruments() const { return instruments_; }

 private:
  Result<double> ProfitOf(const PaperPosition& p, double close_price) const;
  CloseEvent CloseAt(std::map<std::int64_t, PaperPosition>::iterator it, double price,
                     std::string reason, TimeMs now);

  const Options options_;
  market::InstrumentTable instruments_;
  double balance_;
  std::int64_t next_ticket_;
  std::int64_t next_deal_;
  std::map<std::string, std::pair<double, double>> quotes_;
  std::map<std::int64_t, PaperPosition> positions_;  // by ticket
};

}  // namespace bitten::bridge
