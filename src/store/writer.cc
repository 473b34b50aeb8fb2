#include "store/writer.h"

#include <chrono>
#include <exception>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "base/thread_name.h"
#include "store/kv.h"
#include "store/statement.h"

namespace bitten::store {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t MicrosSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count();
}

// The writer's fixed statements, prepared once on the writer thread.
struct TxnStatements {
  Statement begin, commit, rollback, savepoint, release, rollback_to;
};

// WAL pages after the last commit, as SQLite reports them to the WAL hook (writer thread only).
int OnWalCommit(void* pages, sqlite3*, const char*, int n) {
  *static_cast<int*>(pages) = n;
  return SQLITE_OK;
}

// SQLite's automatic checkpoint threshold (pages), applied by the writer itself after a batch's
// Dones instead of inside its COMMIT.
constexpr int kCheckpointPages = 1000;
// WAL size from which the writer completes a checkpoint the checkpointer has caught up with, so
// that its next transaction starts the WAL over (header comment, "Keeping the WAL small").
constexpr int kRestartPages = 4000;

Result<TxnStatements> PrepareTxnStatements(sqlite3* db) {
  auto begin = Statement::Prepare(db, "BEGIN IMMEDIATE");
  auto commit = Statement::Prepare(db, "COMMIT");
  auto rollback = Statement::Prepare(db, "ROLLBACK");
  auto savepoint = Statement::Prepare(db, "SAVEPOINT work");
  auto release = Statement::Prepare(db, "RELEASE work");
  auto rollback_to = Statement::Prepare(db, "ROLLBACK TO work");
  for (auto* r : {&begin, &commit, &rollback, &savepoint, &release, &rollback_to}) {
    if (!*r) return tl::unexpected(r->error());
  }
  return TxnStatements{std::move(*begin),     std::move(*commit),  std::move(*rollback),
                       std::move(*savepoint), std::move(*release), std::move(*rollback_to)};
}

Status RunWork(const Writer::Work& work, Txn& txn) {
  try {
    return work(txn);
  } catch (const std::exception& e) {
    return Fail("store_exception", std::string("store work threw: ") + e.what());
  } catch (...) {
    return Fail("store_exception", "store work threw a non-standard exception");
  }
}

}  // namespace

Result<Statement*> Txn::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto st = Statement::Prepare(db_.handle(), sql);
    if (!st) return tl::unexpected(st.error());
    it = cache_.emplace(sql, std::move(*st)).first;
  }
  it->second.Reset();
  return &it->second;
}

Writer::Writer(std::unique_ptr<Database> db, const Clock& clock, WriterOptions options)
    : db_(std::move(db)), clock_(clock), options_(options) {
  BITTEN_CHECK(db_ != nullptr, "store::Writer needs a database");
  BITTEN_CHECK(db_->mode() == OpenMode::kReadWrite, "store::Writer needs a read-write database");
  BITTEN_CHECK(options_.max_queue > 0 && options_.max_batch > 0,
               "store::Writer limits must be > 0");
  path_ = db_->path();
  // A second connection to the same file for the checkpointer. If it cannot be opened the writer
  // checkpoints on its own connection (slower answers during a checkpoint, nothing else changes).
  if (auto ckpt = Database::Open(path_, OpenMode::kReadWrite); ckpt) {
    checkpoint_db_ = std::move(*ckpt);
    sqlite3_wal_autocheckpoint(checkpoint_db_->handle(), 0);
    checkpointer_ = std::thread([this] { RunCheckpointer(); });
  }
  thread_ = std::thread([this] { Run(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }
}

bool Writer::RequestCheckpoint() {
  if (!checkpointer_.joinable()) return false;
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_wanted_ = true;
  }
  checkpoint_cv_.notify_one();
  return true;
}

void Writer::RunCheckpointer() {
  SetThreadName("bitten-ckpt");
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_stop_ || checkpoint_wanted_; });
    if (checkpoint_stop_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    // Best effort, as SQLite's own automatic checkpoint: a busy or partial one is retried when the
    // WAL has grown again. Every commit is already durable in the WAL either way.
    int log = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_->handle(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc == SQLITE_OK && log > 0 && copied == log) checkpoint_caught_up_.store(true);
    lock.lock();
    ++checkpoints_;
  }
}

