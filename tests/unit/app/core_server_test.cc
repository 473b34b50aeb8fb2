// The walking skeleton end to end, in one process: a real app::Server on an ephemeral port with a
// temp SQLite file, a temp terminal folder, Telegram off (outbox to the log), dev login on, and a
// SimClock the test moves. The test drives it only as its outside world would: signed HTTP from the
// terminal (ticks replayed from real market data, heartbeats, reports), HUD calls with dev tokens,
// and the terminal folder (fire.txt, trade_result.txt). What is durable is checked through a
// read-only connection to the same database. Settle() waits for the core and the store writer
// instead of sleeping.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/bot_backend.h"
#include "app/config.h"
#include "app/dev_login.h"
#include "app/http_client.h"
#include "app/server.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "bridge/codec.h"
#include "common/paths.h"
#include "common/results.h"
#include "market/replay_feed.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/fires.h"
#include "store/journal.h"
#include "store/kv.h"
#include "store/missions.h"
#include "store/statement.h"
#include "store/users.h"

namespace bitten::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTerminal[] = "t1";
// Test-only secrets (32 bytes each, hex).
constexpr char kSecretHex[] = "6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677";
constexpr char kDevSecretHex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kMarketFile[] = "EURUSD_M1_bidask_oanda-lean_2014-05.csv";
// 2014-05-01 00:00:00 UTC, the first bar of the market file.
constexpr TimeMs kDataStart = 1398902400000;

struct Reply {
  int status = 0;
  json body;
};

std::string Raw(const char* hex) { return *FromHex(hex); }

