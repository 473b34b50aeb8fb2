// The crash test of issue 4 (ctest label `chaos`): the fire path survives SIGKILL.
//
// Real parts only: the built `bitten serve` binary on a real SQLite file, and a real
// `bitten paper-bridge` process (the EA emulator: it claims fire.txt, records each fire_id in its
// executed-ids file before acting, and appends fills to trade_result.txt). The test seeds users,
// one signal and many pending missions into the store file (store API, before the first start:
// signal generation is not what is under test), then:
//
//   - client threads POST /api/fire continuously with dev-login tokens, on random missions of
//   random
//     users (fresh missions and repeats, so both accepted and duplicate answers happen), and record
//     every 202 (the acknowledged fires) and every duplicate answer;
//   - the server is started, left to work for a random time, and killed with SIGKILL, at least
//     kKills times; the bridge keeps running across the crashes;
//   - finally the server is started once more and left to recover (undelivered fires are sent
//     again) until every committed fire has a record in trade_result.txt, then stopped cleanly.
//
// The invariant checked (docs/operations.md "Crash safety"):
//   1. every acknowledged (202) fire has a committed fire row and exactly one fill in
//      trade_result.txt;
//   2. every fill names a fire that is committed (acknowledged, or committed with its 202 lost in
//      the crash: that is allowed), and no fire_id is filled twice (a re-delivered command gives a
//      `duplicate` record, never a second order); there is at most one fire row per mission;
//   3. a duplicate answer names the fire that was acknowledged for that mission;
//   4. `bitten audit verify` passes on the store file.
//
// Randomness (which mission, how long before each kill) comes from one seed, printed; set
// BITTEN_CHAOS_SEED to replay a run.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/dev_login.h"
#include "app/http_client.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/uuid.h"
#include "bridge/codec.h"
#include "common/paths.h"
#include "common/run_bitten.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/fires.h"
#include "store/missions.h"
#include "store/signals.h"
#include "store/statement.h"
#include "store/users.h"
#include "store/writer.h"
#include "venom/signal.h"

extern char** environ;

