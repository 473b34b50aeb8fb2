#include "store/db.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/paths.h"
#include "store/migrations.h"
#include "store/statement.h"

namespace bitten::store {
namespace {

std::int64_t QueryInt(const Database& db, const char* sql) {
  auto st = Statement::Prepare(db.handle(), sql);
  EXPECT_TRUE(st) << st.error().message;
  auto row = st->Step();
  EXPECT_TRUE(row && *row);
  return st->Int(0);
}

std::string QueryText(const Database& db, const char* sql) {
  auto st = Statement::Prepare(db.handle(), sql);
  EXPECT_TRUE(st) << st.error().message;
  auto row = st->Step();
  EXPECT_TRUE(row && *row);
  return st->Text(0);
}

TEST(DatabaseTest, OpenCreatesSchemaWithWalFullSyncAndForeignKeys) {
  bitten::testing::TempDir dir;
  auto db = Database::Open(dir.path() / "a.db");
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ((*db)->schema_version(), SchemaVersion());
  EXPECT_EQ(QueryText(**db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(**db, "PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(QueryInt(**db, "PRAGMA foreign_keys"), 1);
  EXPECT_GT(QueryInt(**db, "PRAGMA busy_timeout"), 0);
  for (const char* table : {"users", "terminals", "signals", "missions", "fires", "results",
                            "journal", "outbox", "kv", "schema_migrations"}) {
    const std::string sql =
        std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='") + table +
        "'";
    EXPECT_EQ(QueryInt(**db, sql.c_str()), 1) << table;
  }
}

TEST(DatabaseTest, MigrationsAreIdempotentAcrossReopen) {
  bitten::testing::TempDir dir;
  const auto path = dir.path() / "a.db";
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(Exec((*db)->handle(), "INSERT INTO kv(key, value) VALUES ('k', 'v')"));
  }
  for (int i = 0; i < 3; ++i) {
    auto db = Database::Open(path);
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(QueryInt(**db, "SELECT COUNT(*) FROM schema_migrations"),
              static_cast<std::int64_t>(Migrations().size()));
    EXPECT_EQ(QueryInt(**db, "SELECT MAX(version) FROM schema_migrations"), SchemaVersion());
    EXPECT_EQ(QueryText(**db, "SELECT value FROM kv WHERE key = 'k'"), "v");  // data survives
  }
}

TEST(DatabaseTest, RefusesADatabaseNewerThanTheBinary) {
  bitten::testing::TempDir dir;
  const auto path = dir.path() / "future.db";
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(Exec((*db)->handle(),
                     "INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)"));
  }
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto db = Database::Open(path, mode);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, "store_schema_newer");
    EXPECT_NE(db.error().message.find(path.string()), std::string::npos) << db.error().message;
    EXPECT_NE(db.error().message.find("999"), std::string::npos) << db.error().message;
  }
}

TEST(DatabaseTest, ReadOnlyRefusesMissingFileAndUnmigratedFileAndWrites) {
  bitten::testing::TempDir dir;
  const auto missing = dir.path() / "missing.db";
  auto none = Database::Open(missing, OpenMode::kReadOnly);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "store_open");
  EXPECT_NE(none.error().message.find(missing.string()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(missing));

  const auto plain = dir.path() / "plain.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(plain.c_str(), &raw), SQLITE_OK);
    ASSERT_TRUE(Exec(raw, "CREATE TABLE other(x INTEGER)"));
    sqlite3_close(raw);
  }
  auto unmigrated = Database::Open(plain, OpenMode::kReadOnly);
  ASSERT_FALSE(unmigrated);
  EXPECT_EQ(unmigrated.error().code, "store_schema_old");
  EXPECT_NE(unmigrated.error().message.find(plain.string()), std::string::npos);

  ASSERT_TRUE(Database::Open(dir.path() / "ok.db"));
  auto ro = Database::Open(dir.path() / "ok.db", OpenMode::kReadOnly);
  ASSERT_TRUE(ro) << ro.error().message;
  auto write = Exec((*ro)->handle(), "INSERT INTO kv(key, value) VALUES ('a', 'b')");
  EXPECT_FALSE(write);
}

TEST(DatabaseTest, OpenFailureNamesTheFile) {
  bitten::testing::TempDir dir;
  const auto path = dir.path() / "no-such-dir" / "x.db";
  auto db = Database::Open(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, "store_open");
  EXPECT_NE(db.error().message.find(path.string()), std::string::npos) << db.error().message;
}

TEST(DatabaseTest, RefusesAFileThatIsNotADatabase) {
  bitten::testing::TempDir dir;
  const auto path = dir.path() / "garbage.db";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an sqlite database, just some text that is long enough to matter\n", f);
    std::fclose(f);
  }
  auto db = Database::Open(path);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find(path.string()), std::string::npos) << db.error().message;
}

}  // namespace
}  // namespace bitten::store