// A raw event-stream client: opens GET /api/events and collects everything the server writes.
class SseClient {
 public:
  SseClient(std::uint16_t port, const std::string& authorization) {
    thread_ = std::thread([this, port, authorization] {
      namespace asio = boost::asio;
      asio::io_context io;
      asio::ip::tcp::socket sock(io);
      boost::system::error_code ec;
      sock.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
      if (ec) return;
      const std::string req =
          "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          "Accept: text/event-stream\r\nAuthorization: " +
          authorization + "\r\n\r\n";
      asio::write(sock, asio::buffer(req), ec);
      sock.non_blocking(true);
      char buf[4096];
      while (!stop_.load()) {
        const std::size_t n = sock.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        if (ec) break;
        std::lock_guard lock(mu_);
        text_.append(buf, n);
      }
    });
  }
  ~SseClient() {
    stop_.store(true);
    thread_.join();
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }
  bool WaitFor(const std::string& needle, int timeout_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (text().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string text_;
  std::thread thread_;
};

class CoreServerTest : public ::testing::Test {
 protected:
  CoreServerTest() : clock_(kDataStart) {
    db_path_ = tmp_.path() / "bitten.sqlite";
    terminal_dir_ = tmp_.path() / "t1";
    config_.server.address = "127.0.0.1";
    config_.server.port = 0;
    config_.server.web_root = (bitten::testing::SourceDir() / "web").string();
    config_.store.path = db_path_.string();
    config_.auth.dev_login = true;
    config_.auth.dev_login_secret_hex = kDevSecretHex;
    config_.engine.symbols = {"EURUSD"};
    config_.terminals.push_back({kTerminal, kSecretHex, terminal_dir_.string(), 30000});
    config_.users.push_back({1001, "alice", missions::Tier::kCommander, kTerminal});
    config_.users.push_back({1002, "bob", missions::Tier::kPressPass, kTerminal});
    config_.users.push_back({1003, "carol", missions::Tier::kFang, ""});
    config_.users.push_back({1004, "dave", missions::Tier::kCommander, kTerminal});
    // Not linked to Telegram yet (no DM; links through the bot's /start).
    config_.users.push_back({0, "erin", missions::Tier::kCommander, kTerminal});
  }

  ~CoreServerTest() override { StopServer(); }

  void StartServer() {
    auto server = Server::Start(config_, clock_);
    ASSERT_TRUE(server) << server.error().code << ": " << server.error().message;
    server_ = std::move(*server);
    http_ = std::make_unique<HttpClient>(
        HttpClientOptions{"http://127.0.0.1:" + std::to_string(server_->port()), 2000, 20000});
    auto db = OpenDb();
    auto users = store::ListUsers(*db);
    ASSERT_TRUE(users);
    for (const missions::User& u : *users) user_ids_[u.name] = u.user_id;
  }

  void StopServer() {
    if (server_) server_->Stop();
    server_.reset();
  }

  std::unique_ptr<store::Database> OpenDb() {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadOnly);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }

  // Waits until everything posted to the core and submitted to the writer so far is done.
  void Settle() {
    for (int i = 0; i < 3; ++i) {
      server_->core().RunSync([] {});
      ASSERT_TRUE(server_->writer().SubmitAndWait([](store::Txn&) { return Ok(); }));
    }
    server_->core().RunSync([] {});
  }

  static Reply ToReply(const Result<HttpResponse>& r) {
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    Reply out{r->status, json::parse(r->body, nullptr, false)};
    return out;
  }

  // --- The terminal ---
  Reply PostSigned(const std::string& path, const std::string& body,
                   std::optional<std::string> signature = std::nullopt) {
    const TimeMs ts = clock_.NowMs();
    const std::string sig =
        signature ? *signature : bridge::SignRequest(Raw(kSecretHex), ts, "POST", path, body);
    HttpHeaders h = {{"Content-Type", "application/json"},
                     {"X-Bitten-Terminal", kTerminal},
                     {"X-Bitten-Timestamp", std::to_string(ts)},
                     {"X-Bitten-Signature", sig}};
    return ToReply(http_->Send("POST", path, body, h));
  }

  Reply PostHeartbeat(double balance = 10000) {
    bridge::Heartbeat hb;
    hb.terminal = kTerminal;
    hb.time = clock_.NowMs();
    hb.login = 51234567;
    hb.server = "Broker-Demo";
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
    return PostSigned("/api/heartbeat", body);
  }

  // Replays the real market file through POST /api/ticks, the SimClock following the ticks, until
  // the first signal's missions exist. Returns the signal id ("" when the data ran out).
  std::string FeedUntilSignal(std::size_t max_ticks = 40000) {
    if (!feed_) {
      const fs::path file = bitten::testing::MarketDataDir() / kMarketFile;
      auto feed = market::ReplayFeed::Open(file);
      EXPECT_TRUE(feed) << feed.error().message;
      if (!feed) return "";
      feed_.emplace(std::move(*feed));
    }
    std::size_t sent = 0;
    bridge::TickBatch batch;
    batch.terminal = kTerminal;
    while (sent < max_ticks) {
      auto tick = feed_->Next();
      if (!tick) break;
      batch.ticks.push_back(*tick);
      if (batch.ticks.size() < 40) continue;
      sent += batch.ticks.size();
      clock_.Set(batch.ticks.back().time);
      Reply r = PostSigned("/api/ticks", bridge::EncodeTickBatch(batch));
      EXPECT_EQ(r.status, 200) << r.body.dump();
      batch.ticks.clear();
      Settle();
      Reply m = Get("/api/missions?status=active", "alice");
      if (m.status == 200 && !m.body["missions"].empty()) {
        return m.body["missions"][0]["signal_id"].get<std::string>();
      }
    }
    return "";
  }

  // --- Users ---
  std::string TokenFor(const std::string& name) {
    return MintDevToken(Raw(kDevSecretHex), user_ids_.at(name), clock_.NowMs() + 24 * 3600 * 1000);
  }
  // One sample of /metrics (Prometheus text), e.g. "bitten_store_batch_works_sum"; -1 if absent.
  double MetricValue(const std::string& name) {
    auto r = http_->Send("GET", "/metrics", "", {});
    if (!r) return -1;
    std::istringstream in(r->body);
    for (std::string l; std::getline(in, l);) {
      if (l.rfind(name + " ", 0) == 0) return std::stod(l.substr(name.size() + 1));
    }
    return -1;
  }

  Reply Get(const std::string& path, const std::string& user) {
    return ToReply(http_->Send("GET", path, "", {{"Authorization", "Bearer " + TokenFor(user)}}));
  }
  Reply PostFire(const std::string& mission_id, const std::string& user) {
    return ToReply(http_->Send(
        "POST", "/api/fire", json{{"mission_id", mission_id}}.dump(),
        {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + TokenFor(user)}}));
  }
  json MissionOf(const std::string& signal_id, const std::string& user) {
    Reply r = Get("/api/signals/" + signal_id + "/mission", user);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body;
  }

  bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  // Files in the terminal folder whose name starts with "fire.".
  std::vector<std::string> FireFiles() {
    std::vector<std::string> out;
    if (!fs::exists(terminal_dir_)) return out;
    for (const auto& e : fs::directory_iterator(terminal_dir_)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("fire.", 0) == 0) out.push_back(name);
    }
    return out;
  }

  std::string Text(const std::string& sql) {
    auto db = OpenDb();
    auto st = store::Statement::Prepare(db->handle(), sql);
    EXPECT_TRUE(st) << st.error().message;
    auto row = st->Step();
    if (!row || !*row) return "";
    return st->Text(0);
  }

  std::int64_t Count(const std::string& sql) {
    auto db = OpenDb();
    auto st = store::Statement::Prepare(db->handle(), sql);
    EXPECT_TRUE(st) << st.error().message;
    auto row = st->Step();
    EXPECT_TRUE(row && *row);
    return st->Int(0);
  }

  // Starts the server, sends a heartbeat (so accounts are known) and replays until the first
  // signal.
  std::string SignalReady() {
    StartServer();
    if (HasFailure()) return "";
    EXPECT_EQ(PostHeartbeat().status, 200);
    std::string signal_id = FeedUntilSignal();
    EXPECT_FALSE(signal_id.empty()) << "no signal in the replayed data";
    return signal_id;
  }

  bitten::testing::TempDir tmp_;
  fs::path db_path_;
  fs::path terminal_dir_;
  SimClock clock_;
  Config config_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpClient> http_;
  std::optional<market::ReplayFeed> feed_;
  std::map<std::string, std::string> user_ids_;
};

TEST_F(CoreServerTest, HealthzAndStatusAnswer) {
  StartServer();
  auto r = http_->Send("GET", "/healthz", "", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), (json{{"ok", true}}));
  auto s = http_->Send("GET", "/status", "", {});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 200);
  EXPECT_NE(s->body.find("BITTEN status"), std::string::npos);
  EXPECT_NE(s->body.find("t1"), std::string::npos);
}

TEST_F(CoreServerTest, SignalFromRealTicksBecomesAMissionForEveryUser) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());

  // Every tier sees every signal: one mission per user, each only for its owner.
  std::set<std::string> mission_ids;
  for (const char* name : {"alice", "bob", "carol", "dave", "erin"}) {
    json m = MissionOf(signal_id, name);
    EXPECT_EQ(m["signal_id"], signal_id);
    EXPECT_EQ(m["user_id"], user_ids_[name]);
    EXPECT_EQ(m["status"], "pending");
    mission_ids.insert(m["mission_id"].get<std::string>());
  }
  EXPECT_EQ(mission_ids.size(), 5u);
  json alice = MissionOf(signal_id, "alice");
  EXPECT_TRUE(alice["can_fire"].get<bool>()) << alice.dump();
  EXPECT_GT(alice["lots"].get<double>(), 0);
  json carol = MissionOf(signal_id, "carol");  // FANG without a terminal
  EXPECT_FALSE(carol["can_fire"].get<bool>());
  EXPECT_EQ(carol["blocked"]["code"], "no_terminal");

  // Durable, journaled once, and the chain verifies.
  auto db = OpenDb();
  auto trace = store::TraceJournal(*db, signal_id);
  ASSERT_TRUE(trace);
  std::map<std::string, int> types;
  for (const auto& e : *trace) ++types[e.event.type];
  EXPECT_EQ(types["signal_emitted"], 1);
  EXPECT_EQ(types["missions_built"], 1);
  EXPECT_EQ(types["alert_queued"], 1);
  auto verify = store::VerifyJournal(*db);
  ASSERT_TRUE(verify);
  EXPECT_TRUE(verify->ok) << verify->message;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM signals"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM missions"), 5);
  // One DM per linked user (erin has no Telegram account yet).
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'dm:%'"), 4);

  // /api/me shows real limits and the terminal.
  Reply me = Get("/api/me", "alice");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["user"]["tier"], "COMMANDER");
  EXPECT_EQ(me.body["limits"]["fires_allowed"], 20);
  EXPECT_EQ(me.body["terminal"]["terminal_id"], "t1");
}