namespace bitten {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTerminal[] = "t1";
constexpr char kSecretHex[] = "6b1f0c2a9d8e7f6051423324150617283940aabbccddeeff0011223344556677";
constexpr char kDevSecretHex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr int kUsers = 20;
constexpr int kMissionsPerUser = 60;
constexpr int kKills = 22;
constexpr int kClients = 6;

// A child process with stdout and stderr appended to `log`.
class Child {
 public:
  Child(const std::vector<std::string>& args, const fs::path& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) pid_ = -1;
  }
  ~Child() { Kill(SIGKILL); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool started() const { return pid_ > 0; }
  // Sends `sig` and reaps the process; its exit status (128 + signal when killed).
  int Kill(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  bool Exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

std::uint16_t FreePort() {
  // Bind port 0 through a throwaway server socket, read the port, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

venom::Signal ChaosSignal(TimeMs now) {
  venom::Signal s;
  s.signal_id = "chaos-signal-1";
  s.symbol = "EURUSD";
  s.side = market::Side::kBuy;
  s.signal_class = venom::SignalClass::kRapidAssault;
  s.setup = "chaos";
  s.bar_time = now;
  s.entry = 1.085;
  // Far stops: valid against any quote of the EURUSD generator (it starts at 1.0850).
  s.sl = 0.5;
  s.tp = 5.0;
  s.digits = 5;
  s.sl_pips = 5850;
  s.tp_pips = 39150;
  s.confidence = 80;
  s.shield.score = 7;
  s.shield.band = venom::BandForScore(7);
  s.created_at = now;
  s.expires_at = now + 3 * 3600 * 1000;
  s.signal_hash = "chaos";
  return s;
}

struct Seeded {
  std::vector<std::string> user_ids;
  std::vector<std::vector<std::string>> missions;  // per user
};

Seeded SeedStore(const fs::path& db_path, const Clock& clock) {
  Seeded out;
  auto db = store::Database::Open(db_path, store::OpenMode::kReadWrite);
  EXPECT_TRUE(db) << db.error().message;
  store::Writer writer(std::move(*db), clock);
  const TimeMs now = clock.NowMs();
  const venom::Signal signal = ChaosSignal(now);
  std::vector<missions::User> users;
  std::vector<missions::Mission> ms;
  for (int u = 0; u < kUsers; ++u) {
    missions::User user;
    user.user_id = NewUuidV7(clock);
    user.telegram_id = 5000 + u;
    user.name = "chaos" + std::to_string(u);
    user.tier = missions::Tier::kFang;
    user.terminal_id = kTerminal;
    user.created_at = now;
    users.push_back(user);
    out.user_ids.push_back(user.user_id);
    out.missions.emplace_back();
    for (int i = 0; i < kMissionsPerUser; ++i) {
      missions::Mission m;
      m.mission_id = NewUuidV7(clock);
      m.signal_id = signal.signal_id;
      m.user_id = user.user_id;
      m.symbol = signal.symbol;
      m.side = signal.side;
      m.signal_class = signal.signal_class;
      m.entry = signal.entry;
      m.sl = signal.sl;
      m.tp = signal.tp;
      m.digits = 5;
      m.sl_pips = signal.sl_pips;
      m.tp_pips = signal.tp_pips;
      m.lots = 0.01;
      m.volume_step = 0.01;
      m.risk_money = 0.01;
      m.reward_money = 0.05;
      m.created_at = now;
      m.expires_at = signal.expires_at;
      m.briefing = "chaos";
      out.missions.back().push_back(m.mission_id);
      ms.push_back(std::move(m));
    }
  }
  Status s = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
    auto ins = store::InsertSignal(txn, signal);
    if (!ins) return tl::unexpected(ins.error());
    for (const missions::User& u : users) {
      if (Status st = store::InsertUser(txn, u); !st) return st;
    }
    return store::InsertMissions(txn, ms);
  });
  EXPECT_TRUE(s) << s.error().message;
  return out;
}

std::string ConfigToml(const fs::path& dir, std::uint16_t port) {
  std::ostringstream t;
  t << "log_level = \"warn\"\n"
    << "[server]\naddress = \"127.0.0.1\"\nport = " << port << "\nio_threads = 2\n"
    << "[store]\npath = \"" << (dir / "bitten.db").string() << "\"\n"
    << "[auth]\ndev_login = true\ndev_login_secret_hex = \"" << kDevSecretHex << "\"\n"
    << "[engine]\nsymbols = [\"GBPUSD\"]\n"  // no signals from the bridge's EURUSD ticks
    << "[[tiers]]\nname = \"FANG\"\nfires_per_day = 100000\nmax_open = 100000\n"
    << "daily_loss_cap_pct = 100.0\nauto_fire = false\nmay_fire_rapid = true\n"
    << "[[terminals]]\nterminal_id = \"" << kTerminal << "\"\nsecret_hex = \"" << kSecretHex
    << "\"\ndir = \"" << (dir / "t1").string() << "\"\nheartbeat_ttl_ms = 5000\n";
  return t.str();
}

// Fire records of trade_result.txt, by fire_id and type.
std::map<std::string, std::map<std::string, int>> ReadResults(const fs::path& file) {
  std::map<std::string, std::map<std::string, int>> out;
  std::ifstream in(file);
  std::string line;
  const std::string secret = *FromHex(kSecretHex);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto r = bridge::ParseResultLine(line, secret);
    if (!r) continue;
    ++out[r->fire_id][std::string(bridge::ToString(r->type))];
  }
  return out;
}

bool Healthy(const app::HttpClient& client) {
  auto r = client.Send("GET", "/healthz", "", {});
  return r && r->status == 200;
}

TEST(FireCrash, AcknowledgedFiresExecuteExactlyOnceAcrossKills) {
  std::uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("BITTEN_CHAOS_SEED")) seed = std::stoull(s);
  std::printf("chaos seed %llu (BITTEN_CHAOS_SEED=%llu replays it)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);

  testing::TempDir tmp;
  const fs::path dir = tmp.path();
  fs::create_directories(dir / "t1");
  const std::uint16_t port = FreePort();
  const fs::path config = dir / "bitten.toml";
  std::ofstream(config) << ConfigToml(dir, port);
  RealClock clock;
  const Seeded seeded = SeedStore(dir / "bitten.db", clock);
  ASSERT_EQ(seeded.user_ids.size(), static_cast<std::size_t>(kUsers));

  const std::string binary = testing::BittenBinary();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto start_server = [&] {
    return std::make_unique<Child>(
        std::vector<std::string>{binary, "serve", "--config", config.string()}, dir / "server.log");
  };
  Child bridge({binary,           "paper-bridge",
                "--dir",          (dir / "t1").string(),
                "--terminal",     kTerminal,
                "--secret",       kSecretHex,
                "--server",       base,
                "--symbol",       "EURUSD",
                "--speed",        "1",
                "--heartbeat-ms", "200",
                "--poll-ms",      "20",
                "--seed",         "7",
                "--log-level",    "warn"},
               dir / "bridge.log");
  ASSERT_TRUE(bridge.started());

  // Dev tokens valid for the whole test.
  const std::string dev_secret = *FromHex(kDevSecretHex);
  std::vector<std::string> tokens;
  for (const std::string& id : seeded.user_ids) {
    tokens.push_back(app::MintDevToken(dev_secret, id, clock.NowMs() + 3600 * 1000));
  }

  std::mutex mu;
  std::map<std::string, std::string> acked;  // fire_id -> mission_id (202)
  std::map<std::string, std::string> acked_by_mission;
  std::vector<std::pair<std::string, std::string>> duplicates;  // (mission_id, fire_id)
  std::map<std::string, int> outcomes;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    const std::uint64_t client_seed = rng();
    clients.emplace_back([&, client_seed] {
      std::mt19937_64 r(client_seed);
      app::HttpClient client({base, 500, 3000});
      while (!stop.load()) {
        const int u = static_cast<int>(r() % kUsers);
        const std::string& mission = seeded.missions[u][r() % kMissionsPerUser];
        auto res = client.Send(
            "POST", "/api/fire", json{{"mission_id", mission}}.dump(),
            {{"Authorization", "Bearer " + tokens[u]}, {"Content-Type", "application/json"}});
        if (!res) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        json body = json::parse(res->body, nullptr, false);
        std::lock_guard lock(mu);
        if (res->status == 202) {
          const std::string fire_id = body.value("fire_id", "");
          acked[fire_id] = mission;
          acked_by_mission[mission] = fire_id;
          ++outcomes["accepted"];
        } else if (res->status == 200 && body.value("duplicate", false)) {
          duplicates.emplace_back(mission, body.value("fire_id", ""));
          ++outcomes["duplicate"];
        } else if (body.is_object() && body.contains("error")) {
          ++outcomes[body["error"].value("code", "?")];
        } else {
          ++outcomes["http_" + std::to_string(res->status)];
        }
      }
    });
  }

