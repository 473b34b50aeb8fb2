// Trader rules against the real server (issue 4 "Proof": the limit races): a real app::Server on an
// ephemeral port over a temp SQLite file and a temp terminal folder, dev login, a SimClock. The
// missions of one user are put into the store before the server starts (as a restart would find
// them); the test then fires many of them at once over HTTP, from many threads, and checks the
// answers and what the store holds. Also: per-user pause and kill (CLI-style store writes and the
// Core methods), and stats / leaderboard / XP through results.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/dev_login.h"
#include "app/http_client.h"
#include "app/server.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/uuid.h"
#include "bridge/codec.h"
#include "common/paths.h"
#include "market/replay_feed.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/missions.h"
#include "store/signals.h"
#include "store/statement.h"
#include "store/user_flags.h"
#include "store/users.h"
#include "store/writer.h"

namespace bitten::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTerminal[] = "t1";
// Test-only secrets (32 bytes each, hex).
constexpr char kSecretHex[] = "6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677";
constexpr char kDevSecretHex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr TimeMs kT0 = 1722261000000;  // 2024-07-29 13:50 UTC
constexpr char kMarketFile[] = "EURUSD_M1_bidask_oanda-lean_2014-05.csv";
constexpr TimeMs kDataStart = 1398902400000;  // 2014-05-01 00:00 UTC, the file's first bar

struct Reply {
  int status = 0;
  json body;
};

std::string Raw(const char* hex) { return *FromHex(hex); }

class CoreRulesTest : public ::testing::Test {
 protected:
  CoreRulesTest() : clock_(kT0) {
    db_path_ = tmp_.path() / "bitten.sqlite";
    config_.server.address = "127.0.0.1";
    config_.server.port = 0;
    config_.server.io_threads = 2;
    config_.server.web_root = (bitten::testing::SourceDir() / "web").string();
    config_.store.path = db_path_.string();
    config_.auth.dev_login = true;
    config_.auth.dev_login_secret_hex = kDevSecretHex;
    config_.terminals.push_back({kTerminal, kSecretHex, (tmp_.path() / "t1").string(), 30000});
    config_.users.push_back({2001, "fang", missions::Tier::kFang, kTerminal});
    config_.users.push_back({2002, "rival", missions::Tier::kFang, kTerminal});
  }
  ~CoreRulesTest() override { Stop(); }

  // Tier rules of FANG for this test.
  missions::TierRules& Fang() {
    for (missions::TierRules& r : config_.tiers) {
      if (r.tier == missions::Tier::kFang) return r;
    }
    throw std::logic_error("no FANG tier");
  }

  void Start() {
    auto server = Server::Start(config_, clock_);
    ASSERT_TRUE(server) << server.error().code << ": " << server.error().message;
    server_ = std::move(*server);
    http_opts_ =
        HttpClientOptions{"http://127.0.0.1:" + std::to_string(server_->port()), 2000, 20000};
    http_ = std::make_unique<HttpClient>(http_opts_);
    auto db = Reader();
    auto users = store::ListUsers(*db);
    ASSERT_TRUE(users);
    for (const missions::User& u : *users) users_[u.name] = u;
  }
  void Stop() {
    if (server_) server_->Stop();
    server_.reset();
  }

