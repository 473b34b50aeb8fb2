#include "store/db.h"

#include <string>
#include <utility>

#include "base/clock.h"
#include "store/migrations.h"
#include "store/statement.h"

namespace bitten::store {
namespace {

tl::unexpected<Error> OpenFail(const std::filesystem::path& path, std::string code,
                               const std::string& what) {
  return Fail(std::move(code), path.string() + ": " + what);
}

Result<int> AppliedVersion(sqlite3* db) {
  auto st = Statement::Prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!st) return tl::unexpected(st.error());
  auto row = st->Step();
  if (!row) return tl::unexpected(row.error());
  return static_cast<int>(st->Int(0));
}

Result<bool> HasMigrationsTable(sqlite3* db) {
  auto st = Statement::Prepare(
      db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!st) return tl::unexpected(st.error());
  return st->Step();
}

// Applies one migration in its own transaction; skips it when another process applied it first.
Status Apply(sqlite3* db, const Migration& m) {
  if (auto s = Exec(db, "BEGIN IMMEDIATE"); !s) return s;
  auto body = [&]() -> Status {
    auto applied = AppliedVersion(db);
    if (!applied) return tl::unexpected(applied.error());
    if (*applied >= m.version) return Ok();
    if (auto s = Exec(db, m.sql); !s) return s;
    auto ins = Statement::Prepare(
        db, "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)");
    if (!ins) return tl::unexpected(ins.error());
    ins->Bind(1, m.version).Bind(2, RealClock().NowMs());
    return ins->Run();
  };
  if (auto s = body(); !s) {
    (void)Exec(db, "ROLLBACK");
    return s;
  }
  return Exec(db, "COMMIT");
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::filesystem::path& path, OpenMode mode,
                                                 const OpenOptions& options) {
  // SQLite's memory statistics (sqlite3_memory_used, unused here) take a process-wide mutex on
  // every allocation inside SQLite; switched off before SQLite initializes. A no-op (MISUSE,
  // ignored) if something in the process initialized SQLite first.
  [[maybe_unused]] static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  const bool read_only = mode == OpenMode::kReadOnly;
  // A read-write connection belongs to one thread (store::Writer's, or its checkpointer's), so it
  // is opened in SQLite's multi-thread mode (no connection mutex around every sqlite3 call; a
  // fan-out makes millions of them). Read-only connections keep the serialized default.
  const int flags = read_only ? SQLITE_OPEN_READONLY
                              : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // From here the Database owns the handle, even a failed one (sqlite3_open_v2 always allocates).
  std::unique_ptr<Database> db(new Database(raw, path, mode));
  if (rc != SQLITE_OK) {
    return OpenFail(
        path, "store_open",
        std::string("cannot open database: ") + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);

  auto fail = [&](const Error& e) {
    return Fail(e.code == "store_sql" ? "store_open" : e.code, e.message);
  };
  if (!read_only) {
    // journal_mode answers with the mode in force; anything but "wal" means WAL is unavailable
    // here.
    auto jm = Statement::Prepare(raw, "PRAGMA journal_mode=WAL");
    if (!jm) return fail(jm.error());
    auto row = jm->Step();
    if (!row) return fail(row.error());
    if (!*row || jm->Text(0) != "wal") {
      return OpenFail(path, "store_open",
                      "cannot switch the database to WAL mode (got '" +
                          (*row ? jm->Text(0) : std::string()) + "')");
    }
  }
  if (auto s = Exec(raw, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !s) {
    return fail(s.error());
  }
  if (read_only) {
    if (auto s = Exec(raw, "PRAGMA query_only=ON"); !s) return fail(s.error());
  } else {
    // The writer's page cache (64 MiB): a fan-out transaction of 100k missions stays in memory
    // instead of spilling pages to the WAL before COMMIT. temp_store=MEMORY keeps each work's
    // savepoint sub-journal in memory too: by default it spills to a temporary file past 64 KiB,
    // and then every page a work changes costs a write() into that file (a fifth of the writer's
    // CPU per fire: docs/performance.md "Session 9"). It holds old page images only until the
    // work's savepoint is released, so its memory is bounded by what one work changes.
    if (auto s = Exec(raw, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY"); !s) {
      return fail(s.error());
    }
  }

  auto has_table = HasMigrationsTable(raw);
  if (!has_table) return fail(has_table.error());
  if (!*has_table) {
    if (read_only) {
      return OpenFail(path, "store_schema_old",
                      "not a BITTEN database or never migrated (no schema_migrations table); "
                      "open it read-write once to create the schema");
    }
    if (auto s = Exec(raw,
                      "CREATE TABLE IF NOT EXISTS schema_migrations("
                      "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        !s) {
      return fail(s.error());
    }
  }

  auto applied = AppliedVersion(raw);
  if (!applied) return fail(applied.error());
  const int known = SchemaVersion();
  if (*applied > known) {
    return OpenFail(path, "store_schema_newer",
                    "database schema version " + std::to_string(*applied) +
                        " is newer than this binary supports (" + std::to_string(known) +
                        "); run a newer bitten");
  }
  if (*applied < known) {
    if (read_only) {
      return OpenFail(path, "store_schema_old",
                      "database schema version " + std::to_string(*applied) +
                          " is older than this binary's (" + std::to_string(known) +
                          "); open it read-write once to migrate");
    }
    for (const Migration& m : Migrations()) {
      if (m.version <= *applied) continue;
      if (auto s = Apply(raw, m); !s) {
        return OpenFail(path, "store_migration",
                        "migration " + std::to_string(m.version) + " failed: " + s.error().message);
      }
    }
  }
  db->schema_version_ = known;
  return db;
}

Database::~Database() {
  // sqlite3_close_v2 defers the close until outstanding statements are finalized.
  sqlite3_close_v2(db_);
}

}  // namespace bitten::store