TEST_F(CoreServerTest, FireIsAcknowledgedOnlyAfterCommitThenTheCommandIsWritten) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  const std::string mission_id = MissionOf(signal_id, "alice")["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);
  EXPECT_TRUE(FireFiles().empty());

  Reply r = PostFire(mission_id, "alice");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  const std::string fire_id = r.body["fire_id"];
  EXPECT_EQ(r.body["mission_id"], mission_id);
  EXPECT_EQ(r.body["status"], "fired");
  EXPECT_EQ(r.body["fired_at"], clock_.NowMs());

  // 202 means durable: the fire row and its journal event are committed already.
  {
    auto db = OpenDb();
    auto fire = store::GetFireByMission(*db, mission_id);
    ASSERT_TRUE(fire && *fire);
    EXPECT_EQ((*fire)->fire_id, fire_id);
    auto trace = store::TraceJournal(*db, fire_id);
    ASSERT_TRUE(trace);
    ASSERT_FALSE(trace->empty());
    EXPECT_EQ(trace->front().event.type, "fire_accepted");
  }
  // Then the command: signed with the terminal's secret, expiring with the mission.
  const fs::path fire_txt = terminal_dir_ / "fire.txt";
  ASSERT_TRUE(WaitFor([&] { return fs::exists(fire_txt); }));
  std::ifstream in(fire_txt, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto cmd = bridge::ParseFireCommand(text, Raw(kSecretHex));
  ASSERT_TRUE(cmd) << cmd.error().message;
  json mission = MissionOf(signal_id, "alice");
  EXPECT_EQ(cmd->fire_id, fire_id);
  EXPECT_EQ(cmd->mission_id, mission_id);
  EXPECT_EQ(cmd->symbol, "EURUSD");
  EXPECT_EQ(cmd->expires_at, mission["expires_at"].get<TimeMs>());
  EXPECT_EQ(cmd->comment, "BITTEN " + fire_id.substr(0, 8));
  EXPECT_DOUBLE_EQ(cmd->volume, mission["lots"].get<double>());
  EXPECT_EQ(mission["status"], "fired");

  // A repeat is the same fire, never a second order.
  Reply again = PostFire(mission_id, "alice");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["fire_id"], fire_id);
  EXPECT_EQ(again.body["duplicate"], true);
  Settle();
  EXPECT_EQ(FireFiles(), std::vector<std::string>{"fire.txt"});

  // The terminal claims it: delivered.
  fs::rename(fire_txt, terminal_dir_ / ("fire." + fire_id + ".claimed"));
  EXPECT_TRUE(WaitFor([&] { return MissionOf(signal_id, "alice")["status"] == "delivered"; }));
}

TEST_F(CoreServerTest, TwentyConcurrentFiresOfOneMissionMakeExactlyOneCommand) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  const std::string mission_id = MissionOf(signal_id, "dave")["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);

  constexpr int kFires = 20;
  std::vector<Reply> replies(kFires);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kFires; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      replies[i] = PostFire(mission_id, "dave");
    });
  }
  go.store(true);
  for (auto& t : threads) t.join();

  int accepted = 0, duplicates = 0;
  std::set<std::string> fire_ids;
  for (const Reply& r : replies) {
    if (r.status == 202) ++accepted;
    if (r.status == 200 && r.body["duplicate"] == true) ++duplicates;
    fire_ids.insert(r.body.value("fire_id", std::string("?")));
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(duplicates, kFires - 1);
  EXPECT_EQ(fire_ids.size(), 1u) << "every answer names the same fire";
  // How many of the duplicates the store's UNIQUE(mission_id) settled (the rest found the committed
  // fire in the core): informative, the timing decides.
  std::promise<std::int64_t> by_lock;
  server_->core().Snapshot([&](CoreSnapshot s) { by_lock.set_value(s.fires_settled_by_lock); });
  RecordProperty("fires_settled_by_lock", static_cast<int>(by_lock.get_future().get()));

  ASSERT_TRUE(WaitFor([&] { return fs::exists(terminal_dir_ / "fire.txt"); }));
  Settle();
  EXPECT_EQ(FireFiles(), std::vector<std::string>{"fire.txt"});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'fire_accepted'"), 1);
  // The terminal claims the one command: nothing else is queued behind it.
  std::ifstream in(terminal_dir_ / "fire.txt", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  fs::rename(terminal_dir_ / "fire.txt",
             terminal_dir_ / ("fire." + *fire_ids.begin() + ".claimed"));
  EXPECT_TRUE(WaitFor([&] { return MissionOf(signal_id, "dave")["status"] == "delivered"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a second command would show now
  EXPECT_FALSE(fs::exists(terminal_dir_ / "fire.txt"));
}

TEST_F(CoreServerTest, ExpiredMissionIsRefusedWith410AndJournaled) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  json mission = MissionOf(signal_id, "alice");
  clock_.Set(mission["expires_at"].get<TimeMs>());  // expiry is inclusive
  ASSERT_EQ(PostHeartbeat().status, 200);
  Reply r = PostFire(mission["mission_id"], "alice");
  EXPECT_EQ(r.status, 410) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "mission_expired");
  Settle();
  EXPECT_TRUE(FireFiles().empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 0);
  EXPECT_GE(Count("SELECT COUNT(*) FROM journal WHERE type = 'fire_refused'"), 1);
  // The housekeeping timer marks it expired in the store too (journaled).
  EXPECT_TRUE(WaitFor(
      [&] { return Count("SELECT COUNT(*) FROM journal WHERE type = 'mission_expired'") >= 1; }));
}

TEST_F(CoreServerTest, StaleOrMissingHeartbeatIsRefusedWith503) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  ASSERT_EQ(PostHeartbeat().status, 200);
  clock_.Advance(30001);  // one ms past the 30 s TTL
  Reply r = PostFire(MissionOf(signal_id, "alice")["mission_id"], "alice");
  EXPECT_EQ(r.status, 503) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "terminal_offline");
  // A user without a terminal.
  Reply c = PostFire(MissionOf(signal_id, "carol")["mission_id"], "carol");
  EXPECT_EQ(c.status, 503) << c.body.dump();
  EXPECT_EQ(c.body["error"]["code"], "no_terminal");
  Settle();
  EXPECT_TRUE(FireFiles().empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 0);
}