  std::unique_ptr<store::Database> Reader() {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadOnly);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }

  // A second writer on the same file, as `bitten users ...` uses while the server runs.
  void WriteAside(store::Writer::Work work) {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadWrite);
    ASSERT_TRUE(db) << db.error().message;
    store::Writer writer(std::move(*db), clock_, {});
    Status s = writer.SubmitAndWait(std::move(work));
    ASSERT_TRUE(s) << s.error().message;
  }

  // `n` pending EURUSD missions of `user` from one signal, each risking `risk` USD at 0.10 lots.
  std::vector<std::string> PutMissions(const std::string& user, int n, double risk,
                                       market::Side side = market::Side::kBuy) {
    const missions::User& u = users_.at(user);
    const double dir = side == market::Side::kBuy ? 1.0 : -1.0;
    venom::Signal sig;
    sig.signal_id = NewUuidV7(clock_);
    sig.symbol = "EURUSD";
    sig.side = side;
    sig.setup = "test";
    sig.bar_time = kT0 - 60'000;
    sig.entry = 1.08500;
    sig.sl = 1.08500 - dir * 0.00250;
    sig.tp = 1.08500 + dir * 0.00375;
    sig.digits = 5;
    sig.sl_pips = 25;
    sig.tp_pips = 37.5;
    sig.confidence = 75;
    sig.created_at = kT0;
    sig.expires_at = kT0 + 15 * 60'000;
    sig.signal_hash = Sha256Hex(sig.signal_id);
    std::vector<missions::Mission> ms;
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      missions::Mission m;
      m.mission_id = NewUuidV7(clock_);
      m.signal_id = sig.signal_id;
      m.user_id = u.user_id;
      m.symbol = sig.symbol;
      m.side = sig.side;
      m.entry = sig.entry;
      m.sl = sig.sl;
      m.tp = sig.tp;
      m.sl_pips = sig.sl_pips;
      m.tp_pips = sig.tp_pips;
      m.lots = 0.10;
      m.risk_money = risk;
      m.reward_money = risk * 1.5;
      m.account_ccy = "USD";
      m.created_at = kT0;
      m.expires_at = sig.expires_at;
      ms.push_back(m);
      ids.push_back(m.mission_id);
    }
    WriteAside([&](store::Txn& txn) -> Status {
      auto r = store::InsertSignal(txn, sig);
      if (!r) return tl::unexpected(r.error());
      return store::InsertMissions(txn, ms);
    });
    return ids;
  }

  Reply ToReply(const Result<HttpResponse>& r) {
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    return Reply{r->status, json::parse(r->body, nullptr, false)};
  }
  std::string TokenFor(const std::string& name) {
    return MintDevToken(Raw(kDevSecretHex), users_.at(name).user_id, kT0 + 24 * 3600 * 1000);
  }
  Reply Get(const std::string& path, const std::string& user) {
    return ToReply(http_->Send("GET", path, "", {{"Authorization", "Bearer " + TokenFor(user)}}));
  }
  Reply Heartbeat(double balance) {
    bridge::Heartbeat hb;
    hb.terminal = kTerminal;
    hb.time = clock_.NowMs();
    hb.currency = "USD";
    hb.balance = balance;
    hb.equity = balance;
    hb.margin_free = balance;
    hb.leverage = 100;
    hb.connected = true;
    hb.trade_allowed = true;
    hb.ea_version = "test";
    std::string body = bridge::EncodeHeartbeat(hb, Raw(kSecretHex));
    if (!body.empty() && body.back() == '\n') body.pop_back();
    const TimeMs ts = clock_.NowMs();
    const std::string sig =
        bridge::SignRequest(Raw(kSecretHex), ts, "POST", "/api/heartbeat", body);
    return ToReply(http_->Send("POST", "/api/heartbeat", body,
                               {{"Content-Type", "application/json"},
                                {"X-Bitten-Terminal", kTerminal},
                                {"X-Bitten-Timestamp", std::to_string(ts)},
                                {"X-Bitten-Signature", sig}}));
  }

  Reply Report(const bridge::ResultRecord& rec) {
    std::string body = bridge::EncodeResultLine(rec, Raw(kSecretHex));
    body.pop_back();  // the LF
    const TimeMs ts = clock_.NowMs();
    const std::string sig = bridge::SignRequest(Raw(kSecretHex), ts, "POST", "/api/report", body);
    return ToReply(http_->Send("POST", "/api/report", body,
                               {{"Content-Type", "application/json"},
                                {"X-Bitten-Terminal", kTerminal},
                                {"X-Bitten-Timestamp", std::to_string(ts)},
                                {"X-Bitten-Signature", sig}}));
  }

  // Fires every mission at the same moment, one thread and connection each; the answers by
  // mission.
  std::map<std::string, Reply> FireAll(const std::string& user,
                                       const std::vector<std::string>& ids) {
    const std::string token = TokenFor(user);
    std::vector<Reply> replies(ids.size());
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        HttpClient client(http_opts_);
        ++ready;
        while (!go.load()) std::this_thread::yield();
        auto r = client.Send(
            "POST", "/api/fire", json{{"mission_id", ids[i]}}.dump(),
            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
        if (r) replies[i] = Reply{r->status, json::parse(r->body, nullptr, false)};
      });
    }
    while (ready.load() < static_cast<int>(ids.size())) std::this_thread::yield();
    go.store(true);
    for (std::thread& t : threads) t.join();
    std::map<std::string, Reply> out;
    for (std::size_t i = 0; i < ids.size(); ++i) out[ids[i]] = replies[i];
    return out;
  }

  static std::map<std::string, int> Tally(const std::map<std::string, Reply>& replies) {
    std::map<std::string, int> t;
    for (const auto& [id, r] : replies) {
      if (r.status == 202) {
        ++t["accepted"];
      } else if (r.body.is_object() && r.body.contains("error")) {
        ++t[r.body["error"]["code"].get<std::string>()];
      } else {
        ++t["status_" + std::to_string(r.status)];
      }
    }
    return t;
  }

  std::int64_t Count(const std::string& sql) {
    auto db = Reader();
    auto st = store::Statement::Prepare(db->handle(), sql);
    EXPECT_TRUE(st) << st.error().message;
    auto row = st->Step();
    EXPECT_TRUE(row && *row);
    return st->Int(0);
  }

  // Seeds users and the terminal, then restarts so that the missions put in between are loaded.
  std::vector<std::string> StartWithMissions(const std::string& user, int n, double risk) {
    Start();
    Stop();
    std::vector<std::string> ids = PutMissions(user, n, risk);
    Start();
    EXPECT_EQ(Heartbeat(10000).status, 200);
    return ids;
  }

  bitten::testing::TempDir tmp_;
  fs::path db_path_;
  SimClock clock_;
  Config config_;
  std::unique_ptr<Server> server_;
  HttpClientOptions http_opts_;
  std::unique_ptr<HttpClient> http_;
  std::map<std::string, missions::User> users_;
};