  // The kill loop.
  app::HttpClient probe({base, 200, 1000});
  int kills = 0;
  while (kills < kKills) {
    auto server = start_server();
    ASSERT_TRUE(server->started());
    if (rng() % 5 == 0) {
      // Now and then during start-up itself (recovery, re-delivery, first fires).
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
      server->Kill(SIGKILL);
      ++kills;
      continue;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!Healthy(probe) && std::chrono::steady_clock::now() < deadline && !server->Exited()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(Healthy(probe)) << "server did not come up after kill " << kills << "\n"
                                << testing::ReadFileText(dir / "server.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 1200));
    EXPECT_EQ(server->Kill(SIGKILL), 128 + SIGKILL);
    ++kills;
  }

  // Last start: recovery delivers what was committed but not delivered; the load stops.
  auto server = start_server();
  {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!Healthy(probe) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(Healthy(probe)) << testing::ReadFileText(dir / "server.log");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop.store(true);
  for (std::thread& t : clients) t.join();

  // Wait until every committed fire has a record from the bridge.
  std::map<std::string, std::string> committed;  // fire_id -> mission_id
  std::map<std::string, std::map<std::string, int>> results;
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  std::size_t missing = 0;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto reader = store::Database::Open(dir / "bitten.db", store::OpenMode::kReadOnly);
    ASSERT_TRUE(reader) << reader.error().message;
    committed.clear();
    for (const auto& per_user : seeded.missions) {
      for (const std::string& m : per_user) {
        auto f = store::GetFireByMission(**reader, m);
        ASSERT_TRUE(f) << f.error().message;
        if (*f) committed[(*f)->fire_id] = m;
      }
    }
    results = ReadResults(dir / "t1" / "trade_result.txt");
    missing = 0;
    for (const auto& [fire_id, m] : committed) missing += results.count(fire_id) ? 0 : 1;
  } while (missing > 0 && std::chrono::steady_clock::now() < settle);
  EXPECT_EQ(server->Kill(SIGTERM), 0) << testing::ReadFileText(dir / "server.log");
  bridge.Kill(SIGTERM);

  std::printf("kills %d, acknowledged %zu, committed %zu, fire_ids with records %zu\n", kills,
              acked.size(), committed.size(), results.size());
  for (const auto& [o, n] : outcomes) std::printf("  answers %-22s %d\n", o.c_str(), n);
  std::fflush(stdout);

  EXPECT_GE(kills, 20);
  // The load was real: many fires acknowledged, repeats answered as duplicates.
  EXPECT_GE(acked.size(), 200u);
  EXPECT_GT(outcomes["duplicate"], 0);
  EXPECT_EQ(missing, 0u) << "committed fires never executed";

  // 1. Every acknowledged fire is committed and filled exactly once.
  for (const auto& [fire_id, mission] : acked) {
    auto c = committed.find(fire_id);
    ASSERT_NE(c, committed.end()) << "acknowledged fire " << fire_id << " is not in the store";
    EXPECT_EQ(c->second, mission);
    EXPECT_EQ(results[fire_id]["fill"], 1) << "fire " << fire_id;
  }
  // 2. Every order names a committed fire; none is filled twice.
  std::size_t lost_202 = 0;
  for (const auto& [fire_id, types] : results) {
    for (const auto& [type, n] : types) {
      EXPECT_TRUE(type == "fill" || type == "duplicate" || type == "close")
          << "fire " << fire_id << " has a '" << type << "' record";
    }
    auto fill = types.find("fill");
    if (fill == types.end()) continue;
    EXPECT_EQ(fill->second, 1) << "fire " << fire_id << " filled " << fill->second << " times";
    EXPECT_TRUE(committed.count(fire_id)) << "order without a committed fire: " << fire_id;
    if (!acked.count(fire_id)) ++lost_202;
  }
  std::printf("committed fires whose 202 was lost in a crash: %zu\n", lost_202);
  // 3. Duplicate answers name the acknowledged fire of their mission.
  for (const auto& [mission, fire_id] : duplicates) {
    auto a = acked_by_mission.find(mission);
    if (a != acked_by_mission.end()) {
      EXPECT_EQ(a->second, fire_id) << "mission " << mission;
    }
  }
  // 4. The journal's hash chain is intact.
  const testing::BittenRun audit =
      testing::RunBitten(dir, {"audit", "verify", "--db", (dir / "bitten.db").string()});
  EXPECT_EQ(audit.code, 0) << audit.out << audit.err;
}

}  // namespace
}  // namespace bitten
