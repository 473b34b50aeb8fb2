#include "store/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <latch>
#include <thread>
#include <vector>

#include "store/fires.h"
#include "store/kv.h"
#include "store/statement.h"
#include "store_fixture.h"

namespace bitten::store {
namespace {

using testing::StoreTest;

std::int64_t Count(const Database& db, const std::string& sql) {
  auto st = Statement::Prepare(db.handle(), sql);
  EXPECT_TRUE(st) << st.error().message;
  auto row = st->Step();
  EXPECT_TRUE(row && *row);
  return st->Int(0);
}

Writer::Work SetKey(std::string key, std::string value = "v") {
  return [key, value](Txn& txn) { return KvSet(txn, key, value); };
}

// Holds the writer thread inside a work until Release(), so that later submits pile up in the
// queue.
class WriterGate {
 public:
  Writer::Work Work() {
    return [this](Txn&) -> Status {
      entered_.count_down();
      released_.wait();
      return Ok();
    };
  }
  void WaitEntered() { entered_.wait(); }
  void Release() { released_.count_down(); }

 private:
  std::latch entered_{1};
  std::latch released_{1};
};

class WriterTest : public StoreTest {};

TEST_F(WriterTest, SubmitAndWaitCommitsDurably) {
  StartWriter();
  Write(SetKey("a", "1"));
  auto reader = Reader();
  auto v = KvGet(*reader, "a");
  ASSERT_TRUE(v && v->has_value());
  EXPECT_EQ(**v, "1");
  EXPECT_TRUE(writer_->health());
  EXPECT_EQ(writer_->stats().commits, 1u);
}

TEST_F(WriterTest, QueuedWorksCommitTogetherInOneTransaction) {
  StartWriter();
  WriterGate gate;
  std::promise<Status> gate_done;
  writer_->Submit(gate.Work(), [&](Status s) { gate_done.set_value(s); });
  gate.WaitEntered();  // the writer is inside the first batch now

  constexpr int kWorks = 300;
  std::vector<std::promise<Status>> done(kWorks);
  for (int i = 0; i < kWorks; ++i) {
    writer_->Submit(SetKey("k" + std::to_string(i)), [&, i](Status s) { done[i].set_value(s); });
  }
  gate.Release();
  ASSERT_TRUE(gate_done.get_future().get());
  for (auto& d : done) ASSERT_TRUE(d.get_future().get());

  const WriterStats stats = writer_->stats();
  EXPECT_EQ(stats.works, kWorks + 1u);
  EXPECT_EQ(stats.commits, 2u);  // the gate's batch, then all 300 queued behind it
  EXPECT_EQ(stats.max_batch, static_cast<std::uint64_t>(kWorks));
  EXPECT_EQ(stats.last_batch, static_cast<std::uint64_t>(kWorks));
  EXPECT_GE(stats.last_commit_us, 0);
  EXPECT_EQ(Count(*Reader(), "SELECT COUNT(*) FROM kv WHERE key LIKE 'k%'"), kWorks);
}

TEST_F(WriterTest, ConcurrentSubmittersShareCommits) {
  StartWriter();
  constexpr int kThreads = 8, kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!writer_->SubmitAndWait(SetKey(std::to_string(t) + "/" + std::to_string(i)))) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const WriterStats stats = writer_->stats();
  EXPECT_EQ(stats.works, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.commits, stats.works);
  EXPECT_GT(stats.max_batch, 1u);
  EXPECT_EQ(Count(*Reader(), "SELECT COUNT(*) FROM kv"), kThreads * kPerThread);
}

// Txn::Cached prepares a statement once per connection and hands the same one to later works,
// reset and unbound; a read left mid-step by a work neither leaks into the next use nor blocks
// the COMMIT (the writer resets every cached statement before it commits).
TEST_F(WriterTest, CachedStatementsAreReusedResetAndNeverBlockTheCommit) {
  StartWriter();
  const std::string sql = "SELECT value FROM kv WHERE key = ?1";
  Statement* first = nullptr;
  Write([&](Txn& txn) -> Status {
    if (auto s = KvSet(txn, "a", "1"); !s) return s;
    auto st = txn.Cached(sql);
    if (!st) return tl::unexpected(st.error());
    first = *st;
    (*st)->Bind(1, "a");
    auto row = (*st)->Step();  // left mid-step on purpose: the writer must reset it
    EXPECT_TRUE(row && *row);
    return Ok();
  });
  Write([&](Txn& txn) -> Status {
    auto st = txn.Cached(sql);
    if (!st) return tl::unexpected(st.error());
    EXPECT_EQ(*st, first);     // the same prepared statement
    auto row = (*st)->Step();  // unbound: ?1 is NULL, so no row (bindings were cleared)
    EXPECT_TRUE(row && !*row);
    return KvSet(txn, "b", "2");
  });
  auto bad = writer_->SubmitAndWait([](Txn& txn) -> Status {
    auto st = txn.Cached("SELECT nonsense FROM no_such_table");
    if (!st) return tl::unexpected(st.error());
    return Ok();
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "store_sql");
  EXPECT_EQ(writer_->stats().commits, 3u);
  EXPECT_TRUE(writer_->health());
  auto reader = Reader();
  EXPECT_EQ(**KvGet(*reader, "a"), "1");
  EXPECT_EQ(**KvGet(*reader, "b"), "2");
}

// The WAL checkpoint runs on the checkpointer's own connection once the WAL holds >= 1,000 pages
// (docs/performance.md "Fire path"): the writer keeps committing meanwhile, the WAL is copied back
// into the database file, and every committed row is there for a reader.
TEST_F(WriterTest, TheWalIsCheckpointedOffTheWriterThreadAndNothingIsLost) {
  StartWriter();
  const std::string blob(3000, 'x');  // about one page per commit
  constexpr int kCommits = 1200;
  for (int i = 0; i < kCommits; ++i) Write(SetKey("k" + std::to_string(i), blob));
  // The checkpointer is woken after the commit that crossed 1,000 pages; wait for it to finish.
  for (int i = 0; i < 500 && writer_->stats().checkpoints == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(writer_->stats().checkpoints, 1u);
  EXPECT_EQ(writer_->stats().commits, static_cast<std::uint64_t>(kCommits));
  // Backfilled: the database file itself (without its WAL) now holds most of the pages written.
  EXPECT_GT(std::filesystem::file_size(DbPath()), 1000u * 4096u);
  Write(SetKey("after", "1"));  // the writer still commits after a checkpoint
  auto reader = Reader();
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM kv WHERE key LIKE 'k%'"), kCommits);
  EXPECT_EQ(**KvGet(*reader, "after"), "1");
  EXPECT_TRUE(writer_->health());
}

// Continuous commits never leave the checkpointer a moment with every frame copied back, so without
// the writer finishing the checkpoint SQLite would never start the WAL over and it would grow
// without bound (docs/performance.md "Session 6"). Here the writer is never idle: every batch is
// queued before the previous one commits.
TEST_F(WriterTest, UnderContinuousCommitsTheWalIsStartedOverAndStaysBounded) {
  WriterOptions options;
  options.max_batch = 200;
  options.max_queue = 20000;
  StartWriter(options);
  const std::string blob(3500, 'x');  // about one page per work
  constexpr int kWorks = 16000;       // about 64 MB through the WAL
  std::atomic<int> ok{0};
  std::promise<void> all;
  for (int i = 0; i < kWorks; ++i) {
    writer_->Submit(SetKey("k" + std::to_string(i), blob), [&](Status s) {
      if (s && ++ok == kWorks) all.set_value();
    });
  }
  all.get_future().wait();
  const WriterStats stats = writer_->stats();
  EXPECT_EQ(ok.load(), kWorks);
  EXPECT_GE(stats.wal_restarts, 1u) << stats.commits << " commits, " << stats.checkpoints
                                    << " checkpoints, WAL " << stats.wal_pages << " pages";
  // The WAL file keeps the size it reached before its last restart: far below what went through.
  const auto wal = std::filesystem::file_size(DbPath().string() + "-wal");
  EXPECT_LT(wal, 40u * 1024u * 1024u) << "WAL of " << wal << " bytes";
  // The write volume counts every commit's pages across the restarts: at least the one page of
  // each work's value, more than the WAL ever held at once.
  EXPECT_GE(stats.wal_frames, static_cast<std::uint64_t>(kWorks));
  EXPECT_GT(stats.wal_frames, wal / 4096u);
  EXPECT_EQ(Count(*Reader(), "SELECT COUNT(*) FROM kv WHERE key LIKE 'k%'"), kWorks);
}

// Urgency: a kSoon work waits for a kNow work and shares its commit; works and Dones keep the
// submission order.
TEST_F(WriterTest, ASoonWorkWaitsForTheNextNowWorkAndSharesItsCommit) {
  WriterOptions options;
  options.soon_within_us = 60'000'000;  // far longer than the test: only a kNow work starts it
  StartWriter(options);
  std::vector<std::string> order;  // appended on the writer thread only
  auto step = [&order](std::string name, std::string key) -> Writer::Work {
    return [&order, name, key](Txn& txn) {
      order.push_back(name + " work");
      return KvSet(txn, key, "v");
    };
  };
  std::promise<Status> soon_done;
  writer_->Submit(
      step("soon", "soon"),
      [&](Status s) {
        order.push_back("soon done");
        soon_done.set_value(s);
      },
      Urgency::kSoon);
  auto soon = soon_done.get_future();
  EXPECT_EQ(soon.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  EXPECT_EQ(writer_->stats().commits, 0u);
  EXPECT_EQ(writer_->stats().queued, 1u);

  std::promise<Status> now_done;
  writer_->Submit(step("now", "now"), [&](Status s) {
    order.push_back("now done");
    now_done.set_value(s);
  });
  ASSERT_TRUE(now_done.get_future().get());
  ASSERT_TRUE(soon.get());
  const WriterStats stats = writer_->stats();
  EXPECT_EQ(stats.commits, 1u);
  EXPECT_EQ(stats.last_batch, 2u);
  EXPECT_EQ(order, (std::vector<std::string>{"soon work", "now work", "soon done", "now done"}));
}

TEST_F(WriterTest, ASoonWorkAloneIsCommittedAfterItsWait) {
  WriterOptions options;
  options.soon_within_us = 20'000;
  StartWriter(options);
  std::promise<Status> done;
  writer_->Submit(
      SetKey("soon"), [&](Status s) { done.set_value(s); }, Urgency::kSoon);
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  ASSERT_TRUE(f.get());
  EXPECT_EQ(**KvGet(*Reader(), "soon"), "v");
  EXPECT_EQ(writer_->stats().commits, 1u);
}

TEST_F(WriterTest, SoonWorksAreCommittedAtStopAndWhenTheBatchIsFull) {
  WriterOptions options;
  options.soon_within_us = 60'000'000;
  options.max_batch = 5;
  StartWriter(options);
  std::atomic<int> ok{0};
  for (int i = 0; i < 5; ++i) {  // a full batch of kSoon works starts a transaction at once
    writer_->Submit(
        SetKey("full" + std::to_string(i)), [&](Status s) { ok += s ? 1 : 0; }, Urgency::kSoon);
  }
  for (int i = 0; i < 3000 && ok.load() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ok.load(), 5);
  for (int i = 0; i < 3; ++i) {  // fewer than a batch: they wait, and the stop commits them
    writer_->Submit(
        SetKey("stop" + std::to_string(i)), [&](Status s) { ok += s ? 1 : 0; }, Urgency::kSoon);
  }
  writer_.reset();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(Count(*Reader(), "SELECT COUNT(*) FROM kv"), 8);
}

TEST_F(WriterTest, AFailingWorkIsRolledBackAloneAndTheOthersCommit) {
  StartWriter();
  WriterGate gate;
  writer_->Submit(gate.Work(), nullptr);
  gate.WaitEntered();
  std::promise<Status> a, b, c;
  writer_->Submit(SetKey("a"), [&](Status s) { a.set_value(s); });
  writer_->Submit(
      [](Txn& txn) -> Status {
        if (auto s = KvSet(txn, "b", "written then undone"); !s) return s;
        return Fail("mission_closed", "refused on purpose");
      },
      [&](Status s) { b.set_value(s); });
  writer_->Submit(SetKey("c"), [&](Status s) { c.set_value(s); });
  gate.Release();

  EXPECT_TRUE(a.get_future().get());
  const Status sb = b.get_future().get();
  ASSERT_FALSE(sb);
  EXPECT_EQ(sb.error().code, "mission_closed");
  EXPECT_TRUE(c.get_future().get());
  EXPECT_EQ(writer_->stats().commits, 2u);
  EXPECT_EQ(writer_->stats().failed_works, 1u);
  EXPECT_TRUE(writer_->health());

  auto reader = Reader();
  EXPECT_TRUE(KvGet(*reader, "a")->has_value());
  EXPECT_FALSE(KvGet(*reader, "b")->has_value());
  EXPECT_TRUE(KvGet(*reader, "c")->has_value());
}

TEST_F(WriterTest, AThrowingWorkFailsAloneWithStoreException) {
  StartWriter();
  auto s = writer_->SubmitAndWait([](Txn& txn) -> Status {
    (void)KvSet(txn, "x", "1");
    throw std::runtime_error("boom");
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "store_exception");
  Write(SetKey("y"));
  auto reader = Reader();
  EXPECT_FALSE(KvGet(*reader, "x")->has_value());
  EXPECT_TRUE(KvGet(*reader, "y")->has_value());
}

TEST_F(WriterTest, CommitFailureIsStickyAndNothingAfterItIsCommitted) {
  WriterOptions options;
  options.fail_commit_after_n = 1;
  StartWriter(options);
  Write(SetKey("before"));

  // The failing commit carries a whole batch: none of it may be acknowledged.
  WriterGate gate;
  std::promise<Status> gate_done, x;
  writer_->Submit(gate.Work(), [&](Status s) { gate_done.set_value(s); });
  gate.WaitEntered();
  writer_->Submit(SetKey("x"), [&](Status s) { x.set_value(s); });
  gate.Release();
  for (auto* p : {&gate_done, &x}) {
    const Status s = p->get_future().get();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, "store_failed");
  }

  const Status health = writer_->health();
  ASSERT_FALSE(health);
  EXPECT_EQ(health.error().code, "store_failed");
  EXPECT_NE(health.error().message.find(DbPath().string()), std::string::npos);

  // Later submits are refused at once, without running.
  bool ran = false;
  const Status after = writer_->SubmitAndWait([&](Txn& txn) {
    ran = true;
    return KvSet(txn, "after", "v");
  });
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, "store_failed");
  EXPECT_FALSE(ran);

  writer_.reset();
  auto reader = Reader();
  EXPECT_TRUE(KvGet(*reader, "before")->has_value());
  EXPECT_FALSE(KvGet(*reader, "x")->has_value());
  EXPECT_FALSE(KvGet(*reader, "after")->has_value());
  EXPECT_EQ(Count(*reader, "SELECT COUNT(*) FROM kv"), 1);
}

TEST_F(WriterTest, AFullQueueRefusesFastWithStoreBusy) {
  WriterOptions options;
  options.max_queue = 2;
  StartWriter(options);
  WriterGate gate;
  writer_->Submit(gate.Work(), nullptr);
  gate.WaitEntered();  // the gate left the queue; two slots are free
  std::promise<Status> a, b;
  writer_->Submit(SetKey("a"), [&](Status s) { a.set_value(s); });
  writer_->Submit(SetKey("b"), [&](Status s) { b.set_value(s); });
  std::optional<Status> refused;
  writer_->Submit(SetKey("c"), [&](Status s) { refused = s; });
  ASSERT_TRUE(refused.has_value()) << "a refusal is answered before Submit returns";
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, "store_busy");
  gate.Release();
  EXPECT_TRUE(a.get_future().get());
  EXPECT_TRUE(b.get_future().get());
  EXPECT_TRUE(writer_->health()) << "busy is not a failure of the store";
  EXPECT_EQ(writer_->stats().refused, 1u);
  EXPECT_FALSE(KvGet(*Reader(), "c")->has_value());
}

TEST_F(WriterTest, MaxBatchSplitsLongQueues) {
  WriterOptions options;
  options.max_batch = 10;
  StartWriter(options);
  WriterGate gate;
  writer_->Submit(gate.Work(), nullptr);
  gate.WaitEntered();
  std::vector<std::promise<Status>> done(35);
  for (int i = 0; i < 35; ++i) {
    writer_->Submit(SetKey("k" + std::to_string(i)), [&, i](Status s) { done[i].set_value(s); });
  }
  gate.Release();
  for (auto& d : done) ASSERT_TRUE(d.get_future().get());
  EXPECT_EQ(writer_->stats().commits, 1u + 4u);  // gate, then 10 + 10 + 10 + 5
  EXPECT_EQ(writer_->stats().max_batch, 10u);
}

TEST_F(WriterTest, DestructorCommitsWhatIsQueued) {
  StartWriter();
  std::atomic<int> ok{0};
  for (int i = 0; i < 50; ++i) {
    writer_->Submit(SetKey("k" + std::to_string(i)), [&](Status s) { ok += s ? 1 : 0; });
  }
  writer_.reset();
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(Count(*Reader(), "SELECT COUNT(*) FROM kv"), 50);
}

// ARCHITECTURE invariant 2: the one-time lock holds under concurrency, in the database.
TEST_F(WriterTest, TwentyConcurrentFiresOfOneMissionInsertExactlyOne) {
  StartWriter();
  const missions::Mission mission = SeedMission();
  constexpr int kThreads = 20;
  std::vector<missions::Fire> attempts;
  for (int i = 0; i < kThreads; ++i) attempts.push_back(MakeFire(mission));

  std::vector<FireInsert> results(kThreads);
  std::vector<Status> statuses(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      statuses[i] = writer_->SubmitAndWait([&, i](Txn& txn) -> Status {
        auto r = InsertFire(txn, attempts[i]);
        if (!r) return tl::unexpected(r.error());
        results[i] = *r;
        return Ok();
      });
    });
  }
  for (auto& t : threads) t.join();

