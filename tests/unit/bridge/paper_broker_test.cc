#include "bridge/paper_broker.h"

#include <gtest/gtest.h>

namespace bitten::bridge {
namespace {

using market::Side;

market::Tick Q(const std::string& symbol, double bid, double ask, TimeMs t = 1722289995000) {
  return market::Tick{symbol, t, bid, ask};
}

OpenRequest Req(const std::string& fire_id, const std::string& symbol, Side side, double volume,
                double sl, double tp) {
  OpenRequest r;
  r.fire_id = fire_id;
  r.symbol = symbol;
  r.side = side;
  r.volume = volume;
  r.sl = sl;
  r.tp = tp;
  r.max_slippage_points = 20;
  return r;
}

class PaperBrokerTest : public ::testing::Test {
 protected:
  PaperBroker broker_{PaperBroker::Options{}, market::InstrumentTable::Defaults()};
};

TEST_F(PaperBrokerTest, BuyFillsAtAskSellAtBidWithDeterministicTickets) {
  broker_.OnQuote(Q("EURUSD", 1.08500, 1.08510));
  const OpenOutcome buy = broker_.Open(Req("a", "EURUSD", Side::kBuy, 0.12, 1.0825, 1.0875), 1);
  ASSERT_TRUE(buy.filled()) << buy.reason;
  EXPECT_EQ(buy.retcode, kRetcodeDone);
  EXPECT_DOUBLE_EQ(buy.position->open_price, 1.08510);
  EXPECT_EQ(buy.position->ticket, 1000);
  EXPECT_EQ(buy.order, 1000);
  const OpenOutcome sell = broker_.Open(Req("b", "EURUSD", Side::kSell, 0.10, 1.0875, 1.0825), 2);
  ASSERT_TRUE(sell.filled()) << sell.reason;
  EXPECT_DOUBLE_EQ(sell.position->open_price, 1.08500);
  EXPECT_EQ(sell.position->ticket, 1001);
  EXPECT_EQ(broker_.positions().size(), 2u);
}

TEST_F(PaperBrokerTest, SlippageIsAdverseAndBoundedByTheCommand) {
  PaperBroker slippy(PaperBroker::Options{.slippage_points = 3},
                     market::InstrumentTable::Defaults());
  slippy.OnQuote(Q("EURUSD", 1.08500, 1.08510));
  const OpenOutcome buy = slippy.Open(Req("a", "EURUSD", Side::kBuy, 0.1, 0, 0), 1);
  ASSERT_TRUE(buy.filled());
  EXPECT_DOUBLE_EQ(buy.position->open_price, 1.08513);
  const OpenOutcome sell = slippy.Open(Req("b", "EURUSD", Side::kSell, 0.1, 0, 0), 1);
  ASSERT_TRUE(sell.filled());
  EXPECT_DOUBLE_EQ(sell.position->open_price, 1.08497);
  OpenRequest tight = Req("c", "EURUSD", Side::kBuy, 0.1, 0, 0);
  tight.max_slippage_points = 2;
  const OpenOutcome requote = slippy.Open(tight, 1);
  EXPECT_FALSE(requote.filled());
  EXPECT_EQ(requote.retcode, kRetcodeRequote);
}

TEST_F(PaperBrokerTest, StopsOnTheWrongSideAreRefusedNeverDropped) {
  broker_.OnQuote(Q("EURUSD", 1.08500, 1.08510));
  struct Case {
    Side side;
    double sl, tp;
    bool ok;
  };
  const Case cases[] = {
      {Side::kBuy, 1.0825, 1.0875, true},
      {Side::kBuy, 1.0860, 1.0875, false},
      {Side::kBuy, 1.0825, 1.0840, false},
      {Side::kBuy, 1.08500, 1.0875, false},  // sl == bid
      {Side::kSell, 1.0875, 1.0825, true},
      {Side::kSell, 1.0840, 1.0825, false},
      {Side::kSell, 1.0875, 1.0860, false},
      {Side::kSell, 1.0875, 1.08510, false},  // tp == ask
      {Side::kBuy, 0, 0, true},               // no stops at all: allowed, as in MT5
  };
  for (const Case& c : cases) {
    const OpenOutcome out = broker_.Open(Req("x", "EURUSD", c.side, 0.1, c.sl, c.tp), 1);
    EXPECT_EQ(out.filled(), c.ok) << c.sl << " " << c.tp;
    if (!c.ok) {
      EXPECT_EQ(out.retcode, kRetcodeInvalidStops);
      EXPECT_EQ(out.reason, "invalid stops");
    }
  }
}

TEST_F(PaperBrokerTest, VolumeIsRoundedDownToTheStepAndClamped) {
  broker_.OnQuote(Q("EURUSD", 1.08500, 1.08510));
  EXPECT_DOUBLE_EQ(broker_.Open(Req("a", "EURUSD", Side::kBuy, 0.129, 0, 0), 1).position->volume,
                   0.12);
  EXPECT_DOUBLE_EQ(broker_.Open(Req("b", "EURUSD", Side::kBuy, 0.12, 0, 0), 1).position->volume,
                   0.12);
  EXPECT_DOUBLE_EQ(broker_.Open(Req("c", "EURUSD", Side::kBuy, 500, 0, 0), 1).position->volume,
                   100);
  const OpenOutcome tiny = broker_.Open(Req("d", "EURUSD", Side::kBuy, 0.009, 0, 0), 1);
  EXPECT_FALSE(tiny.filled());
  EXPECT_EQ(tiny.retcode, kRetcodeInvalidVolume);
}

TEST_F(PaperBrokerTest, UnknownSymbolAndMissingQuoteAreRefused) {
  EXPECT_EQ(broker_.Open(Req("a", "DOGEUSD", Side::kBuy, 1, 0, 0), 1).retcode,
            kRetcodeInvalidRequest);
  EXPECT_EQ(broker_.Open(Req("a", "GBPUSD", Side::kBuy, 1, 0, 0), 1).retcode, kRetcodeNoQuotes);
}

TEST_F(PaperBrokerTest, TakeProfitAndStopLossCloseWithTheRightPnl) {
  broker_.OnQuote(Q("EURUSD", 1.08500, 1.08510));
  ASSERT_TRUE(broker_.Open(Req("win", "EURUSD", Side::kBuy, 0.12, 1.0825, 1.0875), 1).filled());
  ASSERT_TRUE(broker_.Open(Req("loss", "EURUSD", Side::kSell, 0.10, 1.0860, 1.0800), 1).filled());
  EXPECT_TRUE(broker_.OnQuote(Q("EURUSD", 1.08550, 1.08560)).empty());  // nothing touched yet

  // Ask reaches the SELL's stop (1.0860) first.
  auto closes = broker_.OnQuote(Q("EURUSD", 1.08605, 1.08615, 5));
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].position.fire_id, "loss");
  EXPECT_EQ(closes[0].reason, "sl");
  EXPECT_DOUBLE_EQ(closes[0].close_price, 1.08615);  // at the ask, not at the stop level
  EXPECT_DOUBLE_EQ(closes[0].profit, -11.5);         // (1.08500 - 1.08615) x 100000 x 0.10
  EXPECT_EQ(closes[0].time, 5);

