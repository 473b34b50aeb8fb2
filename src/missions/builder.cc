#include "missions/builder.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "base/format.h"
#include "base/uuid.h"
#include "missions/fire_rules.h"
#include "missions/sizing.h"

namespace bitten::missions {
namespace {

double RiskReward(const Mission& m) { return m.sl_pips > 0 ? m.tp_pips / m.sl_pips : 0.0; }

// Appends FormatFixed(value, digits) (base/format.h) without a temporary string: the same
// rounding (once, in integer space) and the same fmt presentation, so the text is identical.
void AppendFixed(std::string& out, double value, int digits) {
  const double scale = std::pow(10.0, digits);
  fmt::format_to(std::back_inserter(out), "{:.{}f}", std::round(value * scale) / scale, digits);
}

}  // namespace

Mission BuildMission(const venom::Signal& signal, const User& user, const TierRules& rules,
                     const AccountView& account, std::optional<double> pip_value_per_lot,
                     const market::Instrument& instrument, const Clock& clock) {
  std::string id = NewUuidV7(clock);
  const TimeMs created_at = clock.NowMs();
  return SignalMissionBuilder(signal, instrument)
      .Build(std::move(id), created_at, user, rules, account, pip_value_per_lot);
}

SignalMissionBuilder::SignalMissionBuilder(const venom::Signal& signal,
                                           const market::Instrument& instrument)
    : signal_(signal), instrument_(instrument) {
  BITTEN_CHECK(instrument.symbol == signal.symbol, "BuildMission: instrument is not the signal's");
  // The lines of Briefing that depend on the signal only (keep in step with Briefing below).
  head_ = fmt::format(
      "{} {} | {} | confidence {}\n"
      "Shield {} {}{}\n"
      "Entry {} | SL {} ({} pips) | TP {} ({} pips)\n",
      signal.symbol, market::ToString(signal.side), venom::ToString(signal.signal_class),
      signal.confidence, venom::ToString(signal.shield.band), FormatFixed(signal.shield.score, 1),
      signal.shield.size_multiplier != 1.0
          ? " | size x" + FormatFixed(signal.shield.size_multiplier, 2)
          : std::string(),
      FormatFixed(signal.entry, signal.digits), FormatFixed(signal.sl, signal.digits),
      FormatFixed(signal.sl_pips, 1), FormatFixed(signal.tp, signal.digits),
      FormatFixed(signal.tp_pips, 1));
  rr_ = "R:R 1:" + FormatFixed(signal.sl_pips > 0 ? signal.tp_pips / signal.sl_pips : 0.0, 2);
  expires_ = "Expires " + FormatHhMmUtc(signal.expires_at);
  volume_decimals_ = VolumeDecimals(instrument.volume_step);
}

Mission SignalMissionBuilder::Build(std::string mission_id, TimeMs created_at, const User& user,
                                    const TierRules& rules, const AccountView& account,
                                    std::optional<double> pip_value_per_lot) const {
  const venom::Signal& signal = signal_;
  const market::Instrument& instrument = instrument_;
  Mission m;
  m.mission_id = std::move(mission_id);
  m.signal_id = signal.signal_id;
  m.user_id = user.user_id;
  m.symbol = signal.symbol;
  m.side = signal.side;
  m.signal_class = signal.signal_class;
  m.entry = signal.entry;
  m.sl = signal.sl;
  m.tp = signal.tp;
  m.digits = signal.digits;
  m.sl_pips = signal.sl_pips;
  m.tp_pips = signal.tp_pips;
  m.volume_step = instrument.volume_step;
  m.account_ccy = account.known ? account.currency : std::string();
  m.created_at = created_at;
  m.expires_at = signal.expires_at;
  m.status = MissionStatus::kPending;
  // Sizing first (a tier-blocked mission still shows what it would trade), then the blocking reason
  // in the order CheckFire would refuse it.
  std::string sizing_code;
  std::string sizing_reason;
  if (user.terminal_id.empty()) {
    sizing_code = "no_terminal";
    sizing_reason = "You have no MT5 terminal linked, so this mission cannot be sized or fired.";
  } else if (!account.known) {
    sizing_code = "no_terminal";
    sizing_reason = fmt::format(
        "Your terminal {} has not reported its account yet, so this mission cannot be sized or "
        "fired.",
        user.terminal_id);
  } else if (!pip_value_per_lot) {
    sizing_code = "sizing_unavailable";
    sizing_reason = fmt::format("No live quote converts {}'s pip value to {} yet.", signal.symbol,
                                account.currency);
  } else {
    const auto size = SizeLots(SizingInput{.balance = account.balance,
                                           .risk_pct = rules.risk_pct,
                                           .sl_pips = signal.sl_pips,
                                           .pip_value_per_lot = *pip_value_per_lot,
                                           .volume_step = instrument.volume_step,
                                           .volume_min = instrument.volume_min,
                                           .volume_max = instrument.volume_max,
                                           .size_multiplier = signal.shield.size_multiplier,
                                           .currency = account.currency});
    if (size) {
      m.lots = size->lots;
      m.risk_money = size->risk_money;
      m.reward_money = RoundTo(size->lots * signal.tp_pips * *pip_value_per_lot, 2);
    } else if (size.error().code == "min_lot_exceeds_risk") {
      sizing_code = size.error().code;
      sizing_reason = size.error().message;
    } else {
      sizing_code = "sizing_unavailable";
      sizing_reason = fmt::format("{} cannot be sized: {}.", signal.symbol, size.error().message);
    }
  }

  if (!MayFire(rules, signal.signal_class)) {
    m.blocked_code = "tier_not_allowed";
    m.blocked_reason = TierNotAllowedMessage(rules, signal.signal_class);
  } else if (!sizing_code.empty()) {
    m.blocked_code = std::move(sizing_code);
    m.blocked_reason = std::move(sizing_reason);
  }
  // Briefing(m, signal), from the prepared parts.
  std::string& text = m.briefing;
  text.reserve(head_.size() + rr_.size() + expires_.size() + 96 + m.blocked_reason.size());
  text += head_;
  if (m.lots > 0) {
    text += "Lot ";
    AppendFixed(text, m.lots, volume_decimals_);
    text += " | risk ";
    AppendFixed(text, m.risk_money, 2);
    text += ' ';
    text += m.account_ccy;
    text += " | reward ";
    AppendFixed(text, m.reward_money, 2);
    text += ' ';
    text += m.account_ccy;
    text += " | ";
  } else {
    text += "Lot: not sized | ";
  }
  text += rr_;
  text += '\n';
  text += expires_;
  if (!m.blocked_code.empty()) {
    text += "\nCannot fire: ";
    text += m.blocked_reason;
  }
  return m;
}

std::string Briefing(const Mission& m, const venom::Signal& signal) {
  const int vd = VolumeDecimals(m.volume_step);
  std::string text = fmt::format(
      "{} {} | {} | confidence {}\n"
      "Shield {} {}{}\n"
      "Entry {} | SL {} ({} pips) | TP {} ({} pips)\n",
      m.symbol, market::ToString(m.side), venom::ToString(m.signal_class), signal.confidence,
      venom::ToString(signal.shield.band), FormatFixed(signal.shield.score, 1),
      signal.shield.size_multiplier != 1.0
          ? " | size x" + FormatFixed(signal.shield.size_multiplier, 2)
          : std::string(),
      FormatFixed(m.entry, m.digits), FormatFixed(m.sl, m.digits), FormatFixed(m.sl_pips, 1),
      FormatFixed(m.tp, m.digits), FormatFixed(m.tp_pips, 1));
  const std::string rr = "R:R 1:" + FormatFixed(RiskReward(m), 2);
  if (m.lots > 0) {
    text += fmt::format("Lot {} | risk {} {} | reward {} {} | {}\n", FormatFixed(m.lots, vd),
                        FormatFixed(m.risk_money, 2), m.account_ccy, FormatFixed(m.reward_money, 2),
                        m.account_ccy, rr);
  } else {
    text += "Lot: not sized | " + rr + "\n";
  }
  text += "Expires " + FormatHhMmUtc(m.expires_at);
  if (!m.blocked_code.empty()) text += "\nCannot fire: " + m.blocked_reason;
  return text;
}

nlohmann::json HudPayload(const Mission& m, const venom::Signal& signal, const TierRules& rules,
                          const std::optional<Fire>& fire) {
  using nlohmann::json;
  const int vd = VolumeDecimals(m.volume_step);

  json may_fire = json::array();
  for (const auto c : {venom::SignalClass::kRapidAssault, venom::SignalClass::kPrecisionStrike}) {
    if (MayFire(rules, c)) may_fire.push_back(venom::ToString(c));
  }
  json upgrade_to = nullptr;
  if (!MayFire(rules, m.signal_class)) {
    if (const auto lowest = LowestTierFor(rules, m.signal_class)) upgrade_to = ToString(*lowest);
  }

  // The tier part of "blocked" follows the viewer's CURRENT rules, as CheckFire does: an upgrade
  // since the mission was built unblocks it (when it could be sized), a downgrade blocks it.
  std::string code = m.blocked_code;
  std::string reason = m.blocked_reason;
  const bool may_fire_now = MayFire(rules, m.signal_class);
  if (!may_fire_now) {
    code = "tier_not_allowed";
    reason = TierNotAllowedMessage(rules, m.signal_class);
  } else if (code == "tier_not_allowed") {
    code.clear();
    reason.clear();
    if (m.lots <= 0) {
      code = "sizing_unavailable";
      reason = "This mission has no lot size for your account; the next signal's mission will.";
    }
  }
  json blocked = nullptr;
  if (!code.empty()) blocked = {{"code", code}, {"reason", reason}};

  json fire_json = nullptr;
  if (fire) {
    const Fire& f = *fire;
    const bool filled = f.fill_volume > 0 || f.ticket != 0;
    const bool closed = f.status == FireStatus::kClosed;
    auto or_null = [](bool known, json v) { return known ? std::move(v) : json(nullptr); };
    fire_json = {
        {"fire_id", f.fire_id},
        {"status", ToString(f.status)},
        {"fired_at", f.fired_at},
        {"delivered_at", or_null(f.delivered_at > 0, f.delivered_at)},
        {"fill_price", or_null(filled, RoundTo(f.fill_price, m.digits))},
        {"fill_volume", or_null(filled, RoundTo(f.fill_volume, vd))},
        {"ticket", or_null(f.ticket != 0, f.ticket)},
        {"close_price", or_null(closed, RoundTo(f.close_price, m.digits))},
        {"profit", or_null(closed, RoundTo(f.profit, 2))},
        {"close_reason", or_null(closed, f.close_reason)},
    };
  }

  const bool can_fire = m.status == MissionStatus::kPending && code.empty() && m.lots > 0 && !fire;
  return {
      {"mission_id", m.mission_id},
      {"signal_id", m.signal_id},
      {"user_id", m.user_id},
      {"symbol", m.symbol},
      {"side", market::ToString(m.side)},
      {"class", venom::ToString(m.signal_class)},
      {"setup", signal.setup},
      {"confidence", signal.confidence},
      {"shield",
       {{"score", RoundTo(signal.shield.score, 1)},
        {"band", venom::ToString(signal.shield.band)},
        {"explanation", signal.shield.explanation},
        {"size_multiplier", RoundTo(signal.shield.size_multiplier, 2)}}},
      {"entry", RoundTo(m.entry, m.digits)},
      {"sl", RoundTo(m.sl, m.digits)},
      {"tp", RoundTo(m.tp, m.digits)},
      {"digits", m.digits},
      {"sl_pips", RoundTo(m.sl_pips, 1)},
      {"tp_pips", RoundTo(m.tp_pips, 1)},
      {"lots", RoundTo(m.lots, vd)},
      {"risk_money", RoundTo(m.risk_money, 2)},
      {"reward_money", RoundTo(m.reward_money, 2)},
      {"rr", RoundTo(RiskReward(m), 2)},
      {"currency", m.account_ccy},
      {"created_at", m.created_at},
      {"expires_at", m.expires_at},
      {"status", ToString(m.status)},
      {"can_fire", can_fire},
      {"blocked", blocked},
      {"tier",
       {{"name", ToString(rules.tier)}, {"may_fire", may_fire}, {"upgrade_to", upgrade_to}}},
      {"briefing", m.briefing.empty() ? Briefing(m, signal) : m.briefing},
      {"fire", fire_json},
  };
}

}  // namespace bitten::missions