TEST_F(CoreRulesTest, SimultaneousFiresNeverExceedTheDailyFireLimit) {
  Fang().fires_per_day = 3;
  Fang().max_open = 50;
  Fang().daily_loss_cap_pct = 100;
  const auto ids = StartWithMissions("fang", 12, 10.0);
  const auto tally = Tally(FireAll("fang", ids));
  EXPECT_EQ(tally.at("accepted"), 3);
  EXPECT_EQ(tally.at("daily_fire_limit"), 9);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 3);
  Reply me = Get("/api/me", "fang");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["limits"]["fires_used"], 3);
  EXPECT_EQ(me.body["limits"]["open"], 3);
  // Every refusal was journaled with its code. A refusal is answered while its journal write is
  // still queued (only an accepted fire commits before its answer), so wait for the writer first:
  // every refusal queued its write before its answer, hence before this barrier.
  ASSERT_TRUE(server_->writer().SubmitAndWait([](store::Txn&) { return Ok(); }));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'fire_refused' AND payload LIKE "
                  "'%daily_fire_limit%'"),
            9);
}

TEST_F(CoreRulesTest, SimultaneousFiresNeverExceedMaxOpenPositions) {
  Fang().fires_per_day = 50;
  Fang().max_open = 2;
  Fang().daily_loss_cap_pct = 100;
  const auto ids = StartWithMissions("fang", 10, 10.0);
  const auto tally = Tally(FireAll("fang", ids));
  EXPECT_EQ(tally.at("accepted"), 2);
  EXPECT_EQ(tally.at("max_open_positions"), 8);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 2);
}

// A terminal whose command queue is full (its EA claims nothing) gets no accepted fire whose
// command could not be queued: the fire is refused before the commit, in words, and nothing of it
// is stored; every fire accepted before is in the store and queued for the terminal.
TEST_F(CoreRulesTest, AFullCommandQueueRefusesTheFireBeforeItsCommit) {
  Fang().fires_per_day = 5000;
  Fang().max_open = 5000;
  Fang().daily_loss_cap_pct = 100;
  constexpr int kQueue = 1000;  // the transports' commands per terminal
  const auto ids = StartWithMissions("fang", kQueue + 1, 0.01);
  const std::string token = TokenFor("fang");
  auto fire = [&](const std::string& id) {
    return ToReply(
        http_->Send("POST", "/api/fire", json{{"mission_id", id}}.dump(),
                    {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}}));
  };
  int accepted = 0;
  for (int i = 0; i < kQueue; ++i) {
    Reply r = fire(ids[static_cast<std::size_t>(i)]);
    if (r.status == 202) ++accepted;
  }
  ASSERT_EQ(accepted, kQueue);  // the simulated clock stands still: the heartbeat stays fresh
  Reply last = fire(ids.back());
  EXPECT_EQ(last.status, 503) << last.body.dump();
  EXPECT_EQ(last.body["error"]["code"], "terminal_offline");
  EXPECT_NE(last.body["error"]["message"].get<std::string>().find("1000 orders waiting"),
            std::string::npos)
      << last.body.dump();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), kQueue);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires WHERE mission_id = '" + ids.back() + "'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM missions WHERE status = 'fired'"), kQueue);
}

TEST_F(CoreRulesTest, SimultaneousFiresNeverExceedTheDailyLossCap) {
  // Cap 8.5 % of 10,000 = 850 USD; each mission risks 300: two fit (600), a third would be 900.
  Fang().fires_per_day = 50;
  Fang().max_open = 50;
  const auto ids = StartWithMissions("fang", 8, 300.0);
  const auto tally = Tally(FireAll("fang", ids));
  EXPECT_EQ(tally.at("accepted"), 2);
  EXPECT_EQ(tally.at("daily_loss_cap"), 6);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 2);
  Reply me = Get("/api/me", "fang");
  EXPECT_DOUBLE_EQ(me.body["limits"]["daily_exposure"].get<double>(), 600.0);
}

