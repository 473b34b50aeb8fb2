#include "missions/stats.h"

#include <algorithm>

#include "base/format.h"

namespace bitten::missions {

double TradePips(market::Side side, double fill_price, double close_price, double pip_size) {
  const double move =
      side == market::Side::kBuy ? close_price - fill_price : fill_price - close_price;
  return RoundTo(move / pip_size, 1);
}

void StatsBucket::Add(const ClosedTradeView& t) {
  ++trades;
  switch (OutcomeOf(t.profit)) {
    case TradeOutcome::kWin:
      ++wins;
      break;
    case TradeOutcome::kLoss:
      ++losses;
      break;
    case TradeOutcome::kBreakeven:
      ++breakeven;
      break;
  }
  pips = RoundTo(pips + t.pips, 1);
  pnl = RoundTo(pnl + t.profit, 2);
}

void StatsBook::Add(const std::string& user_id, const ClosedTradeView& trade) {
  UserStats& s = by_user_[user_id];
  s.all.Add(trade);
  s.by_class[std::string(venom::ToString(trade.signal_class))].Add(trade);
  s.by_symbol[trade.symbol].Add(trade);
  s.streak = NextWinStreak(s.streak, OutcomeOf(trade.profit));
  s.best_streak = std::max(s.best_streak, s.streak);
}

const UserStats& StatsBook::Get(const std::string& user_id) const {
  static const UserStats kEmpty;
  const auto it = by_user_.find(user_id);
  return it == by_user_.end() ? kEmpty : it->second;
}

nlohmann::json ToJson(const StatsBucket& b) {
  return {{"trades", b.trades},
          {"wins", b.wins},
          {"losses", b.losses},
          {"breakeven", b.breakeven},
          {"win_rate", b.trades == 0 ? nlohmann::json(nullptr)
                                     : nlohmann::json(RoundTo(100.0 * b.wins / b.trades, 1))},
          {"pips", RoundTo(b.pips, 1)},
          {"pnl", RoundTo(b.pnl, 2)}};
}

nlohmann::json ToJson(const UserStats& s) {
  nlohmann::json j = ToJson(s.all);
  j["streak"] = s.streak;
  j["best_streak"] = s.best_streak;
  nlohmann::json by_class = nlohmann::json::object();
  for (const auto& [name, b] : s.by_class) by_class[name] = ToJson(b);
  nlohmann::json by_symbol = nlohmann::json::object();
  for (const auto& [name, b] : s.by_symbol) by_symbol[name] = ToJson(b);
  j["by_class"] = std::move(by_class);
  j["by_symbol"] = std::move(by_symbol);
  return j;
}

}  // namespace bitten::missions
