// A small RAII wrapper over one prepared SQLite statement (sqlite3_stmt), and the helper that turns
// a SQLite failure into a bitten::Error naming the database file. Used by every repository in
// store/.
//
// Binding is 1-based, as in SQLite. Bind* calls never fail loudly: the first binding error is
// remembered and returned by the next Step()/Run(). Text and blobs are bound as SQLITE_TRANSIENT
// (copied), so temporaries are safe. A Statement belongs to the connection that prepared it and
// must be used only on the thread that uses that connection; it is movable, not copyable.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace bitten::store {

// Fail(code, "<file>: <what>: <sqlite message> (<extended code>)"). `code` is "store_conflict" for
// constraint violations (UNIQUE, PRIMARY KEY, FOREIGN KEY, NOT NULL, CHECK), else "store_sql".
Error SqlError(sqlite3* db, std::string_view what);
Error SqlError(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  // Prepares `sql` (one statement) on `db`. Fails with store_sql naming the file and the statement.
  static Result<Statement> Prepare(sqlite3* db, std::string_view sql);

  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& BindNull(int index);
  // Binds NULL for an empty string (optional ids), else the text.
  Statement& BindTextOrNull(int index, std::string_view value);

  // Runs one step: true when a row is ready (read it with the column accessors), false when done.
  Result<bool> Step();
  // Runs to completion, ignoring rows (INSERT/UPDATE/DELETE). Then resets for reuse.
  Status Run();
  // Resets the statement and clears its bindings so it can be run again.
  void Reset();

  // Column accessors (0-based). NULL reads as 0 / 0.0 / "".
  std::int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;

  // Rows changed by the last Run() on this statement's connection.
  int changes() const;
  sqlite3* db() const { return db_; }

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void Remember(int rc);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

// Prepares `sql`, lets `bind(Statement&)` bind its parameters, and turns every row into a T with
// `read(const Statement&) -> Result<T>`. The first error (prepare, step or read) is returned.
template <typename T, typename BindFn, typename ReadFn>
Result<std::vector<T>> QueryRows(sqlite3* db, std::string_view sql, BindFn&& bind, ReadFn&& read) {
  auto st = Statement::Prepare(db, sql);
  if (!st) return tl::unexpected(st.error());
  bind(*st);
  std::vector<T> out;
  for (;;) {
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    Result<T> item = read(static_cast<const Statement&>(*st));
    if (!item) return tl::unexpected(item.error());
    out.push_back(std::move(*item));
  }
}

// Executes one or more SQL statements that return no rows (DDL, BEGIN/COMMIT, pragmas).
Status Exec(sqlite3* db, std::string_view sql);

}  // namespace bitten::store