// Real fires through POST /api/fire move the group alert's counts: the edit is queued by the
// housekeeping round after the fires (Core::QueueDueAlertEdits, once per signal per round), with
// the counts read from the missions' statuses (store::CountMissionsBySignal), not by each fire's
// own work.
TEST_F(CoreRulesTest, RealFiresEditTheGroupAlertOncePerRoundWithTheirCounts) {
  config_.telegram.group_chat_id = -100555;
  config_.telegram.alert_countdown_s = 0;  // only fires move the alert here
  Start();
  Stop();
  const std::vector<std::string> ids = PutMissions("fang", 3, 1.0);
  std::string signal_id;
  {
    auto db = Reader();
    auto st = store::Statement::Prepare(db->handle(),
                                        "SELECT signal_id FROM missions WHERE mission_id = ?1");
    ASSERT_TRUE(st);
    st->Bind(1, ids[0]);
    auto row = st->Step();
    ASSERT_TRUE(row && *row);
    signal_id = st->Text(0);
  }
  // The alert was sent (its Telegram message id is known), so it can be edited.
  WriteAside([&](store::Txn& txn) { return store::KvSet(txn, "alert_msg:" + signal_id, "42"); });
  Start();
  ASSERT_EQ(Heartbeat(10000).status, 200);
  const auto replies = FireAll("fang", {ids[0], ids[1]});
  ASSERT_EQ(Tally(replies)["accepted"], 2) << replies.begin()->second.body.dump();

  const std::string edits =
      "SELECT COUNT(*) FROM outbox WHERE method = 'editMessageText' AND "
      "dedup_key LIKE 'edit:" +
      signal_id + ":%'";
  const std::string fired2 = edits + " AND dedup_key LIKE 'edit:" + signal_id + ":2:0%'";
  for (int i = 0; i < 100 && Count(fired2) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the next housekeeping round
  }
  ASSERT_EQ(Count(fired2), 1) << "an edit showing 2 fired, 0 filled";
  // One edit per housekeeping round, not one per fire (two rounds if the fires straddled one).
  EXPECT_LE(Count(edits), 2);
  auto db = Reader();
  auto st = store::Statement::Prepare(
      db->handle(),
      "SELECT payload FROM outbox WHERE dedup_key LIKE 'edit:" + signal_id + ":2:0%'");
  ASSERT_TRUE(st);
  auto row = st->Step();
  ASSERT_TRUE(row && *row);
  const json payload = json::parse(st->Text(0));
  EXPECT_EQ(payload["chat_id"], -100555);
  EXPECT_EQ(payload["message_id"], 42);
  EXPECT_NE(payload["text"].get<std::string>().find("🔥 2 fired"), std::string::npos)
      << payload.dump();
}

TEST_F(CoreRulesTest, PauseAndKillPerUserAreStoredJournaledAndRefuseWithKillSwitch) {
  const auto ids = StartWithMissions("fang", 3, 10.0);
  const std::string uid = users_.at("fang").user_id;

  // As `bitten users pause fang` does while the server runs: the core has not heard of it, the
  // fire's store transaction has.
  WriteAside([&](store::Txn& txn) { return store::SetUserPaused(txn, uid, true); });
  auto r = FireAll("fang", {ids[0]});
  EXPECT_EQ(r[ids[0]].status, 403);
  EXPECT_EQ(r[ids[0]].body["error"]["code"], "kill_switch");
  EXPECT_NE(r[ids[0]].body["error"]["message"].get<std::string>().find("paused"),
            std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 0);  // rolled back: no row, no command

  // Through the core (the admin console's path): resume, then kill.
  std::promise<CoreReply> resumed;
  server_->core().SetUserPaused(uid, false, [&](CoreReply c) { resumed.set_value(c); });
  EXPECT_EQ(resumed.get_future().get().status, 200);
  std::promise<CoreReply> killed;
  server_->core().SetUserKilled(uid, true, [&](CoreReply c) { killed.set_value(c); });
  CoreReply k = killed.get_future().get();
  EXPECT_EQ(k.status, 200);
  EXPECT_EQ(k.body["killed"], true);
  r = FireAll("fang", {ids[1]});
  EXPECT_EQ(r[ids[1]].status, 403);
  EXPECT_EQ(r[ids[1]].body["error"]["code"], "kill_switch");
  EXPECT_EQ(Get("/api/me", "fang").body["user"]["killed"], true);
  // Another user is not affected.
  EXPECT_EQ(Get("/api/me", "rival").body["user"]["killed"], false);

  // Persisted: a restart still refuses; lifting it lets the fire through.
  Stop();
  Start();
  ASSERT_EQ(Heartbeat(10000).status, 200);
  r = FireAll("fang", {ids[1]});
  EXPECT_EQ(r[ids[1]].body["error"]["code"], "kill_switch");
  std::promise<CoreReply> lifted;
  server_->core().SetUserKilled(uid, false, [&](CoreReply c) { lifted.set_value(c); });
  EXPECT_EQ(lifted.get_future().get().status, 200);
  r = FireAll("fang", {ids[2]});
  EXPECT_EQ(r[ids[2]].status, 202) << r[ids[2]].body.dump();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type IN ('user_paused', 'user_resumed', "
                  "'user_killed', 'user_kill_lifted')"),
            3);  // the aside write is not journaled by this test; the three core calls are
}

