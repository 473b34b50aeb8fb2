// Instrument specs and pip math (CONTRACTS §1). The default table covers CONTRACTS §1 (majors, JPY
// pairs, gold) plus the other common crosses and XAGUSD (docs/market-data.md lists them); a
// terminal's heartbeat (broker specs) overrides an entry with Override(). Pip value per lot is
// converted from the quote currency to the account currency with live quotes, through a USD leg
// when no pair joins the two currencies. Not thread-safe: owned by one thread (the core), copies
// are cheap.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

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

// What a terminal reports about one symbol (CONTRACTS §3.3 heartbeat `symbols`), in BITTEN's name.
struct BrokerSpec {
  std::string symbol;
  int digits = 5;
  double point = 0.00001;
  double contract_size = 100000;
  double volume_min = 0.01;
  double volume_max = 100;
  double volume_step = 0.01;
};

class InstrumentTable {
 public:
  // CONTRACTS §1 plus the common crosses and XAGUSD.
  static InstrumentTable Defaults();

  const Instrument* Find(const std::string& symbol) const;
  void Upsert(Instrument instrument);  // replaces the whole entry
  // Merges a broker's specs into the table: digits, contract size and volume limits come from the
  // broker; a known symbol keeps its pip size and currencies (a pip is a market convention, not a
  // broker setting); an unknown one gets pip = 10 points on 5/3-digit quotes, else 1 point, and
  // currencies from a 6-letter name (e.g. "EURNOK" -> EUR/NOK). Fails with "bad_request" (table
  // unchanged) on an empty symbol, digits outside 0..10 or a non-positive point, contract size or
  // volume, or volume_min > volume_max.
  Status Override(const BrokerSpec& spec);
  std::size_t size() const { return by_symbol_.size(); }
  std::vector<std::string> Symbols() const;  // sorted

 private:
  std::map<std::string, Instrument> by_symbol_;
};

// Distance between two prices in pips (always >= 0).
double PriceToPips(const Instrument& inst, double a, double b);
// Price distance of `pips` pips.
double PipsToPrice(const Instrument& inst, double pips);

// Units of `to` per unit of `from` from current bids: 1 when equal; the bid of FROMTO; 1 / the bid
// of TOFROM; else through USD (FROM->USD × USD->TO, each direct or inverse). Fails with "no_quote"
// naming the pairs it would need.
Result<double> ConversionRate(const std::string& from, const std::string& to,
                              const QuoteSource& quotes);

// Value of one pip for one lot in `account_ccy`: pip_size × contract_size in the quote currency,
// converted with ConversionRate(quote, account) (QUOTE==account: as is; BASE==account: divide by
// the bid of the symbol itself; otherwise a direct or inverse pair, else a USD leg). Fails with
// "no_quote" naming the pairs it needs when no quote is known.
Result<double> PipValuePerLot(const Instrument& inst, const std::string& account_ccy,
                              const QuoteSource& quotes);

// A typical retail spread of the symbol in pips, used where a data source has no ask (one-side bar
// files replayed by ReplayFeed) and by SyntheticFeed: EURUSD 1.0, GBPUSD 1.2, AUDUSD/NZDUSD/USDCHF/
// USDCAD 1.4, EURGBP 1.5, USDJPY 1.2, EURJPY 1.8, GBPJPY 2.5, XAUUSD 2.5 (of 0.1); others 2.0.
double DefaultSpreadPips(const std::string& symbol);

}  // namespace bitten::market