void Writer::Submit(Work work, Done done, Urgency urgency) {
  std::optional<Error> refusal;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (failure_) {
      refusal = *failure_;
    } else if (stopping_) {
      refusal = Error{"store_stopped", path_.string() + ": the store writer is shutting down"};
    } else if (queue_.size() >= options_.max_queue) {
      refusal = Error{"store_busy", path_.string() + ": " + std::to_string(queue_.size()) +
                                        " writes already queued (limit); try again shortly"};
    } else {
      const bool now = urgency == Urgency::kNow;
      // A kSoon work wakes the writer only when it has to start counting its wait (the queue was
      // empty) or the batch is full; otherwise the writer is already waiting on an earlier one.
      wake = now || queue_.empty() || queue_.size() + 1 >= options_.max_batch;
      queue_.push_back(Item{std::move(work), std::move(done), now, SteadyClock::now()});
      if (now) ++now_queued_;
    }
    if (refusal) ++stats_.refused;
  }
  if (refusal) {
    if (done) done(tl::unexpected(std::move(*refusal)));
    return;
  }
  if (wake) cv_.notify_one();
}

Status Writer::SubmitAndWait(Work work) {
  BITTEN_CHECK(std::this_thread::get_id() != thread_.get_id(),
               "store::Writer::SubmitAndWait called on the writer thread (would wait for itself)");
  std::promise<Status> promise;
  auto future = promise.get_future();
  Submit(std::move(work), [&promise](Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

Status Writer::health() const {
  std::lock_guard lock(mu_);
  if (failure_) return tl::unexpected(*failure_);
  return Ok();
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  WriterStats s = stats_;
  s.queued = queue_.size();
  std::lock_guard ckpt_lock(checkpoint_mu_);
  s.checkpoints += checkpoints_;
  return s;
}

void Writer::Run() {
  SetThreadName("bitten-writer");
  auto prepared = PrepareTxnStatements(db_->handle());
  if (!prepared) {
    std::lock_guard lock(mu_);
    failure_ = Error{"store_failed", prepared.error().message};
  }
  std::optional<TxnStatements> statements;
  if (prepared) statements.emplace(std::move(*prepared));
  // Destroyed when Run returns, before the connection closes (db_ outlives the thread).
  StatementCache cache;
  // The WAL hook replaces SQLite's automatic checkpoint, which would run inside the COMMIT that
  // crosses 1,000 pages and delay every answer of that batch; the same PASSIVE checkpoint runs
  // below, after the batch's Dones.
  int wal_pages = 0;
  sqlite3_wal_hook(db_->handle(), &OnWalCommit, &wal_pages);

  for (;;) {
    std::deque<Item> batch;
    std::optional<Error> failed;
    {
      std::unique_lock lock(mu_);
      // Start a transaction for a kNow work, a full batch, a stop, or a kSoon work that has waited
      // soon_within_us (the queue's front is its oldest work, and all queued works are kSoon here).
      for (;;) {
        if (stopping_ || now_queued_ > 0 || queue_.size() >= options_.max_batch) break;
        if (queue_.empty()) {
          cv_.wait(lock);
          continue;
        }
        const auto due =
            queue_.front().queued_at + std::chrono::microseconds(options_.soon_within_us);
        if (SteadyClock::now() >= due) break;
        cv_.wait_until(lock, due);
      }
      if (queue_.empty()) break;  // stopping and drained
      if (queue_.size() <= options_.max_batch) {
        batch.swap(queue_);
      } else {
        auto end = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
        queue_.erase(queue_.begin(), end);
      }
      for (const Item& item : batch) now_queued_ -= item.now ? 1 : 0;
      failed = failure_;
    }
    if (failed) {
      FailBatch(batch, *failed);
      continue;
    }
    sqlite3* db = db_->handle();
    TxnStatements& st = *statements;
    const auto batch_start = SteadyClock::now();

    // Turns the writer sticky-failed: rolls back whatever is open, refuses everything from now on.
    auto go_sticky = [&](const std::string& why) {
      if (!sqlite3_get_autocommit(db)) (void)st.rollback.Run();
      Error e{"store_failed", path_.string() + ": " + why +
                                  "; the store stopped accepting writes (restart to recover)"};
      {
        std::lock_guard lock(mu_);
        if (!failure_) failure_ = e;
        e = *failure_;
      }
      FailBatch(batch, e);
    };

    if (auto s = st.begin.Run(); !s) {
      go_sticky("BEGIN failed: " + s.error().message);
      continue;
    }
    std::map<std::string, std::string> at_commit;
    Txn txn(*db_, clock_, cache, at_commit);
    std::vector<Status> outcomes;
    outcomes.reserve(batch.size());
    std::uint64_t failed_works = 0;
    std::optional<std::string> broken;
    for (Item& item : batch) {
      if (auto s = st.savepoint.Run(); !s) {
        broken = "SAVEPOINT failed: " + s.error().message;
        break;
      }
      const std::map<std::string, std::string> at_commit_before = at_commit;
      Status outcome = item.work ? RunWork(item.work, txn) : Ok();
      if (sqlite3_get_autocommit(db)) {
        // SQLite rolled the whole transaction back under the work (I/O error, disk full, ...).
        broken = "the transaction was rolled back by SQLite during a write" +
                 (outcome ? std::string() : ": " + outcome.error().message);
        break;
      }
      if (outcome) {
        if (auto s = st.release.Run(); !s) {
          broken = "RELEASE failed: " + s.error().message;
          break;
        }
      } else {
        ++failed_works;
        at_commit = at_commit_before;
        auto undo = st.rollback_to.Run();
        auto release = undo ? st.release.Run() : undo;
        if (!release) {
          broken = "ROLLBACK TO failed: " + release.error().message;
          break;
        }
      }
      outcomes.push_back(std::move(outcome));
    }
    for (const auto& [key, value] : at_commit) {
      if (broken) break;
      if (auto s = KvSet(txn, key, value); !s) {
        broken = "writing " + key + " failed: " + s.error().message;
      }
    }
    if (broken) {
      go_sticky(*broken);
      continue;
    }

    // No cached statement stays mid-step into the COMMIT or the next transaction.
    for (auto& [sql, cached] : cache) cached.Reset();

    bool inject = false;
    {
      std::lock_guard lock(mu_);
      inject = options_.fail_commit_after_n >= 0 &&
               stats_.commits >= static_cast<std::uint64_t>(options_.fail_commit_after_n);
    }
    const auto commit_start = SteadyClock::now();
    Status committed = inject ? Status(Fail("store_sql", "COMMIT failed (injected by test hook)"))
                              : st.commit.Run();
    const std::int64_t commit_us = MicrosSince(commit_start);
    if (!committed) {
      go_sticky("COMMIT failed: " + committed.error().message);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      ++stats_.commits;
      stats_.works += batch.size();
      stats_.failed_works += failed_works;
      stats_.last_batch = batch.size();
      if (batch.size() > stats_.max_batch) stats_.max_batch = batch.size();
      stats_.last_commit_us = commit_us;
      // The WAL only grows between restarts: fewer pages after this commit than after the last
      // one means SQLite started it over.
      if (wal_pages < stats_.wal_pages) {
        ++stats_.wal_restarts;
        stats_.wal_frames += static_cast<std::uint64_t>(wal_pages);
      } else {
        stats_.wal_frames += static_cast<std::uint64_t>(wal_pages - stats_.wal_pages);
      }
      stats_.wal_pages = wal_pages;
      stats_.last_batch_us = MicrosSince(batch_start);
    }
    if (options_.on_commit) options_.on_commit(batch.size(), commit_us, MicrosSince(batch_start));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(std::move(outcomes[i]));
    }
    if (wal_pages >= kRestartPages && checkpoint_caught_up_.exchange(false)) {
      // The checkpointer copied everything up to its pass's start; copy the frames committed since
      // (a few batches' worth) here, so that the next BEGIN finds the WAL fully copied back and
      // SQLite starts it over.
      (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      std::lock_guard lock(mu_);
      ++stats_.checkpoints;
    }
    if (wal_pages >= kCheckpointPages) {
      if (!RequestCheckpoint()) {
        // No checkpointer connection: the same best-effort checkpoint, here.
        (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        std::lock_guard lock(mu_);
        ++stats_.checkpoints;
      }
    }
  }
}

void Writer::FailBatch(std::deque<Item>& batch, const Error& why) {
  {
    std::lock_guard lock(mu_);
    stats_.refused += batch.size();
  }
  for (Item& item : batch) {
    if (item.done) item.done(tl::unexpected(why));
  }
}

}  // namespace bitten::store
