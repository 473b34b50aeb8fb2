// Fire accepted -> fire.txt visible, with no load (issue 4, docs/performance.md "Fire to command
// file"). A real app::Server in process (RealClock, temp SQLite file, temp terminal folder), one
// user with pending missions (seeded through the store API), the terminal's heartbeat handed to the
// core as the bridge would. Each iteration: POST /api/fire over real HTTP on a fresh mission, then
// poll (stat, every 20 µs) until fire.txt exists, then claim it as the EA does (rename to
// fire.<id>.claimed) so the next command can be written. Reported per fire, p50 and p99:
//   post_to_202   the HTTP round trip of the fire (the 202 comes after the commit),
//   post_to_file  request sent -> fire.txt visible,
//   after_202     202 received -> fire.txt visible (0 when the file was already there).
// The reference in the same run is BM_HealthzRoundTrip: GET /healthz on the same server.
//
//   build/default/bench/fire_latency_bench --benchmark_min_time=1x
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/core.h"
#include "app/dev_login.h"
#include "app/http_client.h"
#include "app/server.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/uuid.h"
#include "bridge/codec.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/missions.h"
#include "store/signals.h"
#include "store/users.h"
#include "store/writer.h"
#include "venom/signal.h"

namespace {

namespace fs = std::filesystem;
using namespace bitten;
using Steady = std::chrono::steady_clock;

constexpr int kFires = 1000;
constexpr char kSecretHex[] = "6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677";
constexpr char kDevSecretHex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

struct Fixture {
  fs::path dir;
  RealClock clock;
  app::Config config;
  std::string user_id;
  std::vector<std::string> missions;
  std::unique_ptr<app::Server> server;
  std::unique_ptr<app::HttpClient> http;

  Fixture() {
    SetupLogging({"warn", "text"});
    dir = fs::temp_directory_path() / ("bitten-fire-latency-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "t1");
    config.server.address = "127.0.0.1";
    config.server.port = 0;
    config.store.path = (dir / "bitten.sqlite").string();
    config.auth.dev_login = true;
    config.auth.dev_login_secret_hex = kDevSecretHex;
    config.engine.symbols = {"GBPUSD"};
    for (missions::TierRules& r : config.tiers) {
      r.fires_per_day = 1'000'000;
      r.max_open = 1'000'000;
      r.daily_loss_cap_pct = 100;
    }
    config.terminals.push_back({"t1", kSecretHex, (dir / "t1").string(), 600'000});
    Seed();
    auto s = app::Server::Start(config, clock);
    if (!s) throw std::runtime_error(s.error().message);
    server = std::move(*s);
    http = std::make_unique<app::HttpClient>(
        app::HttpClientOptions{"http://127.0.0.1:" + std::to_string(server->port()), 2000, 10000});
    bridge::Heartbeat hb;
    hb.terminal = "t1";
    hb.time = clock.NowMs();
    hb.currency = "USD";
    hb.balance = hb.equity = hb.margin_free = 100000;
    hb.leverage = 100;
    hb.connected = hb.trade_allowed = true;
    server->core().OnHeartbeat("t1", hb);
    server->core().RunSync([] {});
  }
  ~Fixture() {
    server.reset();
    fs::remove_all(dir);
  }

  void Seed() {
    auto db = store::Database::Open(config.store.path, store::OpenMode::kReadWrite);
    store::Writer writer(std::move(*db), clock);
    const TimeMs now = clock.NowMs();
    venom::Signal s;
    s.signal_id = "latency-signal";
    s.symbol = "EURUSD";
    s.setup = "bench";
    s.bar_time = now;
    s.entry = 1.085;
    s.sl = 0.5;
    s.tp = 5.0;
    s.digits = 5;
    s.confidence = 80;
    s.shield.score = 7;
    s.shield.band = venom::BandForScore(7);
    s.created_at = now;
    s.expires_at = now + 3600 * 1000;
    s.signal_hash = s.signal_id;
    missions::User u;
    u.user_id = NewUuidV7(clock);
    u.name = "latency";
    u.tier = missions::Tier::kCommander;
    u.terminal_id = "t1";
    u.created_at = now;
    user_id = u.user_id;
    std::vector<missions::Mission> ms;
    for (int i = 0; i < kFires; ++i) {
      missions::Mission m;
      m.mission_id = NewUuidV7(clock);
      m.signal_id = s.signal_id;
      m.user_id = u.user_id;
      m.symbol = "EURUSD";
      m.entry = s.entry;
      m.sl = s.sl;
      m.tp = s.tp;
      m.lots = 0.01;
      m.risk_money = 0.01;
      m.created_at = now;
      m.expires_at = s.expires_at;
      missions.push_back(m.mission_id);
      ms.push_back(std::move(m));
    }
    (void)writer.SubmitAndWait([&](store::Txn& txn) -> Status {
      auto r = store::InsertSignal(txn, s);
      if (!r) return tl::unexpected(r.error());
      if (Status st = store::InsertUser(txn, u); !st) return st;
      return store::InsertMissions(txn, ms);
    });
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

void BM_FireToCommandFile(benchmark::State& state) {
  Fixture& f = F();
  const std::string token =
      app::MintDevToken(*FromHex(kDevSecretHex), f.user_id, f.clock.NowMs() + 3600 * 1000);
  const fs::path fire = f.dir / "t1" / "fire.txt";
  std::vector<double> to_202, to_file, after_202;
  std::size_t next = 0;
  for (auto _ : state) {
    if (next >= f.missions.size()) {
      state.SkipWithError("out of missions");
      break;
    }
    const std::string body = nlohmann::json{{"mission_id", f.missions[next++]}}.dump();
    const auto t0 = Steady::now();
    auto r =
        f.http->Send("POST", "/api/fire", body,
                     {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
    const auto t202 = Steady::now();
    if (!r || r->status != 202) {
      state.SkipWithError(r ? r->body.c_str() : r.error().message.c_str());
      break;
    }
    while (!fs::exists(fire)) std::this_thread::sleep_for(std::chrono::microseconds(20));
    const auto tfile = Steady::now();
    const std::string fire_id = nlohmann::json::parse(r->body)["fire_id"];
    fs::rename(fire, f.dir / "t1" / ("fire." + fire_id + ".claimed"));
    auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
    to_202.push_back(us(t202 - t0));
    to_file.push_back(us(tfile - t0));
    after_202.push_back(std::max(0.0, us(tfile - t202)));
  }
  state.counters["post_to_202_p50_us"] = Percentile(to_202, 0.50);
  state.counters["post_to_202_p99_us"] = Percentile(to_202, 0.99);
  state.counters["post_to_file_p50_us"] = Percentile(to_file, 0.50);
  state.counters["post_to_file_p99_us"] = Percentile(to_file, 0.99);
  state.counters["after_202_p50_us"] = Percentile(after_202, 0.50);
  state.counters["after_202_p99_us"] = Percentile(after_202, 0.99);
}
BENCHMARK(BM_FireToCommandFile)->Iterations(kFires)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_HealthzRoundTrip(benchmark::State& state) {
  Fixture& f = F();
  std::vector<double> rt;
  for (auto _ : state) {
    const auto t0 = Steady::now();
    auto r = f.http->Send("GET", "/healthz", "", {});
    rt.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
    if (!r || r->status != 200) state.SkipWithError("healthz failed");
  }
  state.counters["p50_us"] = Percentile(rt, 0.50);
  state.counters["p99_us"] = Percentile(rt, 0.99);
}
BENCHMARK(BM_HealthzRoundTrip)->Iterations(kFires)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
