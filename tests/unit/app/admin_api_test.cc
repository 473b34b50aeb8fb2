// The Commander Throne's API and the Core controls behind it (issue 7, docs/admin.md), against a
// real app::Server on an ephemeral port over a temp SQLite file, with a SimClock. The operator
// logs in over HTTP like the console does (cookie + CSRF token); traders use dev tokens; the
// terminal signs its heartbeats; what is durable is checked through a read-only connection.
// Missions are put into the store before the server starts (as a restart would find them), except
// in the pause test, which replays real market ticks through POST /api/ticks.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/admin_auth.h"
#include "app/api_admin.h"
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
#include "store/fires.h"
#include "store/journal.h"
#include "store/kv.h"
#include "store/missions.h"
#include "store/results.h"
#include "store/signals.h"
#include "store/statement.h"
#include "store/terminals.h"
#include "store/users.h"
#include "store/writer.h"

namespace bitten::app {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using nlohmann::json;

constexpr char kTerminal[] = "t1";
// Test-only secrets (32 bytes each, hex).
constexpr char kSecretHex[] = "6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677";
constexpr char kDevSecretHex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kPassword[] = "correct horse battery staple";
constexpr TimeMs kT0 = 1722261000000;  // 2024-07-29 13:50 UTC
constexpr char kMarketFile[] = "EURUSD_M1_bidask_oanda-lean_2014-05.csv";
constexpr TimeMs kDataStart = 1398902400000;  // 2014-05-01 00:00 UTC, the file's first bar

std::string Raw(const char* hex) { return *FromHex(hex); }

struct Answer {
  int status = 0;
  json body;
  std::string set_cookie;
  std::string retry_after;
};

// One HTTP/1.1 request over a fresh connection (Boost.Beast), keeping the Set-Cookie header that
// app::HttpClient does not return.
Answer Call(std::uint16_t port, const std::string& method, const std::string& target,
            const std::string& body, const std::vector<std::pair<std::string, std::string>>& h) {
  namespace asio = boost::asio;
  asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(20));
  stream.connect({asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : h) req.set(k, v);
  if (method == "POST") {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  http::write(stream, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  Answer a;
  a.status = static_cast<int>(res.result_int());
  a.body = json::parse(res.body(), nullptr, false);
  a.set_cookie = std::string(res[http::field::set_cookie]);
  a.retry_after = std::string(res[http::field::retry_after]);
  boost::beast::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return a;
}

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : clock_(kT0) {
    db_path_ = tmp_.path() / "bitten.sqlite";
    config_.server.address = "127.0.0.1";
    config_.server.port = 0;
    config_.server.web_root = (bitten::testing::SourceDir() / "web").string();
    config_.store.path = db_path_.string();
    config_.auth.dev_login = true;
    config_.auth.dev_login_secret_hex = kDevSecretHex;
    config_.admin.password_hash = HashAdminPassword(kPassword, 1000);
    config_.telegram.group_chat_id = -1001000000001;  // token empty: the outbox goes to the log
    config_.terminals.push_back({kTerminal, kSecretHex, "", 30000});  // HTTP-only terminal
    config_.users.push_back({2001, "fang", missions::Tier::kFang, kTerminal});
    config_.users.push_back({2002, "rival", missions::Tier::kFang, kTerminal});
  }
  ~AdminApiTest() override { Stop(); }

  void Start() {
    auto server = Server::Start(config_, clock_);
    ASSERT_TRUE(server) << server.error().code << ": " << server.error().message;
    server_ = std::move(*server);
    port_ = server_->port();
    http_ = std::make_unique<HttpClient>(
        HttpClientOptions{"http://127.0.0.1:" + std::to_string(port_), 2000, 20000});
    auto db = Reader();
    auto users = store::ListUsers(*db);
    ASSERT_TRUE(users);
    for (const missions::User& u : *users) users_[u.name] = u;
  }
  void Stop() {
    if (server_) server_->Stop();
    server_.reset();
  }
  void Settle() {
    for (int i = 0; i < 3; ++i) {
      server_->core().RunSync([] {});
      ASSERT_TRUE(server_->writer().SubmitAndWait([](store::Txn&) { return Ok(); }));
    }
  }

  std::unique_ptr<store::Database> Reader() {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadOnly);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }
  std::int64_t Count(const std::string& sql) {
    auto db = Reader();
    auto st = store::Statement::Prepare(db->handle(), sql);
    EXPECT_TRUE(st);
    auto row = st->Step();
    EXPECT_TRUE(row && *row);
    return st->Int(0);
  }

  // --- The operator ---
  // Logs in; keeps the cookie and the CSRF token.
  void Login() {
    Answer a = Call(port_, "POST", "/admin/api/login", json{{"password", kPassword}}.dump(), {});
    ASSERT_EQ(a.status, 200) << a.body.dump();
    ASSERT_FALSE(a.set_cookie.empty());
    cookie_ = a.set_cookie.substr(0, a.set_cookie.find(';'));
    csrf_ = a.body["csrf"].get<std::string>();
    admin_ = a.body["admin"].get<std::string>();
  }
  Answer AdminGet(const std::string& target) {
    return Call(port_, "GET", target, "", {{"Cookie", cookie_}});
  }
  Answer AdminPost(const std::string& target, const json& body = json::object()) {
    return Call(port_, "POST", target, body.dump(), {{"Cookie", cookie_}, {"X-CSRF-Token", csrf_}});
  }
  // The newest journal event of `type`, or null.
  json LastEvent(const std::string& type) {
    Answer j = AdminGet("/admin/api/journal");
    EXPECT_EQ(j.status, 200);
    for (const json& e : j.body["events"]) {
      if (e["type"] == type) return e;
    }
    return nullptr;
  }

  // --- Traders and the terminal ---
  std::string TokenFor(const std::string& name) {
    return MintDevToken(Raw(kDevSecretHex), users_.at(name).user_id,
                        clock_.NowMs() + 24 * 3600 * 1000);
  }
  Answer TraderGet(const std::string& target, const std::string& user) {
    return Call(port_, "GET", target, "", {{"Authorization", "Bearer " + TokenFor(user)}});
  }
  Answer Fire(const std::string& mission_id, const std::string& user) {
    return Call(port_, "POST", "/api/fire", json{{"mission_id", mission_id}}.dump(),
                {{"Authorization", "Bearer " + TokenFor(user)}});
  }
  Answer Heartbeat(const std::string& secret_raw) {
    bridge::Heartbeat hb;
    hb.terminal = kTerminal;
    hb.time = clock_.NowMs();
    hb.currency = "USD";
    hb.balance = 10000;
    hb.equity = 10012.5;
    hb.margin_free = 10000;
    hb.leverage = 100;
    hb.connected = true;
    hb.trade_allowed = true;
    hb.positions = 2;
    hb.ea_version = "test";
    std::string body = bridge::EncodeHeartbeat(hb, secret_raw);
    if (!body.empty() && body.back() == '\n') body.pop_back();
    return Signed("/api/heartbeat", body, secret_raw);
  }
  Answer Signed(const std::string& path, const std::string& body, const std::string& secret_raw) {
    const TimeMs ts = clock_.NowMs();
    const std::string sig = bridge::SignRequest(secret_raw, ts, "POST", path, body);
    return Call(port_, "POST", path, body,
                {{"X-Bitten-Terminal", kTerminal},
                 {"X-Bitten-Timestamp", std::to_string(ts)},
                 {"X-Bitten-Signature", sig}});
  }

  // One EURUSD signal with one pending mission per named user, stored before Start().
  struct Put {
    std::string signal_id;
    std::map<std::string, std::string> mission_of;  // user name → mission id
  };
  Put PutSignal(const std::vector<std::string>& users,
                venom::SignalClass cls = venom::SignalClass::kRapidAssault) {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadWrite);
    EXPECT_TRUE(db) << db.error().message;
    // The users exist once the server has seeded them; seed here the same way (by name).
    store::Writer writer(std::move(*db), clock_, {});
    Put out;
    venom::Signal sig;
    sig.signal_id = NewUuidV7(clock_);
    sig.symbol = "EURUSD";
    sig.side = market::Side::kBuy;
    sig.setup = "test";
    sig.signal_class = cls;
    sig.bar_time = kT0 - 60'000;
    sig.entry = 1.08500;
    sig.sl = 1.08250;
    sig.tp = 1.08875;
    sig.digits = 5;
    sig.sl_pips = 25;
    sig.tp_pips = 37.5;
    sig.confidence = 75;
    sig.created_at = kT0;
    sig.expires_at = kT0 + 15 * 60'000;
    sig.signal_hash = Sha256Hex(sig.signal_id);
    out.signal_id = sig.signal_id;
    std::vector<missions::Mission> ms;
    for (const std::string& name : users) {
      missions::Mission m;
      m.mission_id = NewUuidV7(clock_);
      m.signal_id = sig.signal_id;
      m.user_id = users_.at(name).user_id;
      m.symbol = sig.symbol;
      m.side = sig.side;
      m.signal_class = cls;
      m.entry = sig.entry;
      m.sl = sig.sl;
      m.tp = sig.tp;
      m.sl_pips = sig.sl_pips;
      m.tp_pips = sig.tp_pips;
      m.lots = 0.10;
      m.risk_money = 25;
      m.reward_money = 37.5;
      m.account_ccy = "USD";
      m.created_at = kT0;
      m.expires_at = sig.expires_at;
      ms.push_back(m);
      out.mission_of[name] = m.mission_id;
    }
    Status s = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
      auto r = store::InsertSignal(txn, sig);
      if (!r) return tl::unexpected(r.error());
      return store::InsertMissions(txn, ms);
    });
    EXPECT_TRUE(s) << s.error().message;
    return out;
  }

  // Starts once to seed the users, stops, stores a signal with missions, starts again.
  Put StartWithSignal(const std::vector<std::string>& users,
                      venom::SignalClass cls = venom::SignalClass::kRapidAssault) {
    Start();
    Stop();
    Put p = PutSignal(users, cls);
    Start();
    Login();
    EXPECT_EQ(Heartbeat(Raw(kSecretHex)).status, 200);
    return p;
  }

  bitten::testing::TempDir tmp_;
  fs::path db_path_;
  SimClock clock_;
  Config config_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  std::unique_ptr<HttpClient> http_;
  std::map<std::string, missions::User> users_;
  std::string cookie_, csrf_, admin_;
};