  closes = broker_.OnQuote(Q("EURUSD", 1.08760, 1.08770, 6));
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].position.fire_id, "win");
  EXPECT_EQ(closes[0].reason, "tp");
  EXPECT_DOUBLE_EQ(closes[0].profit, 30.0);  // (1.08760 - 1.08510) x 100000 x 0.12
  EXPECT_DOUBLE_EQ(broker_.balance(), 10018.5);
  EXPECT_TRUE(broker_.positions().empty());
}

TEST_F(PaperBrokerTest, JpyProfitIsConvertedWithTheQuote) {
  broker_.OnQuote(Q("USDJPY", 150.000, 150.013));
  ASSERT_TRUE(broker_.Open(Req("j", "USDJPY", Side::kBuy, 1, 149.5, 150.5), 1).filled());
  EXPECT_NEAR(broker_.equity(), 10000 + (150.000 - 150.013) * 100000 / 150.000, 0.01);
  auto closes = broker_.OnQuote(Q("USDJPY", 150.600, 150.612));
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_FALSE(closes[0].conversion_error);
  // 0.587 JPY x 100000 = 58700 JPY at 150.600 JPY per USD = 389.77 USD (not 58700, not 587).
  EXPECT_DOUBLE_EQ(closes[0].profit, 389.77);
}

