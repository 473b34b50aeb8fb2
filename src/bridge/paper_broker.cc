#include "bridge/paper_broker.h"

#include <cmath>

#include "base/format.h"

namespace bitten::bridge {
namespace {

// Volume rounded down to the step; the epsilon keeps 0.12 (stored as 0.11999...) at 0.12.
double FloorToStep(double volume, double step) {
  const double steps = std::floor(volume / step + 1e-7);
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  return RoundTo(steps * step, decimals);
}

}  // namespace

PaperBroker::PaperBroker(Options options, market::InstrumentTable instruments)
    : options_(std::move(options)),
      instruments_(std::move(instruments)),
      balance_(options_.balance),
      next_ticket_(options_.first_ticket),
      next_deal_(options_.first_ticket) {}

std::optional<std::pair<double, double>> PaperBroker::Quote(const std::string& symbol) const {
  const auto it = quotes_.find(symbol);
  if (it == quotes_.end()) return std::nullopt;
  return it->second;
}

Result<double> PaperBroker::ToAccountCurrency(double amount, const std::string& ccy) const {
  if (ccy == options_.currency) return amount;
  // The same route as market::PipValuePerLot: a direct pair (GBPUSD: USD per GBP) or an inverse one
  // (USDJPY: JPY per USD), at the bid.
  if (auto q = Quote(ccy + options_.currency); q && q->first > 0) return amount * q->first;
  if (auto q = Quote(options_.currency + ccy); q && q->first > 0) return amount / q->first;
  return Fail("no_quote", "converting " + ccy + " to " + options_.currency + " needs a quote of " +
                              ccy + options_.currency + " or " + options_.currency + ccy);
}

Result<double> PaperBroker::ProfitOf(const PaperPosition& p, double close_price) const {
  const market::Instrument* inst = instruments_.Find(p.symbol);
  BITTEN_CHECK(inst != nullptr, "open position on a symbol that is not in the table");
  const double direction = p.side == market::Side::kBuy ? 1.0 : -1.0;
  const double in_quote = (close_price - p.open_price) * direction * inst->contract_size * p.volume;
  return ToAccountCurrency(in_quote, inst->quote_ccy);
}

std::vector<CloseEvent> PaperBroker::OnQuote(const market::Tick& tick) {
  quotes_[tick.symbol] = {tick.bid, tick.ask};
  std::vector<CloseEvent> closes;
  for (auto it = positions_.begin(); it != positions_.end();) {
    const PaperPosition& p = it->second;
    if (p.symbol != tick.symbol) {
      ++it;
      continue;
    }
    const bool buy = p.side == market::Side::kBuy;
    const double price = buy ? tick.bid : tick.ask;
    const bool sl_hit = p.sl > 0 && (buy ? price <= p.sl : price >= p.sl);
    const bool tp_hit = p.tp > 0 && (buy ? price >= p.tp : price <= p.tp);
    if (!sl_hit && !tp_hit) {
      ++it;
      continue;
    }
    auto next = std::next(it);
    closes.push_back(CloseAt(it, price, sl_hit ? "sl" : "tp", tick.time));
    it = next;
  }
  return closes;
}

std::vector<CloseEvent> PaperBroker::OnBar(const market::Bar& bar) {
  std::vector<CloseEvent> closes;
  const TimeMs end = bar.time + market::TimeframeMs(bar.timeframe);
  for (auto it = positions_.begin(); it != positions_.end();) {
    const PaperPosition& p = it->second;
    if (p.symbol != bar.symbol) {
      ++it;
      continue;
    }
    const market::Instrument* inst = instruments_.Find(p.symbol);
    BITTEN_CHECK(inst != nullptr, "open position on a symbol that is not in the table");
    const bool buy = p.side == market::Side::kBuy;
    // The side of the bar the position closes on: the bid for a BUY, the ask for a SELL.
    const double open = buy ? bar.open : bar.ask_open;
    const double high = buy ? bar.high : bar.ask_high;
    const double low = buy ? bar.low : bar.ask_low;
    // "Beyond" in the losing direction (sl) and the winning direction (tp) of this position.
    auto through_sl = [&](double price) {
      return p.sl > 0 && (buy ? price <= p.sl : price >= p.sl);
    };
    auto through_tp = [&](double price) {
      return p.tp > 0 && (buy ? price >= p.tp : price <= p.tp);
    };
    auto stop_fill = [&](double price) {
      // Only a stop fill needs the slippage (std::pow is dear on every bar of an open position).
      const double slip = options_.slippage_points * std::pow(10.0, -inst->digits);
      return RoundTo(buy ? price - slip : price + slip, inst->digits);
    };
    std::optional<std::pair<double, const char*>> exit;
    if (through_sl(open)) {
      exit = {stop_fill(open), "sl"};  // gapped through the stop: filled at the gap price
    } else if (through_tp(open)) {
      exit = {open, "tp"};  // gapped through the target: a limit fills at the better price
    } else if (through_sl(buy ? low : high)) {
      exit = {stop_fill(p.sl), "sl"};  // stop first when both are touched in this bar
    } else if (through_tp(buy ? high : low)) {
      exit = {p.tp, "tp"};
    }
    if (!exit) {
      ++it;
      continue;
    }
    auto next = std::next(it);
    closes.push_back(CloseAt(it, exit->first, exit->second, end));
    it = next;
  }
  quotes_[bar.symbol] = {bar.close, bar.ask_close};
  return closes;
}

CloseEvent PaperBroker::CloseAt(std::map<std::int64_t, PaperPosition>::iterator it, double price,
                                std::string reason, TimeMs now) {
  CloseEvent ev;
  ev.position = it->second;
  ev.close_price = price;
  // The closing quote is known (it is the one closing the position), but a cross pair may lack the
  // conversion quote: then the profit is booked as 0 and the event says why.
  auto profit = ProfitOf(ev.position, price);
  if (profit) {
    ev.profit = RoundTo(*profit, 2);
  } else {
    ev.conversion_error = profit.error();
  }
  ev.reason = std::move(reason);
  ev.deal = next_deal_++;
  ev.time = now;
  balance_ = RoundTo(balance_ + ev.profit, 2);
  positions_.erase(it);
  return ev;
}

OpenOutcome PaperBroker::Open(const OpenRequest& req, TimeMs now) {
  OpenOutcome out;
  auto refuse = [&out](int retcode, std::string reason) {
    out.retcode = retcode;
    out.reason = std::move(reason);
    return out;
  };
  const market::Instrument* inst = instruments_.Find(req.symbol);
  if (inst == nullptr) return refuse(kRetcodeInvalidRequest, "invalid request: unknown symbol");
  const auto quote = Quote(req.symbol);
  if (!quote) return refuse(kRetcodeNoQuotes, "no quotes");
  const auto [bid, ask] = *quote;
  const double point = std::pow(10.0, -inst->digits);

  if (!std::isfinite(req.volume) || !(req.volume > 0)) {
    return refuse(kRetcodeInvalidVolume, "invalid volume");
  }
  double volume = std::min(FloorToStep(req.volume, inst->volume_step), inst->volume_max);
  if (volume < inst->volume_min - 1e-12) return refuse(kRetcodeInvalidVolume, "invalid volume");

  const bool buy = req.side == market::Side::kBuy;
  const double close_side = buy ? bid : ask;
  const bool sl_ok = req.sl == 0 || (buy ? req.sl < close_side : req.sl > close_side);
  const bool tp_ok = req.tp == 0 || (buy ? req.tp > close_side : req.tp < close_side);
  if (!sl_ok || !tp_ok || req.sl < 0 || req.tp < 0) {
    return refuse(kRetcodeInvalidStops, "invalid stops");
  }
  if (options_.slippage_points > req.max_slippage_points) {
    return refuse(kRetcodeRequote, "requote");
  }
  const double slip = options_.slippage_points * point;
  const double price = RoundTo(buy ? ask + slip : bid - slip, inst->digits);

  PaperPosition p;
  p.ticket = next_ticket_++;
  p.fire_id = req.fire_id;
  p.symbol = req.symbol;
  p.side = req.side;
  p.volume = volume;
  p.open_price = price;
  p.sl = RoundTo(req.sl, inst->digits);
  p.tp = RoundTo(req.tp, inst->digits);
  p.open_time = now;
  positions_.emplace(p.ticket, p);
  out.retcode = kRetcodeDone;
  out.order = p.ticket;
  out.deal = next_deal_++;
  out.position = std::move(p);
  return out;
}

Result<CloseEvent> PaperBroker::Close(const std::string& fire_id, TimeMs now) {
  for (auto it = positions_.begin(); it != positions_.end(); ++it) {
    if (it->second.fire_id != fire_id) continue;
    const auto quote = Quote(it->second.symbol);
    if (!quote) return Fail("no_quote", "no quote of " + it->second.symbol + " to close at");
    const double price = it->second.side == market::Side::kBuy ? quote->first : quote->second;
    return CloseAt(it, price, "expert", now);
  }
  return Fail("no_position", "no open position was opened by fire " + fire_id);
}

double PaperBroker::equity() const {
  double floating = 0;
  for (const auto& [ticket, p] : positions_) {
    const auto quote = Quote(p.symbol);
    if (!quote) continue;
    const double price = p.side == market::Side::kBuy ? quote->first : quote->second;
    if (auto profit = ProfitOf(p, price)) floating += *profit;
  }
  return RoundTo(balance_ + floating, 2);
}

}  // namespace bitten::bridge