// The overview carries at most Core::kAdminUsersShown users (a row per user of 1,000,000 every
// 3 s would stall the core thread and the page); the search finds the others by name, id prefix
// or Telegram id.
TEST_F(AdminApiTest, OverviewShowsAPageOfUsersAndTheSearchFindsTheRest) {
  for (int i = 0; i < 230; ++i) {
    config_.users.push_back(
        {3000 + i, fmt::format("trader-{:03}", i), missions::Tier::kPressPass, kTerminal});
  }
  Start();
  Login();
  Answer o = AdminGet("/admin/api/overview");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["users"].size(), Core::kAdminUsersShown);
  EXPECT_EQ(o.body["users_total"], 232);
  EXPECT_TRUE(o.body["users_matched"].is_null());
  EXPECT_TRUE(o.body["users"][0].contains("results"));

  Answer by_name = AdminGet("/admin/api/overview?users=TRADER-22");  // any case
  ASSERT_EQ(by_name.status, 200);
  EXPECT_EQ(by_name.body["users_matched"], 10);  // trader-220 .. trader-229
  EXPECT_EQ(by_name.body["users"].size(), 10u);
  EXPECT_EQ(by_name.body["users_query"], "TRADER-22");
  Answer by_telegram = AdminGet("/admin/api/overview?users=2002");
  ASSERT_EQ(by_telegram.body["users"].size(), 1u);
  EXPECT_EQ(by_telegram.body["users"][0]["name"], "rival");
  const std::string fang_id = users_.at("fang").user_id;
  Answer by_id = AdminGet("/admin/api/overview?users=" + fang_id);
  ASSERT_EQ(by_id.body["users"].size(), 1u);
  EXPECT_EQ(by_id.body["users"][0]["user_id"], fang_id);
  Answer broad = AdminGet("/admin/api/overview?users=trader");
  EXPECT_EQ(broad.body["users_matched"], 230);
  EXPECT_EQ(broad.body["users"].size(), Core::kAdminUsersShown);
  EXPECT_EQ(AdminGet("/admin/api/overview?users=nobody-at-all").body["users"].size(), 0u);
  Answer too_long = AdminGet("/admin/api/overview?users=" + std::string(129, 'x'));
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(too_long.body["error"]["code"], "bad_request");
}

