#include "missions/fire_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace bitten::missions {
namespace {

constexpr TimeMs kExpires = 1722261900000;   // 2024-07-29T14:05:00Z
constexpr TimeMs kNow = kExpires - 600'000;  // 13:55, ten minutes to go

// A fire that passes every check; each test breaks exactly what it is about.
struct Fixture {
  User user;
  TierRules rules = DefaultTierRules()[static_cast<std::size_t>(Tier::kNibbler)];
  Mission mission;
  FireCheckInput in;

  Fixture() {
    user.user_id = "u1";
    user.tier = Tier::kNibbler;
    user.terminal_id = "t1";
    mission.mission_id = "m1";
    mission.user_id = "u1";
    mission.signal_class = venom::SignalClass::kRapidAssault;
    mission.lots = 0.12;
    mission.risk_money = 30.00;
    mission.account_ccy = "USD";
    mission.expires_at = kExpires;
    mission.status = MissionStatus::kPending;
    in.mission = &mission;
    in.user = &user;
    in.rules = &rules;
    in.now = kNow;
    in.balance = 1500;
    in.terminal = TerminalView{true, kNow - 4'000, true, true, 30'000};
  }
  // The refusal code, or "ok".
  std::string Code() const {
    const Status s = CheckFire(in);
    return s ? std::string("ok") : s.error().code;
  }
  std::string Message() const {
    const Status s = CheckFire(in);
    return s ? std::string() : s.error().message;
  }
};

TEST(CheckFire, PassesWhenEverythingIsInOrder) {
  Fixture f;
  EXPECT_EQ(f.Code(), "ok") << f.Message();
}

TEST(CheckFire, MissionNotFound) {
  Fixture f;
  f.in.mission = nullptr;
  EXPECT_EQ(f.Code(), "mission_not_found");
  Fixture other;  // another user's mission is "not found", not "forbidden"
  other.mission.user_id = "u2";
  EXPECT_EQ(other.Code(), "mission_not_found");
}

TEST(CheckFire, MissionClosed) {
  for (const auto s : {MissionStatus::kCancelled, MissionStatus::kClosed, MissionStatus::kFailed,
                       MissionStatus::kFired}) {
    Fixture f;
    f.mission.status = s;
    EXPECT_EQ(f.Code(), "mission_closed") << ToString(s);
  }
  Fixture f;
  f.mission.status = MissionStatus::kCancelled;
  EXPECT_EQ(f.Message(), "This mission is cancelled and can no longer be fired.");
}

TEST(CheckFire, MissionExpiredAtTheInstantOfExpiry) {
  Fixture f;
  f.in.now = kExpires - 1;
  f.in.terminal.last_heartbeat_at = f.in.now - 1'000;  // keep the terminal online at the new time
  EXPECT_EQ(f.Code(), "ok") << f.Message();
  f.in.now = kExpires;  // inclusive: at expires_at it is expired
  EXPECT_EQ(f.Code(), "mission_expired");
  EXPECT_EQ(f.Message(), "This mission expired at 14:05 UTC.");
  f.in.now = kExpires + 3'600'000;
  EXPECT_EQ(f.Code(), "mission_expired");
}

TEST(CheckFire, MissionMarkedExpiredSaysExpiredNotClosed) {
  Fixture f;
  f.mission.status = MissionStatus::kExpired;
  EXPECT_EQ(f.Code(), "mission_expired");
}

TEST(CheckFire, KillSwitch) {
  Fixture f;
  f.in.kill_switch = true;
  EXPECT_EQ(f.Code(), "kill_switch");
}

TEST(CheckFire, TierNotAllowed) {
  Fixture f;
  f.mission.signal_class = venom::SignalClass::kPrecisionStrike;
  EXPECT_EQ(f.Code(), "tier_not_allowed");
  EXPECT_EQ(f.Message(),
            "Your tier NIBBLER may not fire PRECISION_STRIKE missions; upgrade to FANG or above to "
            "fire them.");
  // The same mission after an upgrade to FANG fires (the check uses the current rules).
  f.rules = DefaultTierRules()[static_cast<std::size_t>(Tier::kFang)];
  EXPECT_EQ(f.Code(), "ok") << f.Message();
}

TEST(CheckFire, MinLotExceedsRisk) {
  Fixture f;
  f.mission.lots = 0;
  f.mission.risk_money = 0;
  f.mission.blocked_code = "min_lot_exceeds_risk";
  f.mission.blocked_reason = "The minimum lot 0.01 risks 2.50 USD ...";
  EXPECT_EQ(f.Code(), "min_lot_exceeds_risk");
  EXPECT_EQ(f.Message(), "The minimum lot 0.01 risks 2.50 USD ...");
}

TEST(CheckFire, DailyFireLimit) {
  Fixture f;  // NIBBLER: 6 fires a day
  f.in.fires_today = 5;
  EXPECT_EQ(f.Code(), "ok");
  f.in.fires_today = 6;
  EXPECT_EQ(f.Code(), "daily_fire_limit");
}

TEST(CheckFire, MaxOpenPositions) {
  Fixture f;  // NIBBLER: 1 open
  f.in.open_positions = 1;
  EXPECT_EQ(f.Code(), "max_open_positions");
}

TEST(CheckFire, DailyLossCap) {
  Fixture f;
  // NIBBLER cap 6 % of 1500 = 90.00. Loss 40 + open 20 + this 30 = 90.00: at the cap, allowed.
  f.in.realised_loss_today = 40;
  f.in.open_risk = 20;
  EXPECT_EQ(f.Code(), "ok") << f.Message();
  // 40.01 + 20 + 30 = 90.01 > 90.00.
  f.in.realised_loss_today = 40.01;
  EXPECT_EQ(f.Code(), "daily_loss_cap");
  EXPECT_NE(f.Message().find("90.01 USD"), std::string::npos) << f.Message();
  EXPECT_NE(f.Message().find("90.00 USD"), std::string::npos) << f.Message();
}

TEST(CheckFire, NoTerminal) {
  Fixture f;
  f.in.terminal.exists = false;
  EXPECT_EQ(f.Code(), "no_terminal");
  Fixture g;
  g.user.terminal_id = "";
  EXPECT_EQ(g.Code(), "no_terminal");
}

TEST(CheckFire, TerminalOfflineSaysHowOld) {
  Fixture f;
  f.in.terminal.last_heartbeat_at = kNow - 125'000;  // 2 min 5 s
  EXPECT_EQ(f.Code(), "terminal_offline");
  EXPECT_EQ(f.Message(), "Your terminal t1 last reported 2 min 5 s ago (limit 30 s).");
}

TEST(CheckFire, HeartbeatAgeEqualToTtlIsOnline) {
  Fixture f;
  f.in.terminal.last_heartbeat_at = kNow - 30'000;  // age == ttl: online ("younger than" is <=)
  EXPECT_EQ(f.Code(), "ok") << f.Message();
  f.in.terminal.last_heartbeat_at = kNow - 30'001;  // one ms older: offline
  EXPECT_EQ(f.Code(), "terminal_offline");
}

TEST(CheckFire, TerminalNeverReportedDisconnectedOrTradingOff) {
  Fixture f;
  f.in.terminal.last_heartbeat_at = 0;
  EXPECT_EQ(f.Code(), "terminal_offline");
  EXPECT_NE(f.Message().find("never reported"), std::string::npos) << f.Message();
  Fixture g;
  g.in.terminal.connected = false;
  EXPECT_EQ(g.Code(), "terminal_offline");
  EXPECT_NE(g.Message().find("not connected"), std::string::npos) << g.Message();
  Fixture h;
  h.in.terminal.trade_allowed = false;
  EXPECT_EQ(h.Code(), "terminal_offline");
  EXPECT_NE(h.Message().find("does not allow trading"), std::string::npos) << h.Message();
}

TEST(CheckFire, NeverAnOrderOfZeroLots) {
  Fixture f;  // built while the account was unknown, terminal online since
  f.mission.lots = 0;
  f.mission.blocked_code = "no_terminal";
  EXPECT_EQ(f.Code(), "no_terminal");
  Fixture g;
  g.mission.lots = 0;
  g.mission.blocked_code = "sizing_unavailable";
  g.mission.blocked_reason = "No live quote converts USDJPY's pip value to USD yet.";
  EXPECT_EQ(g.Code(), "sizing_unavailable");
  EXPECT_EQ(g.Message(), "No live quote converts USDJPY's pip value to USD yet.");
  Fixture h;  // tier-blocked and unsized, fired after an upgrade
  h.mission.lots = 0;
  h.mission.blocked_code = "tier_not_allowed";
  EXPECT_EQ(h.Code(), "sizing_unavailable");
}

TEST(CheckFire, OrderExpiredBeatsTier) {
  Fixture f;  // an expired mission of a class the tier may not fire says expired
  f.mission.signal_class = venom::SignalClass::kPrecisionStrike;
  f.in.now = kExpires;
  EXPECT_EQ(f.Code(), "mission_expired");
}

TEST(CheckFire, OrderEachCheckMasksTheLaterOnes) {
  // Break everything, then repair one check at a time: the code must walk the documented order.
  Fixture f;
  f.mission.status = MissionStatus::kCancelled;
  f.in.now = kExpires + 1;
  f.in.kill_switch = true;
  f.mission.signal_class = venom::SignalClass::kPrecisionStrike;
  f.mission.lots = 0;
  f.mission.risk_money = 0;
  f.mission.blocked_code = "min_lot_exceeds_risk";
  f.in.fires_today = 99;
  f.in.open_positions = 99;
  f.in.realised_loss_today = 1e6;
  f.in.terminal.exists = false;
  const Mission* mission = f.in.mission;
  f.in.mission = nullptr;
  EXPECT_EQ(f.Code(), "mission_not_found");
  f.in.mission = mission;
  EXPECT_EQ(f.Code(), "mission_closed");
  f.mission.status = MissionStatus::kPending;
  EXPECT_EQ(f.Code(), "mission_expired");
  f.in.now = kNow;
  EXPECT_EQ(f.Code(), "kill_switch");
  f.in.kill_switch = false;
  EXPECT_EQ(f.Code(), "tier_not_allowed");
  f.mission.signal_class = venom::SignalClass::kRapidAssault;
  EXPECT_EQ(f.Code(), "min_lot_exceeds_risk");
  f.mission.lots = 0.12;
  f.mission.risk_money = 30;
  f.mission.blocked_code = "";
  EXPECT_EQ(f.Code(), "daily_fire_limit");
  f.in.fires_today = 0;
  EXPECT_EQ(f.Code(), "max_open_positions");
  f.in.open_positions = 0;
  EXPECT_EQ(f.Code(), "no_terminal");
  f.in.terminal.exists = true;
  f.in.terminal.last_heartbeat_at = kNow - 60'000;
  EXPECT_EQ(f.Code(), "terminal_offline");
  f.in.terminal.last_heartbeat_at = kNow;
  // The loss cap comes after the terminal: it is a share of the balance the terminal reports.
  EXPECT_EQ(f.Code(), "daily_loss_cap");
  f.in.realised_loss_today = 0;
  EXPECT_EQ(f.Code(), "ok");
}

TEST(HttpStatusFor, EveryContractCode) {
  EXPECT_EQ(HttpStatusFor("bad_request"), 400);
  EXPECT_EQ(HttpStatusFor("unauthorized"), 401);
  EXPECT_EQ(HttpStatusFor("tier_not_allowed"), 403);
  EXPECT_EQ(HttpStatusFor("min_lot_exceeds_risk"), 403);
  EXPECT_EQ(HttpStatusFor("kill_switch"), 403);
  EXPECT_EQ(HttpStatusFor("mission_not_found"), 404);
  EXPECT_EQ(HttpStatusFor("mission_closed"), 409);
  EXPECT_EQ(HttpStatusFor("mission_expired"), 410);
  EXPECT_EQ(HttpStatusFor("daily_fire_limit"), 429);
  EXPECT_EQ(HttpStatusFor("max_open_positions"), 429);
  EXPECT_EQ(HttpStatusFor("daily_loss_cap"), 429);
  EXPECT_EQ(HttpStatusFor("terminal_offline"), 503);
  EXPECT_EQ(HttpStatusFor("no_terminal"), 503);
  EXPECT_EQ(HttpStatusFor("sizing_unavailable"), 503);
  EXPECT_EQ(HttpStatusFor("no_such_code"), 500);
}

TEST(FormatAge, Units) {
  EXPECT_EQ(FormatAge(-5), "0 s");
  EXPECT_EQ(FormatAge(4'999), "4 s");
  EXPECT_EQ(FormatAge(60'000), "1 min 0 s");
  EXPECT_EQ(FormatAge(125'000), "2 min 5 s");
  EXPECT_EQ(FormatAge(3'780'000), "1 h 3 min");
}

}  // namespace
}  // namespace bitten::missions

namespace bitten::missions {
namespace {

TEST(CheckFire, PerUserKillAndPauseRefuseWithKillSwitch) {
  Fixture killed;
  killed.user.killed = true;
  EXPECT_EQ(killed.Code(), "kill_switch");
  EXPECT_NE(killed.Message().find("for your account by the operator"), std::string::npos);
  Fixture paused;
  paused.user.paused = true;
  EXPECT_EQ(paused.Code(), "kill_switch");
  EXPECT_NE(paused.Message().find("paused"), std::string::npos);
  EXPECT_EQ(HttpStatusFor("kill_switch"), 403);
  // The global switch speaks first; a user flag masks the later checks (tier, limits).
  Fixture both;
  both.user.paused = true;
  both.in.kill_switch = true;
  EXPECT_NE(both.Message().find("operator (kill switch)"), std::string::npos);
  Fixture masks;
  masks.user.killed = true;
  masks.in.fires_today = 99;
  masks.mission.signal_class = venom::SignalClass::kPrecisionStrike;
  EXPECT_EQ(masks.Code(), "kill_switch");
  // An expired mission still says expired (expiry is checked before any halt).
  Fixture expired;
  expired.user.paused = true;
  expired.in.now = kExpires;
  EXPECT_EQ(expired.Code(), "mission_expired");
}

}  // namespace
}  // namespace bitten::missions
