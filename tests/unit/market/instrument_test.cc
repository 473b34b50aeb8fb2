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

}  // namespace
}  // namespace bitten::market