// Each shown user's results come from that user's closed fires: trades, wins (profit > 0), win
// rate and P&L; fires not closed do not count.
TEST_F(AdminApiTest, OverviewUserResultsCountTheirClosedTrades) {
  Start();
  Stop();
  std::vector<std::string> missions;
  for (int i = 0; i < 3; ++i) missions.push_back(PutSignal({"fang"}).mission_of.at("fang"));
  {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadWrite);
    ASSERT_TRUE(db) << db.error().message;
    store::Writer writer(std::move(*db), clock_, {});
    const std::vector<std::pair<missions::FireStatus, double>> outcomes = {
        {missions::FireStatus::kClosed, 12.5},
        {missions::FireStatus::kClosed, -5.25},
        {missions::FireStatus::kFilled, 0}};
    Status s = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
      for (std::size_t i = 0; i < outcomes.size(); ++i) {
        missions::Fire f;
        f.fire_id = NewUuidV7(clock_);
        f.mission_id = missions[i];
        f.user_id = users_.at("fang").user_id;
        f.terminal_id = kTerminal;
        f.fired_at = kT0;
        auto ins = store::InsertFire(txn, f);
        if (!ins) return tl::unexpected(ins.error());
        f.status = outcomes[i].first;
        f.profit = outcomes[i].second;
        if (Status u = store::UpdateFire(txn, f); !u) return u;
      }
      return Ok();
    });
    ASSERT_TRUE(s) << s.error().message;
  }
  Start();
  Login();
  Answer o = AdminGet("/admin/api/overview");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  std::map<std::string, json> results;
  for (const json& u : o.body["users"]) results[u["name"]] = u["results"];
  EXPECT_EQ(results["fang"]["trades"], 2);
  EXPECT_EQ(results["fang"]["wins"], 1);
  EXPECT_DOUBLE_EQ(results["fang"]["win_rate"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(results["fang"]["pnl"].get<double>(), 7.25);
  EXPECT_EQ(results["rival"]["trades"], 0);
  EXPECT_TRUE(results["rival"]["win_rate"].is_null());
  EXPECT_DOUBLE_EQ(results["rival"]["pnl"].get<double>(), 0.0);
}

// The charts' per-day win rate and P&L are summed over every closed trade (a trade closes when its
// first close result arrived, else when it was fired), and the per-user curves are those of the
// kChartUsers users with the largest P&L either way, with the count of users who have one.
TEST_F(AdminApiTest, ChartsSumClosedTradesPerDayAndDrawTheLargestTraders) {
  for (int i = 0; i < 12; ++i) {
    config_.users.push_back(
        {3000 + i, fmt::format("trader-{:02}", i), missions::Tier::kFang, kTerminal});
  }
  Start();
  Stop();
  std::vector<std::string> names = {"fang", "rival"};
  for (int i = 0; i < 12; ++i) names.push_back(fmt::format("trader-{:02}", i));
  Put first = PutSignal(names);
  Put second = PutSignal({"fang"});
  constexpr TimeMs kDay = 86'400'000;
  const TimeMs second_close = kT0 + kDay + 1000;
  {
    auto db = store::Database::Open(db_path_, store::OpenMode::kReadWrite);
    ASSERT_TRUE(db) << db.error().message;
    store::Writer writer(std::move(*db), clock_, {});
    Status s = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
      std::int64_t seq = 0;
      // Returns the fire id; the fire is closed with `profit` unless `status` says otherwise.
      auto put = [&](const std::string& name, const std::string& mission_id, double profit,
                     missions::FireStatus status) -> Result<std::string> {
        missions::Fire f;
        f.fire_id = NewUuidV7(clock_);
        f.mission_id = mission_id;
        f.user_id = users_.at(name).user_id;
        f.terminal_id = kTerminal;
        f.fired_at = kT0;
        auto ins = store::InsertFire(txn, f);
        if (!ins) return tl::unexpected(ins.error());
        f.status = status;
        f.profit = profit;
        if (Status u = store::UpdateFire(txn, f); !u) return tl::unexpected(u.error());
        return f.fire_id;
      };
      for (int i = 0; i < 12; ++i) {  // trader-i: +10, -20, +30, ... -120
        const std::string name = fmt::format("trader-{:02}", i);
        const double profit = (i % 2 ? -1 : 1) * (i + 1) * 10.0;
        auto f = put(name, first.mission_of.at(name), profit, missions::FireStatus::kClosed);
        if (!f) return tl::unexpected(f.error());
      }
      auto f1 = put("fang", first.mission_of.at("fang"), 50, missions::FireStatus::kClosed);
      if (!f1) return tl::unexpected(f1.error());
      // fang's second trade closes a day later: its close result says when.
      auto f2 = put("fang", second.mission_of.at("fang"), 75, missions::FireStatus::kClosed);
      if (!f2) return tl::unexpected(f2.error());
      auto r = store::InsertResult(txn, kTerminal, ++seq, *f2, "close", "{}", second_close);
      if (!r) return tl::unexpected(r.error());
      // rival's fire is filled, not closed: it counts nowhere.
      auto f3 = put("rival", first.mission_of.at("rival"), 999, missions::FireStatus::kFilled);
      return f3 ? Ok() : Status(tl::unexpected(f3.error()));
    });
    ASSERT_TRUE(s) << s.error().message;
  }
  Start();
  Login();
  Answer c = AdminGet("/admin/api/charts");
  ASSERT_EQ(c.status, 200) << c.body.dump();
  // Days: the 13 trades closed at kT0 (6 traders and fang won; -60 + 50), then fang's +75.
  const json& daily = c.body["daily"];
  ASSERT_EQ(daily.size(), 2u) << daily.dump();
  EXPECT_EQ(daily[0]["t"], kT0 / kDay * kDay);
  EXPECT_EQ(daily[0]["trades"], 13);
  EXPECT_EQ(daily[0]["wins"], 7);
  EXPECT_DOUBLE_EQ(daily[0]["pnl"].get<double>(), -10.0);
  EXPECT_DOUBLE_EQ(daily[0]["cumulative_pnl"].get<double>(), -10.0);
  EXPECT_EQ(daily[1]["t"], second_close / kDay * kDay);
  EXPECT_EQ(daily[1]["trades"], 1);
  EXPECT_DOUBLE_EQ(daily[1]["win_rate"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(daily[1]["cumulative_pnl"].get<double>(), 65.0);
  // Curves: 13 users closed a trade; the 10 largest P&L either way, largest first.
  EXPECT_EQ(c.body["pnl_per_user_total"], 13);
  const json& curves = c.body["pnl_per_user"];
  ASSERT_EQ(curves.size(), kChartUsers) << curves.dump();
  std::vector<std::string> order;
  for (const json& u : curves) order.push_back(u["name"]);
  EXPECT_EQ(order, (std::vector<std::string>{"fang", "trader-11", "trader-10", "trader-09",
                                             "trader-08", "trader-07", "trader-06", "trader-05",
                                             "trader-04", "trader-03"}));
  EXPECT_EQ(curves[0]["user_id"], users_.at("fang").user_id);
  ASSERT_EQ(curves[0]["points"].size(), 2u) << curves[0].dump();
  EXPECT_EQ(curves[0]["points"][0]["t"], kT0);
  EXPECT_DOUBLE_EQ(curves[0]["points"][0]["v"].get<double>(), 50.0);
  EXPECT_EQ(curves[0]["points"][1]["t"], second_close);
  EXPECT_DOUBLE_EQ(curves[0]["points"][1]["v"].get<double>(), 125.0);
  ASSERT_EQ(curves[1]["points"].size(), 1u);
  EXPECT_DOUBLE_EQ(curves[1]["points"][0]["v"].get<double>(), -120.0);
}

TEST_F(AdminApiTest, LoginSessionCsrfAndTradersKeptOut) {
  Start();
  // Wrong password: refused, no cookie.
  Answer bad =
      Call(port_, "POST", "/admin/api/login", json{{"password", "wrong password!"}}.dump(), {});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body["error"]["code"], "bad_password");
  EXPECT_TRUE(bad.set_cookie.empty());
  // No session: every view is 401 in the error shape; a trader's dev token does not open it.
  Answer anon = Call(port_, "GET", "/admin/api/overview", "", {});
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(anon.body["error"]["code"], "unauthorized");
  Answer trader = TraderGet("/admin/api/overview", "fang");
  EXPECT_EQ(trader.status, 401);

  Login();
  EXPECT_NE(cookie_.find("bitten_admin="), std::string::npos);
  EXPECT_EQ(admin_.rfind("admin#", 0), 0u);
  Answer session = AdminGet("/admin/api/session");
  ASSERT_EQ(session.status, 200);
  EXPECT_EQ(session.body["csrf"], csrf_);
  Answer o = AdminGet("/admin/api/overview");
  ASSERT_EQ(o.status, 200) << o.body.dump();
  EXPECT_EQ(o.body["engine"]["paused"], false);
  EXPECT_EQ(o.body["users"].size(), 2u);
  EXPECT_EQ(o.body["terminals"][0]["terminal_id"], kTerminal);

  // A control without the CSRF token, or with another, is refused and changes nothing.
  Answer no_csrf = Call(port_, "POST", "/admin/api/engine/pause", "{}", {{"Cookie", cookie_}});
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(no_csrf.body["error"]["code"], "csrf");
  Answer wrong_csrf = Call(port_, "POST", "/admin/api/engine/pause", "{}",
                           {{"Cookie", cookie_}, {"X-CSRF-Token", std::string(64, 'a')}});
  EXPECT_EQ(wrong_csrf.status, 403);
  EXPECT_EQ(AdminGet("/admin/api/overview").body["engine"]["paused"], false);
  EXPECT_TRUE(LastEvent("engine_paused").is_null());

  // Logout ends the session.
  Answer out = AdminPost("/admin/api/logout");
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.set_cookie.find("Max-Age=0"), std::string::npos) << out.set_cookie;
  EXPECT_EQ(AdminGet("/admin/api/overview").status, 401);
}