TEST_F(CoreRulesTest, GlobalKillSwitchPersistsAcrossRestart) {
  const auto ids = StartWithMissions("fang", 1, 10.0);
  server_->core().SetKillSwitch(true);
  server_->core().RunSync([] {});
  ASSERT_TRUE(server_->writer().SubmitAndWait([](store::Txn&) { return Ok(); }));
  Stop();
  Start();
  ASSERT_EQ(Heartbeat(10000).status, 200);
  auto r = FireAll("fang", ids);
  EXPECT_EQ(r[ids[0]].status, 403);
  EXPECT_EQ(r[ids[0]].body["error"]["code"], "kill_switch");
}

TEST_F(CoreRulesTest, StatsAndLeaderboardAnswer) {
  StartWithMissions("fang", 1, 10.0);
  Reply stats = Get("/api/stats", "fang");
  ASSERT_EQ(stats.status, 200) << stats.body.dump();
  EXPECT_EQ(stats.body["level"], 1);
  EXPECT_EQ(stats.body["rank"], "RECRUIT");
  EXPECT_EQ(stats.body["stats"]["trades"], 0);
  EXPECT_TRUE(stats.body["stats"]["win_rate"].is_null());
  Reply board = Get("/api/leaderboard?limit=1", "rival");
  ASSERT_EQ(board.status, 200) << board.body.dump();
  EXPECT_EQ(board.body["leaderboard"].size(), 1u);
  EXPECT_EQ(board.body["users"], 2);
  EXPECT_EQ(board.body["you"]["name"], "rival");
  EXPECT_FALSE(board.body["leaderboard"][0].contains("user_id"));
  EXPECT_EQ(Get("/api/leaderboard?limit=0", "rival").status, 400);
  EXPECT_EQ(Get("/api/leaderboard?limit=abc", "rival").status, 400);
  EXPECT_EQ(ToReply(http_->Send("GET", "/api/stats", "", {})).status, 401);
}

