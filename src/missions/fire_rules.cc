#include "missions/fire_rules.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "base/format.h"

namespace bitten::missions {

std::string FormatAge(TimeMs age_ms) {
  const TimeMs s = age_ms < 0 ? 0 : age_ms / 1000;
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  return fmt::format("{} h {} min", s / 3600, (s % 3600) / 60);
}

std::string TierNotAllowedMessage(const TierRules& rules, venom::SignalClass c) {
  const auto lowest = LowestTierFor(rules, c);
  return fmt::format("Your tier {} may not fire {} missions; {}.", ToString(rules.tier),
                     venom::ToString(c),
                     lowest ? fmt::format("upgrade to {} or above to fire them", ToString(*lowest))
                            : std::string("no tier may fire them"));
}

Status CheckFire(const FireCheckInput& in) {
  BITTEN_CHECK(in.user != nullptr, "CheckFire needs the calling user");
  BITTEN_CHECK(in.rules != nullptr, "CheckFire needs the user's tier rules");
  const User& user = *in.user;
  const TierRules& rules = *in.rules;

  // 1. Existence and ownership. Another user's mission is "not found", never "forbidden": its
  // existence is not the caller's business.
  if (in.mission == nullptr || in.mission->user_id != user.user_id) {
    return Fail("mission_not_found", "No such mission for you.");
  }
  const Mission& m = *in.mission;
  const std::string expired_text = "This mission expired at " + FormatHhMmUtc(m.expires_at) + ".";

  // 2. Status. A mission the core already marked expired says expired (410), not closed.
  if (m.status == MissionStatus::kExpired) return Fail("mission_expired", expired_text);
  if (m.status != MissionStatus::kPending) {
    return Fail("mission_closed",
                fmt::format("This mission is {} and can no longer be fired.", ToString(m.status)));
  }

  // 3. Expiry against the server clock, inclusive: at expires_at it is already expired.
  if (in.now >= m.expires_at) return Fail("mission_expired", expired_text);

  // 4. Halt.
  if (in.kill_switch) {
    return Fail("kill_switch", "Firing is halted by the operator (kill switch). Try again later.");
  }
  if (user.killed) {
    return Fail("kill_switch",
                "Firing is halted for your account by the operator (kill switch); ask an operator "
                "to lift it.");
  }
  if (user.paused) {
    return Fail("kill_switch",
                "Firing is paused for your account; it resumes when the pause is lifted "
                "(`bitten users resume`).");
  }

  // 5. Rights of the user's current tier (a user who upgraded since the mission was built may
  // fire).
  if (!MayFire(rules, m.signal_class)) {
    return Fail("tier_not_allowed", TierNotAllowedMessage(rules, m.signal_class));
  }

  // 6. Sizing the builder found impossible.
  if (m.lots <= 0 && m.blocked_code == "min_lot_exceeds_risk") {
    return Fail("min_lot_exceeds_risk", m.blocked_reason);
  }

  // 7–8. Tier limits (the loss cap, 11, needs the terminal's balance).
  if (in.fires_today >= rules.fires_per_day) {
    return Fail("daily_fire_limit",
                fmt::format("You have used all {} fires of your {} tier today; the count resets at "
                            "00:00 UTC.",
                            rules.fires_per_day, ToString(rules.tier)));
  }
  if (in.open_positions >= rules.max_open) {
    return Fail("max_open_positions",
                fmt::format("You have {} open position(s), the most your {} tier allows ({}).",
                            in.open_positions, ToString(rules.tier), rules.max_open));
  }
  // 9–10. The terminal that would execute it.
  if (!in.terminal.exists || user.terminal_id.empty()) {
    return Fail("no_terminal",
                "You have no MT5 terminal linked, so this order could not reach MetaTrader.");
  }
  const TerminalView& t = in.terminal;
  if (t.last_heartbeat_at <= 0) {
    return Fail("terminal_offline", fmt::format("Your terminal {} has never reported (limit {}).",
                                                user.terminal_id, FormatAge(t.ttl_ms)));
  }
  const TimeMs age = in.now - t.last_heartbeat_at;
  // Online while age <= ttl (CONTRACTS §3.3 "younger than its TTL"; equality counts as online so
  // that a heartbeat arriving exactly on schedule never flaps).
  if (age > t.ttl_ms) {
    return Fail("terminal_offline",
                fmt::format("Your terminal {} last reported {} ago (limit {}).", user.terminal_id,
                            FormatAge(age), FormatAge(t.ttl_ms)));
  }
  if (!t.connected) {
    return Fail("terminal_offline",
                fmt::format("Your terminal {} is not connected to its broker (last report {} ago).",
                            user.terminal_id, FormatAge(age)));
  }
  if (!t.trade_allowed) {
    return Fail(
        "terminal_offline",
        fmt::format("Your terminal {} does not allow trading (enable Algo Trading in MT5; last "
                    "report {} ago).",
                    user.terminal_id, FormatAge(age)));
  }

  // 11. The daily loss cap, after the terminal checks: the cap is a share of the balance the
  // terminal reports, so with no fresh heartbeat the honest refusal is "terminal offline", not a
  // cap computed from an unknown balance.
  const double cap = in.balance * rules.daily_loss_cap_pct / 100.0;
  const double exposure = in.realised_loss_today + in.open_risk + m.risk_money;
  // Compared in cents so that an exposure exactly at the cap passes despite binary fractions.
  if (RoundTo(exposure, 2) > RoundTo(cap, 2)) {
    return Fail(
        "daily_loss_cap",
        fmt::format("Today's losses {} + open risk {} + this mission's risk {} = {} {} would "
                    "exceed your daily loss cap of {} {} ({}% of {}).",
                    FormatFixed(in.realised_loss_today, 2), FormatFixed(in.open_risk, 2),
                    FormatFixed(m.risk_money, 2), FormatFixed(exposure, 2), m.account_ccy,
                    FormatFixed(cap, 2), m.account_ccy, FormatFixed(rules.daily_loss_cap_pct, 1),
                    FormatFixed(in.balance, 2)));
  }

  // 12. Never an order of 0 lots. Reached when the builder could not size (no account or quote), or
  // when a tier-blocked mission that could not be sized is fired after an upgrade.
  if (m.lots <= 0) {
    if (m.blocked_code == "sizing_unavailable" && !m.blocked_reason.empty()) {
      return Fail("sizing_unavailable", m.blocked_reason);
    }
    return Fail(m.blocked_code == "no_terminal" ? "no_terminal" : "sizing_unavailable",
                "This mission has no lot size for your account (your account or a quote was not "
                "known when it was built); the next signal's mission will be sized.");
  }
  return Ok();
}

int HttpStatusFor(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, int>, 15> kStatus = {{
      {"bad_request", 400},
      {"unauthorized", 401},
      {"tier_not_allowed", 403},
      {"min_lot_exceeds_risk", 403},
      {"kill_switch", 403},
      {"mission_not_found", 404},
      {"mission_closed", 409},
      {"mission_expired", 410},
      {"daily_fire_limit", 429},
      {"max_open_positions", 429},
      {"daily_loss_cap", 429},
      {"terminal_offline", 503},
      {"no_terminal", 503},
      {"sizing_unavailable", 503},
      {"internal", 500},
  }};
  for (const auto& [c, status] : kStatus) {
    if (c == code) return status;
  }
  return 500;
}

}  // namespace bitten::missions
