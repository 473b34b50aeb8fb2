// One SQLite connection to the BITTEN database file, opened and brought up to date.
//
// Database::Open(path, kReadWrite) creates the file if needed, switches it to WAL, sets
// synchronous=FULL (a commit is on disk before it is acknowledged: ARCHITECTURE invariant 1),
// foreign_keys=ON and a busy timeout (a read-write connection also keeps a 64 MiB page cache and
// its savepoints' sub-journal in memory: temp_store=MEMORY, see db.cc), then applies the versioned
// migrations of migrations.h that the file does not have yet, each in its own transaction and
// recorded in schema_migrations(version, applied_at). Applying them is idempotent: opening an
// up-to-date file changes nothing. A file whose schema is newer than this binary is refused
// ("store_schema_newer"); the binary never guesses at a schema it does not know.
//
// Database::Open(path, kReadOnly) opens an existing, already migrated file for reading
// (query_only); a missing file or a schema of another version is refused. Readers (HUD queries,
// audit, startup recovery) use such connections; all writes go through the one read-write
// connection owned by store::Writer.
//
// Every error names the file. A Database is one connection: use it from one thread at a time (the
// writer thread owns the read-write one; each reader thread opens its own read-only one). Not
// copyable. Read-write connections are opened with SQLITE_OPEN_NOMUTEX (SQLite's multi-thread
// mode: no connection mutex taken around every call), which makes "one thread at a time" a hard
// rule for them (store::Writer's connection lives on its thread, its checkpoint connection on the
// checkpointer's); read-only connections keep the serialized default. The first Open also switches
// off SQLite's process-wide memory statistics (SQLITE_CONFIG_MEMSTATUS), which take a global mutex
// on every SQLite allocation; nothing here reads them. Both are for the fan-out's 100k-row
// transaction (docs/performance.md "(b)").
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/error.h"

namespace bitten::store {

enum class OpenMode { kReadWrite, kReadOnly };

struct OpenOptions {
  // How long a connection waits for another connection's lock before failing with SQLITE_BUSY.
  // Default: 5000 ms.
  int busy_timeout_ms = 5000;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::filesystem::path& path,
                                                OpenMode mode = OpenMode::kReadWrite,
                                                const OpenOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The raw connection, for repositories in store/. Never closed by anyone but ~Database.
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }
  OpenMode mode() const { return mode_; }
  // The highest migration applied to the file (equal to kSchemaVersion after a successful Open).
  int schema_version() const { return schema_version_; }

 private:
  Database(sqlite3* db, std::filesystem::path path, OpenMode mode)
      : db_(db), path_(std::move(path)), mode_(mode) {}

  sqlite3* db_;
  std::filesystem::path path_;
  OpenMode mode_;
  int schema_version_ = 0;
};

}  // namespace bitten::store
