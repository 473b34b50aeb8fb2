#include "app/backtest/runner.h"

#include <cmath>
#include <optional>
#include <utility>

#include "base/format.h"
#include "bridge/paper_broker.h"
#include "venom/citadel/exposure.h"

namespace bitten::app::backtest {
namespace {

constexpr TimeMs kDayMs = 86'400'000;

// The trade of an open position, completed by its close.
Trade Closed(Trade t, const bridge::CloseEvent& ev, double balance) {
  t.exit_time = ev.time;
  t.exit_price = ev.close_price;
  t.exit_reason = ev.reason == "expert" ? "end" : ev.reason;
  const double dir = t.side == market::Side::kBuy ? 1.0 : -1.0;
  const double risk = std::abs(t.entry - t.sl);
  t.r = risk > 0 ? RoundTo((ev.close_price - t.entry) * dir / risk, 4) : 0.0;
  t.profit = ev.profit;
  t.balance_after = balance;
  return t;
}

}  // namespace

std::string SessionOf(TimeMs t) {
  const TimeMs in_day = ((t % kDayMs) + kDayMs) % kDayMs;
  const int h = static_cast<int>(in_day / 3'600'000);
  if (h < 7) return "asia";
  if (h < 12) return "london";
  if (h < 16) return "overlap";
  if (h < 21) return "new_york";
  return "late";
}

RunResult RunBacktest(const std::vector<market::Bar>& bars, const RunOptions& options,
                      const market::InstrumentTable& instruments) {
  RunResult out;
  out.start_balance = options.balance;
  SimClock clock(bars.empty() ? 0 : bars.front().time);
  venom::Engine engine(options.engine, clock, instruments);
  bridge::PaperBroker broker(
      bridge::PaperBroker::Options{options.currency, options.balance, options.slippage_points},
      instruments);
  const double risk_money = options.balance * options.risk_percent / 100.0;
  std::map<std::string, Trade> open;  // by fire id
  std::int64_t next_number = 1;

  auto record = [&](const bridge::CloseEvent& ev) {
    auto it = open.find(ev.position.fire_id);
    BITTEN_CHECK(it != open.end(), "the broker closed a position the backtest did not open");
    if (ev.conversion_error) ++out.conversion_errors;
    out.trades.push_back(Closed(std::move(it->second), ev, broker.balance()));
    open.erase(it);
  };

  bool exposure_changed = true;  // the first bar tells the engine: nothing open
  TimeMs last_day = -1;
  TimeMs last_time = 0;
  for (const market::Bar& bar : bars) {
    ++out.bars;
    const TimeMs close_time = bar.time + market::TimeframeMs(bar.timeframe);
    last_time = close_time;
    clock.Set(close_time);
    const TimeMs day = UtcDayStart(bar.time);
    if (day != last_day) {
      out.trading_days.push_back(day);
      last_day = day;
    }
    for (const bridge::CloseEvent& ev : broker.OnBar(bar)) {
      record(ev);
      exposure_changed = true;
    }
    if (exposure_changed) {
      // CITADEL's correlation component weighs a new signal against the positions open now.
      std::vector<venom::citadel::OpenPosition> exposure;
      for (const auto& [ticket, p] : broker.positions()) exposure.push_back({p.symbol, p.side});
      engine.SetOpenExposure(std::move(exposure));
      exposure_changed = false;
    }
    std::optional<venom::Signal> sig = engine.OnBar(bar);
    if (!sig) continue;
    ++out.signals;
    const market::Instrument* inst = instruments.Find(sig->symbol);
    BITTEN_CHECK(inst != nullptr, "the engine emitted a signal for an unknown instrument");
    auto pip_value = market::PipValuePerLot(*inst, options.currency, broker);
    if (!pip_value || !(*pip_value > 0) || !(sig->sl_pips > 0)) {
      ++out.refused["no_pip_value"];
      continue;
    }
    const std::string fire_id = std::to_string(next_number);
    bridge::OpenRequest req;
    req.fire_id = fire_id;
    req.symbol = sig->symbol;
    req.side = sig->side;
    req.volume = risk_money / (sig->sl_pips * *pip_value);
    req.sl = sig->sl;
    req.tp = sig->tp;
    req.max_slippage_points = options.slippage_points;
    const bridge::OpenOutcome fill = broker.Open(req, close_time);
    if (!fill.filled()) {
      ++out.refused[fill.reason];
      continue;
    }
    const bridge::PaperPosition& p = *fill.position;
    Trade t;
    t.number = next_number++;
    t.symbol = sig->symbol;
    t.side = sig->side;
    t.signal_class = std::string(venom::ToString(sig->signal_class));
    t.setup = sig->setup;
    t.confidence = sig->confidence;
    t.session = SessionOf(sig->bar_time);
    t.shield_score = sig->shield.score;
    t.shield_band = std::string(venom::ToString(sig->shield.band));
    t.signal_hash = sig->signal_hash;
    t.digits = inst->digits;
    t.entry_time = close_time;
    t.entry = p.open_price;
    t.sl = p.sl;
    t.tp = p.tp;
    const double stop = std::abs(p.open_price - p.sl);
    t.sl_pips = RoundTo(stop / inst->pip_size, 1);
    t.rr = stop > 0 ? RoundTo(std::abs(p.tp - p.open_price) / stop, 4) : 0.0;
    t.volume = p.volume;
    t.risk_money = RoundTo(stop / inst->pip_size * *pip_value * p.volume, 2);
    open.emplace(fire_id, std::move(t));
    exposure_changed = true;
  }
  // Close what is still open at the last quote, in ticket (= entry) order.
  std::vector<std::string> still_open;
  for (const auto& [ticket, p] : broker.positions()) still_open.push_back(p.fire_id);
  for (const std::string& id : still_open) {
    auto ev = broker.Close(id, last_time);
    BITTEN_CHECK(ev.has_value(), "an open backtest position could not be closed at its quote");
    record(*ev);
  }
  out.engine = engine.stats();
  out.end_balance = broker.balance();
  return out;
}

}  // namespace bitten::app::backtest
