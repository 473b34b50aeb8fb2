// Issue 5 against the real server: an app::Server on an ephemeral port with a temp SQLite file and
// a temp terminal folder, a SimClock the test moves, and the paper bridge (the EA's twin) in this
// process speaking to it through real files, inotify and signed HTTP. Covers what the bridge
// module's own tests cannot see: quotes taken from the server (GET /api/quotes), a malformed
// journal line reaching the journal and the metrics, and the faults of the "Proof" list
// judged by what the trader is told (mission status through the user API, the Telegram message in
// the outbox) besides the files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/dev_login.h"
#include "app/http_client.h"
#include "app/paper_bridge_cmd.h"
#include "app/server.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "bridge/codec.h"
#include "bridge/file_io.h"
#include "bridge/paper_bridge.h"
#include "common/paths.h"
#include "common/results.h"
#include "common/run_bitten.h"
#include "market/instrument.h"
#include "market/replay_feed.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/statement.h"
#include "store/users.h"

namespace bitten::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTerminal[] = "t1";
constexpr char kSecretHex[] = "6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677";
constexpr char kDevSecretHex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kMarketFile[] = "EURUSD_M1_bidask_oanda-lean_2014-05.csv";
constexpr TimeMs kDataStart = 1398902400000;  // 2014-05-01 00:00:00 UTC

std::string Raw(const char* hex) { return *FromHex(hex); }

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Reply {
  int status = 0;
  json body;
};

class BridgeServerTest : public ::testing::Test {
 protected:
  BridgeServerTest() : clock_(kDataStart) {
    db_path_ = tmp_.path() / "bitten.sqlite";
    dir_ = tmp_.path() / "t1";
    config_.server.address = "127.0.0.1";
    config_.server.port = 0;
    config_.server.web_root = (bitten::testing::SourceDir() / "web").string();
    config_.store.path = db_path_.string();
    config_.auth.dev_login = true;
    config_.auth.dev_login_secret_hex = kDevSecretHex;
    config_.engine.symbols = {"EURUSD"};
    config_.terminals.push_back({kTerminal, kSecretHex, dir_.string(), 30000});
    config_.users.push_back({1001, "alice", missions::Tier::kCommander, kTerminal});
  }
  ~BridgeServerTest() override { StopServer(); }

  void StartServer(const Clock* clock = nullptr) {
    auto server = Server::Start(config_, clock != nullptr ? *clock : clock_);
    ASSERT_TRUE(server) << server.error().code << ": " << server.error().message;
    server_ = std::move(*server);
    http_ = std::make_unique<HttpClient>(HttpClientOptions{base_url(), 2000, 20000});
    auto db = OpenDb();
    auto users = store::ListUsers(*db);
    ASSERT_TRUE(users);
    for (const missions::User& u : *users) user_ids_[u.name] = u.user_id;
  }
  void StopServer() {
    if (server_) server_->Stop();
    server_.reset();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<store::Database> OpenDb() {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadOnly);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }
  void Settle() {
    for (int i = 0; i < 3; ++i) {
      server_->core().RunSync([] {});
      ASSERT_TRUE(server_->writer().SubmitAndWait([](store::Txn&) { return Ok(); }));
    }
    server_->core().RunSync([] {});
  }
  std::int64_t Count(const std::string& sql) {
    auto db = OpenDb();
    auto st = store::Statement::Prepare(db->handle(), sql);
    EXPECT_TRUE(st) << st.error().message;
    auto row = st->Step();
    EXPECT_TRUE(row && *row);
    return st->Int(0);
  }
  std::string Text(const std::string& sql) {
    auto db = OpenDb();
    auto st = store::Statement::Prepare(db->handle(), sql);
    EXPECT_TRUE(st) << st.error().message;
    auto row = st->Step();
    if (!row || !*row) return "";
    return st->Text(0);
  }
  bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 10000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  // --- The terminal over HTTP ---
  Reply Signed(const std::string& method, const std::string& target, const std::string& body,
               TimeMs ts, const std::string& terminal = kTerminal) {
    HttpHeaders h = {
        {"X-Bitten-Terminal", terminal},
        {"X-Bitten-Timestamp", std::to_string(ts)},
        {"X-Bitten-Signature", bridge::SignRequest(Raw(kSecretHex), ts, method, target, body)}};
    if (method == "POST") h.push_back({"Content-Type", "application/json"});
    auto r = http_->Send(method, target, body, h);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    return Reply{r->status, json::parse(r->body, nullptr, false)};
  }
  Reply PostTicks(const std::vector<market::Tick>& ticks) {
    return Signed("POST", "/api/ticks", bridge::EncodeTickBatch({kTerminal, ticks}),
                  clock_.NowMs());
  }
  Reply PostHeartbeat() {
    bridge::Heartbeat hb;
    hb.terminal = kTerminal;
    hb.time = clock_.NowMs();
    hb.currency = "USD";
    hb.balance = hb.equity = hb.margin_free = 10000;
    hb.leverage = 100;
    hb.connected = hb.trade_allowed = true;
    hb.ea_version = "test";
    std::string body = bridge::EncodeHeartbeat(hb, Raw(kSecretHex));
    body.pop_back();
    return Signed("POST", "/api/heartbeat", body, clock_.NowMs());
  }

