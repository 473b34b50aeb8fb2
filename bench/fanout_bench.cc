// One signal fanned out to 100,000 users, as Core::EmitSignal does it (issue 4, docs/performance.md
// "(b)"): every mission built (missions::SignalMissionBuilder with a batch of ids, as the core
// does: sizing, briefing) and committed through store::Writer in one work (signal row,
// signal_emitted and missions_built journal events, the mission rows), against the reference
// measured in the same run: a plain SQLite bulk insert of the very same mission rows (one prepared
// INSERT, one transaction) into a fresh file with the same schema and pragmas (WAL,
// synchronous=FULL, the same connection flags: store::Database::Open).
//
//   build/default/bench/fanout_bench
//
// Each iteration uses a fresh database file in a temp folder (setup excluded from the timing).
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/uuid.h"
#include "market/instrument.h"
#include "missions/builder.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/journal.h"
#include "store/missions.h"
#include "store/signals.h"
#include "store/users.h"
#include "store/writer.h"
#include "venom/signal.h"

namespace {

namespace fs = std::filesystem;
using namespace bitten;

constexpr int kUsers = 100'000;

struct Row {
  std::string mission_id, signal_id, user_id, status, json;
  std::int64_t expires_at = 0, created_at = 0;
};

fs::path FreshDbPath() {
  static int n = 0;
  const fs::path dir =
      fs::temp_directory_path() / ("bitten-fanout-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / ("db" + std::to_string(n++) + ".sqlite");
  return p;
}

void RemoveDb(const fs::path& p) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
}

const std::vector<missions::User>& Users() {
  static const std::vector<missions::User> users = [] {
    RealClock clock;
    std::vector<missions::User> out;
    out.reserve(kUsers);
    for (int i = 0; i < kUsers; ++i) {
      missions::User u;
      u.user_id = NewUuidV7(clock);
      u.name = "user" + std::to_string(i);
      u.tier = static_cast<missions::Tier>(i % 4);
      u.terminal_id = "t" + std::to_string(i % 50);
      out.push_back(std::move(u));
    }
    return out;
  }();
  return users;
}

venom::Signal MakeSignal(const Clock& clock) {
  venom::Signal s;
  s.signal_id = NewUuidV7(clock);
  s.symbol = "EURUSD";
  s.side = market::Side::kBuy;
  s.signal_class = venom::SignalClass::kRapidAssault;
  s.setup = "ema_cross_rsi";
  s.bar_time = clock.NowMs();
  s.entry = 1.08500;
  s.sl = 1.08300;
  s.tp = 1.08900;
  s.digits = 5;
  s.sl_pips = 20;
  s.tp_pips = 40;
  s.confidence = 78;
  s.shield.score = 7.2;
  s.shield.band = venom::BandForScore(7.2);
  s.shield.explanation = "trend aligned";
  s.created_at = clock.NowMs();
  s.expires_at = s.created_at + 900'000;
  s.signal_hash = s.signal_id;
  return s;
}

// The users' rows (the missions reference them: foreign keys are on), written before the timing.
Status InsertUsers(store::Writer& writer) {
  return writer.SubmitAndWait([](store::Txn& txn) -> Status {
    for (const missions::User& u : Users()) {
      if (Status s = store::InsertUser(txn, u); !s) return s;
    }
    return Ok();
  });
}

// The rows the last fan-out committed (the reference inserts exactly these).
std::vector<Row>& LastRows() {
  static std::vector<Row> rows;
  return rows;
}
venom::Signal& LastSignal() {
  static venom::Signal signal;
  return signal;
}

void BM_FanoutThroughWriter(benchmark::State& state) {
  RealClock clock;
  const auto& users = Users();
  const auto rules = missions::DefaultTierRules();
  const auto instruments = market::InstrumentTable::Defaults();
  const market::Instrument& inst = *instruments.Find("EURUSD");
  missions::AccountView account{true, 10000, "USD"};
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path path = FreshDbPath();
    auto db = store::Database::Open(path, store::OpenMode::kReadWrite);
    if (!db) {
      state.SkipWithError(db.error().message.c_str());
      return;
    }
    auto writer = std::make_unique<store::Writer>(std::move(*db), clock);
    if (Status u = InsertUsers(*writer); !u) {
      state.SkipWithError(u.error().message.c_str());
      return;
    }
    const venom::Signal signal = MakeSignal(clock);
    LastSignal() = signal;
    state.ResumeTiming();

    auto built = std::make_shared<std::vector<missions::Mission>>();
    built->reserve(users.size());
    const missions::SignalMissionBuilder builder(signal, inst);
    std::vector<std::string> ids = NewUuidV7Batch(clock, users.size());
    std::size_t next_id = 0;
    for (const missions::User& u : users) {
      const missions::TierRules* r = &rules.front();
      for (const missions::TierRules& t : rules) {
        if (t.tier == u.tier) r = &t;
      }
      built->push_back(
          builder.Build(std::move(ids[next_id++]), clock.NowMs(), u, *r, account, 10.0));
    }
    Status s = writer->SubmitAndWait([&](store::Txn& txn) -> Status {
      auto stored = store::InsertSignal(txn, signal);
      if (!stored) return tl::unexpected(stored.error());
      store::Event e;
      e.type = "signal_emitted";
      e.signal_id = signal.signal_id;
      e.payload = venom::ToJson(signal);
      if (auto j = store::AppendEvent(txn, e); !j) return tl::unexpected(j.error());
      if (Status m = store::InsertMissions(txn, *built); !m) return m;
      nlohmann::json ids = nlohmann::json::array();
      ids.get_ref<nlohmann::json::array_t&>().reserve(built->size());
      for (const missions::Mission& m : *built) ids.push_back(m.mission_id);
      e.type = "missions_built";
      e.payload = nlohmann::json::object();
      e.payload["count"] = built->size();
      e.payload["mission_ids"] = std::move(ids);
      // Moved in, as Core::EmitSignal does: the event carries every id.
      if (auto j = store::AppendEvent(txn, std::move(e)); !j) return tl::unexpected(j.error());
      return Ok();
    });
    if (!s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }

    state.PauseTiming();
    writer.reset();
    {
      // Keep the committed rows for the reference.
      auto reader = store::Database::Open(path, store::OpenMode::kReadOnly);
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2((*reader)->handle(),
                         "SELECT mission_id, signal_id, user_id, status, expires_at, created_at, "
                         "json FROM missions",
                         -1, &st, nullptr);
      auto& rows = LastRows();
      rows.clear();
      while (sqlite3_step(st) == SQLITE_ROW) {
        auto text = [&](int i) {
          return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i)));
        };
        rows.push_back({text(0), text(1), text(2), text(3), text(6), sqlite3_column_int64(st, 4),
                        sqlite3_column_int64(st, 5)});
      }
      sqlite3_finalize(st);
    }
    RemoveDb(path);
    state.ResumeTiming();
  }
  state.counters["missions"] = kUsers;
  state.counters["missions_per_s"] = benchmark::Counter(
      static_cast<double>(kUsers), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FanoutThroughWriter)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_PlainSqliteBulkInsert(benchmark::State& state) {
  RealClock clock;
  const auto& rows = LastRows();
  if (rows.size() != static_cast<std::size_t>(kUsers)) {
    state.SkipWithError("run BM_FanoutThroughWriter first (it provides the rows)");
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path path = FreshDbPath();
    {
      // Same schema, pragmas and users; then the writer is closed again.
      auto setup = store::Database::Open(path, store::OpenMode::kReadWrite);
      if (!setup) {
        state.SkipWithError(setup.error().message.c_str());
        return;
      }
      store::Writer writer(std::move(*setup), clock);
      Status u = InsertUsers(writer);
      if (u) {
        u = writer.SubmitAndWait([](store::Txn& txn) -> Status {
          auto r = store::InsertSignal(txn, LastSignal());
          if (!r) return tl::unexpected(r.error());
          return Ok();
        });
      }
      if (!u) {
        state.SkipWithError(u.error().message.c_str());
        return;
      }
    }
    auto db = store::Database::Open(path, store::OpenMode::kReadWrite);
    if (!db) {
      state.SkipWithError(db.error().message.c_str());
      return;
    }
    sqlite3* h = (*db)->handle();
    state.ResumeTiming();

    sqlite3_exec(h, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h,
                       "INSERT INTO missions(mission_id, signal_id, user_id, status, expires_at, "
                       "created_at, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       -1, &st, nullptr);
    for (const Row& r : rows) {
      sqlite3_bind_text(st, 1, r.mission_id.data(), static_cast<int>(r.mission_id.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(st, 2, r.signal_id.data(), static_cast<int>(r.signal_id.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(st, 3, r.user_id.data(), static_cast<int>(r.user_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 4, r.status.data(), static_cast<int>(r.status.size()), SQLITE_STATIC);
      sqlite3_bind_int64(st, 5, r.expires_at);
      sqlite3_bind_int64(st, 6, r.created_at);
      sqlite3_bind_text(st, 7, r.json.data(), static_cast<int>(r.json.size()), SQLITE_STATIC);
      if (sqlite3_step(st) != SQLITE_DONE) {
        state.SkipWithError(sqlite3_errmsg(h));
        sqlite3_finalize(st);
        return;
      }
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      state.SkipWithError(sqlite3_errmsg(h));
      return;
    }

    state.PauseTiming();
    db->reset();
    RemoveDb(path);
    state.ResumeTiming();
  }
  state.counters["missions"] = kUsers;
  state.counters["missions_per_s"] = benchmark::Counter(
      static_cast<double>(kUsers), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PlainSqliteBulkInsert)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
