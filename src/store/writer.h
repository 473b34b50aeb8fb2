// The store's single writer (ARCHITECTURE "Threads": one writer thread owns the read-write
// connection). Everyone who wants to change the database hands the Writer a Work; the writer thread
// runs them in batches, one transaction per batch (group commit, as LevelDB's DBImpl::Write):
//
//   drain up to max_batch queued works -> BEGIN IMMEDIATE -> for each work: SAVEPOINT, run it,
//   RELEASE on success / ROLLBACK TO on error -> COMMIT once -> call every Done in submission
//   order -> when the WAL holds >= 1,000 pages, a PASSIVE checkpoint (SQLite's automatic one),
//   run by a checkpointer thread on its own connection so that neither an answer nor the next
//   batch waits for it (the checkpoint copies pages into the database file and syncs it: tens of
//   milliseconds, the fire path's p99 tail when it ran on the writer thread).
//
// Keeping the WAL small: SQLite starts the WAL file over only when a write transaction begins with
// every frame already copied back, which a checkpointer racing continuous commits never achieves
// (the WAL grew to hundreds of MB under a fire load, and every answer slowed down with it). So once
// the WAL holds >= 4,000 pages and the checkpointer has copied everything it saw, the writer copies
// the few frames committed since (its own PASSIVE checkpoint, between two batches, after the
// Dones); its next transaction then starts the WAL over. docs/performance.md "Session 6".
//
// A work that returns an error (or throws) is rolled back to its own savepoint and its Done gets
// that error; the other works of the batch proceed and commit. A Done with an ok Status means the
// work's writes are durable (WAL + synchronous=FULL): this is what ARCHITECTURE invariant 1 rests
// on.
//
// Sticky failure (LevelDB's bg_error_): if BEGIN, a savepoint statement or COMMIT fails, or a work
// leaves the connection outside its transaction (SQLite rolled it back on I/O error or a full
// disk), the transaction is rolled back, every Done of that batch gets Fail("store_failed", why),
// and from then on every Submit is refused with the same error and health() reports it. Nothing
// after a failed commit is ever acknowledged; the process is expected to stop accepting fires and
// be restarted, and startup recovery reads what was really committed.
//
// Urgency: a work submitted kSoon (background bookkeeping: a command's delivery, a terminal's
// results, read positions) does not start a transaction of its own at once. It waits, up to
// WriterOptions::soon_within_us, for a kNow work (a fire) to share that work's COMMIT, or for
// max_batch works to be queued. At a moderate fire rate each fsync then carries the fires and the
// bookkeeping together instead of one commit each (docs/performance.md "Session 6"). Works still
// run, commit and get their Dones in submission order, whatever their urgency.
//
// Limits: at most WriterOptions::max_queue works wait; Submit beyond that fails fast with
// Fail("store_busy", ...) instead of buffering without bound.
//
// Threads: Submit, SubmitAndWait, health and stats may be called from any thread. Works and Dones
// run on the writer thread: a Work must touch only the Txn it is given; a Done must be quick, must
// not throw, and posts anything longer to its own thread. When Submit refuses (store_busy,
// store_failed, store_stopped) the Done runs on the caller's thread before Submit returns.
// SubmitAndWait must not be called from a Work or a Done (it would wait for itself; the process
// aborts instead). The destructor stops accepting work, commits everything already queued, and
// joins the thread, then the checkpointer's.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "base/clock.h"
#include "base/error.h"
#include "store/db.h"
#include "store/statement.h"

namespace bitten::store {

// The writer connection's statements prepared once and reused by every later work (writer thread
// only; see Txn::Cached).
using StatementCache = std::unordered_map<std::string, Statement>;

// The open transaction a Work runs in. Valid only during that Work's call, on the writer thread.
// Reads through db() see the batch's uncommitted writes.
class Txn {
 public:
  const Database& db() const { return db_; }
  sqlite3* handle() const { return db_.handle(); }
  // The writer's clock (event ids, timestamps the store assigns).
  const Clock& clock() const { return clock_; }
  // `sql` prepared once on the writer's connection and kept for every later work (preparing is a
  // large part of a small work's cost: docs/performance.md "Fire path"). Returned reset, with no
  // bindings; the pointer is valid during this work only. A caller that Steps through rows resets
  // it when done (Run resets by itself); the writer also resets every cached statement before each
  // COMMIT, so none is left open across transactions.
  Result<Statement*> Cached(const std::string& sql);
  // Sets kv `key` to `value` once, just before the batch's COMMIT, to the last value any work of
  // the batch gave it (a failed work's value is dropped with its savepoint). For a value every
  // work rewrites, such as the journal's head: one write per commit instead of one per event.
  // Reads of `key` inside the batch do not see it.
  void SetAtCommit(std::string key, std::string value) {
    (*at_commit_)[std::move(key)] = std::move(value);
  }

