#include "store/migrations.h"

#include <array>

namespace bitten::store {
namespace {

// Times are Unix ms UTC (CONTRACTS §1). `json` columns hold the fields of a record that no query
// filters on; the named columns are authoritative for everything else. Optional ids are NULL, not
// ''.
constexpr const char* kSchema1 = R"sql(
CREATE TABLE users (
  user_id     TEXT PRIMARY KEY NOT NULL,
  telegram_id INTEGER UNIQUE,
  name        TEXT NOT NULL,
  tier        TEXT NOT NULL,
  terminal_id TEXT,
  xp          INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  json        TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE terminals (
  terminal_id TEXT PRIMARY KEY NOT NULL,
  secret_hex  TEXT NOT NULL,
  dir         TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TABLE signals (
  signal_id   TEXT PRIMARY KEY NOT NULL,
  signal_hash TEXT NOT NULL UNIQUE,
  symbol      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  json        TEXT NOT NULL
);
CREATE TABLE missions (
  mission_id  TEXT PRIMARY KEY NOT NULL,
  signal_id   TEXT NOT NULL REFERENCES signals(signal_id),
  user_id     TEXT NOT NULL REFERENCES users(user_id),
  status      TEXT NOT NULL,
  expires_at  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  json        TEXT NOT NULL
);
CREATE INDEX missions_user_status ON missions(user_id, status);
CREATE INDEX missions_signal ON missions(signal_id);
-- mission_id UNIQUE is the one-time lock (ARCHITECTURE invariant 2): one mission, at most one fire.
CREATE TABLE fires (
  fire_id      TEXT PRIMARY KEY NOT NULL,
  mission_id   TEXT NOT NULL UNIQUE REFERENCES missions(mission_id),
  user_id      TEXT NOT NULL,
  terminal_id  TEXT NOT NULL,
  status       TEXT NOT NULL,
  fired_at     INTEGER NOT NULL,
  delivered_at INTEGER NOT NULL DEFAULT 0,
  json         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX fires_status ON fires(status);
CREATE TABLE results (
  terminal_id TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  fire_id     TEXT,
  type        TEXT NOT NULL,
  line        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (terminal_id, seq)
) WITHOUT ROWID;
CREATE TABLE journal (
  seq         INTEGER PRIMARY KEY,
  event_id    TEXT NOT NULL,
  time        INTEGER NOT NULL,
  type        TEXT NOT NULL,
  signal_id   TEXT,
  mission_id  TEXT,
  fire_id     TEXT,
  user_id     TEXT,
  terminal_id TEXT,
  payload     TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX journal_signal ON journal(signal_id) WHERE signal_id IS NOT NULL;
CREATE INDEX journal_mission ON journal(mission_id) WHERE mission_id IS NOT NULL;
CREATE INDEX journal_fire ON journal(fire_id) WHERE fire_id IS NOT NULL;
CREATE INDEX journal_user ON journal(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX journal_terminal ON journal(terminal_id) WHERE terminal_id IS NOT NULL;
CREATE INDEX journal_event ON journal(event_id);
CREATE TABLE outbox (
  id            INTEGER PRIMARY KEY,
  priority      INTEGER NOT NULL,
  chat_id       INTEGER NOT NULL,
  method        TEXT NOT NULL,
  payload       TEXT NOT NULL,
  dedup_key     TEXT UNIQUE,
  status        TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'unknown')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  not_before    INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  sent_at       INTEGER NOT NULL DEFAULT 0,
  tg_message_id INTEGER NOT NULL DEFAULT 0,
  error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox(priority, id) WHERE status = 'pending';
CREATE TABLE kv (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
)sql";

// Trader rules and XP (docs/rules.md, docs/xp.md): per-user pause and kill flags, the XP ledger
// (one row per (user, fire, reason): the primary key makes awarding idempotent), and the index the
// store-side daily fire count of the fire path reads.
constexpr const char* kSchema2 = R"sql(
ALTER TABLE users ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN killed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE xp_ledger (
  user_id   TEXT NOT NULL REFERENCES users(user_id),
  fire_id   TEXT NOT NULL,
  reason    TEXT NOT NULL,
  points    INTEGER NOT NULL,
  at        INTEGER NOT NULL,
  PRIMARY KEY (user_id, fire_id, reason)
) WITHOUT ROWID;
CREATE INDEX fires_user_time ON fires(user_id, fired_at);
)sql";

// Telegram invites (docs/telegram.md "Invites"): a one-time code an operator hands a trader
// (`bitten users invite`); the bot's /start <code> links the presser's Telegram account to the
// user. used_at/used_by record the redemption (a code links once).
constexpr const char* kSchema3 = R"sql(
CREATE TABLE invites (
  code        TEXT PRIMARY KEY NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(user_id),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER,
  used_by     INTEGER
) WITHOUT ROWID;
)sql";

// What startup reads, by index (docs/performance.md "Session 8"):
// - results_close: the closed trades' close times (store::ListClosedTrades, read at startup for the
//   stats and by the console's charts) join each closed fire to its 'close' result. Without it
//   SQLite scans the whole results table once per closed fire: with 200,000 closed trades the
//   server had not started after 6 minutes. Partial: only close results are indexed, one per
//   trade, so a fire's fill and other results add nothing to the fire path.
// - missions_created: the day's finished missions (store::ListFinishedMissionsCreatedSince),
//   instead of every user's whole mission history. Appended at the right edge as missions are
//   built.
constexpr const char* kSchema4 = R"sql(
CREATE INDEX results_close ON results(fire_id) WHERE type = 'close';
CREATE INDEX missions_created ON missions(created_at);
)sql";

// The fire path's index pages (docs/performance.md "Session 9"). Every index entry keyed by a
// mission, a user or a terminal lands on its own B-tree page, so each such entry of a fire's works
// costs a page written to the WAL and later checkpointed.
// - fire_bound (set by store::AppendEvent): 1 when the event names a fire that is in the fires
//   table, and its mission, user and terminal, where named, are that fire's. Such an event is
//   found through the fire (journal_fire, appended at the right edge: fire ids are time-ordered),
//   and through the fires table for its mission, user or terminal (store::TraceJournal), so the
//   mission, user and terminal indexes leave it out. Older rows are 0: indexed as before.
// - missions_user_created replaces missions_user_status: a user's missions newest first, which is
//   what the readers ask for (the status filter reads the user's missions); its key never changes,
//   so a mission's status changes (fired, open, closed) no longer move an index entry.
constexpr const char* kSchema5 = R"sql(
ALTER TABLE journal ADD COLUMN fire_bound INTEGER NOT NULL DEFAULT 0;
DROP INDEX journal_mission;
DROP INDEX journal_user;
DROP INDEX journal_terminal;
CREATE INDEX journal_mission ON journal(mission_id) WHERE mission_id IS NOT NULL AND fire_bound = 0;
CREATE INDEX journal_user ON journal(user_id) WHERE user_id IS NOT NULL AND fire_bound = 0;
CREATE INDEX journal_terminal ON journal(terminal_id)
  WHERE terminal_id IS NOT NULL AND fire_bound = 0;
DROP INDEX missions_user_status;
CREATE INDEX missions_user_created ON missions(user_id, created_at);
)sql";

constexpr std::array<Migration, 5> kMigrations = {{
    {1, kSchema1},
    {2, kSchema2},
    {3, kSchema3},
    {4, kSchema4},
    {5, kSchema5},
}};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

int SchemaVersion() { return kMigrations.back().version; }

}  // namespace bitten::store