  int inserted = 0;
  std::string winner;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(statuses[i]) << statuses[i].error().message;
    if (results[i].inserted) {
      ++inserted;
      winner = results[i].fire.fire_id;
      EXPECT_EQ(winner, attempts[i].fire_id);
    }
  }
  ASSERT_EQ(inserted, 1);
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(results[i].fire.fire_id, winner) << "attempt " << i;
    EXPECT_EQ(results[i].fire.mission_id, mission.mission_id);
  }
  EXPECT_EQ(Count(*Reader(), "SELECT COUNT(*) FROM fires"), 1);
}

// SQLite's temporary files (statement sub-journals among them) are named etilqs_* and unlinked as
// soon as they are opened, so only the process's open descriptors show them.
int OpenSqliteTempFiles() {
  int n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(fd.path(), ec);
    if (!ec && target.filename().string().find("etilqs_") != std::string::npos) ++n;
  }
  return n;
}

TEST_F(WriterTest, AWorkChangingManyStoredPagesOpensNoTemporaryFile) {
  // Each work runs in a savepoint whose sub-journal keeps the old image of every stored page the
  // work changes. Past 64 KiB SQLite spills it to a temporary file on disk by default, and every
  // later page change of the work costs a write() into it (docs/performance.md, session 9): the
  // writer's connection keeps it in memory (temp_store=MEMORY).
  StartWriter();
  const std::string value(400, 'x');
  Write([&](Txn& txn) -> Status {
    for (int i = 0; i < 2000; ++i) {
      if (auto s = KvSet(txn, "k" + std::to_string(i), value); !s) return s;
    }
    return Ok();
  });
  int temp_files = -1;
  Write([&](Txn& txn) -> Status {
    // ~800 KB of stored rows rewritten: far past the 64 KiB spill threshold.
    for (int i = 0; i < 2000; ++i) {
      if (auto s = KvSet(txn, "k" + std::to_string(i), value + "y"); !s) return s;
    }
    temp_files = OpenSqliteTempFiles();
    return Ok();
  });
  EXPECT_EQ(temp_files, 0);
  EXPECT_EQ(Count(*Reader(), "SELECT COUNT(*) FROM kv WHERE length(value) = 401"), 2000);
}

}  // namespace
}  // namespace bitten::store