  // Replays the real market file through POST /api/ticks, the SimClock following the ticks, until
  // the first signal's mission exists for alice. Returns the signal id ("" when the data ran out).
  std::string FeedUntilSignal() {
    auto feed = market::ReplayFeed::Open(bitten::testing::MarketDataDir() / kMarketFile);
    EXPECT_TRUE(feed) << feed.error().message;
    if (!feed) return "";
    std::vector<market::Tick> batch;
    for (std::size_t sent = 0; sent < 40000;) {
      auto tick = feed->Next();
      if (!tick) break;
      batch.push_back(*tick);
      last_tick_ = *tick;
      if (batch.size() < 40) continue;
      sent += batch.size();
      clock_.Set(batch.back().time);
      EXPECT_EQ(PostTicks(batch).status, 200);
      batch.clear();
      Settle();
      Reply m = Get("/api/missions?status=active");
      if (m.status == 200 && !m.body["missions"].empty()) {
        return m.body["missions"][0]["signal_id"].get<std::string>();
      }
    }
    return "";
  }

  // --- The trader ---
  Reply Get(const std::string& path) {
    const std::string token =
        MintDevToken(Raw(kDevSecretHex), user_ids_.at("alice"), clock_.NowMs() + 24 * 3600 * 1000);
    auto r = http_->Send("GET", path, "", {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r) << r.error().message;
    return r ? Reply{r->status, json::parse(r->body, nullptr, false)} : Reply{};
  }
  Reply Fire(const std::string& mission_id) {
    const std::string token =
        MintDevToken(Raw(kDevSecretHex), user_ids_.at("alice"), clock_.NowMs() + 24 * 3600 * 1000);
    auto r =
        http_->Send("POST", "/api/fire", json{{"mission_id", mission_id}}.dump(),
                    {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r) << r.error().message;
    return r ? Reply{r->status, json::parse(r->body, nullptr, false)} : Reply{};
  }
  json Mission(const std::string& signal_id) {
    return Get("/api/signals/" + signal_id + "/mission").body;
  }
  // A signal, its mission for alice, and a fire of it whose fire.txt is in the folder.
  struct Fired {
    std::string signal_id, mission_id, fire_id;
  };
  // The EA claims the command (renames fire.txt) and the server sees the mission delivered.
  bool ClaimAsTheEa(const Fired& fired) {
    fs::rename(dir_ / "fire.txt", dir_ / ("fire." + fired.fire_id + ".claimed"));
    return WaitFor([&] { return Mission(fired.signal_id)["status"] == "delivered"; });
  }

  // The EA's signed fill line (with its LF) for a fired mission, result number `seq`.
  std::string FillLine(const Fired& fired, std::int64_t seq) {
    const bridge::ResultRecord fill =
        testing::FillOf(Mission(fired.signal_id), kTerminal, fired.fire_id, seq, clock_.NowMs());
    return bridge::EncodeResultLine(fill, Raw(kSecretHex));
  }

  std::optional<Fired> FireFirstMission() {
    StartServer();
    if (HasFailure()) return std::nullopt;
    EXPECT_EQ(PostHeartbeat().status, 200);
    Fired f;
    f.signal_id = FeedUntilSignal();
    EXPECT_FALSE(f.signal_id.empty()) << "no signal in the replayed data";
    if (f.signal_id.empty()) return std::nullopt;
    f.mission_id = Mission(f.signal_id)["mission_id"];
    EXPECT_EQ(PostHeartbeat().status, 200);
    Reply r = Fire(f.mission_id);
    EXPECT_EQ(r.status, 202) << r.body.dump();
    if (r.status != 202) return std::nullopt;
    f.fire_id = r.body["fire_id"];
    EXPECT_TRUE(WaitFor([&] { return fs::exists(dir_ / "fire.txt"); }));
    return f;
  }

  // The paper bridge on this folder, posting to the server, with the last replayed quote.
  std::unique_ptr<bridge::PaperBridge> OpenPaperBridge(const Clock& clock) {
    bridge::PaperBridge::Options o;
    o.dir = dir_;
    o.terminal_id = kTerminal;
    o.secret = Raw(kSecretHex);
    auto b = bridge::PaperBridge::Open(o, clock, market::InstrumentTable::Defaults(),
                                       MakeJsonPoster(HttpClientOptions{base_url(), 2000, 5000}));
    EXPECT_TRUE(b) << b.error().message;
    if (!b) return nullptr;
    if (last_tick_) (*b)->OnTick(*last_tick_);
    return std::move(*b);
  }
  std::string OutboxPayload(std::int64_t seq) {
    return Text("SELECT payload FROM outbox WHERE dedup_key = 'result:t1:" + std::to_string(seq) +
                "'");
  }

  bitten::testing::TempDir tmp_;
  fs::path db_path_, dir_;
  SimClock clock_;
  Config config_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpClient> http_;
  std::map<std::string, std::string> user_ids_;
  std::optional<market::Tick> last_tick_;
};

// Gap "quotes from the server's ticks": GET /api/quotes is signed like every terminal call and
// answers the quote book; the paper bridge polls it and fills at the server's latest quote.
TEST_F(BridgeServerTest, PaperBridgeTakesItsQuotesFromTheServer) {
  StartServer();
  ASSERT_EQ(PostTicks({{"EURUSD", clock_.NowMs(), 1.10000, 1.10010},
                       {"USDJPY", clock_.NowMs(), 150.100, 150.120}})
                .status,
            200);
  Settle();

  // The endpoint: signed, for the signing terminal only, optionally filtered.
  const TimeMs ts = clock_.NowMs();
  Reply some = Signed("GET", "/api/quotes?terminal=t1&symbols=USDJPY,XAUUSD", "", ts);
  ASSERT_EQ(some.status, 200) << some.body.dump();
  EXPECT_EQ(some.body["terminal"], "t1");
  ASSERT_EQ(some.body["ticks"].size(), 1u);
  EXPECT_EQ(some.body["ticks"][0]["s"], "USDJPY");
  EXPECT_DOUBLE_EQ(some.body["ticks"][0]["a"].get<double>(), 150.120);
  EXPECT_EQ(Signed("GET", "/api/quotes?terminal=t1&symbols=USDJPY,XAUUSD", "", ts).status, 401)
      << "a replayed signature";
  EXPECT_EQ(Signed("GET", "/api/quotes?terminal=t2", "", ts + 1).status, 400);
  HttpHeaders forged = {{"X-Bitten-Terminal", kTerminal},
                        {"X-Bitten-Timestamp", std::to_string(ts + 2)},
                        {"X-Bitten-Signature", std::string(64, '0')}};
  EXPECT_EQ(http_->Send("GET", "/api/quotes?terminal=t1", "", forged)->status, 401);
  EXPECT_EQ(http_->Send("GET", "/api/quotes?terminal=t1", "", {})->status, 401);

  // The paper bridge on the same folder the server watches, quotes from the server only.
  const bridge::QuoteFetcher fetch = MakeQuoteFetcher(HttpClientOptions{base_url(), 2000, 5000},
                                                      kTerminal, Raw(kSecretHex), clock_);
  bridge::PaperBridge::Options o;
  o.dir = dir_;
  o.terminal_id = kTerminal;
  o.secret = Raw(kSecretHex);
  o.stream_ticks = false;
  auto opened =
      bridge::PaperBridge::Open(o, clock_, market::InstrumentTable::Defaults(),
                                MakeJsonPoster(HttpClientOptions{base_url(), 2000, 5000}));
  ASSERT_TRUE(opened) << opened.error().message;
  bridge::PaperBridge& paper = **opened;
  auto quotes = fetch();
  ASSERT_TRUE(quotes) << quotes.error().message;
  EXPECT_EQ(paper.ApplyQuotes(*quotes), 2);
  clock_.Advance(1);  // a new signature (the same one again would be a replay)
  quotes = fetch();
  ASSERT_TRUE(quotes) << quotes.error().message;
  EXPECT_EQ(paper.ApplyQuotes(*quotes), 0);  // nothing new on the server

  auto open_buy = [&](const std::string& fire_id) {
    bridge::FireCommand c;
    c.fire_id = fire_id;
    c.mission_id = "0190f3b2-6c1d-7000-8000-00000000abcd";
    c.symbol = "EURUSD";
    c.side = market::Side::kBuy;
    c.volume = 0.10;
    c.sl = 1.00000;
    c.tp = 1.20000;
    c.max_slippage_points = 20;
    c.expires_at = clock_.NowMs() + 60'000;
    c.magic = 1;
    c.comment = "BITTEN quotes";
    // The server's file transport leaves a fire.txt it did not write alone.
    ASSERT_TRUE(bridge::WriteFileAtomically(dir_, "fire.txt",
                                            bridge::EncodeFireCommand(c, Raw(kSecretHex), 5, 2),
                                            bridge::Replace::kRefuse, bridge::Durability::kNone));
    ASSERT_EQ(paper.ProcessCommands(), 1);
  };
  open_buy("0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c01");
  ASSERT_EQ(paper.broker().positions().size(), 1u);
  EXPECT_DOUBLE_EQ(paper.broker().positions().begin()->second.open_price, 1.10010);

  // The market moves on the server; the next poll brings it to the paper terminal.
  clock_.Advance(1000);
  ASSERT_EQ(PostTicks({{"EURUSD", clock_.NowMs(), 1.10200, 1.10215}}).status, 200);
  Settle();
  quotes = fetch();
  ASSERT_TRUE(quotes) << quotes.error().message;
  EXPECT_EQ(paper.ApplyQuotes(*quotes), 1);
  open_buy("0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c02");
  ASSERT_EQ(paper.broker().positions().size(), 2u);
  EXPECT_DOUBLE_EQ(paper.broker().positions().rbegin()->second.open_price, 1.10215);

  // Both fills reached the server by file and by HTTP, each processed once.
  ASSERT_TRUE(WaitFor([&] {
    Settle();
    return Count("SELECT COUNT(*) FROM results WHERE terminal_id = 't1'") == 2;
  }));
  EXPECT_EQ(paper.pending_reports(), 0u);
}

// `bitten paper-bridge --quotes-from-server` as its own process against a server on the real
// clock: the command waiting in its folder fills at the quote the server was given, and nothing
// else (no --data, no generator) set the price. With --data it is a usage error.
TEST_F(BridgeServerTest, PaperBridgeCommandFillsAtTheServersQuote) {
  const RealClock real;
  StartServer(&real);
  const std::string body =
      bridge::EncodeTickBatch({kTerminal, {{"EURUSD", real.NowMs(), 1.23450, 1.23470}}});
  Reply ticks = Signed("POST", "/api/ticks", body, real.NowMs());
  ASSERT_EQ(ticks.status, 200) << ticks.body.dump();
  bridge::FireCommand c;
  c.fire_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  c.mission_id = "0190f3b2-6c1d-7000-8000-00000000abcd";
  c.symbol = "EURUSD";
  c.side = market::Side::kBuy;
  c.volume = 0.10;
  c.sl = 1.20000;
  c.tp = 1.30000;
  c.max_slippage_points = 20;
  c.expires_at = real.NowMs() + 120'000;
  c.magic = 1;
  c.comment = "BITTEN cli";
  fs::create_directories(dir_);
  ASSERT_TRUE(bridge::WriteFileAtomically(dir_, "fire.txt",
                                          bridge::EncodeFireCommand(c, Raw(kSecretHex), 5, 2),
                                          bridge::Replace::kRefuse, bridge::Durability::kNone));
  const std::vector<std::string> args = {
      "paper-bridge",    "--dir",    dir_.string(), "--terminal", kTerminal,
      "--secret",        kSecretHex, "--server",    base_url(),   "--quotes-from-server",
      "--quote-poll-ms", "50",       "--for",       "1.5"};
  bitten::testing::BittenRun run = bitten::testing::RunBitten(tmp_.path(), args);
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string journal = Slurp(dir_ / "trade_result.txt");
  auto fill = bridge::ParseResultLine(journal.substr(0, journal.find('\n')), Raw(kSecretHex));
  ASSERT_TRUE(fill) << journal;
  EXPECT_EQ(fill->type, bridge::ResultType::kFill) << fill->reason;
  EXPECT_DOUBLE_EQ(fill->price, 1.23470);
  EXPECT_NE(run.err.find("quotes from the server"), std::string::npos) << run.err;

  std::vector<std::string> with_data = args;
  with_data.insert(with_data.end(), {"--data", (tmp_.path() / "bitten.sqlite").string()});
  EXPECT_EQ(bitten::testing::RunBitten(tmp_.path(), with_data).code, 2);
}

// Gap "a malformed file moved aside, reported": a bad journal line reaches trade_result.bad, the
// journal (bridge_fault) and the metrics, and the line after it is still processed.
TEST_F(BridgeServerTest, ABadResultLineIsSetAsideJournaledAndCounted) {
  StartServer();
  bridge::ResultRecord r;
  r.seq = 1;
  r.type = bridge::ResultType::kReject;
  r.terminal = kTerminal;
  r.fire_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  r.retcode = 10016;
  r.reason = "invalid stops";
  r.time = clock_.NowMs();
  ASSERT_TRUE(bridge::AppendDurably(
      dir_ / "trade_result.txt",
      "{\"v\":1,\"seq\":1,garbage\n" + bridge::EncodeResultLine(r, Raw(kSecretHex))));
  ASSERT_TRUE(WaitFor([&] {
    Settle();
    return Count("SELECT COUNT(*) FROM results WHERE terminal_id = 't1'") == 1 &&
           Count("SELECT COUNT(*) FROM journal WHERE type = 'bridge_fault'") == 1;
  }));
  const json fault = json::parse(Text("SELECT payload FROM journal WHERE type = 'bridge_fault'"));
  EXPECT_EQ(fault["code"], "malformed");
  EXPECT_NE(fault["message"].get<std::string>().find("at byte 0"), std::string::npos);
  const json aside = json::parse(Slurp(dir_ / "trade_result.bad"));
  EXPECT_EQ(aside["offset"], 0);
  EXPECT_EQ(aside["line"], "{\"v\":1,\"seq\":1,garbage");
  auto metrics = http_->Send("GET", "/metrics", "", {});
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("bitten_bridge_errors_total 1"), std::string::npos)
      << metrics->body.substr(0, 2000);
}

// Fault "server restart between fire and claim", then "a duplicated command file": the fire.txt
// left behind is adopted (not written again), the EA fills once, the trader sees "filled" and gets
// one Kill Confirmed; the same command appearing again is refused as duplicate, tells the trader
// nothing new and changes nothing.
TEST_F(BridgeServerTest, RestartBetweenFireAndClaimThenADuplicatedCommandFillOnce) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const auto fired = FireFirstMission();
  ASSERT_TRUE(fired);
  const std::string written = Slurp(dir_ / "fire.txt");
  StopServer();
  StartServer();  // recovery enqueues the fire again; the transport adopts the fire.txt
  Settle();
  EXPECT_EQ(Mission(fired->signal_id)["status"], "fired");

