#include "market/instrument.h"

#include <cmath>
#include <utility>

namespace bitten::market {

namespace {

Instrument Make(std::string symbol, int digits, double pip, double contract, std::string base,
                std::string quote) {
  Instrument i;
  i.symbol = std::move(symbol);
  i.digits = digits;
  i.pip_size = pip;
  i.contract_size = contract;
  i.base_ccy = std::move(base);
  i.quote_ccy = std::move(quote);
  return i;
}

}  // namespace

InstrumentTable InstrumentTable::Defaults() {
  InstrumentTable t;
  for (const char* s : {"EURUSD", "GBPUSD", "AUDUSD", "NZDUSD", "USDCHF", "USDCAD", "EURGBP"}) {
    const std::string sym = s;
    t.Upsert(Make(sym, 5, 0.0001, 100000, sym.substr(0, 3), sym.substr(3, 3)));
  }
  for (const char* s : {"USDJPY", "EURJPY", "GBPJPY"}) {
    const std::string sym = s;
    t.Upsert(Make(sym, 3, 0.01, 100000, sym.substr(0, 3), "JPY"));
  }
  t.Upsert(Make("XAUUSD", 2, 0.1, 100, "XAU", "USD"));
  return t;
}

const Instrument* InstrumentTable::Find(const std::string& symbol) const {
  auto it = by_symbol_.find(symbol);
  return it == by_symbol_.end() ? nullptr : &it->second;
}

void InstrumentTable::Upsert(Instrument instrument) {
  std::string key = instrument.symbol;
  by_symbol_[key] = std::move(instrument);
}

double PriceToPips(const Instrument& inst, double a, double b) {
  return std::fabs(a - b) / inst.pip_size;
}

double PipsToPrice(const Instrument& inst, double pips) { return pips * inst.pip_size; }

Result<double> PipValuePerLot(const Instrument& inst, const std::string& account_ccy,
                              const QuoteSource& quotes) {
  const double in_quote_ccy = inst.pip_size * inst.contract_size;
  if (inst.quote_ccy == account_ccy) return in_quote_ccy;
  if (inst.base_ccy == account_ccy) {
    // e.g. USDJPY for a USD account: 1000 JPY / (JPY per USD).
    auto q = quotes.Quote(inst.symbol);
    if (!q || !(q->first > 0)) {
      return Fail("no_quote", "pip value of " + inst.symbol + " in " + account_ccy +
                                  " needs a quote of " + inst.symbol);
    }
    return in_quote_ccy / q->first;
  }
  // Cross: convert the quote currency through a pair with the account currency.
  const std::string direct = inst.quote_ccy + account_ccy;   // e.g. GBPUSD: USD per GBP
  const std::string inverse = account_ccy + inst.quote_ccy;  // e.g. USDCHF: CHF per USD
  if (auto q = quotes.Quote(direct); q && q->first > 0) return in_quote_ccy * q->first;
  if (auto q = quotes.Quote(inverse); q && q->first > 0) return in_quote_ccy / q->first;
  return Fail("no_quote", "pip value of " + inst.symbol + " in " + account_ccy +
                              " needs a quote of " + direct + " or " + inverse);
}

double DefaultSpreadPips(const std::string& symbol) {
  static const std::map<std::string, double> kSpreads = {
      {"EURUSD", 1.0}, {"GBPUSD", 1.2}, {"AUDUSD", 1.4}, {"NZDUSD", 1.4},
      {"USDCHF", 1.4}, {"USDCAD", 1.4}, {"EURGBP", 1.5}, {"USDJPY", 1.2},
      {"EURJPY", 1.8}, {"GBPJPY", 2.5}, {"XAUUSD", 2.5}};
  auto it = kSpreads.find(symbol);
  return it == kSpreads.end() ? 2.0 : it->second;
}

}  // namespace bitten::market