TEST_F(CoreRulesTest, ResultsAwardXpOnceAndFeedTheStats) {
  const auto ids = StartWithMissions("fang", 2, 25.0);
  auto fired = FireAll("fang", ids);
  ASSERT_EQ(fired[ids[0]].status, 202) << fired[ids[0]].body.dump();
  ASSERT_EQ(fired[ids[1]].status, 202) << fired[ids[1]].body.dump();
  std::int64_t seq = 0;
  auto record = [&](const std::string& mission_id, bridge::ResultType type) {
    bridge::ResultRecord r;
    r.seq = ++seq;
    r.type = type;
    r.terminal = kTerminal;
    r.fire_id = fired[mission_id].body["fire_id"].get<std::string>();
    r.mission_id = mission_id;
    r.position = 1000 + seq;
    r.symbol = "EURUSD";
    r.side = market::Side::kBuy;
    r.volume = 0.10;
    r.time = clock_.NowMs();
    return r;
  };
  std::vector<bridge::ResultRecord> records;
  bridge::ResultRecord fill = record(ids[0], bridge::ResultType::kFill);
  fill.retcode = 10009;
  fill.price = 1.08500;
  records.push_back(fill);
  bridge::ResultRecord win = record(ids[0], bridge::ResultType::kClose);
  win.price = 1.08875;  // the target: +37.5 pips
  win.profit = 37.50;
  win.reason = "tp";
  records.push_back(win);
  bridge::ResultRecord fill2 = record(ids[1], bridge::ResultType::kFill);
  fill2.retcode = 10009;
  fill2.price = 1.08500;
  records.push_back(fill2);
  bridge::ResultRecord loss = record(ids[1], bridge::ResultType::kClose);
  loss.price = 1.08250;  // the stop: -25 pips
  loss.profit = -25.00;
  loss.reason = "sl";
  records.push_back(loss);
  for (const auto& r : records) {
    Reply rep = Report(r);
    ASSERT_EQ(rep.status, 200) << rep.body.dump();
    EXPECT_EQ(rep.body["accepted"], 1);
  }
  for (const auto& r : records) {  // the same records again: duplicates, no XP twice
    // A resend is a new request signed at a later time: the very same signed request would be
    // refused as a replay (CONTRACTS §3.4), which is not what this checks.
    clock_.Advance(1000);
    Reply rep = Report(r);
    ASSERT_EQ(rep.status, 200) << rep.body.dump();
    EXPECT_EQ(rep.body["duplicates"], 1);
  }
  const std::string uid = users_.at("fang").user_id;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM xp_ledger"), 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM xp_ledger WHERE reason = 'loss_at_stop'"), 1);
  EXPECT_EQ(Count("SELECT xp FROM users WHERE user_id = '" + uid + "'"), 10 + 25 + 10 + 10);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'xp_awarded'"), 4);
  // The fill's XP DM (the user is linked to Telegram); the close's XP rides in the close DM.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'xp:%:fill'"), 2);

  auto check_stats = [&] {
    Reply st = Get("/api/stats", "fang");
    ASSERT_EQ(st.status, 200) << st.body.dump();
    EXPECT_EQ(st.body["xp"], 55);
    EXPECT_EQ(st.body["stats"]["trades"], 2);
    EXPECT_EQ(st.body["stats"]["wins"], 1);
    EXPECT_DOUBLE_EQ(st.body["stats"]["win_rate"].get<double>(), 50.0);
    EXPECT_DOUBLE_EQ(st.body["stats"]["pips"].get<double>(), 12.5);
    EXPECT_DOUBLE_EQ(st.body["stats"]["pnl"].get<double>(), 12.5);
    EXPECT_EQ(st.body["stats"]["best_streak"], 1);
    EXPECT_EQ(st.body["stats"]["by_symbol"]["EURUSD"]["trades"], 2);
    // Today's counters (rebuilt at startup from the day's missions and their fires).
    Reply me = Get("/api/me", "fang");
    ASSERT_EQ(me.status, 200) << me.body.dump();
    EXPECT_EQ(me.body["limits"]["fires_used"], 2);
    EXPECT_DOUBLE_EQ(me.body["limits"]["daily_pnl"].get<double>(), 12.5);
    // Today's finished missions stay listed (reloaded at startup with the live ones), newest
    // first, each with its fire.
    Reply closed = Get("/api/missions?status=closed", "fang");
    ASSERT_EQ(closed.status, 200) << closed.body.dump();
    ASSERT_EQ(closed.body["missions"].size(), 2u) << closed.body.dump();
    EXPECT_EQ(closed.body["missions"][0]["mission_id"], ids[1]);
    EXPECT_EQ(closed.body["missions"][1]["mission_id"], ids[0]);
    Reply one = Get("/api/missions/" + ids[0], "fang");
    ASSERT_EQ(one.status, 200) << one.body.dump();
    EXPECT_EQ(one.body["fire"]["fire_id"], fired[ids[0]].body["fire_id"]) << one.body.dump();
    Reply board = Get("/api/leaderboard", "rival");
    ASSERT_EQ(board.status, 200);
    EXPECT_EQ(board.body["leaderboard"][0]["name"], "fang");
    EXPECT_EQ(board.body["leaderboard"][0]["xp"], 55);
    EXPECT_EQ(board.body["you"]["position"], 2);
    EXPECT_EQ(board.body["users"], 2);
    // The kept leaderboard order equals a sort of every user (XP and P&L moved by the results).
    Status ranked;
    server_->core().RunSync([&] { ranked = server_->core().CheckRanking(); });
    EXPECT_TRUE(ranked) << ranked.error().message;
  };
  check_stats();
  Stop();  // the stats are rebuilt from the store at startup
  Start();
  check_stats();
}