TEST_F(AdminApiTest, LoginAttemptsAreRateLimitedPerAddress) {
  config_.admin.login_max_attempts = 2;
  Start();
  const std::string wrong = json{{"password", "wrong password!"}}.dump();
  EXPECT_EQ(Call(port_, "POST", "/admin/api/login", wrong, {}).status, 401);
  EXPECT_EQ(Call(port_, "POST", "/admin/api/login", wrong, {}).status, 401);
  // The window is full: even the right password waits.
  Answer limited =
      Call(port_, "POST", "/admin/api/login", json{{"password", kPassword}}.dump(), {});
  EXPECT_EQ(limited.status, 429) << limited.body.dump();
  EXPECT_EQ(limited.body["error"]["code"], "rate_limited");
  EXPECT_FALSE(limited.retry_after.empty());
  EXPECT_TRUE(limited.set_cookie.empty());
  clock_.Advance((config_.admin.login_window_s + 1) * 1000);
  Login();
  EXPECT_EQ(AdminGet("/admin/api/session").status, 200);
}

TEST_F(AdminApiTest, KillSwitchRefusesFiresAndIsJournaledWithTheOperator) {
  Put p = StartWithSignal({"fang", "rival"});
  Answer on = AdminPost("/admin/api/kill-switch", {{"on", true}});
  ASSERT_EQ(on.status, 200) << on.body.dump();
  EXPECT_EQ(on.body["kill_switch"], true);
  Answer refused = Fire(p.mission_of["fang"], "fang");
  EXPECT_EQ(refused.status, 403) << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["code"], "kill_switch");
  json ev = LastEvent("kill_switch_on");
  ASSERT_FALSE(ev.is_null());
  EXPECT_EQ(ev["payload"]["by"], admin_);
  EXPECT_EQ(AdminPost("/admin/api/kill-switch", {{"not", 1}}).status, 400);

  Answer off = AdminPost("/admin/api/kill-switch", {{"on", false}});
  ASSERT_EQ(off.status, 200);
  Answer fired = Fire(p.mission_of["fang"], "fang");
  EXPECT_EQ(fired.status, 202) << fired.body.dump();
  EXPECT_FALSE(LastEvent("kill_switch_off").is_null());

  // Restart: the switch state is durable (kv), so "off" stays off.
  Stop();
  Start();
  Login();
  EXPECT_EQ(AdminGet("/admin/api/overview").body["engine"]["kill_switch"], false);
}