  auto paper = OpenPaperBridge(clock_);
  ASSERT_TRUE(paper);
  ASSERT_EQ(paper->ProcessCommands(), 1);
  EXPECT_EQ(Slurp(dir_ / ("fire." + fired->fire_id + ".claimed")), written);
  ASSERT_TRUE(WaitFor([&] { return Mission(fired->signal_id)["status"] == "filled"; }));
  Settle();
  EXPECT_FALSE(fs::exists(dir_ / "fire.txt")) << "the adopted command was written again";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fires"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'fill'"), 1);
  EXPECT_NE(OutboxPayload(1).find("Kill Confirmed"), std::string::npos) << OutboxPayload(1);

  // The same command file appears again (a restored backup, a second writer).
  ASSERT_TRUE(bridge::WriteFileAtomically(dir_, "fire.txt", written, bridge::Replace::kRefuse,
                                          bridge::Durability::kNone));
  ASSERT_EQ(paper->ProcessCommands(), 1);
  ASSERT_TRUE(WaitFor([&] {
    Settle();
    return Count("SELECT COUNT(*) FROM results") == 2;
  }));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'command_duplicate'"), 1);
  EXPECT_EQ(Mission(fired->signal_id)["status"], "filled");
  EXPECT_EQ(OutboxPayload(2), "") << "a duplicate is not news for the trader";
  EXPECT_EQ(paper->broker().positions().size(), 1u);
}

