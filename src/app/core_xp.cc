// Core members for XP and statistics (docs/xp.md) and the XP part of result works.
#include "app/core_xp.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdlib>

#include "app/core.h"
#include "app/core_telegram.h"
#include "app/outbox_adapter.h"
#include "base/format.h"
#include "missions/stats.h"
#include "missions/xp.h"
#include "store/journal.h"
#include "store/kv.h"
#include "store/outbox.h"
#include "store/trades.h"
#include "store/user_flags.h"
#include "store/users.h"
#include "telegram/messages.h"
#include "telegram/outbox.h"

namespace bitten::app {

using nlohmann::json;

namespace {

std::string XpReasonWords(const std::string& reason) {
  if (reason == "fire_executed") return "order executed";
  if (reason == "win") return "win";
  if (reason == "loss_at_stop") return "loss taken at the stop (discipline)";
  if (reason.rfind("streak_", 0) == 0) return reason.substr(7) + " wins in a row";
  return reason;
}

}  // namespace

Result<XpResult> AwardXpForResult(store::Txn& txn, const missions::Fire& fire,
                                  bridge::ResultType type, std::int64_t telegram_id, TimeMs now) {
  XpResult out;
  std::vector<missions::XpAward> awards;
  if (type == bridge::ResultType::kFill) {
    awards = missions::AwardsForFill();
  } else if (type == bridge::ResultType::kClose) {
    const std::string key = "xp_streak:" + fire.user_id;
    auto stored = store::KvGet(txn, key);
    if (!stored) return tl::unexpected(stored.error());
    int before = 0;
    if (*stored) before = std::atoi((*stored)->c_str());
    const int after = missions::NextWinStreak(before, missions::OutcomeOf(fire.profit));
    awards = missions::AwardsForClose(fire.profit, fire.close_reason, after);
    if (Status s = store::KvSet(txn, key, std::to_string(after)); !s) {
      return tl::unexpected(s.error());
    }
  } else {
    return out;
  }
  for (const missions::XpAward& a : awards) {
    store::XpEntry entry{fire.user_id, fire.fire_id, a.reason, a.points, now};
    auto fresh = store::AwardXp(txn, entry);
    if (!fresh) return tl::unexpected(fresh.error());
    if (!*fresh) continue;
    out.points += a.points;
    out.awarded.push_back(std::move(entry));
  }
  auto user = store::GetUser(txn, fire.user_id);
  if (!user) return tl::unexpected(user.error());
  out.total = *user ? (*user)->xp : 0;
  if (out.awarded.empty()) return out;

  store::Event e;
  e.type = "xp_awarded";
  e.time = now;
  e.fire_id = fire.fire_id;
  e.mission_id = fire.mission_id;
  e.user_id = fire.user_id;
  json rows = json::array();
  for (const store::XpEntry& x : out.awarded) {
    rows.push_back({{"reason", x.reason}, {"points", x.points}});
  }
  e.payload = {{"awards", rows}, {"points", out.points}, {"total", out.total}};
  if (auto r = store::AppendEvent(txn, e); !r) return tl::unexpected(r.error());

  if (type == bridge::ResultType::kFill && telegram_id != 0) {
    const int level = missions::LevelForXp(out.total);
    std::string words;
    for (const store::XpEntry& x : out.awarded) {
      words += fmt::format("{}+{} XP · {}", words.empty() ? "" : "\n", x.points,
                           XpReasonWords(x.reason));
    }
    const telegram::OutMessage msg = telegram::PlainText(
        telegram_id, fmt::format("⭐ {}\nTotal {} XP · level {} · {}", words, out.total, level,
                                 missions::RankForLevel(level)));
    auto q = store::EnqueueOutbox(
        txn, OutboxRow(msg, telegram::kPriorityResult, "xp:" + fire.fire_id + ":fill", now));
    if (!q) return tl::unexpected(q.error());
  }
  return out;
}

Status CheckUserRulesInTxn(store::Txn& txn, const std::string& user_id, int fires_per_day,
                           TimeMs now) {
  auto flags = store::GetUserFlags(txn, user_id);
  if (!flags) return tl::unexpected(flags.error());
  if (*flags && (*flags)->killed) {
    return Fail("kill_switch",
                "Firing is halted for your account by the operator (kill switch); ask an operator "
                "to lift it.");
  }
  if (*flags && (*flags)->paused) {
    return Fail("kill_switch",
                "Firing is paused for your account; it resumes when the pause is lifted "
                "(`bitten users resume`).");
  }
  const TimeMs day = UtcDayStart(now);
  auto count = store::CountUserFires(txn, user_id, day, day + 24LL * 3600 * 1000);
  if (!count) return tl::unexpected(count.error());
  if (*count > fires_per_day) {
    return Fail("daily_fire_limit",
                fmt::format("You have used all {} fires of your tier today; the count resets at "
                            "00:00 UTC.",
                            fires_per_day));
  }
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Core members: XP, statistics, leaderboard

json Core::XpJson(const missions::User& user) const {
  const int level = missions::LevelForXp(user.xp);
  return {{"xp", user.xp},
          {"level", level},
          {"rank", missions::RankForLevel(level)},
          {"level_xp", missions::XpForLevel(level)},
          {"next_level_xp", missions::XpForLevel(level + 1)}};
}

Status Core::RecoverStats(const store::Database& reader) {
  auto trades = store::ListClosedTrades(reader);
  if (!trades) return tl::unexpected(trades.error());
  for (const store::ClosedTrade& t : *trades) CountClosedTrade(t.fire, t.mission);
  return Ok();
}

void Core::CountClosedTrade(const missions::Fire& fire, const missions::Mission& mission) {
  missions::ClosedTradeView view;
  view.symbol = mission.symbol;
  view.signal_class = mission.signal_class;
  view.profit = fire.profit;
  const market::Instrument* inst = instruments_.Find(mission.symbol);
  if (inst != nullptr && inst->pip_size > 0 && fire.fill_price > 0 && fire.close_price > 0) {
    view.pips =
        missions::TradePips(mission.side, fire.fill_price, fire.close_price, inst->pip_size);
  }
  auto u = users_.find(fire.user_id);
  if (u == users_.end()) {
    stats_book_.Add(fire.user_id, view);
    return;
  }
  Rerank(u->second, [&] { stats_book_.Add(fire.user_id, view); });
}

void Core::OnTradeXp(const std::string& user_id, const XpResult& xp) {
  auto u = users_.find(user_id);
  if (u == users_.end() || xp.awarded.empty()) return;
  Rerank(u->second, [&] { u->second.xp = xp.total; });
  if (!hub_.Watching(user_id)) return;
  json j = XpJson(u->second);
  j["points"] = xp.points;
  json awards = json::array();
  for (const store::XpEntry& a : xp.awarded) {
    awards.push_back({{"reason", a.reason}, {"points", a.points}, {"fire_id", a.fire_id}});
  }
  j["awards"] = std::move(awards);
  hub_.Push(user_id, "xp", j.dump());
}

void Core::GetStats(Principal who, ReplyFn reply) {
  boost::asio::post(io_, [this, who = std::move(who), reply = std::move(reply)] {
    const missions::User* user = Resolve(who);
    if (!user) {
      return reply(
          ErrorReply(401, "unauthorized", "This identity is not linked to a BITTEN user."));
    }
    json body = XpJson(*user);
    body["user_id"] = user->user_id;
    body["stats"] = missions::ToJson(stats_book_.Get(user->user_id));
    body["server_time"] = clock_.NowMs();
    reply(CoreReply{200, std::move(body)});
  });
}

missions::RankKey Core::RankKeyOf(const missions::User& u) const {
  return missions::RankKey{u.xp, stats_book_.Get(u.user_id).all.pnl, u.created_at, &u.user_id};
}

Status Core::CheckRanking() const {
  std::vector<missions::RankKey> sorted;
  sorted.reserve(users_.size());
  for (const auto& [id, u] : users_) sorted.push_back(RankKeyOf(u));
  std::sort(sorted.begin(), sorted.end(), missions::RankBefore());
  if (ranking_.size() != sorted.size()) {
    return Fail("index_drift", fmt::format("{} users, {} ranked", sorted.size(), ranking_.size()));
  }
  const std::vector<missions::RankKey> kept = ranking_.Top(sorted.size());
  const missions::RankBefore before;  // a strict order: neither before the other = the same key
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (before(sorted[i], kept[i]) || before(kept[i], sorted[i])) {
      return Fail("index_drift", fmt::format("leaderboard position {}: user {} ranked, {} sorted",
                                             i + 1, *kept[i].user_id, *sorted[i].user_id));
    }
  }
  return Ok();
}

void Core::GetLeaderboard(Principal who, int limit, ReplyFn reply) {
  boost::asio::post(io_, [this, who = std::move(who), limit, reply = std::move(reply)] {
    const missions::User* me = Resolve(who);
    if (!me) {
      return reply(
          ErrorReply(401, "unauthorized", "This identity is not linked to a BITTEN user."));
    }
    // XP first, then P&L, then the older account (missions::RankBefore): the first `limit` of
    // the kept order and the caller's own place, without sorting every user.
    auto row_of = [this, me](const missions::User& u, std::size_t position) {
      const missions::UserStats& s = stats_book_.Get(u.user_id);
      json row = XpJson(u);
      row["position"] = position;
      row["name"] = u.name;
      row["tier"] = missions::ToString(u.tier);
      row["trades"] = s.all.trades;
      row["win_rate"] =
          s.all.trades == 0 ? json(nullptr) : json(RoundTo(100.0 * s.all.wins / s.all.trades, 1));
      row["pips"] = s.all.pips;
      row["pnl"] = s.all.pnl;
      row["best_streak"] = s.best_streak;
      row["you"] = u.user_id == me->user_id;
      return row;
    };
    json rows = json::array();
    std::size_t position = 0;
    for (const missions::RankKey& key : ranking_.Top(static_cast<std::size_t>(limit))) {
      rows.push_back(row_of(users_.at(*key.user_id), ++position));
    }
    json mine = row_of(*me, ranking_.PositionOf(RankKeyOf(*me)) + 1);
    reply(CoreReply{200, json{{"leaderboard", std::move(rows)},
                              {"you", std::move(mine)},
                              {"users", ranking_.size()},
                              {"server_time", clock_.NowMs()}}});
  });
}

}  // namespace bitten::app
