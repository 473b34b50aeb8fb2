#include "market/instrument.h"

#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
  // Five-digit FX: majors (CONTRACTS §1) and the common non-JPY crosses.
  for (const char* s : {"EURUSD", "GBPUSD", "AUDUSD", "NZDUSD", "USDCHF", "USDCAD", "EURGBP",
                        "EURCHF", "EURAUD", "EURCAD", "EURNZD", "GBPCHF", "GBPAUD", "GBPCAD",
                        "GBPNZD", "AUDCAD", "AUDCHF", "AUDNZD", "NZDCAD", "NZDCHF", "CADCHF"}) {
    const std::string sym = s;
    t.Upsert(Make(sym, 5, 0.0001, 100000, sym.substr(0, 3), sym.substr(3, 3)));
  }
  // Three-digit JPY pairs.
  for (const char* s : {"USDJPY", "EURJPY", "GBPJPY", "AUDJPY", "NZDJPY", "CADJPY", "CHFJPY"}) {
    const std::string sym = s;
    t.Upsert(Make(sym, 3, 0.01, 100000, sym.substr(0, 3), "JPY"));
  }
  // Metals: gold 100 oz a lot with a 0.1 pip; silver 5000 oz a lot with a 0.01 pip (3 digits).
  t.Upsert(Make("XAUUSD", 2, 0.1, 100, "XAU", "USD"));
  t.Upsert(Make("XAGUSD", 3, 0.01, 5000, "XAG", "USD"));
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

Status InstrumentTable::Override(const BrokerSpec& spec) {
  const std::string what = "broker spec of '" + spec.symbol + "': ";
  if (spec.symbol.empty()) return Fail("bad_request", "broker spec without a symbol name");
  if (spec.digits < 0 || spec.digits > 10) {
    return Fail("bad_request", what + "digits " + std::to_string(spec.digits) + " not in 0..10");
  }
  if (!(spec.point > 0) || !(spec.contract_size > 0) || !(spec.volume_min > 0) ||
      !(spec.volume_max > 0) || !(spec.volume_step > 0) || spec.volume_min > spec.volume_max) {
    return Fail("bad_request",
                what + "point, contract_size and volumes must be positive, volume_min <= max");
  }
  Instrument inst;
  if (const Instrument* known = Find(spec.symbol)) {
    inst = *known;
  } else {
    inst.symbol = spec.symbol;
    inst.pip_size = (spec.digits == 5 || spec.digits == 3) ? spec.point * 10 : spec.point;
    bool letters = spec.symbol.size() == 6;
    for (char c : spec.symbol) letters = letters && c >= 'A' && c <= 'Z';
    if (letters) {
      inst.base_ccy = spec.symbol.substr(0, 3);
      inst.quote_ccy = spec.symbol.substr(3, 3);
    }
  }
  inst.digits = spec.digits;
  inst.contract_size = spec.contract_size;
  inst.volume_min = spec.volume_min;
  inst.volume_max = spec.volume_max;
  inst.volume_step = spec.volume_step;
  Upsert(std::move(inst));
  return Ok();
}

std::vector<std::string> InstrumentTable::Symbols() const {
  std::vector<std::string> out;
  out.reserve(by_symbol_.size());
  for (const auto& [sym, inst] : by_symbol_) out.push_back(sym);
  return out;
}

double PriceToPips(const Instrument& inst, double a, double b) {
  return std::fabs(a - b) / inst.pip_size;
}

double PipsToPrice(const Instrument& inst, double pips) { return pips * inst.pip_size; }

namespace {

// Direct or inverse pair only; nullopt when neither is quoted.
std::optional<double> DirectRate(const std::string& from, const std::string& to,
                                 const QuoteSource& quotes) {
  if (from == to) return 1.0;
  if (auto q = quotes.Quote(from + to); q && q->first > 0) return q->first;
  if (auto q = quotes.Quote(to + from); q && q->first > 0) return 1.0 / q->first;
  return std::nullopt;
}

}  // namespace

Result<double> ConversionRate(const std::string& from, const std::string& to,
                              const QuoteSource& quotes) {
  if (auto r = DirectRate(from, to, quotes)) return *r;
  if (from != "USD" && to != "USD") {
    auto a = DirectRate(from, "USD", quotes);
    auto b = DirectRate("USD", to, quotes);
    if (a && b) return *a * *b;
  }
  std::string need = from + to + " or " + to + from;
  if (from != "USD" && to != "USD") {
    need += " (or " + from + "USD/USD" + from + " and USD" + to + "/" + to + "USD)";
  }
  return Fail("no_quote", "converting " + from + " to " + to + " needs a quote of " + need);
}

Result<double> PipValuePerLot(const Instrument& inst, const std::string& account_ccy,
                              const QuoteSource& quotes) {
  const double in_quote_ccy = inst.pip_size * inst.contract_size;
  auto rate = ConversionRate(inst.quote_ccy, account_ccy, quotes);
  if (!rate) {
    return Fail("no_quote",
                "pip value of " + inst.symbol + " in " + account_ccy + ": " + rate.error().message);
  }
  return in_quote_ccy * *rate;
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