TEST_F(PaperBrokerTest, CrossWithoutConversionQuoteSaysSo) {
  broker_.OnQuote(Q("EURJPY", 162.000, 162.020));
  ASSERT_TRUE(broker_.Open(Req("x", "EURJPY", Side::kBuy, 1, 161, 163), 1).filled());
  auto closes = broker_.OnQuote(Q("EURJPY", 163.100, 163.120));
  ASSERT_EQ(closes.size(), 1u);
  ASSERT_TRUE(closes[0].conversion_error);
  EXPECT_EQ(closes[0].conversion_error->code, "no_quote");
  EXPECT_EQ(closes[0].profit, 0);
}

TEST_F(PaperBrokerTest, CloseByFireIdAtTheCurrentQuote) {
  broker_.OnQuote(Q("GBPUSD", 1.27000, 1.27012));
  ASSERT_TRUE(broker_.Open(Req("g", "GBPUSD", Side::kSell, 0.5, 1.28, 1.26), 1).filled());
  broker_.OnQuote(Q("GBPUSD", 1.26900, 1.26912));
  auto close = broker_.Close("g", 9);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->reason, "expert");
  EXPECT_DOUBLE_EQ(close->profit, 44.0);  // (1.27000 - 1.26912) x 100000 x 0.5
  auto again = broker_.Close("g", 10);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "no_position");
}

// ---------------------------------------------------------------------------------------------
// OnBar: the backtester's bar-by-bar resolution (bid OHLC and ask OHLC), on constructed bars.

// An EURUSD M1 bar with the given bid OHLC and the ask `spread` above every bid price.
market::Bar B(double o, double h, double l, double c, double spread = 0.00010,
              TimeMs t = 1'400'000'000'000) {
  market::Bar b;
  b.symbol = "EURUSD";
  b.time = t;
  b.open = o, b.high = h, b.low = l, b.close = c;
  b.ask_open = o + spread, b.ask_high = h + spread, b.ask_low = l + spread;
  b.ask_close = c + spread;
  return b;
}

TEST_F(PaperBrokerTest, BarTouchingBothLevelsTakesTheStopFirst) {
  broker_.OnBar(B(1.08500, 1.08520, 1.08480, 1.08500));
  ASSERT_TRUE(broker_.Open(Req("buy", "EURUSD", Side::kBuy, 1, 1.08400, 1.08700), 1).filled());
  ASSERT_TRUE(broker_.Open(Req("sell", "EURUSD", Side::kSell, 1, 1.08600, 1.08300), 1).filled());
  // Bid 1.08250 .. 1.08750 and ask 1.08260 .. 1.08760: both levels of both positions touched.
  auto closes = broker_.OnBar(B(1.08500, 1.08750, 1.08250, 1.08500));
  ASSERT_EQ(closes.size(), 2u);
  EXPECT_EQ(closes[0].position.fire_id, "buy");
  EXPECT_EQ(closes[0].reason, "sl");
  EXPECT_DOUBLE_EQ(closes[0].close_price, 1.08400);  // at the stop level, inside the bar
  EXPECT_DOUBLE_EQ(closes[0].profit, -110.0);        // (1.08400 - 1.08510) x 100000: spread paid
  EXPECT_EQ(closes[1].position.fire_id, "sell");
  EXPECT_EQ(closes[1].reason, "sl");
  EXPECT_DOUBLE_EQ(closes[1].close_price, 1.08600);
  EXPECT_DOUBLE_EQ(closes[1].profit, -100.0);  // sold at the bid 1.08500, bought back at 1.08600
  EXPECT_EQ(closes[0].time, 1'400'000'000'000 + 60'000);  // at the bar's end
}

TEST_F(PaperBrokerTest, BuyExitsOnTheBidSellOnTheAsk) {
  broker_.OnBar(B(1.08500, 1.08520, 1.08480, 1.08500));
  ASSERT_TRUE(broker_.Open(Req("buy", "EURUSD", Side::kBuy, 1, 1.08300, 1.08700), 1).filled());
  ASSERT_TRUE(broker_.Open(Req("sell", "EURUSD", Side::kSell, 1, 1.08700, 1.08300), 1).filled());
  // The ask touches 1.08700 (the SELL's stop), the bid does not (high 1.08695): only the SELL
  // closes; a BUY's target needs the bid.
  auto closes = broker_.OnBar(B(1.08500, 1.08695, 1.08480, 1.08600));
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].position.fire_id, "sell");
  EXPECT_EQ(closes[0].reason, "sl");
  // The bid reaches the BUY's target.
  closes = broker_.OnBar(B(1.08600, 1.08700, 1.08580, 1.08650));
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].position.fire_id, "buy");
  EXPECT_EQ(closes[0].reason, "tp");
  EXPECT_DOUBLE_EQ(closes[0].close_price, 1.08700);
  EXPECT_DOUBLE_EQ(closes[0].profit, 190.0);  // bought at the ask 1.08510
}

