// Alert fan-out benchmark (issue 6): one signal to N users (default 10,000): the group alert and N
// mission DMs are written to the durable outbox in a real SQLite store (one Writer work, as
// Core::OnSignal does), then the real OutboxSender with the default CONTRACTS §5 limits (30/s
// overall, 1/s per chat, 20/min per group) hands them to the Bot API at BITTEN_TG_URL (the
// telegram-test-api emulator, started by scripts/bench-telegram.sh). Measures the time until the
// last DM was accepted and this process's CPU time (user + system) over the same span.
//
// Counters: messages, wall_s (enqueue to last accepted), enqueue_ms, cpu_s, cpu_pct (cpu_s /
// wall_s), rate (messages per second). Environment: BITTEN_TG_URL (required), BITTEN_FANOUT_USERS.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "app/cli.h"
#include "app/outbox_adapter.h"
#include "base/clock.h"
#include "store/db.h"
#include "store/outbox.h"
#include "telegram/messages.h"
#include "telegram/outbox.h"

namespace {

using namespace bitten;

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void BM_AlertFanout(benchmark::State& state) {
  const char* url = std::getenv("BITTEN_TG_URL");
  if (url == nullptr) {
    state.SkipWithError("BITTEN_TG_URL is not set (run scripts/bench-telegram.sh)");
    return;
  }
  const char* n_env = std::getenv("BITTEN_FANOUT_USERS");
  const int users = n_env ? std::atoi(n_env) : 10000;
  for (auto _ : state) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("bitten-fanout-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string db_path = (dir / "bitten.db").string();
    auto writer = app::OpenStoreWriter(db_path);
    if (!writer) {
      state.SkipWithError(writer.error().message.c_str());
      return;
    }
    RealClock clock;

    const double cpu0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    // One signal: the group alert and one DM per user, in one work (as Core::OnSignal).
    telegram::AlertView alert;
    alert.signal_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
    alert.symbol = "EURUSD";
    alert.side = "BUY";
    alert.signal_class = "RAPID_ASSAULT";
    alert.confidence = 84;
    alert.shield_band = "SHIELD_APPROVED";
    alert.shield_score = 8.2;
    alert.entry = "1.08501";
    alert.sl = "1.08250";
    alert.tp = "1.08750";
    alert.expires_at = clock.NowMs() + 3600000;
    Status s = (*writer)->SubmitAndWait([&](store::Txn& txn) -> Status {
      auto add = [&](const telegram::OutMessage& msg, int prio, std::string key) -> Status {
        store::OutboxMessage row;
        row.priority = app::kOutboxPriorityBase - prio;
        row.chat_id = msg.params.value("chat_id", std::int64_t{0});
        row.method = msg.method;
        row.payload = msg.params.dump();
        row.dedup_key = std::move(key);
        row.created_at = clock.NowMs();
        auto r = store::EnqueueOutbox(txn, row);
        if (!r) return tl::unexpected(r.error());
        return Ok();
      };
      if (Status a = add(telegram::GroupAlert(alert, {-100500, "bitten_bot", "hud"}),
                         telegram::kPriorityAlert, "alert:" + alert.signal_id);
          !a) {
        return a;
      }
      for (int i = 0; i < users; ++i) {
        telegram::MissionDmView v;
        v.mission_id = "m" + std::to_string(i);
        v.signal_id = alert.signal_id;
        v.symbol = "EURUSD";
        v.side = "BUY";
        v.signal_class = "RAPID_ASSAULT";
        v.lots = 0.12;
        v.risk_money = 30;
        v.reward_money = 29.88;
        v.currency = "USD";
        v.entry = alert.entry;
        v.sl = alert.sl;
        v.tp = alert.tp;
        v.expires_at = alert.expires_at;
        v.can_fire = true;
        if (Status d = add(telegram::MissionDm(v, 1000000 + i, "https://example.org/hud/"),
                           telegram::kPriorityMission, "dm:" + v.mission_id);
            !d) {
          return d;
        }
      }
      return Ok();
    });
    if (!s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }
    const auto t_enqueued = std::chrono::steady_clock::now();

    auto reader = store::Database::Open(db_path, store::OpenMode::kReadOnly);
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      return;
    }
    app::StoreOutbox outbox(std::move(*reader), **writer);
    std::atomic<int> sent{0};
    std::atomic<std::int64_t> last_ns{0};
    telegram::OutboxSender::Options o;
    o.api.base_url = url;
    o.api.token = "777:fanout-bench";
    telegram::OutboxSender sender(o, outbox, clock,
                                  [&](const telegram::OutboxItem&, std::int64_t, TimeMs) {
                                    last_ns = (std::chrono::steady_clock::now() - t0).count();
                                    sent.fetch_add(1);
                                  });
    sender.Start();
    while (sent.load() < users + 1 && !sender.failure()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double cpu1 = CpuSeconds();
    sender.Stop();
    const double wall = static_cast<double>(last_ns.load()) / 1e9;
    state.SetIterationTime(wall);
    state.counters["messages"] = sent.load();
    state.counters["wall_s"] = wall;
    state.counters["enqueue_ms"] =
        std::chrono::duration<double, std::milli>(t_enqueued - t0).count();
    state.counters["cpu_s"] = cpu1 - cpu0;
    state.counters["cpu_pct"] = 100.0 * (cpu1 - cpu0) / wall;
    state.counters["rate"] = sent.load() / wall;
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_AlertFanout)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