TEST_F(AdminApiTest, CancelSignalCancelsPendingMissionsAndRefusesLaterFires) {
  Put p = StartWithSignal({"fang", "rival"});
  // fang fires first: its mission keeps its fire; rival's pending mission is cancelled.
  ASSERT_EQ(Fire(p.mission_of["fang"], "fang").status, 202);
  Settle();
  Answer c = AdminPost("/admin/api/signals/" + p.signal_id + "/cancel");
  ASSERT_EQ(c.status, 200) << c.body.dump();
  EXPECT_EQ(c.body["cancelled"], 1);
  EXPECT_EQ(c.body["mission_ids"][0], p.mission_of["rival"]);

  Answer late = Fire(p.mission_of["rival"], "rival");
  EXPECT_EQ(late.status, 409) << late.body.dump();
  EXPECT_EQ(late.body["error"]["code"], "mission_closed");
  Answer hud = TraderGet("/api/missions/" + p.mission_of["rival"], "rival");
  EXPECT_EQ(hud.body["status"], "cancelled");
  EXPECT_EQ(TraderGet("/api/missions/" + p.mission_of["fang"], "fang").body["status"], "fired");

  auto db = Reader();
  auto m = store::GetMission(*db, p.mission_of["rival"]);
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->status, missions::MissionStatus::kCancelled);
  json ev = LastEvent("signal_cancelled");
  ASSERT_FALSE(ev.is_null());
  EXPECT_EQ(ev["payload"]["by"], admin_);
  EXPECT_EQ(ev["signal_id"], p.signal_id);
  // Cancelling again has nothing left to cancel; an unknown signal is 404.
  EXPECT_EQ(AdminPost("/admin/api/signals/" + p.signal_id + "/cancel").body["cancelled"], 0);
  EXPECT_EQ(AdminPost("/admin/api/signals/" + NewUuidV7(clock_) + "/cancel").status, 404);

  // The funnel shows it: 2 built, 1 fired, 1 cancelled.
  Answer o = AdminGet("/admin/api/overview");
  ASSERT_EQ(o.body["funnel"].size(), 1u);
  const json& f = o.body["funnel"][0];
  EXPECT_EQ(f["built"], 2);
  EXPECT_EQ(f["fired"], 1);
  EXPECT_EQ(f["cancelled"], 1);
}