TEST_F(CoreRulesTest, AutoFireFiresEligibleMissionsThroughTheFirePathAndTellsTheTrader) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  // COMMANDER auto-fires at any confidence here, so that the first real signal qualifies; FANG
  // never auto-fires.
  config_.users.push_back({2003, "boss", missions::Tier::kCommander, kTerminal});
  for (missions::TierRules& r : config_.tiers) {
    if (r.tier == missions::Tier::kCommander) r.auto_fire_min_confidence = 0;
  }
  config_.engine.symbols = {"EURUSD"};
  clock_.Set(kDataStart);
  Start();
  auto feed = market::ReplayFeed::Open(file);
  ASSERT_TRUE(feed) << feed.error().message;
  std::string boss_mission;
  bridge::TickBatch batch;
  batch.terminal = kTerminal;
  for (std::size_t sent = 0; sent < 40000 && boss_mission.empty();) {
    auto tick = feed->Next();
    if (!tick) break;
    batch.ticks.push_back(*tick);
    if (batch.ticks.size() < 40) continue;
    sent += batch.ticks.size();
    clock_.Set(batch.ticks.back().time);
    ASSERT_EQ(Heartbeat(10000).status, 200);  // keeps the terminal online on the replayed clock
    const std::string body = bridge::EncodeTickBatch(batch);
    const TimeMs ts = clock_.NowMs();
    const std::string sig = bridge::SignRequest(Raw(kSecretHex), ts, "POST", "/api/ticks", body);
    ASSERT_EQ(ToReply(http_->Send("POST", "/api/ticks", body,
                                  {{"Content-Type", "application/json"},
                                   {"X-Bitten-Terminal", kTerminal},
                                   {"X-Bitten-Timestamp", std::to_string(ts)},
                                   {"X-Bitten-Signature", sig}}))
                  .status,
              200);
    // Let what the batch started (a signal's commit, then its auto-fire) finish on this batch's
    // replayed clock before the next batch moves the clock on by minutes.
    ASSERT_TRUE(server_->writer().SubmitAndWait([](store::Txn&) { return Ok(); }));
    server_->core().RunSync([] {});
    batch.ticks.clear();
    Reply m = Get("/api/missions", "boss");
    if (m.status == 200 && !m.body["missions"].empty()) {
      boss_mission = m.body["missions"][0]["mission_id"].get<std::string>();
    }
  }
  ASSERT_FALSE(boss_mission.empty()) << "no signal in the replayed data";
  // The auto-fire goes through DoFire: a committed fire, the mission fired, the trader told.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Count("SELECT COUNT(*) FROM journal WHERE type = 'auto_fire'") == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires WHERE mission_id = '" + boss_mission + "'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'fire_accepted' AND mission_id = '" +
                  boss_mission + "'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'auto_fire' AND mission_id = '" +
                  boss_mission + "' AND payload LIKE '%\"fired\":true%'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE dedup_key = 'autofire:" + boss_mission + "'"),
            1);
  Reply boss = Get("/api/missions/" + boss_mission, "boss");
  EXPECT_NE(boss.body["status"], "pending") << boss.body.dump();
  EXPECT_FALSE(boss.body["fire"].is_null());
  // A hand fire afterwards is the same fire (one-time lock), never a second order.
  auto again = FireAll("boss", {boss_mission});
  EXPECT_EQ(again[boss_mission].status, 200);
  EXPECT_EQ(again[boss_mission].body["duplicate"], true);
  // FANG's mission of the same signal stays pending: no auto-fire for that tier.
  Reply fang = Get("/api/missions?status=pending", "fang");
  ASSERT_EQ(fang.status, 200);
  EXPECT_EQ(fang.body["missions"].size(), 1u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 1);
}

