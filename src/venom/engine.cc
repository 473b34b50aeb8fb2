#include "venom/engine.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "base/format.h"
#include "base/uuid.h"

namespace bitten::venom {

namespace {

double Pow10(int digits) {
  double p = 1;
  for (int i = 0; i < digits; ++i) p *= 10;
  return p;
}

}  // namespace

Status EngineOptions::Validate() const {
  std::vector<std::string> problems;
  if (ema_fast < 1) problems.push_back("ema_fast must be >= 1");
  if (ema_slow <= ema_fast) problems.push_back("ema_slow must be greater than ema_fast");
  if (rsi_period < 2) problems.push_back("rsi_period must be >= 2");
  if (atr_period < 1) problems.push_back("atr_period must be >= 1");
  if (!(rsi_low >= 50 && rsi_low < rsi_high && rsi_high <= 100)) {
    problems.push_back("need 50 <= rsi_low < rsi_high <= 100");
  }
  if (!(atr_stop_multiple > 0)) problems.push_back("atr_stop_multiple must be > 0");
  if (!(min_stop_pips_fx > 0 && min_stop_pips_jpy > 0 && min_stop_pips_gold > 0)) {
    problems.push_back("stop floors must be > 0 pips");
  }
  for (const auto& [sym, pips] : min_stop_pips_by_symbol) {
    if (!(pips > 0)) problems.push_back("stop floor of " + sym + " must be > 0 pips");
  }
  if (!(rr_rapid > 0 && rr_precision > 0)) problems.push_back("reward:risk must be > 0");
  if (precision_min_confidence < 0 || precision_min_confidence > 100) {
    problems.push_back("precision_min_confidence must be in 0..100");
  }
  if (!(max_spread_to_stop > 0)) problems.push_back("max_spread_to_stop must be > 0");
  if (min_spacing_ms < 0) problems.push_back("min_spacing_ms must be >= 0");
  if (ttl_rapid_ms <= 0 || ttl_precision_ms <= 0) problems.push_back("ttl must be > 0");
  if (shield.spread_window < 1 || shield.min_spread_samples > shield.spread_window ||
      shield.atr_average_period < 1) {
    problems.push_back("shield history: need 1 <= min_spread_samples <= spread_window");
  }
  if (problems.empty()) return Ok();
  std::string msg = "engine options: ";
  for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
  return Fail("bad_config", msg);
}

Engine::Engine(EngineOptions options, const Clock& clock,
               const market::InstrumentTable& instruments)
    : options_(std::move(options)), clock_(clock), instruments_(instruments) {
  BITTEN_CHECK(options_.Validate().has_value(), "invalid EngineOptions (call Validate() first)");
}

double Engine::MinStopPips(const market::Instrument& inst) const {
  if (auto it = options_.min_stop_pips_by_symbol.find(inst.symbol);
      it != options_.min_stop_pips_by_symbol.end()) {
    return it->second;
  }
  if (inst.base_ccy == "XAU") return options_.min_stop_pips_gold;
  if (inst.quote_ccy == "JPY") return options_.min_stop_pips_jpy;
  return options_.min_stop_pips_fx;
}

std::optional<Signal> Engine::OnBar(const market::Bar& bar) {
  const market::Instrument* inst = instruments_.Find(bar.symbol);
  if (!inst || bar.timeframe != market::Timeframe::kM1) {
    ++stats_.ignored_bars;
    return std::nullopt;
  }
  auto it = symbols_.find(bar.symbol);
  if (it == symbols_.end()) it = symbols_.emplace(bar.symbol, SymbolState(options_)).first;
  SymbolState& st = it->second;
  if (st.last_bar_time && bar.time <= *st.last_bar_time) {
    ++stats_.ignored_bars;
    return std::nullopt;
  }
  st.last_bar_time = bar.time;
  ++stats_.bars;

  st.fast.Update(bar.close);
  st.slow.Update(bar.close);
  st.rsi.Update(bar.close);
  st.atr.Update(bar.high, bar.low, bar.close);

  const double spread_pips = std::max(0.0, bar.ask_close - bar.close) / inst->pip_size;
  const std::optional<double> atr_pips =
      st.atr.ready() ? std::optional<double>(st.atr.value() / inst->pip_size) : std::nullopt;
  // The shield compares this bar with the history before it; the history takes the bar after.
  std::optional<Signal> signal = Evaluate(bar, *inst, st, spread_pips, atr_pips);
  st.shield.Update(spread_pips, atr_pips);
  return signal;
}

std::optional<Signal> Engine::Evaluate(const market::Bar& bar, const market::Instrument& instrument,
                                       SymbolState& st, double spread_pips,
                                       std::optional<double> atr_pips) {
  const market::Instrument* inst = &instrument;
  if (!st.fast.ready() || !st.slow.ready()) return std::nullopt;
  const double diff = st.fast.value() - st.slow.value();
  const std::optional<double> prev = st.prev_diff;
  st.prev_diff = diff;
  if (!prev || !st.rsi.ready() || !st.atr.ready()) return std::nullopt;

  const bool cross_up = *prev <= 0 && diff > 0;
  const bool cross_down = *prev >= 0 && diff < 0;
  if (!cross_up && !cross_down) return std::nullopt;
  const double rsi = st.rsi.value();
  const bool buy = cross_up && rsi > options_.rsi_low && rsi < options_.rsi_high;
  const bool sell = cross_down && rsi > 100 - options_.rsi_high && rsi < 100 - options_.rsi_low;
  if (!buy && !sell) return std::nullopt;
  ++stats_.setups;

  // Stop distance in whole price points, rounded up so the floor holds after rounding.
  const double point = 1.0 / Pow10(inst->digits);
  const double stop_pips_raw = std::max(options_.atr_stop_multiple * *atr_pips, MinStopPips(*inst));
  const auto stop_points =
      static_cast<std::int64_t>(std::ceil(stop_pips_raw * inst->pip_size / point - 1e-9));
  const double stop_pips = static_cast<double>(stop_points) * point / inst->pip_size;

  if (spread_pips > options_.max_spread_to_stop * stop_pips) {
    ++stats_.refused_spread;
    return std::nullopt;
  }
  if (st.last_signal_bar_time && bar.time - *st.last_signal_bar_time < options_.min_spacing_ms) {
    ++stats_.refused_spacing;
    return std::nullopt;
  }

  // Confidence sub-scores (see the header).
  const double rsi_score =
      std::clamp(40.0 * (1.0 - std::fabs(rsi - (buy ? 60.0 : 40.0)) / 10.0), 0.0, 40.0);
  const double atr_price = st.atr.value();
  const double sep_score =
      atr_price > 0 ? 30.0 * std::min(1.0, std::fabs(diff) / (0.25 * atr_price)) : 0.0;
  const double spread_score =
      std::clamp(30.0 * (1.0 - spread_pips / (options_.max_spread_to_stop * stop_pips)), 0.0, 30.0);
  const int confidence =
      std::clamp(static_cast<int>(std::lround(rsi_score + sep_score + spread_score)), 0, 100);

  Signal s;
  s.symbol = bar.symbol;
  s.side = buy ? market::Side::kBuy : market::Side::kSell;
  s.signal_class = confidence >= options_.precision_min_confidence ? SignalClass::kPrecisionStrike
                                                                   : SignalClass::kRapidAssault;
  s.setup = "ema_cross_rsi";
  s.bar_time = bar.time;
  s.digits = inst->digits;
  const double rr =
      s.signal_class == SignalClass::kPrecisionStrike ? options_.rr_precision : options_.rr_rapid;
  const auto tp_points =
      static_cast<std::int64_t>(std::llround(static_cast<double>(stop_points) * rr));
  const double dir = buy ? 1.0 : -1.0;
  s.entry = RoundTo(buy ? bar.ask_close : bar.close, inst->digits);
  s.sl = RoundTo(s.entry - dir * static_cast<double>(stop_points) * point, inst->digits);
  s.tp = RoundTo(s.entry + dir * static_cast<double>(tp_points) * point, inst->digits);
  s.sl_pips = static_cast<double>(stop_points) * point / inst->pip_size;
  s.tp_pips = static_cast<double>(tp_points) * point / inst->pip_size;
  s.spread_pips = spread_pips;
  s.confidence = confidence;
  s.shield = citadel::ScoreShield(st.shield.Inputs(spread_pips, atr_pips, bar.time));
  s.created_at = clock_.NowMs();
  s.expires_at =
      s.created_at + (s.signal_class == SignalClass::kPrecisionStrike ? options_.ttl_precision_ms
                                                                      : options_.ttl_rapid_ms);
  s.signal_id = NewUuidV7(clock_);
  s.signal_hash = ComputeSignalHash(s);
  st.last_signal_bar_time = bar.time;
  ++stats_.signals;
  return s;
}

}  // namespace bitten::venom