TEST_F(AdminApiTest, HudOpenedCountsOncePerMissionInTheFunnel) {
  Put p = StartWithSignal({"fang", "rival"});
  auto funnel_of = [&] {
    Answer o = AdminGet("/admin/api/overview");
    EXPECT_EQ(o.status, 200);
    return o.body["funnel"][0];
  };
  EXPECT_EQ(funnel_of()["hud_opened"], 0);
  ASSERT_EQ(TraderGet("/api/missions/" + p.mission_of["fang"], "fang").status, 200);
  ASSERT_EQ(TraderGet("/api/signals/" + p.signal_id + "/mission", "fang").status, 200);
  EXPECT_EQ(funnel_of()["hud_opened"], 1);
  ASSERT_EQ(TraderGet("/api/signals/" + p.signal_id + "/mission", "rival").status, 200);
  EXPECT_EQ(funnel_of()["hud_opened"], 2);
  // Another user's mission is 404 and opens nothing.
  EXPECT_EQ(TraderGet("/api/missions/" + p.mission_of["fang"], "rival").status, 404);
  EXPECT_EQ(funnel_of()["hud_opened"], 2);
}

TEST_F(AdminApiTest, ChangeTierTakesEffectAndIsJournaled) {
  // FANG may fire PRECISION_STRIKE, PRESS_PASS may not (missions::DefaultTierRules).
  Put p = StartWithSignal({"fang"}, venom::SignalClass::kPrecisionStrike);
  const std::string id = users_.at("fang").user_id;
  Answer t = AdminPost("/admin/api/users/" + id + "/tier", {{"tier", "PRESS_PASS"}});
  ASSERT_EQ(t.status, 200) << t.body.dump();
  EXPECT_EQ(t.body["tier"], "PRESS_PASS");
  EXPECT_EQ(TraderGet("/api/me", "fang").body["user"]["tier"], "PRESS_PASS");
  // PRESS_PASS may not fire: the running server applies the new tier at once.
  Answer f = Fire(p.mission_of["fang"], "fang");
  EXPECT_EQ(f.status, 403) << f.body.dump();
  EXPECT_EQ(f.body["error"]["code"], "tier_not_allowed");
  auto db = Reader();
  auto u = store::GetUser(*db, id);
  ASSERT_TRUE(u && *u);
  EXPECT_EQ((*u)->tier, missions::Tier::kPressPass);
  json ev = LastEvent("user_tier_set");
  ASSERT_FALSE(ev.is_null());
  EXPECT_EQ(ev["payload"]["by"], admin_);
  EXPECT_EQ(ev["payload"]["from"], "FANG");
  EXPECT_EQ(AdminPost("/admin/api/users/" + id + "/tier", {{"tier", "GENERAL"}}).status, 400);
  EXPECT_EQ(AdminPost("/admin/api/users/nobody/tier", {{"tier", "FANG"}}).status, 404);
}