TEST_F(PaperBrokerTest, GapThroughTheStopFillsAtTheGapPrice) {
  broker_.OnBar(B(1.08500, 1.08520, 1.08480, 1.08500));
  ASSERT_TRUE(broker_.Open(Req("buy", "EURUSD", Side::kBuy, 1, 1.08400, 1.08700), 1).filled());
  ASSERT_TRUE(broker_.Open(Req("sell", "EURUSD", Side::kSell, 1, 1.08700, 1.08300), 1).filled());
  // Monday's first bar opens 30 pips lower than Friday's close: through the BUY's stop (filled at
  // the open 1.08200, not at 1.08400) and through the SELL's target 1.08300 (filled at the ask
  // open).
  auto closes = broker_.OnBar(
      B(1.08200, 1.08250, 1.08150, 1.08220, 0.00010, 1'400'000'000'000 + 48 * 3'600'000));
  ASSERT_EQ(closes.size(), 2u);
  EXPECT_EQ(closes[0].reason, "sl");
  EXPECT_DOUBLE_EQ(closes[0].close_price, 1.08200);
  EXPECT_DOUBLE_EQ(closes[0].profit, -310.0);
  EXPECT_EQ(closes[1].reason, "tp");
  EXPECT_DOUBLE_EQ(closes[1].close_price, 1.08210);  // the ask at the open, better than 1.08300
  EXPECT_DOUBLE_EQ(closes[1].profit, 290.0);
}

TEST_F(PaperBrokerTest, StopExitsSlipAdverselyTargetsDoNot) {
  PaperBroker slippy(PaperBroker::Options{.slippage_points = 3},
                     market::InstrumentTable::Defaults());
  slippy.OnBar(B(1.08500, 1.08520, 1.08480, 1.08500));
  OpenRequest loser = Req("loser", "EURUSD", Side::kBuy, 1, 1.08400, 1.08700);
  OpenRequest winner = Req("winner", "EURUSD", Side::kSell, 1, 1.08800, 1.08420);
  const OpenOutcome l = slippy.Open(loser, 1);
  const OpenOutcome w = slippy.Open(winner, 1);
  ASSERT_TRUE(l.filled() && w.filled());
  EXPECT_DOUBLE_EQ(l.position->open_price, 1.08513);
  EXPECT_DOUBLE_EQ(w.position->open_price, 1.08497);
  auto closes = slippy.OnBar(B(1.08450, 1.08460, 1.08390, 1.08400));
  ASSERT_EQ(closes.size(), 2u);
  EXPECT_EQ(closes[0].reason, "sl");
  EXPECT_DOUBLE_EQ(closes[0].close_price, 1.08397);  // stop 1.08400 - 3 points
  EXPECT_EQ(closes[1].reason, "tp");
  EXPECT_DOUBLE_EQ(closes[1].close_price, 1.08420);  // the limit level exactly
}

TEST_F(PaperBrokerTest, BarWithoutTouchKeepsThePositionAndUpdatesTheQuote) {
  broker_.OnBar(B(1.08500, 1.08520, 1.08480, 1.08500));
  ASSERT_TRUE(broker_.Open(Req("buy", "EURUSD", Side::kBuy, 1, 1.08400, 1.08700), 1).filled());
  EXPECT_TRUE(broker_.OnBar(B(1.08500, 1.08690, 1.08401, 1.08600)).empty());
  EXPECT_EQ(broker_.positions().size(), 1u);
  EXPECT_EQ(broker_.Quote("EURUSD")->first, 1.08600);
  EXPECT_EQ(broker_.Quote("EURUSD")->second, 1.08610);
  // Bars of another symbol leave it alone.
  market::Bar other = B(1.0, 2.0, 0.5, 1.0);
  other.symbol = "GBPUSD";
  EXPECT_TRUE(broker_.OnBar(other).empty());
  EXPECT_EQ(broker_.positions().size(), 1u);
}

}  // namespace
}  // namespace bitten::bridge