// The per-user open-positions index (Core::missions_of_user_, docs/performance.md "Fire path"): the
// max_open_positions rule must give the same answers as the walk over every mission it replaced,
// and the index must equal that walk after every way a mission's state moves: fire, fill and
// close, a broker reject, expiry, the restart recovery and the drop of finished missions. The
// same for the indexes that replaced the other walks: held missions per status (/metrics), the
// open exposure per (symbol, side) in mission-id order (CITADEL), and HUD opens per signal (the
// console). Rival's sell missions are created first: their pair sorts after fang's buy pair but
// comes first in the walk's order.
TEST_F(CoreRulesTest, OpenPositionIndexStaysExactThroughCloseRejectExpiryAndRestart) {
  Fang().fires_per_day = 50;
  Fang().max_open = 1;
  Fang().daily_loss_cap_pct = 100;
  Start();
  Stop();
  const auto rival = PutMissions("rival", 2, 10.0, market::Side::kSell);
  const auto ids = PutMissions("fang", 4, 10.0);
  Start();
  ASSERT_EQ(Heartbeat(10000).status, 200);
  auto index_ok = [&] {
    Status s;
    server_->core().RunSync([&] { s = server_->core().CheckMissionIndex(); });
    EXPECT_TRUE(s) << s.error().message;
  };
  auto fire = [&](const std::string& user, const std::string& id) {
    return FireAll(user, {id})[id];
  };
  auto code = [](const Reply& r) {
    return r.body.is_object() && r.body.contains("error") ? r.body["error"].value("code", "")
                                                          : std::to_string(r.status);
  };
  auto open_of = [&](const std::string& user) {
    Reply me = Get("/api/me", user);
    EXPECT_EQ(me.status, 200) << me.body.dump();
    return me.body["limits"]["open"].get<int>();
  };
  std::int64_t seq = 0;
  auto result = [&](const Reply& fired, const std::string& mission_id, bridge::ResultType type) {
    bridge::ResultRecord r;
    r.seq = ++seq;
    r.type = type;
    r.terminal = kTerminal;
    r.fire_id = fired.body["fire_id"].get<std::string>();
    r.mission_id = mission_id;
    r.position = 5000 + seq;
    r.symbol = "EURUSD";
    r.side = market::Side::kBuy;
    r.volume = 0.10;
    r.price = 1.08500;
    r.retcode = type == bridge::ResultType::kFill ? 10009 : 10006;
    r.reason = type == bridge::ResultType::kClose ? "tp" : "rejected by the broker";
    r.time = clock_.NowMs();
    Reply rep = Report(r);
    EXPECT_EQ(rep.status, 200) << rep.body.dump();
  };
  index_ok();
  auto signal_of = [&](const std::string& user, const std::string& mission_id) {
    return Get("/api/missions/" + mission_id, user).body.value("signal_id", "");
  };
  auto missions_metric = [&](const std::string& status) {
    auto r = http_->Send("GET", "/metrics", "", {});
    EXPECT_TRUE(r);
    if (!r) return -1.0;
    const std::string key = "bitten_missions{status=\"" + status + "\"} ";
    const auto at = r->body.find(key);
    return at == std::string::npos ? 0.0 : std::stod(r->body.substr(at + key.size()));
  };
  EXPECT_EQ(missions_metric("pending"), 6.0);
  EXPECT_EQ(missions_metric("fired"), 0.0);
  // Opening a mission by its signal (the group alert's button) is counted once per mission.
  for (int i = 0; i < 2; ++i) {
    const Reply opened = Get("/api/signals/" + signal_of("fang", ids[0]) + "/mission", "fang");
    ASSERT_EQ(opened.status, 200) << opened.body.dump();
    EXPECT_EQ(opened.body["user_id"], users_.at("fang").user_id);
  }
  EXPECT_EQ(Get("/api/signals/" + signal_of("rival", rival[0]) + "/mission", "rival").status, 200);
  EXPECT_EQ(Get("/api/signals/" + signal_of("rival", rival[0]) + "/mission", "fang").status,
            404);  // fang holds no mission of rival's signal
  index_ok();

  // Another user's open position does not count for fang.
  const Reply r0 = fire("rival", rival[0]);
  ASSERT_EQ(r0.status, 202) << r0.body.dump();
  const Reply f0 = fire("fang", ids[0]);
  ASSERT_EQ(f0.status, 202) << f0.body.dump();
  EXPECT_EQ(code(fire("fang", ids[1])), "max_open_positions");
  EXPECT_EQ(open_of("fang"), 1);
  EXPECT_EQ(missions_metric("pending"), 4.0);
  EXPECT_EQ(missions_metric("fired"), 2.0);
  {
    std::vector<venom::citadel::OpenPosition> exposure;
    server_->core().RunSync([&] { exposure = server_->core().OpenExposure(); });
    ASSERT_EQ(exposure.size(), 2u);
    EXPECT_EQ(exposure[0].side, market::Side::kSell);  // rival's, the lower mission id
    EXPECT_EQ(exposure[1].side, market::Side::kBuy);
  }
  index_ok();

  // Filled, then closed: no longer open.
  result(f0, ids[0], bridge::ResultType::kFill);
  EXPECT_EQ(code(fire("fang", ids[1])), "max_open_positions");
  result(f0, ids[0], bridge::ResultType::kClose);
  EXPECT_EQ(open_of("fang"), 0);
  const Reply f1 = fire("fang", ids[1]);
  ASSERT_EQ(f1.status, 202) << f1.body.dump();
  index_ok();

  // Rejected by the broker (the order never existed): no longer open.
  result(f1, ids[1], bridge::ResultType::kReject);
  EXPECT_EQ(open_of("fang"), 0);
  const Reply f2 = fire("fang", ids[2]);
  ASSERT_EQ(f2.status, 202) << f2.body.dump();
  EXPECT_EQ(open_of("fang"), 1);
  index_ok();

  // Restart: the recovered missions rebuild the index; fang's open position still counts.
  Stop();
  Start();
  ASSERT_EQ(Heartbeat(10000).status, 200);
  index_ok();
  EXPECT_EQ(open_of("fang"), 1);
  EXPECT_EQ(open_of("rival"), 1);
  EXPECT_EQ(code(fire("fang", ids[3])), "max_open_positions");

  // Expiry (housekeeping marks the pending missions expired): status moves, the index holds.
  clock_.Advance(16 * 60'000);
  ASSERT_EQ(Heartbeat(10000).status, 200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Get("/api/missions/" + ids[3], "fang").body.value("status", "") != "expired" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Get("/api/missions/" + ids[3], "fang").body.value("status", ""), "expired");
  EXPECT_EQ(open_of("fang"), 1);
  index_ok();

  // A day later housekeeping drops the finished missions (closed, rejected, expired); the open
  // ones stay held and indexed.
  clock_.Advance(25 * 3600 * 1000);
  auto held = [&](const std::string& user) {
    std::promise<CoreReply> p;
    server_->core().ListMissions(Principal{0, users_.at(user).user_id}, "",
                                 [&p](CoreReply r) { p.set_value(std::move(r)); });
    return p.get_future().get().body["missions"].size();
  };
  const auto drop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (held("fang") != 1u && std::chrono::steady_clock::now() < drop_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(held("fang"), 1u);   // ids[2], fired and never closed
  EXPECT_EQ(held("rival"), 1u);  // rival[0], likewise; rival[1] expired and was dropped
  index_ok();
}

}  // namespace
}  // namespace bitten::app