TEST_F(CoreServerTest, IdentityIsProvenAndMissionsArePrivate) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  const std::string dave_mission = MissionOf(signal_id, "dave")["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);

  // Another user's mission does not exist for the caller.
  Reply get = Get("/api/missions/" + dave_mission, "alice");
  EXPECT_EQ(get.status, 404);
  EXPECT_EQ(get.body["error"]["code"], "mission_not_found");
  Reply fire = PostFire(dave_mission, "alice");
  EXPECT_EQ(fire.status, 404);
  EXPECT_EQ(fire.body["error"]["code"], "mission_not_found");

  // No credentials, a forged token, Telegram initData while Telegram is off, a user id header.
  const std::string body = json{{"mission_id", dave_mission}}.dump();
  std::string forged = TokenFor("dave");
  forged.back() = forged.back() == '0' ? '1' : '0';
  for (const HttpHeaders& h : std::vector<HttpHeaders>{
           {},
           {{"Authorization", "Bearer " + forged}},
           {{"Authorization", "tma user=%7B%22id%22%3A1004%7D&auth_date=1&hash=00"}},
           {{"X-User-ID", user_ids_["dave"]}}}) {
    Reply r = ToReply(http_->Send("POST", "/api/fire", body, h));
    EXPECT_EQ(r.status, 401) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "unauthorized");
  }
  // Malformed bodies.
  for (const std::string& bad :
       {std::string("{"), std::string("[]"), std::string("{\"mission_id\":7}")}) {
    Reply r = ToReply(
        http_->Send("POST", "/api/fire", bad, {{"Authorization", "Bearer " + TokenFor("dave")}}));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.body["error"]["code"], "bad_request");
  }
  Settle();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 0);
}

