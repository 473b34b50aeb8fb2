#include "venom/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/format.h"
#include "base/uuid.h"
#include "venom/citadel/liquidity.h"
#include "venom/confidence.h"

namespace bitten::venom {

namespace {

using market::Timeframe;

constexpr TimeMs kDayMs = 86'400'000;

double Pow10(int digits) {
  double p = 1;
  for (int i = 0; i < digits; ++i) p *= 10;
  return p;
}

TimeMs DayOf(TimeMs t) { return t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs; }

int HourOf(TimeMs t) {
  TimeMs ms = t % kDayMs;
  if (ms < 0) ms += kDayMs;
  return static_cast<int>(ms / 3'600'000);
}

bool KnownSetup(const std::string& name) {
  return name == setups::kTrendPullback || name == setups::kSqueezeBreakout ||
         name == setups::kRangeReversal || name == setups::kEmaCrossRsi;
}

std::string FormatUtcTime(TimeMs t) {
  TimeMs ms = t % kDayMs;
  if (ms < 0) ms += kDayMs;
  return fmt::format("{:02}:{:02} UTC", ms / 3'600'000, ms / 60'000 % 60);
}

}  // namespace

Status EngineOptions::Validate() const {
  std::vector<std::string> problems;
  if (setups.empty()) problems.push_back("at least one setup must be enabled");
  for (const std::string& s : setups) {
    if (!KnownSetup(s)) {
      problems.push_back("unknown setup '" + s +
                         "' (trend_pullback, squeeze_breakout, range_reversal, ema_cross_rsi)");
    }
  }
  if (!(setup.rsi_low >= 50 && setup.rsi_low < setup.rsi_high && setup.rsi_high <= 100)) {
    problems.push_back("need 50 <= rsi_low < rsi_high <= 100");
  }
  if (!(setup.adx_trend_min > 0 && setup.adx_range_max > 0)) {
    problems.push_back("ADX thresholds must be > 0");
  }
  if (!(setup.squeeze_ratio >= 1)) problems.push_back("squeeze_ratio must be >= 1");
  if (setup.squeeze_recent_bars < 1) problems.push_back("squeeze_recent_bars must be >= 1");
  if (!(setup.breakout_body_atr > 0)) problems.push_back("breakout_body_atr must be > 0");
  if (!(setup.cci_extreme > 0)) problems.push_back("cci_extreme must be > 0");
  if (!(stop_atr_multiple > 0)) problems.push_back("stop_atr_multiple must be > 0");
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
  for (int h : no_trade_hours_utc) {
    if (h < 0 || h > 23) problems.push_back("no_trade_hours_utc must be hours 0..23");
  }
  if (min_spacing_ms < 0) problems.push_back("min_spacing_ms must be >= 0");
  if (max_signals_per_symbol_day < 0 || max_signals_per_day < 0) {
    problems.push_back("daily caps must be >= 0 (0 = no cap)");
  }
  if (ttl_rapid_ms <= 0 || ttl_precision_ms <= 0) problems.push_back("ttl must be > 0");
  if (shield.spread_window < 1 || shield.min_spread_samples > shield.spread_window ||
      shield.atr_average_period < 1) {
    problems.push_back("shield history: need 1 <= min_spread_samples <= spread_window");
  }
  citadel.Validate(problems);
  if (!(block_below >= 0 && block_below <= 10)) problems.push_back("block_below must be in 0..10");
  if (problems.empty()) return Ok();
  std::string msg = "engine options: ";
  for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
  return Fail("bad_config", msg);
}

Engine::Engine(EngineOptions options, const Clock& clock,
               const market::InstrumentTable& instruments)
    : options_(std::move(options)), clock_(clock), instruments_(instruments) {
  BITTEN_CHECK(options_.Validate().has_value(), "invalid EngineOptions (call Validate() first)");
  for (const std::string& name : options_.setups) {
    SetupKind k = SetupKind::kNone;
    if (name == setups::kTrendPullback) {
      k = SetupKind::kTrendPullback;
    } else if (name == setups::kSqueezeBreakout) {
      k = SetupKind::kSqueezeBreakout;
    } else if (name == setups::kRangeReversal) {
      k = SetupKind::kRangeReversal;
    } else if (name == setups::kEmaCrossRsi) {
      k = SetupKind::kEmaCrossRsi;
    }
    setup_kinds_.push_back(k);
  }
}

void Engine::SetOpenExposure(std::vector<citadel::OpenPosition> positions) {
  exposure_ = std::move(positions);
}

void Engine::SetNewsCalendar(std::shared_ptr<const citadel::NewsCalendar> calendar) {
  calendar_ = std::move(calendar);
}

const SymbolContext* Engine::context(const std::string& symbol) const {
  auto it = symbols_.find(symbol);
  return it == symbols_.end() ? nullptr : &it->second.context;
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
  // A symbol with a state is in the instrument table (entries are never removed), so the run of
  // bars of the last symbol skips both lookups; anything else takes the full path.
  SymbolState* cached = nullptr;
  if (last_state_ != nullptr && bar.symbol == *last_symbol_) cached = last_state_;
  const market::Instrument* inst = cached ? cached->inst : instruments_.Find(bar.symbol);
  if (!inst || bar.timeframe != Timeframe::kM1) {
    ++stats_.ignored_bars;
    return std::nullopt;
  }
  if (!cached) {
    auto it = symbols_.find(bar.symbol);
    if (it == symbols_.end()) it = symbols_.emplace(bar.symbol, SymbolState(options_)).first;
    it->second.inst = inst;
    last_symbol_ = &it->first;
    last_state_ = cached = &it->second;
  }
  SymbolState& st = *cached;
  if (st.last_bar_time && bar.time <= *st.last_bar_time) {
    ++stats_.ignored_bars;
    return std::nullopt;
  }
  st.last_bar_time = bar.time;
  ++stats_.bars;

  st.context.Add(bar);
  const TimeframeState& m1 = st.context.tf(Timeframe::kM1);
  const double spread_pips = std::max(0.0, bar.ask_close - bar.close) / inst->pip_size;
  const std::optional<double> atr_pips =
      m1.atr.ready() ? std::optional<double>(m1.atr.value() / inst->pip_size) : std::nullopt;
  // The shield compares this bar with the history before it; the history takes the bar after.
  std::optional<Signal> signal = Evaluate(bar, *inst, st, spread_pips, atr_pips);
  st.shield.Update(spread_pips, atr_pips);
  if (m1.ema21.ready()) st.prev_diff = m1.ema9.value() - m1.ema21.value();
  return signal;
}

std::optional<Signal> Engine::Evaluate(const market::Bar& bar, const market::Instrument& inst,
                                       SymbolState& st, double spread_pips,
                                       std::optional<double> atr_pips) {
  const SymbolContext& ctx = st.context;
  std::vector<setups::Candidate> candidates;
  for (const SetupKind kind : setup_kinds_) {
    std::optional<setups::Candidate> c;
    switch (kind) {
      case SetupKind::kTrendPullback:
        c = setups::TrendPullback(ctx, options_.setup);
        break;
      case SetupKind::kSqueezeBreakout:
        c = setups::SqueezeBreakout(ctx, options_.setup);
        break;
      case SetupKind::kRangeReversal:
        c = setups::RangeReversal(ctx, options_.setup);
        break;
      case SetupKind::kEmaCrossRsi:
        c = setups::EmaCrossRsi(ctx, options_.setup, st.prev_diff);
        break;
      case SetupKind::kNone:
        break;
    }
    if (c) candidates.push_back(*c);
  }
  if (candidates.empty()) return std::nullopt;
  ++stats_.setups;

  if (std::find(options_.no_trade_hours_utc.begin(), options_.no_trade_hours_utc.end(),
                HourOf(bar.time)) != options_.no_trade_hours_utc.end()) {
    ++stats_.refused_session;
    return std::nullopt;
  }
  const TimeframeState& m5 = ctx.tf(Timeframe::kM5);
  if (!m5.atr.ready()) {
    ++stats_.refused_warmup;
    return std::nullopt;
  }

  // Stop distance in whole price points, rounded up so the floor holds after rounding.
  const double point = 1.0 / Pow10(inst.digits);
  const double atr_stop = options_.stop_atr_multiple * m5.atr.value() / inst.pip_size;
  const double stop_pips_raw = std::max(atr_stop, MinStopPips(inst));
  const auto stop_points =
      static_cast<std::int64_t>(std::ceil(stop_pips_raw * inst.pip_size / point - 1e-9));
  const double stop_pips = static_cast<double>(stop_points) * point / inst.pip_size;

  // The best candidate by confidence; ties to the earlier setup.
  const setups::Candidate* best = nullptr;
  int confidence = -1;
  for (const setups::Candidate& c : candidates) {
    const int conf = ScoreConfidence(ctx, c.side, c.quality, spread_pips, stop_pips,
                                     options_.max_spread_to_stop, bar.time)
                         .Total();
    if (conf > confidence) {
      confidence = conf;
      best = &c;
    }
  }
  ++stats_.setups_by_name[std::string(best->setup)];

  if (spread_pips > options_.max_spread_to_stop * stop_pips) {
    ++stats_.refused_spread;
    return std::nullopt;
  }
  if (st.last_signal_bar_time && bar.time - *st.last_signal_bar_time < options_.min_spacing_ms) {
    ++stats_.refused_spacing;
    return std::nullopt;
  }
  const TimeMs day = DayOf(bar.time);
  const int symbol_today = st.day == day ? st.day_signals : 0;
  const int all_today = day_ == day ? day_signals_ : 0;
  if ((options_.max_signals_per_symbol_day > 0 &&
       symbol_today >= options_.max_signals_per_symbol_day) ||
      (options_.max_signals_per_day > 0 && all_today >= options_.max_signals_per_day)) {
    ++stats_.refused_daily_cap;
    return std::nullopt;
  }

  Signal s;
  const bool buy = best->side == market::Side::kBuy;
  s.symbol = bar.symbol;
  s.side = best->side;
  s.signal_class = confidence >= options_.precision_min_confidence ? SignalClass::kPrecisionStrike
                                                                   : SignalClass::kRapidAssault;
  s.setup = std::string(best->setup);
  s.bar_time = bar.time;
  s.digits = inst.digits;
  const double rr =
      s.signal_class == SignalClass::kPrecisionStrike ? options_.rr_precision : options_.rr_rapid;
  const auto tp_points =
      static_cast<std::int64_t>(std::llround(static_cast<double>(stop_points) * rr));
  const double dir = buy ? 1.0 : -1.0;
  s.entry = RoundTo(buy ? bar.ask_close : bar.close, inst.digits);
  s.sl = RoundTo(s.entry - dir * static_cast<double>(stop_points) * point, inst.digits);
  s.tp = RoundTo(s.entry + dir * static_cast<double>(tp_points) * point, inst.digits);
  s.sl_pips = stop_pips;
  s.tp_pips = static_cast<double>(tp_points) * point / inst.pip_size;
  s.spread_pips = spread_pips;
  s.confidence = confidence;

  std::optional<citadel::NewsEvent> news;
  s.shield = ScoreShield(s, inst, st, atr_pips, &news);
  if (options_.news_blocks && news && news->impact == citadel::Impact::kHigh) {
    ++stats_.blocked_news;
    Block(s, fmt::format("news blackout: {} {} at {}", news->currency, news->title,
                         FormatUtcTime(news->time)));
    return std::nullopt;
  }
  if (s.shield.score < options_.block_below) {
    ++stats_.blocked_shield;
    Block(s, fmt::format("shield {:.1f} < {:.1f}", s.shield.score, options_.block_below));
    return std::nullopt;
  }

  s.created_at = clock_.NowMs();
  s.expires_at =
      s.created_at + (s.signal_class == SignalClass::kPrecisionStrike ? options_.ttl_precision_ms
                                                                      : options_.ttl_rapid_ms);
  s.signal_id = NewUuidV7(clock_);
  s.signal_hash = ComputeSignalHash(s);
  st.last_signal_bar_time = bar.time;
  st.day = day;
  st.day_signals = symbol_today + 1;
  day_ = day;
  day_signals_ = all_today + 1;
  ++stats_.signals;
  ++stats_.signals_by_name[s.setup];
  return s;
}

Shield Engine::ScoreShield(const Signal& s, const market::Instrument& inst, const SymbolState& st,
                           std::optional<double> atr_pips,
                           std::optional<citadel::NewsEvent>* news) {
  const citadel::ShieldOptions& o = options_.citadel;
  const SymbolContext& ctx = st.context;
  std::vector<citadel::Component> parts;
  std::string note;
  const std::optional<double> median = st.shield.MedianSpread(&note);
  parts.push_back(citadel::SpreadComponent(s.spread_pips, median, note, o.w_spread));
  note.clear();
  const std::optional<double> avg_atr = st.shield.AverageAtr(&note);
  if (!atr_pips) note = "ATR not ready";
  parts.push_back(citadel::VolatilityComponent(atr_pips, avg_atr, note, o.w_volatility));
  parts.push_back(
      citadel::AlignmentComponent(s.side,
                                  {ctx.tf(Timeframe::kM5).trend(), ctx.tf(Timeframe::kM15).trend(),
                                   ctx.tf(Timeframe::kH1).trend(), ctx.tf(Timeframe::kH4).trend()},
                                  o.w_alignment));
  parts.push_back(citadel::SessionComponent(s.bar_time, o.w_session));
  parts.push_back(citadel::LiquidityComponent(s.side, s.entry, s.tp_pips, inst, ctx.m5_bars(), o));

  citadel::Component n{"news", o.w_news, std::nullopt, ""};
  if (!calendar_) {
    n.detail = "no calendar";
  } else if (!calendar_->Covers(s.bar_time)) {
    n.detail = "calendar does not cover this day";
  } else {
    *news = calendar_->Nearby(s.bar_time, {inst.base_ccy, inst.quote_ccy},
                              o.news_before_min * 60'000LL, o.news_after_min * 60'000LL);
    if (!*news || (*news)->impact == citadel::Impact::kLow) {
      n.score = 10;
      n.detail = fmt::format("no {}/{} event within {}/{} min", inst.base_ccy, inst.quote_ccy,
                             o.news_before_min, o.news_after_min);
    } else {
      n.score = (*news)->impact == citadel::Impact::kHigh ? 0.0 : 6.0;
      n.detail = fmt::format("{} {} {} at {}",
                             (*news)->impact == citadel::Impact::kHigh ? "high" : "medium",
                             (*news)->currency, (*news)->title, FormatUtcTime((*news)->time));
    }
  }
  parts.push_back(std::move(n));

  parts.push_back(citadel::CorrelationComponent(
      inst, s.side, exposure_, instruments_,
      [this](const std::string& symbol) -> const citadel::CloseSeries* {
        auto it = symbols_.find(symbol);
        return it == symbols_.end() ? nullptr : &it->second.context.m15_closes();
      },
      o));
  return citadel::Combine(parts, o);
}

void Engine::Block(const Signal& s, std::string reason) {
  BlockedSignal b{s.symbol, s.side, s.setup, s.bar_time, s.confidence, s.shield, std::move(reason)};
  recent_blocked_.push_back(std::move(b));
  while (recent_blocked_.size() > options_.recent_blocked_limit) recent_blocked_.pop_front();
}

}  // namespace bitten::venom
