// The database schema as an ordered list of migrations, in code. Migration N turns schema N-1 into
// schema N; a released migration is never edited, only followed by a new one. Database::Open
// applies the missing ones in order, each in one transaction with its row in schema_migrations.
// Plain constant data; thread-safe.
#pragma once

#include <span>

namespace bitten::store {

struct Migration {
  int version;      // 1, 2, 3, ... without gaps
  const char* sql;  // one or more statements
};

// All migrations, in version order.
std::span<const Migration> Migrations();

// The schema version this binary writes and understands (the last migration's version).
int SchemaVersion();

}  // namespace bitten::store