 private:
  friend class Writer;
  Txn(const Database& db, const Clock& clock, StatementCache& cache,
      std::map<std::string, std::string>& at_commit)
      : db_(db), clock_(clock), cache_(cache), at_commit_(&at_commit) {}
  const Database& db_;
  const Clock& clock_;
  StatementCache& cache_;
  std::map<std::string, std::string>* at_commit_;
};

// At most one row of `sql` through the writer's cached statement (Txn::Cached): `bind(Statement&)`
// binds the parameters, `read(const Statement&) -> Result<T>` turns the row into a T; nullopt when
// there is no row. The store's Get* functions have a Txn& form built on it for the works, whose
// reads would otherwise prepare their SQL on every call (docs/performance.md "Fire path").
template <typename T, typename BindFn, typename ReadFn>
Result<std::optional<T>> QueryOneCached(Txn& txn, const std::string& sql, BindFn&& bind,
                                        ReadFn&& read) {
  auto st = txn.Cached(sql);
  if (!st) return tl::unexpected(st.error());
  bind(**st);
  auto row = (*st)->Step();
  Result<std::optional<T>> out = std::optional<T>();
  if (!row) {
    out = tl::unexpected(row.error());
  } else if (*row) {
    Result<T> item = read(static_cast<const Statement&>(**st));
    if (item) {
      out = std::optional<T>(std::move(*item));
    } else {
      out = tl::unexpected(item.error());
    }
  }
  (*st)->Reset();
  return out;
}

// How soon a work must be committed (header comment, "Urgency").
enum class Urgency { kNow, kSoon };

struct WriterOptions {
  // Most works waiting to be run. Submit beyond it fails with "store_busy". Default: 10000.
  std::size_t max_queue = 10000;
  // Most works run in one transaction; the rest wait for the next one. Default: 1000.
  std::size_t max_batch = 1000;
  // Longest a kSoon work waits for a kNow work to share its commit, in microseconds (steady
  // clock). Default: 10,000 (10 ms).
  std::int64_t soon_within_us = 10000;
  // Test hook: when >= 0, the commit that follows this many successful commits fails as a real
  // COMMIT failure would (the transaction is rolled back and the writer turns sticky-failed).
  // Default: -1 (off).
  std::int64_t fail_commit_after_n = -1;
  // Called on the writer thread after each successful COMMIT, before the batch's Dones, with the
  // works in the transaction, the COMMIT (fsync) time and the BEGIN..COMMIT time in microseconds
  // (app/metrics.h). Must be quick and must not throw. Default: none.
  std::function<void(std::size_t batch, std::int64_t commit_us, std::int64_t batch_us)> on_commit;
};

struct WriterStats {
  std::uint64_t commits = 0;        // successful COMMITs
  std::uint64_t works = 0;          // works run (committed or rolled back to their savepoint)
  std::uint64_t failed_works = 0;   // works that returned an error
  std::uint64_t refused = 0;        // Submits refused (busy, failed, stopped)
  std::uint64_t last_batch = 0;     // works in the last transaction
  std::uint64_t max_batch = 0;      // most works seen in one transaction
  std::int64_t last_commit_us = 0;  // duration of the last COMMIT (the fsync), microseconds
  std::int64_t last_batch_us = 0;   // BEGIN to COMMIT of the last batch, microseconds
  std::size_t queued = 0;           // works waiting now
  std::uint64_t checkpoints = 0;    // WAL checkpoints run (by the checkpointer or the writer)
  std::uint64_t wal_restarts = 0;   // times the WAL was started over (seen at the next commit)
  std::int64_t wal_pages = 0;       // pages in the WAL after the last commit
  std::uint64_t wal_frames = 0;     // pages written to the WAL by all commits (the write volume)
};

class Writer {
 public:
  using Work = std::function<Status(Txn&)>;
  using Done = std::function<void(Status)>;

  // Takes the read-write connection (aborts if `db` is read-only) and starts the writer thread.
  // `clock` must outlive the Writer.
  Writer(std::unique_ptr<Database> db, const Clock& clock, WriterOptions options = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues `work`; `done` (may be empty) later receives its outcome. See the header comment.
  void Submit(Work work, Done done, Urgency urgency = Urgency::kNow);
  // Submits and blocks until the work is committed or failed. For the CLI and tests.
  Status SubmitAndWait(Work work);

  // Ok, or the sticky failure that stopped the writer.
  Status health() const;
  WriterStats stats() const;
  // The database file (for messages); the connection itself belongs to the writer thread.
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Item {
    Work work;
    Done done;
    bool now = true;
    std::chrono::steady_clock::time_point queued_at;
  };

  void Run();
  void FailBatch(std::deque<Item>& batch, const Error& why);
  // Asks the checkpointer for a PASSIVE checkpoint (coalesced); false when it has no connection.
  bool RequestCheckpoint();
  void RunCheckpointer();

  std::unique_ptr<Database> db_;
  std::filesystem::path path_;
  const Clock& clock_;
  const WriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;        // guarded by mu_
  std::size_t now_queued_ = 0;    // guarded by mu_: kNow works in queue_
  bool stopping_ = false;         // guarded by mu_
  std::optional<Error> failure_;  // guarded by mu_; set once, never cleared
  WriterStats stats_;             // guarded by mu_ (queued is filled in by stats())

  // The checkpointer: its own read-write connection (used by its thread only; null when it could
  // not be opened, and then the writer checkpoints on its own connection as before).
  std::unique_ptr<Database> checkpoint_db_;
  mutable std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mu_
  bool checkpoint_stop_ = false;    // guarded by checkpoint_mu_
  std::uint64_t checkpoints_ = 0;   // guarded by checkpoint_mu_ (checkpoints run)
  // Set by the checkpointer when a pass copied every frame it saw; the writer finishes the rest.
  std::atomic<bool> checkpoint_caught_up_{false};
  std::thread checkpointer_;
  std::thread thread_;  // last member: starts after everything above exists
};

}  // namespace bitten::store