TEST_F(AdminApiTest, RotateSecretShowsItOnceAndTheOldOneStopsWorking) {
  StartWithSignal({"fang"});
  Answer r = AdminPost(std::string("/admin/api/terminals/") + kTerminal + "/rotate-secret");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  const std::string hex = r.body["secret_hex"];
  ASSERT_EQ(hex.size(), 64u);
  EXPECT_NE(hex, kSecretHex);
  EXPECT_TRUE(r.body.contains("warning"));  // t1 is also in the config
  EXPECT_EQ(Heartbeat(Raw(kSecretHex)).status, 401);
  EXPECT_EQ(Heartbeat(*FromHex(hex)).status, 200);
  auto db = Reader();
  auto t = store::GetTerminal(*db, kTerminal);
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->secret_hex, hex);
  json ev = LastEvent("terminal_secret_rotated");
  ASSERT_FALSE(ev.is_null());
  EXPECT_EQ(ev["payload"]["by"], admin_);
  EXPECT_EQ(ev.dump().find(hex), std::string::npos);  // the journal never holds the secret
  EXPECT_EQ(AdminPost("/admin/api/terminals/t9/rotate-secret").status, 404);
  // The terminal view reads the heartbeat's equity and positions.
  Answer o = AdminGet("/admin/api/overview");
  EXPECT_EQ(o.body["terminals"][0]["equity"], 10012.5);
  EXPECT_EQ(o.body["terminals"][0]["positions"], 2);
  EXPECT_EQ(o.body["terminals"][0]["online"], true);

  // A restart with the config still holding the old secret keeps the rotated one (the terminal
  // was given it); the old one stays refused.
  Stop();
  Start();
  EXPECT_EQ(Heartbeat(*FromHex(hex)).status, 200);
  EXPECT_EQ(Heartbeat(Raw(kSecretHex)).status, 401);
}

