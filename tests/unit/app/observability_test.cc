// GET /metrics scraped over real HTTP from a real app::Server (temp SQLite file, temp terminal
// folder), and startup recovery from a store file prepared as a crash would leave it: a fire
// committed but never delivered, a fire already delivered, a mission whose expiry passed while the
// server was down. The store is seeded through the store API (users, one signal, pending missions)
// before the server starts; the terminal's heartbeat is handed to the core as the bridge would.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/core.h"
#include "app/dev_login.h"
#include "app/http_client.h"
#include "app/metrics.h"
#include "app/server.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/uuid.h"
#include "bridge/codec.h"
#include "common/paths.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/fires.h"
#include "store/journal.h"
#include "store/missions.h"
#include "store/signals.h"
#include "store/statement.h"
#include "store/users.h"
#include "store/writer.h"
#include "venom/signal.h"

namespace bitten::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTerminal[] = "t1";
constexpr char kSecretHex[] = "6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677";
constexpr char kDevSecretHex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

std::string Raw(const char* hex) { return *FromHex(hex); }

// The value of one sample line of a Prometheus exposition ("name{labels} value"), or -1.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class ObservabilityTest : public ::testing::Test {
 protected:
  ObservabilityTest() {
    db_path_ = tmp_.path() / "bitten.sqlite";
    terminal_dir_ = tmp_.path() / "t1";
    config_.server.address = "127.0.0.1";
    config_.server.port = 0;
    config_.store.path = db_path_.string();
    config_.auth.dev_login = true;
    config_.auth.dev_login_secret_hex = kDevSecretHex;
    config_.engine.symbols = {"GBPUSD"};
    config_.terminals.push_back({kTerminal, kSecretHex, terminal_dir_.string(), 30000});
  }
  ~ObservabilityTest() override {
    if (server_) server_->Stop();
  }

  // One user on t1, one signal, `n` pending EURUSD missions expiring at `expires_at`.
  std::vector<std::string> Seed(int n, TimeMs expires_at) {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadWrite);
    EXPECT_TRUE(db);
    store::Writer writer(std::move(*db), clock_);
    const TimeMs now = clock_.NowMs();
    venom::Signal s;
    s.signal_id = "sig-" + NewUuidV7(clock_);
    s.symbol = "EURUSD";
    s.setup = "test";
    s.bar_time = now;
    s.entry = 1.085;
    s.sl = 1.08;
    s.tp = 1.095;
    s.digits = 5;
    s.sl_pips = 50;
    s.tp_pips = 100;
    s.confidence = 80;
    s.shield.score = 7;
    s.shield.band = venom::BandForScore(7);
    s.created_at = now;
    s.expires_at = expires_at;
    s.signal_hash = s.signal_id;
    if (user_id_.empty()) {
      user_.user_id = NewUuidV7(clock_);
      user_.name = "alice";
      user_.tier = missions::Tier::kCommander;
      user_.terminal_id = kTerminal;
      user_.created_at = now;
    }
    std::vector<missions::Mission> ms;
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      missions::Mission m;
      m.mission_id = NewUuidV7(clock_);
      m.signal_id = s.signal_id;
      m.user_id = user_.user_id;
      m.symbol = s.symbol;
      m.entry = s.entry;
      m.sl = s.sl;
      m.tp = s.tp;
      m.sl_pips = s.sl_pips;
      m.tp_pips = s.tp_pips;
      m.lots = 0.01;
      m.risk_money = 5;
      m.reward_money = 10;
      m.created_at = now;
      m.expires_at = expires_at;
      ids.push_back(m.mission_id);
      ms.push_back(m);
    }
    const bool new_user = user_id_.empty();
    Status st = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
      auto ins = store::InsertSignal(txn, s);
      if (!ins) return tl::unexpected(ins.error());
      if (new_user) {
        if (Status u = store::InsertUser(txn, user_); !u) return u;
      }
      return store::InsertMissions(txn, ms);
    });
    EXPECT_TRUE(st) << st.error().message;
    user_id_ = user_.user_id;
    return ids;
  }

  void Start() {
    auto server = Server::Start(config_, clock_);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    http_ = std::make_unique<HttpClient>(
        HttpClientOptions{"http://127.0.0.1:" + std::to_string(server_->port()), 2000, 10000});
  }
  void Stop() {
    server_->Stop();
    server_.reset();
  }

  void Heartbeat() {
    bridge::Heartbeat hb;
    hb.terminal = kTerminal;
    hb.time = clock_.NowMs();
    hb.currency = "USD";
    hb.balance = hb.equity = hb.margin_free = 10000;
    hb.leverage = 100;
    hb.connected = true;
    hb.trade_allowed = true;
    server_->core().OnHeartbeat(kTerminal, hb);
    server_->core().RunSync([] {});
  }

  HttpResponse Fire(const std::string& mission_id) {
    const std::string token =
        MintDevToken(Raw(kDevSecretHex), user_id_, clock_.NowMs() + 3600 * 1000);
    auto r =
        http_->Send("POST", "/api/fire", json{{"mission_id", mission_id}}.dump(),
                    {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : HttpResponse{};
  }

  std::string Scrape() {
    auto r = http_->Send("GET", "/metrics", "", {});
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    return r ? r->body : "";
  }

  std::optional<bridge::FireCommand> WaitForCommand() {
    for (int i = 0; i < 500; ++i) {
      if (fs::exists(terminal_dir_ / "fire.txt")) {
        std::ifstream in(terminal_dir_ / "fire.txt", std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        auto cmd = bridge::ParseFireCommand(text, Raw(kSecretHex));
        if (cmd) return *cmd;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  testing::TempDir tmp_;
  fs::path db_path_, terminal_dir_;
  Config config_;
  RealClock clock_;
  missions::User user_;
  std::string user_id_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(ObservabilityTest, MetricsCountFiresByOutcomeAndStoreCommits) {
  const auto missions = Seed(2, clock_.NowMs() + 3600 * 1000);
  Start();
  const std::string before = Scrape();
  EXPECT_EQ(Sample(before, "bitten_fire_latency_seconds_count"), 0);
  EXPECT_EQ(Sample(before, "bitten_terminals_online"), 0);
  EXPECT_EQ(Sample(before, "bitten_users"), 1);
  EXPECT_EQ(Sample(before, "bitten_store_healthy"), 1);
  EXPECT_EQ(Sample(before, "bitten_missions{status=\"pending\"}"), 2);

  // Terminal offline: a refusal with its code.
  EXPECT_EQ(Fire(missions[0]).status, 503);
  Heartbeat();
  EXPECT_EQ(Fire(missions[0]).status, 202);
  EXPECT_EQ(Fire(missions[0]).status, 200);  // the same fire again: duplicate
  EXPECT_EQ(Fire(NewUuidV7(clock_)).status, 404);

  const std::string after = Scrape();
  EXPECT_EQ(Sample(after, "bitten_fires_total{outcome=\"accepted\"}"), 1) << after;
  EXPECT_EQ(Sample(after, "bitten_fires_total{outcome=\"duplicate\"}"), 1);
  EXPECT_EQ(Sample(after, "bitten_fires_total{outcome=\"terminal_offline\"}"), 1);
  EXPECT_EQ(Sample(after, "bitten_fires_total{outcome=\"mission_not_found\"}"), 1);
  EXPECT_EQ(Sample(after, "bitten_fire_latency_seconds_count"), 4);
  EXPECT_GT(Sample(after, "bitten_fire_latency_seconds_sum"), 0);
  EXPECT_EQ(Sample(after, "bitten_fire_latency_seconds_bucket{le=\"+Inf\"}"), 4);
  // The accepted fire and the refusals' journal events were committed.
  EXPECT_GE(Sample(after, "bitten_store_commits_total"), 2);
  EXPECT_GE(Sample(after, "bitten_store_batch_works_count"), 2);
  EXPECT_GE(Sample(after, "bitten_store_commit_seconds_count"), 2);
  EXPECT_GE(Sample(after, "bitten_store_works_total"), Sample(after, "bitten_store_commits_total"));
  EXPECT_EQ(Sample(after, "bitten_terminals_online"), 1);
  EXPECT_EQ(Sample(after, "bitten_terminal_online{terminal=\"t1\"}"), 1);
  EXPECT_EQ(Sample(after, "bitten_missions{status=\"fired\"}"), 1);
  EXPECT_EQ(Sample(after, "bitten_missions{status=\"pending\"}"), 1);
  EXPECT_GE(Sample(after, "bitten_store_queue_depth"), 0);
  EXPECT_GE(Sample(after, "bitten_outbox_depth"), 0);
  EXPECT_EQ(Sample(after, "bitten_sse_streams"), 0);
  EXPECT_EQ(Sample(after, "bitten_signals_total"), 0);
  // The command for the accepted fire is written and counted until the terminal claims it.
  ASSERT_TRUE(WaitForCommand());
  EXPECT_EQ(Sample(Scrape(), "bitten_terminal_command_queue{terminal=\"t1\"}"), 1);
  EXPECT_NE(after.find("# TYPE bitten_fire_latency_seconds histogram"), std::string::npos);
}

TEST_F(ObservabilityTest, FireOutcomeNamesAcceptedDuplicateAndRefusalCodes) {
  EXPECT_EQ(Metrics::FireOutcome(202, "", false), "accepted");
  EXPECT_EQ(Metrics::FireOutcome(200, "", true), "duplicate");
  EXPECT_EQ(Metrics::FireOutcome(409, "daily_fire_limit", false), "daily_fire_limit");
  EXPECT_EQ(Metrics::FireOutcome(500, "", false), "http_500");
}

// Startup recovery (ARCHITECTURE invariant 1, issue 4): what was committed is delivered again,
// what expired while the server was down is expired, nothing is lost or doubled.
TEST_F(ObservabilityTest, RecoveryRedeliversCommittedFiresAndExpiresOverdueMissions) {
  const auto live = Seed(2, clock_.NowMs() + 3600 * 1000);
  const auto overdue = Seed(1, clock_.NowMs() + 1500);
  Start();
  Heartbeat();
  const HttpResponse fired = Fire(live[0]);
  ASSERT_EQ(fired.status, 202) << fired.body;
  const std::string fire_id = json::parse(fired.body)["fire_id"];
  auto cmd = WaitForCommand();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->fire_id, fire_id);
  // A crash: the command file is lost before the terminal claimed it (the fire row is committed,
  // delivered_at is empty). The server stops; the overdue mission's expiry passes while it is down.
  Stop();
  fs::remove(terminal_dir_ / "fire.txt");
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  Start();

  // The committed fire is delivered again, under its own fire_id (the terminal dedups by it).
  auto again = WaitForCommand();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->fire_id, fire_id);
  EXPECT_EQ(again->mission_id, live[0]);

  auto db = store::Database::Open(db_path_, store::OpenMode::kReadOnly);
  ASSERT_TRUE(db);
  // The overdue mission was expired at startup and journaled as such.
  auto m = store::GetMission(**db, overdue[0]);
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->status, missions::MissionStatus::kExpired);
  auto events = store::TraceJournal(**db, overdue[0]);
  ASSERT_TRUE(events) << events.error().message;
  int expired_events = 0;
  for (const store::JournalEvent& je : *events) {
    if (je.event.type == "mission_expired") {
      ++expired_events;
      EXPECT_EQ(je.event.payload.value("found_at", ""), "startup");
    }
  }
  EXPECT_EQ(expired_events, 1);
  // Nothing doubled: one fire row; firing again answers the same fire; the untouched mission is
  // still pending and can be fired once.
  auto f = store::GetFireByMission(**db, live[0]);
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->fire_id, fire_id);
  auto undelivered = store::ListUndeliveredFires(**db);
  ASSERT_TRUE(undelivered);
  EXPECT_EQ(undelivered->size(), 1u);
  Heartbeat();
  const HttpResponse dup = Fire(live[0]);
  EXPECT_EQ(dup.status, 200);
  EXPECT_EQ(json::parse(dup.body)["fire_id"], fire_id);
  EXPECT_EQ(Fire(overdue[0]).status, 410);
  auto p = store::GetMission(**db, live[1]);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->status, missions::MissionStatus::kPending);
}

}  // namespace
}  // namespace bitten::app