TEST_F(CoreServerTest, TerminalRequestsMustBeSignedAndFresh) {
  StartServer();
  const std::string body = R"({"terminal":"t1","ticks":[]})";
  Reply ok = PostSigned("/api/ticks", body);
  EXPECT_EQ(ok.status, 200) << ok.body.dump();
  // The same signature again is a replay.
  const std::string sig =
      bridge::SignRequest(Raw(kSecretHex), clock_.NowMs(), "POST", "/api/ticks", body);
  EXPECT_EQ(PostSigned("/api/ticks", body, sig).status, 401);
  // A wrong signature.
  EXPECT_EQ(PostSigned("/api/ticks", body, std::string(64, 'a')).status, 401);
  // Well signed but malformed.
  Reply bad = PostSigned("/api/ticks", R"({"terminal":"t1","ticks":[{"s":"EURUSD"}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["code"], "bad_request");
}

TEST_F(CoreServerTest, ResultByFileAndByHttpIsProcessedOnce) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  json mission = MissionOf(signal_id, "alice");
  const std::string mission_id = mission["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);
  Reply fired = PostFire(mission_id, "alice");
  ASSERT_EQ(fired.status, 202) << fired.body.dump();
  const std::string fire_id = fired.body["fire_id"];
  ASSERT_TRUE(WaitFor([&] { return fs::exists(terminal_dir_ / "fire.txt"); }));
  fs::rename(terminal_dir_ / "fire.txt", terminal_dir_ / ("fire." + fire_id + ".claimed"));
  ASSERT_TRUE(WaitFor([&] { return MissionOf(signal_id, "alice")["status"] == "delivered"; }));

  // The EA fills and reports seq 1 both ways: appended to trade_result.txt and POSTed.
  const bridge::ResultRecord fill = testing::FillOf(mission, kTerminal, fire_id, 1, clock_.NowMs());
  const std::string line = bridge::EncodeResultLine(fill, Raw(kSecretHex));
  {
    std::ofstream out(terminal_dir_ / "trade_result.txt", std::ios::binary | std::ios::app);
    out << line;
  }
  std::string record = line;
  record.pop_back();  // the LF
  Reply report = PostSigned("/api/report", "[" + record + "]");
  ASSERT_EQ(report.status, 200) << report.body.dump();
  EXPECT_EQ(report.body["accepted"].get<int>() + report.body["duplicates"].get<int>(), 1);

  // Wait until the file path has consumed the line too (its offset is saved after the record).
  const auto size = static_cast<std::int64_t>(fs::file_size(terminal_dir_ / "trade_result.txt"));
  ASSERT_TRUE(WaitFor([&] {
    auto db = OpenDb();
    auto v = store::KvGet(*db, "result_offset:t1");
    return v && *v && std::stoll(**v) == size;
  }));
  Settle();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'fill'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE dedup_key = 'result:t1:1'"), 1);
  json after = MissionOf(signal_id, "alice");
  EXPECT_EQ(after["status"], "filled");
  EXPECT_EQ(after["fire"]["ticket"], 512331);

  // The same record once more over HTTP: a duplicate, nothing changes. The core remembers the
  // committed (terminal, seq) and answers without a store work.
  const double works_before = MetricValue("bitten_store_batch_works_sum");
  ASSERT_GT(works_before, 0);
  Reply again = PostSigned("/api/report", record);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.body["duplicates"], 1);
  EXPECT_EQ(again.body["accepted"], 0);
  EXPECT_EQ(MetricValue("bitten_store_batch_works_sum"), works_before);

  const double result_works_before = MetricValue("bitten_result_works_total");
  ASSERT_GE(result_works_before, 1);
  // The close, over HTTP only, and twice in one request: the second copy arrives while the first
  // is still in its store work, and gets that work's answer (a duplicate) without a work of its
  // own.
  bridge::ResultRecord close;
  close.seq = 2;
  close.type = bridge::ResultType::kClose;
  close.terminal = kTerminal;
  close.fire_id = fire_id;
  close.position = 512331;
  close.price = mission["tp"];
  close.volume = mission["lots"];
  close.profit = 30;
  close.commission = -0.84;
  close.reason = "tp";
  close.time = clock_.NowMs();
  std::string close_line = bridge::EncodeResultLine(close, Raw(kSecretHex));
  close_line.pop_back();
  Reply closed = PostSigned("/api/report", "[" + close_line + "," + close_line + "]");
  ASSERT_EQ(closed.status, 200) << closed.body.dump();
  EXPECT_EQ(closed.body["accepted"], 1);
  EXPECT_EQ(closed.body["duplicates"], 1);
  EXPECT_EQ(MetricValue("bitten_result_works_total"), result_works_before + 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM results"), 2);
  json final_mission = MissionOf(signal_id, "alice");
  EXPECT_EQ(final_mission["status"], "closed");
  EXPECT_DOUBLE_EQ(final_mission["fire"]["profit"].get<double>(), 29.16);
  auto db = OpenDb();
  auto verify = store::VerifyJournal(*db);
  ASSERT_TRUE(verify);
  EXPECT_TRUE(verify->ok) << verify->message;
}

TEST_F(CoreServerTest, RestartDeliversACommittedFireAgain) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  const std::string mission_id = MissionOf(signal_id, "alice")["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);
  Reply fired = PostFire(mission_id, "alice");
  ASSERT_EQ(fired.status, 202);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(terminal_dir_ / "fire.txt"); }));
  StopServer();
  // The command was lost (e.g. the folder was reset) before the terminal claimed it.
  fs::remove(terminal_dir_ / "fire.txt");
  feed_.reset();
  StartServer();
  ASSERT_TRUE(WaitFor([&] { return fs::exists(terminal_dir_ / "fire.txt"); }));
  std::ifstream in(terminal_dir_ / "fire.txt", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto cmd = bridge::ParseFireCommand(text, Raw(kSecretHex));
  ASSERT_TRUE(cmd) << cmd.error().message;
  EXPECT_EQ(cmd->fire_id, fired.body["fire_id"]);
  // Still the same one fire after the restart.
  ASSERT_EQ(PostHeartbeat().status, 200);
  Reply again = PostFire(mission_id, "alice");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["fire_id"], fired.body["fire_id"]);
}

TEST_F(CoreServerTest, EventStreamPushesTheCallersMissionUpdatesOnly) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  const std::string alice_mission = MissionOf(signal_id, "alice")["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);

  SseClient alice(server_->port(), "Bearer " + TokenFor("alice"));
  SseClient bob(server_->port(), "Bearer " + TokenFor("bob"));
  SseClient nobody(server_->port(), "Bearer not-a-token");
  // On connect: the caller's live missions.
  ASSERT_TRUE(alice.WaitFor("event: mission")) << alice.text();
  EXPECT_NE(alice.text().find(alice_mission), std::string::npos);
  ASSERT_TRUE(bob.WaitFor("event: mission")) << bob.text();
  ASSERT_TRUE(nobody.WaitFor("401")) << nobody.text();

  ASSERT_EQ(PostFire(alice_mission, "alice").status, 202);
  EXPECT_TRUE(alice.WaitFor("\"status\":\"fired\"")) << alice.text();
  Settle();
  EXPECT_EQ(bob.text().find(alice_mission), std::string::npos) << "bob sees only his own missions";
}

