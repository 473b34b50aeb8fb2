// Core members for the HUD's chart (GET /api/bars, docs/api.md): the recent bars of a symbol, from
// the M1 bars the core keeps (Core::OnBar appends, kRecentM1Bars per symbol), aggregated to M5 or
// M15 with market::TimeframeAggregator. Runs on the core thread like every other core read.
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "app/core.h"
#include "base/format.h"
#include "market/aggregator.h"

namespace bitten::app {

using nlohmann::json;

void Core::GetBars(Principal who, std::string symbol, market::Timeframe tf, int n, ReplyFn reply) {
  boost::asio::post(io_, [this, who = std::move(who), symbol = std::move(symbol), tf, n,
                          reply = std::move(reply)] {
    if (Resolve(who) == nullptr) {
      return reply(
          ErrorReply(401, "unauthorized", "This identity is not linked to a BITTEN user."));
    }
    const market::Instrument* inst = instruments_.Find(symbol);
    auto held = recent_bars_.find(symbol);
    if (inst == nullptr && held == recent_bars_.end()) {
      return reply(ErrorReply(404, "unknown_symbol", "No market data for symbol " + symbol + "."));
    }
    const int digits = inst != nullptr ? inst->digits : 5;
    std::vector<market::Bar> bars;
    if (held != recent_bars_.end()) {
      if (tf == market::Timeframe::kM1) {
        bars.assign(held->second.begin(), held->second.end());
      } else {
        // Only whole buckets: the open one is left out (Flush is not called).
        market::TimeframeAggregator agg(tf);
        for (const market::Bar& m1 : held->second) {
          if (auto closed = agg.Add(m1)) bars.push_back(*closed);
        }
      }
    }
    const std::size_t from = bars.size() > static_cast<std::size_t>(n) ? bars.size() - n : 0;
    json list = json::array();
    for (std::size_t i = from; i < bars.size(); ++i) {
      const market::Bar& b = bars[i];
      list.push_back({{"time", b.time},
                      {"open", RoundTo(b.open, digits)},
                      {"high", RoundTo(b.high, digits)},
                      {"low", RoundTo(b.low, digits)},
                      {"close", RoundTo(b.close, digits)}});
    }
    reply(CoreReply{200, json{{"symbol", symbol},
                              {"tf", std::string(market::ToString(tf))},
                              {"digits", digits},
                              {"bars", std::move(list)},
                              {"server_time", clock_.NowMs()}}});
  });
}

}  // namespace bitten::app
