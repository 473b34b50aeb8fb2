#include "market/instrument.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>

namespace bitten::market {
namespace {

class MapQuotes final : public QuoteSource {
 public:
  void Set(const std::string& s, double bid, double ask) { q_[s] = {bid, ask}; }
  std::optional<std::pair<double, double>> Quote(const std::string& symbol) const override {
    auto it = q_.find(symbol);
    if (it == q_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::pair<double, double>> q_;
};

TEST(InstrumentTable, DefaultsFollowContracts) {
  const InstrumentTable t = InstrumentTable::Defaults();
  for (const char* s : {"EURUSD", "GBPUSD", "AUDUSD", "NZDUSD", "USDCHF", "USDCAD", "EURGBP"}) {
    const Instrument* i = t.Find(s);
    ASSERT_NE(i, nullptr) << s;
    EXPECT_EQ(i->digits, 5) << s;
    EXPECT_DOUBLE_EQ(i->pip_size, 0.0001) << s;
    EXPECT_DOUBLE_EQ(i->contract_size, 100000) << s;
    EXPECT_EQ(i->base_ccy + i->quote_ccy, std::string(s));
  }
  for (const char* s : {"USDJPY", "EURJPY", "GBPJPY"}) {
    const Instrument* i = t.Find(s);
    ASSERT_NE(i, nullptr) << s;
    EXPECT_EQ(i->digits, 3);
    EXPECT_DOUBLE_EQ(i->pip_size, 0.01);
    EXPECT_EQ(i->quote_ccy, "JPY");
  }
  const Instrument* x = t.Find("XAUUSD");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->digits, 2);
  EXPECT_DOUBLE_EQ(x->pip_size, 0.1);
  EXPECT_DOUBLE_EQ(x->contract_size, 100);
  EXPECT_EQ(x->base_ccy, "XAU");
  EXPECT_EQ(x->quote_ccy, "USD");
  EXPECT_EQ(t.Find("BTCUSD"), nullptr);
}

TEST(InstrumentTable, UpsertOverridesDefault) {
  InstrumentTable t = InstrumentTable::Defaults();
  Instrument i = *t.Find("EURUSD");
  i.volume_step = 0.1;
  t.Upsert(i);
  EXPECT_DOUBLE_EQ(t.Find("EURUSD")->volume_step, 0.1);
}

TEST(PipMath, PriceToPipsUsesTheInstrumentsPip) {
  const InstrumentTable t = InstrumentTable::Defaults();
  EXPECT_NEAR(PriceToPips(*t.Find("EURUSD"), 1.08500, 1.08250), 25.0, 1e-9);
  EXPECT_NEAR(PriceToPips(*t.Find("USDJPY"), 150.00, 150.25), 25.0, 1e-9);
  EXPECT_NEAR(PriceToPips(*t.Find("XAUUSD"), 2350.0, 2348.5), 15.0, 1e-9);
  EXPECT_NEAR(PipsToPrice(*t.Find("USDJPY"), 5), 0.05, 1e-12);
}

TEST(PipValue, QuoteCurrencyIsAccount) {
  const InstrumentTable t = InstrumentTable::Defaults();
  MapQuotes none;
  auto v = PipValuePerLot(*t.Find("EURUSD"), "USD", none);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_NEAR(*v, 10.0, 1e-9);
  auto g = PipValuePerLot(*t.Find("XAUUSD"), "USD", none);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_NEAR(*g, 0.1 * 100, 1e-9);
}

TEST(PipValue, BaseCurrencyIsAccountDividesByOwnBid) {
  const InstrumentTable t = InstrumentTable::Defaults();
  MapQuotes q;
  q.Set("USDJPY", 150.00, 150.012);
  auto v = PipValuePerLot(*t.Find("USDJPY"), "USD", q);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_NEAR(*v, 6.6667, 1e-4);
}

TEST(PipValue, CrossGoesThroughDirectOrInversePair) {
  const InstrumentTable t = InstrumentTable::Defaults();
  MapQuotes q;
  q.Set("GBPUSD", 1.25, 1.2501);
  auto v = PipValuePerLot(*t.Find("EURGBP"), "USD", q);  // 10 GBP × 1.25 USD/GBP
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_NEAR(*v, 12.5, 1e-9);

  q.Set("USDJPY", 160.0, 160.01);
  auto j = PipValuePerLot(*t.Find("EURJPY"), "USD", q);  // 1000 JPY / 160 JPY per USD
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_NEAR(*j, 6.25, 1e-9);

  // An EUR account: EURUSD is EUR+USD, the direct pair of USD is USDEUR (absent), the inverse
  // EURUSD.
  q.Set("EURUSD", 1.25, 1.2501);
  auto e = PipValuePerLot(*t.Find("GBPUSD"), "EUR", q);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_NEAR(*e, 8.0, 1e-9);
}

TEST(PipValue, MissingQuoteIsAnErrorNamingThePair) {
  const InstrumentTable t = InstrumentTable::Defaults();
  MapQuotes none;
  auto v = PipValuePerLot(*t.Find("USDJPY"), "USD", none);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "no_quote");
  EXPECT_NE(v.error().message.find("USDJPY"), std::string::npos);
  auto c = PipValuePerLot(*t.Find("EURGBP"), "USD", none);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "no_quote");
  EXPECT_NE(c.error().message.find("GBPUSD"), std::string::npos);
}

TEST(InstrumentTable, CoversEveryDataSymbolAndCommonCrosses) {
  const InstrumentTable t = InstrumentTable::Defaults();
  // Every symbol of ../shared/data/market plus the common crosses and both metals.
  for (const char* s :
       {"EURUSD", "XAUUSD", "GBPUSD", "USDJPY", "EURCHF", "EURAUD", "EURCAD", "EURNZD",
        "GBPCHF", "GBPAUD", "GBPCAD", "GBPNZD", "AUDCAD", "AUDCHF", "AUDNZD", "NZDCAD",
        "NZDCHF", "CADCHF", "AUDJPY", "NZDJPY", "CADJPY", "CHFJPY", "XAGUSD"}) {
    const Instrument* i = t.Find(s);
    ASSERT_NE(i, nullptr) << s;
    EXPECT_EQ(i->base_ccy + i->quote_ccy, std::string(s));
    // A pip is 10 points on fractional-pip FX quotes.
    if (i->quote_ccy == "JPY") {
      EXPECT_EQ(i->digits, 3) << s;
      EXPECT_DOUBLE_EQ(i->pip_size, 0.01) << s;
    } else if (i->base_ccy != "XAU" && i->base_ccy != "XAG") {
      EXPECT_EQ(i->digits, 5) << s;
      EXPECT_DOUBLE_EQ(i->pip_size, 0.0001) << s;
    }
  }
  const Instrument* ag = t.Find("XAGUSD");
  EXPECT_EQ(ag->digits, 3);
  EXPECT_DOUBLE_EQ(ag->pip_size, 0.01);
  EXPECT_DOUBLE_EQ(ag->contract_size, 5000);
  EXPECT_EQ(t.size(), t.Symbols().size());
  EXPECT_EQ(t.Symbols().front(), "AUDCAD");
}

TEST(InstrumentTable, BrokerSpecsOverrideKnownAndAddUnknown) {
  InstrumentTable t = InstrumentTable::Defaults();
  // A broker quoting gold with 3 digits and 10 oz lots: pip stays 0.1 (convention), digits and
  // contract follow the broker.
  BrokerSpec gold{"XAUUSD", 3, 0.001, 10, 0.1, 50, 0.1};
  ASSERT_TRUE(t.Override(gold));
  const Instrument* x = t.Find("XAUUSD");
  EXPECT_EQ(x->digits, 3);
  EXPECT_DOUBLE_EQ(x->pip_size, 0.1);
  EXPECT_DOUBLE_EQ(x->contract_size, 10);
  EXPECT_DOUBLE_EQ(x->volume_min, 0.1);
  EXPECT_DOUBLE_EQ(x->volume_max, 50);
  EXPECT_EQ(x->quote_ccy, "USD");
  // Unknown 5-digit symbol: pip = 10 points, currencies from the name.
  ASSERT_TRUE(t.Override(BrokerSpec{"EURNOK", 5, 0.00001, 100000, 0.01, 100, 0.01}));
  const Instrument* n = t.Find("EURNOK");
  ASSERT_NE(n, nullptr);
  EXPECT_DOUBLE_EQ(n->pip_size, 0.0001);
  EXPECT_EQ(n->base_ccy, "EUR");
  EXPECT_EQ(n->quote_ccy, "NOK");
  // Unknown 2-digit index: pip = 1 point, no currencies from a non-FX name.
  ASSERT_TRUE(t.Override(BrokerSpec{"US30", 2, 0.01, 1, 0.1, 100, 0.1}));
  EXPECT_DOUBLE_EQ(t.Find("US30")->pip_size, 0.01);
  EXPECT_EQ(t.Find("US30")->quote_ccy, "");
  // Nonsense is refused and leaves the entry alone.
  EXPECT_EQ(t.Override(BrokerSpec{"EURUSD", 5, 0, 100000, 0.01, 100, 0.01}).error().code,
            "bad_request");
  EXPECT_FALSE(t.Override(BrokerSpec{"EURUSD", 12, 0.00001, 100000, 0.01, 100, 0.01}));
  EXPECT_FALSE(t.Override(BrokerSpec{"EURUSD", 5, 0.00001, 100000, 5, 1, 0.01}));
  EXPECT_FALSE(t.Override(BrokerSpec{"", 5, 0.00001, 100000, 0.01, 100, 0.01}));
  EXPECT_DOUBLE_EQ(t.Find("EURUSD")->volume_min, 0.01);
}

TEST(PipValue, EveryQuoteCurrencyAndUsdLeg) {
  const InstrumentTable t = InstrumentTable::Defaults();
  MapQuotes q;
  q.Set("USDCHF", 0.80, 0.8001);
  q.Set("EURUSD", 1.25, 1.2501);
  q.Set("USDJPY", 160.0, 160.01);
  q.Set("GBPUSD", 1.25, 1.2501);
  q.Set("NZDUSD", 0.50, 0.5001);
  // USDCHF, USD account: 10 CHF / 0.80 CHF per USD.
  EXPECT_NEAR(*PipValuePerLot(*t.Find("USDCHF"), "USD", q), 12.5, 1e-9);
  // XAUUSD in a EUR account: 10 USD / 1.25 USD per EUR (inverse of EURUSD).
  EXPECT_NEAR(*PipValuePerLot(*t.Find("XAUUSD"), "EUR", q), 8.0, 1e-9);
  // XAGUSD in USD: 0.01 × 5000 = 50 USD.
  EXPECT_NEAR(*PipValuePerLot(*t.Find("XAGUSD"), "USD", q), 50.0, 1e-9);
  // EURGBP in a JPY account: no GBPJPY quote, so via USD: 10 GBP × 1.25 USD/GBP × 160 JPY/USD.
  auto j = PipValuePerLot(*t.Find("EURGBP"), "JPY", q);
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_NEAR(*j, 2000.0, 1e-6);
  // AUDNZD in a CHF account: NZD -> USD (0.50) -> CHF (0.80): 10 NZD = 4 CHF.
  auto c = PipValuePerLot(*t.Find("AUDNZD"), "CHF", q);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NEAR(*c, 4.0, 1e-9);
  // EURGBP in a EUR account: base == account, GBP -> EUR via the symbol's own bid (0.85).
  q.Set("EURGBP", 0.85, 0.8501);
  EXPECT_NEAR(*PipValuePerLot(*t.Find("EURGBP"), "EUR", q), 10.0 / 0.85, 1e-9);
  // USDJPY in a GBP account: JPY -> USD (1/160) -> GBP (1/1.25).
  EXPECT_NEAR(*PipValuePerLot(*t.Find("USDJPY"), "GBP", q), 1000.0 / 160.0 / 1.25, 1e-9);
  // No leg at all: AUDCAD in a CHF account without CAD quotes names what it needs.
  auto missing = PipValuePerLot(*t.Find("AUDCAD"), "CHF", q);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "no_quote");
  EXPECT_NE(missing.error().message.find("CADCHF"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("USDCAD"), std::string::npos) << missing.error().message;
  EXPECT_NEAR(*ConversionRate("EUR", "EUR", q), 1.0, 0);
}

}  // namespace
}  // namespace bitten::market