// The bot goes through the same core entry points as the HTTP API: /start link-<token> links the
// presser's Telegram account, /fire (no id) fires the newest fireable mission with the same checks
// and the same one-time lock, and the answers go out through the outbox.
TEST_F(CoreServerTest, BotLinksAccountsAndFiresThroughTheSamePath) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  ASSERT_EQ(PostHeartbeat().status, 200);
  CoreBotBackend bot(server_->core(), config_, clock_);
  auto command = [&](std::int64_t update_id, std::int64_t from, const std::string& cmd,
                     const std::string& args) {
    telegram::Update u;
    u.update_id = update_id;
    u.from.id = from;
    u.chat_id = from;
    u.chat_type = "private";
    u.command = cmd;
    u.args = args;
    u.text = "/" + cmd + (args.empty() ? "" : " " + args);
    bot.OnCommand(u);
    Settle();
    return Text("SELECT payload FROM outbox WHERE dedup_key = 'reply:" + std::to_string(update_id) +
                "'");
  };
  // Not linked: /fire is refused, nothing fires.
  EXPECT_NE(command(1, 2005, "fire", "").find("not linked"), std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 0);
  // Link erin's account with her invite token.
  EXPECT_NE(command(2, 2005, "start", "link-" + TokenFor("erin")).find("Linked"),
            std::string::npos);
  EXPECT_NE(command(3, 2005, "start", "").find("erin"), std::string::npos);
  EXPECT_NE(command(4, 2005, "missions", "")
                .find(MissionOf(signal_id, "erin")["mission_id"].get<std::string>()),
            std::string::npos);
  // /fire without an id: her newest fireable mission, through the core's fire path.
  EXPECT_NE(command(5, 2005, "fire", "").find("Fired"), std::string::npos);
  Settle();
  EXPECT_EQ(MissionOf(signal_id, "erin")["status"], "fired");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 1);
  // Again: the existing fire, no second order.
  EXPECT_NE(
      command(6, 2005, "fire", MissionOf(signal_id, "erin")["mission_id"]).find("Already fired"),
      std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 1);
  // Someone else's mission through a button: not found for the presser.
  telegram::TelegramUser mallory;
  mallory.id = 1001;  // alice presses a button carrying dave's mission
  bot.OnCallback(mallory, 1001, 0, "cb1",
                 "confirm:" + MissionOf(signal_id, "dave")["mission_id"].get<std::string>());
  Settle();
  EXPECT_NE(Text("SELECT payload FROM outbox WHERE dedup_key = 'callback:cb1'").find("refused"),
            std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 1);
}

// Telegram initData (CONTRACTS §4): with a bot token the HUD's `tma` credentials are validated; a
// forged hash is refused. The bot API base points at a closed port (the outbox just retries).
std::string SignInitData(const std::string& token, std::int64_t telegram_id, TimeMs auth_date_s) {
  const std::string user = R"({"id":)" + std::to_string(telegram_id) + R"(,"first_name":"A"})";
  const std::string check = "auth_date=" + std::to_string(auth_date_s) + "\nuser=" + user;
  const Digest secret = HmacSha256("WebAppData", token);
  const std::string key(reinterpret_cast<const char*>(secret.data()), secret.size());
  const std::string hash = HmacSha256Hex(key, check);
  std::string encoded;
  for (unsigned char c : user) {
    if (std::isalnum(c)) {
      encoded += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      encoded += buf;
    }
  }
  return "user=" + encoded + "&auth_date=" + std::to_string(auth_date_s) + "&hash=" + hash;
}

TEST_F(CoreServerTest, TelegramInitDataIsValidatedWithTheBotToken) {
  const std::string token = "123456:test-token";
  config_.telegram.token = token;
  config_.telegram.api_base = "http://127.0.0.1:9";
  config_.telegram.poll = false;
  clock_.Set(1764000000000);
  StartServer();
  const TimeMs now_s = clock_.NowMs() / 1000;
  auto me = [&](const std::string& init_data) {
    return ToReply(http_->Send("GET", "/api/me", "", {{"Authorization", "tma " + init_data}}));
  };
  Reply ok = me(SignInitData(token, 1001, now_s - 60));
  EXPECT_EQ(ok.status, 200) << ok.body.dump();
  EXPECT_EQ(ok.body["user"]["name"], "alice");
  // Signed with another token: forged.
  Reply forged = me(SignInitData("999:other", 1001, now_s - 60));
  EXPECT_EQ(forged.status, 401);
  // Valid but for a Telegram account no user has.
  Reply stranger = me(SignInitData(token, 4242, now_s - 60));
  EXPECT_EQ(stranger.status, 401);
  // Older than an hour: fine for reads, too old for a fire.
  const std::string old = SignInitData(token, 1001, now_s - 2 * 3600);
  EXPECT_EQ(me(old).status, 200);
  Reply fire = ToReply(http_->Send("POST", "/api/fire",
                                   R"({"mission_id":"0190f3b2-6c1d-7000-8000-00000000abcd"})",
                                   {{"Authorization", "tma " + old}}));
  EXPECT_EQ(fire.status, 401);
}