TEST_F(AdminApiTest, ResendAlertQueuesGroupAlertAndPendingDms) {
  Put p = StartWithSignal({"fang", "rival"});
  Answer r = AdminPost("/admin/api/signals/" + p.signal_id + "/resend");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["group"], true);
  EXPECT_EQ(r.body["dms"], 2);
  Settle();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'resend:%'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'resend-dm:%'"), 2);
  EXPECT_EQ(LastEvent("alert_resent")["payload"]["by"], admin_);
  // Once the signal expired there is nothing to re-send.
  clock_.Advance(16 * 60'000);
  Answer late = AdminPost("/admin/api/signals/" + p.signal_id + "/resend");
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(late.body["error"]["code"], "signal_expired");
}

TEST_F(AdminApiTest, JournalTraceByMissionId) {
  Put p = StartWithSignal({"fang"});
  ASSERT_EQ(Fire(p.mission_of["fang"], "fang").status, 202);
  Settle();
  Answer j = AdminGet("/admin/api/journal?id=" + p.mission_of["fang"]);
  ASSERT_EQ(j.status, 200) << j.body.dump();
  std::vector<std::string> types;
  for (const json& e : j.body["events"]) types.push_back(e["type"]);
  EXPECT_NE(std::find(types.begin(), types.end(), "fire_accepted"), types.end());
  for (const json& e : j.body["events"]) EXPECT_EQ(e["mission_id"], p.mission_of["fang"]);
  Answer none = AdminGet("/admin/api/journal?id=nothing-by-this-id");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.body["events"].empty());
  EXPECT_EQ(AdminGet("/admin/api/journal?id=" + std::string(200, 'x')).status, 400);
  // Charts answer with every series (empty where nothing happened yet).
  Answer c = AdminGet("/admin/api/charts");
  ASSERT_EQ(c.status, 200) << c.body.dump();
  EXPECT_EQ(c.body["signals_per_hour"].size(), 48u);
  EXPECT_EQ(c.body["fire_to_fill"]["fills"], 0);
}

TEST_F(AdminApiTest, PausedEngineDropsSignalsWhileTicksFlowThenResumes) {
  BITTEN_REQUIRE_MARKET_FILE(file, kMarketFile);
  clock_.Set(kDataStart);
  config_.engine.symbols = {"EURUSD"};
  Start();
  Login();
  ASSERT_EQ(Heartbeat(Raw(kSecretHex)).status, 200);
  ASSERT_EQ(AdminPost("/admin/api/engine/pause").status, 200);
  EXPECT_EQ(LastEvent("engine_paused")["payload"]["by"], admin_);

  auto feed = market::ReplayFeed::Open(file);
  ASSERT_TRUE(feed) << feed.error().message;
  bridge::TickBatch batch;
  batch.terminal = kTerminal;
  // Feeds batches of 40 ticks until `done(overview)`; false when the data ran out first.
  auto feed_until = [&](const std::function<bool(const json&)>& done) {
    for (std::size_t sent = 0; sent < 60000;) {
      auto tick = feed->Next();
      if (!tick) return false;
      batch.ticks.push_back(*tick);
      if (batch.ticks.size() < 40) continue;
      sent += batch.ticks.size();
      clock_.Set(batch.ticks.back().time);
      Answer a = Signed("/api/ticks", bridge::EncodeTickBatch(batch), Raw(kSecretHex));
      EXPECT_EQ(a.status, 200);
      batch.ticks.clear();
      if (sent % 400 == 0) (void)Heartbeat(Raw(kSecretHex));
      Settle();
      Answer o = AdminGet("/admin/api/overview");
      if (done(o.body)) return true;
    }
    return false;
  };
  ASSERT_TRUE(feed_until([](const json& o) { return o["engine"]["signals_dropped_paused"] > 0; }))
      << "the replayed data produced no signal";
  Answer paused = AdminGet("/admin/api/overview");
  EXPECT_GT(paused.body["engine"]["ticks"].get<std::int64_t>(), 0);  // ticks still flow
  EXPECT_EQ(paused.body["engine"]["signals"], 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM signals"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM missions"), 0);

  // Durable: a restart keeps the engine paused.
  Stop();
  Start();
  Login();
  EXPECT_EQ(AdminGet("/admin/api/overview").body["engine"]["paused"], true);

  ASSERT_EQ(AdminPost("/admin/api/engine/resume").status, 200);
  EXPECT_FALSE(LastEvent("engine_resumed").is_null());
  ASSERT_EQ(Heartbeat(Raw(kSecretHex)).status, 200);
  ASSERT_TRUE(feed_until([](const json& o) { return o["engine"]["signals"] > 0; }))
      << "no signal after resuming";
  EXPECT_GE(Count("SELECT COUNT(*) FROM signals"), 1);
}

}  // namespace
}  // namespace bitten::app