// Fault "a heartbeat going stale during a fire": the terminal stops while the command waits; the
// trader sees "undelivered", and when the terminal is back after the mission expired it answers
// `expired`: the trader sees "expired" and is told why; nothing was executed.
TEST_F(BridgeServerTest, TerminalGoneDuringAFireEndsExpiredAndTheTraderIsToldSo) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const auto fired = FireFirstMission();
  ASSERT_TRUE(fired);
  const TimeMs expires_at = Mission(fired->signal_id)["expires_at"];
  clock_.Advance(11'000);  // no claim within the delivery timeout, no heartbeat
  ASSERT_TRUE(WaitFor([&] { return Mission(fired->signal_id)["status"] == "undelivered"; }));
  clock_.Set(expires_at + 1000);  // the terminal comes back after the mission expired
  auto paper = OpenPaperBridge(clock_);
  ASSERT_TRUE(paper);
  ASSERT_EQ(paper->ProcessCommands(), 1);
  ASSERT_TRUE(WaitFor([&] { return Mission(fired->signal_id)["status"] == "expired"; }));
  Settle();
  EXPECT_TRUE(paper->broker().positions().empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'command_undelivered'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'command_expired'"), 1);
  EXPECT_NE(OutboxPayload(1).find("after it expired"), std::string::npos) << OutboxPayload(1);
}

// Fault "clock skew": the EA's clock 40 s behind the server's. Its signed HTTP report is outside
// the server's 30 s window and refused, but the file journal brings the fill once; the trader sees
// it filled once.
TEST_F(BridgeServerTest, ClockSkewedTerminalStillReportsOnceThroughTheJournal) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const auto fired = FireFirstMission();
  ASSERT_TRUE(fired);
  OffsetClock behind(clock_, -40'000);
  auto paper = OpenPaperBridge(behind);
  ASSERT_TRUE(paper);
  ASSERT_EQ(paper->ProcessCommands(), 1);
  ASSERT_TRUE(WaitFor([&] { return Mission(fired->signal_id)["status"] == "filled"; }));
  Settle();
  EXPECT_EQ(paper->pending_reports(), 1u) << "the refused POST waits for retry";
  paper->Service();  // a retry: still refused, still harmless
  Settle();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'fill'"), 1);
  EXPECT_NE(OutboxPayload(1).find("Kill Confirmed"), std::string::npos);
}

// Fault "a torn result line": the EA crashed halfway through appending its fill. The server does
// not read the line until its LF arrives (the trader still sees "delivered"), then processes it
// once: "filled" and one Kill Confirmed, also after a server restart (durable read position).
TEST_F(BridgeServerTest, ATornFillLineIsProcessedOnceWhenComplete) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const auto fired = FireFirstMission();
  ASSERT_TRUE(fired);
  ASSERT_TRUE(ClaimAsTheEa(*fired));
  const std::string line = FillLine(*fired, 1);
  const fs::path journal = dir_ / "trade_result.txt";
  ASSERT_TRUE(bridge::AppendDurably(journal, line.substr(0, line.size() / 2)));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // several scans of the folder
  Settle();
  EXPECT_EQ(Mission(fired->signal_id)["status"], "delivered");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM results"), 0);
  ASSERT_TRUE(bridge::AppendDurably(journal, line.substr(line.size() / 2)));
  ASSERT_TRUE(WaitFor([&] { return Mission(fired->signal_id)["status"] == "filled"; }));
  ASSERT_TRUE(WaitFor([&] {
    return Text("SELECT value FROM kv WHERE key = 'result_offset:t1'") ==
           std::to_string(line.size());
  }));
  StopServer();
  StartServer();  // reads on from the saved position
  Settle();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  Settle();
  EXPECT_EQ(Mission(fired->signal_id)["status"], "filled");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM journal WHERE type = 'fill'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%Kill Confirmed%'"), 1);
}

// The read position of trade_result.txt is saved once per housekeeping round, and at stop: a stop
// right after a fill (before the next round) leaves the position past that line, so the restarted
// server reads nothing again.
TEST_F(BridgeServerTest, TheResultReadPositionIsSavedAtStopBeforeTheNextRound) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  const auto fired = FireFirstMission();
  ASSERT_TRUE(fired);
  ASSERT_TRUE(ClaimAsTheEa(*fired));
  const std::string line = FillLine(*fired, 1);
  ASSERT_TRUE(bridge::AppendDurably(dir_ / "trade_result.txt", line));
  ASSERT_TRUE(WaitFor([&] { return Mission(fired->signal_id)["status"] == "filled"; }));
  StopServer();
  EXPECT_EQ(Text("SELECT value FROM kv WHERE key = 'result_offset:t1'"),
            std::to_string(line.size()));
}

}  // namespace
}  // namespace bitten::app