// Issue 5, delivery: a command the terminal does not claim within the delivery timeout (10 s) makes
// the mission `undelivered` for the trader; it stays in fire.txt and a later claim delivers it.
TEST_F(CoreServerTest, UnclaimedFireIsUndeliveredUntilTheTerminalClaimsIt) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  const std::string mission_id = MissionOf(signal_id, "alice")["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);
  Reply r = PostFire(mission_id, "alice");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  const std::string fire_id = r.body["fire_id"];
  const fs::path fire_txt = terminal_dir_ / "fire.txt";
  ASSERT_TRUE(WaitFor([&] { return fs::exists(fire_txt); }));
  clock_.Advance(11'000);  // the terminal does not claim it
  ASSERT_TRUE(WaitFor([&] { return MissionOf(signal_id, "alice")["status"] == "undelivered"; }));
  Settle();
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM journal WHERE type = 'command_undelivered' AND fire_id = '" +
            fire_id + "'"),
      1);
  EXPECT_TRUE(fs::exists(fire_txt));  // still waiting for the terminal, not withdrawn
  fs::rename(fire_txt, terminal_dir_ / ("fire." + fire_id + ".claimed"));
  EXPECT_TRUE(WaitFor([&] { return MissionOf(signal_id, "alice")["status"] == "delivered"; }));
}

// Issue 5, HTTP transport: a terminal without a folder takes its commands by the signed long poll
// GET /api/bridge/next; the command text is the exact fire.txt, and handing it over is delivery.
TEST_F(CoreServerTest, TerminalWithoutFolderTakesCommandsByLongPoll) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  config_.terminals[0].dir = "";  // t1 is an HTTP terminal now
  const std::string signal_id = SignalReady();
  ASSERT_FALSE(signal_id.empty());
  auto next = [&](const std::string& target, bool sign = true) {
    const TimeMs ts = clock_.NowMs();
    HttpHeaders h = {{"X-Bitten-Terminal", kTerminal}, {"X-Bitten-Timestamp", std::to_string(ts)}};
    h.push_back(
        {"X-Bitten-Signature", sign ? bridge::SignRequest(Raw(kSecretHex), ts, "GET", target, "")
                                    : std::string(64, '0')});
    auto res = http_->Send("GET", target, "", h);
    EXPECT_TRUE(res) << res.error().message;
    return res ? *res : HttpResponse{};
  };
  EXPECT_EQ(next("/api/bridge/next?terminal=t1&wait_ms=0").status, 204);  // nothing queued
  EXPECT_EQ(next("/api/bridge/next?terminal=t1&wait_ms=0", false).status, 401);
  EXPECT_EQ(next("/api/bridge/next?terminal=t2&wait_ms=0").status, 400);

  const std::string mission_id = MissionOf(signal_id, "alice")["mission_id"];
  ASSERT_EQ(PostHeartbeat().status, 200);
  Reply r = PostFire(mission_id, "alice");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  const std::string fire_id = r.body["fire_id"];
  EXPECT_FALSE(fs::exists(terminal_dir_ / "fire.txt"));
  clock_.Advance(11'000);  // nobody polls for a while: undelivered
  ASSERT_TRUE(WaitFor([&] { return MissionOf(signal_id, "alice")["status"] == "undelivered"; }));

  const HttpResponse got = next("/api/bridge/next?terminal=t1&wait_ms=1000");
  ASSERT_EQ(got.status, 200) << got.body;
  auto cmd = bridge::ParseFireCommand(got.body, Raw(kSecretHex));
  ASSERT_TRUE(cmd) << cmd.error().message;
  EXPECT_EQ(cmd->fire_id, fire_id);
  EXPECT_EQ(cmd->mission_id, mission_id);
  EXPECT_TRUE(WaitFor([&] { return MissionOf(signal_id, "alice")["status"] == "delivered"; }));
  EXPECT_EQ(next("/api/bridge/next?terminal=t1&wait_ms=0").status, 204);  // taken once
}

}  // namespace
}  // namespace bitten::app
