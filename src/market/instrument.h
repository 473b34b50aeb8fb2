// Instrument specs and pip math (CONTRACTS §1). The default table covers the majors, JPY pairs and
// gold; a terminal's heartbeat (broker specs) overrides an entry. Pip value per lot is converted
// from the quote currency to the account currency with live quotes. Not thread-safe: owned by one
// thread (the core), copies are cheap.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/error.h"

namespace bitten::market {

struct Instrument {
  std::string symbol;        // BITTEN's name, e.g. "USDJPY"
  int digits = 5;            // price decimals
  double pip_size = 0.0001;  // price distance of one pip
  double contract_size = 100000;
  std::string base_ccy;   // "USD" for USDJPY, "XAU" for XAUUSD
  std::string quote_ccy;  // "JPY" for USDJPY
  double volume_min = 0.01;
  double volume_max = 100;
  double volume_step = 0.01;
};

// Latest bid/ask per symbol, used for currency conversion. Implemented by the core's quote book.
class QuoteSource {
 public:
  virtual ~QuoteSource() = default;
  // {bid, ask} of the symbol, or nullopt when no quote has been seen.
  virtual std::optional<std::pair<double, double>> Quote(const std::string& symbol) const = 0;
};

class InstrumentTable {
 public:
  // The defaults of CONTRACTS §1.
  static InstrumentTable Defaults();

  const Instrument* Find(const std::string& symbol) const;
  void Upsert(Instrument instrument);  // broker specs from a heartbeat override the default

 private:
  std::map<std::string, Instrument> by_symbol_;
};

// Distance between two prices in pips (always >= 0).
double PriceToPips(const Instrument& inst, double a, double b);
// Price distance of `pips` pips.
double PipsToPrice(const Instrument& inst, double pips);

// Value of one pip for one lot in `account_ccy`: pip_size × contract_size in the quote currency,
// converted with the current quote (QUOTE==account: as is; BASE==account: divide by the bid of the
// symbol itself; otherwise through a direct or inverse pair with the account currency). Fails with
// "no_quote" naming the pair it needs when no quote is known.
Result<double> PipValuePerLot(const Instrument& inst, const std::string& account_ccy,
                              const QuoteSource& quotes);

// A typical retail spread of the symbol in pips, used where a data source has no ask (one-side bar
// files replayed by ReplayFeed) and by SyntheticFeed: EURUSD 1.0, GBPUSD 1.2, AUDUSD/NZDUSD/USDCHF/
// USDCAD 1.4, EURGBP 1.5, USDJPY 1.2, EURJPY 1.8, GBPJPY 2.5, XAUUSD 2.5 (of 0.1); others 2.0.
double DefaultSpreadPips(const std::string& symbol);

}  // namespace bitten::market
