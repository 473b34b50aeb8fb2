#include "store/journal.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/crypto.h"
#include "base/uuid.h"
#include "store/kv.h"
#include "store/snapshot.h"
#include "store/statement.h"

namespace bitten::store {
namespace {

constexpr const char* kHeadKey = "journal.head";

constexpr const char* kSelect =
    "SELECT seq, event_id, time, type, signal_id, mission_id, fire_id, user_id, terminal_id, "
    "payload, prev_hash, hash FROM journal ";

// A row as stored, with its payload text kept verbatim for hashing.
struct Row {
  JournalEvent event;
  std::string payload_text;
};

Result<Row> ReadRow(const Statement& st) {
  Row r;
  r.event.seq = st.Int(0);
  r.event.event_id = st.Text(1);
  r.event.event.time = st.Int(2);
  r.event.event.type = st.Text(3);
  r.event.event.signal_id = st.Text(4);
  r.event.event.mission_id = st.Text(5);
  r.event.event.fire_id = st.Text(6);
  r.event.event.user_id = st.Text(7);
  r.event.event.terminal_id = st.Text(8);
  r.payload_text = st.Text(9);
  r.event.prev_hash = st.Text(10);
  r.event.hash = st.Text(11);
  return r;
}

std::string RowHash(std::string_view prev_hash, const Row& r) {
  std::string text(prev_hash);
  text += '\n';
  text += EventCanonicalText(r.event.seq, r.event.event_id, r.event.event, r.payload_text);
  return Sha256Hex(text);
}

Result<std::vector<std::string>> Ids(const Database& db, const char* sql, std::string_view id) {
  return QueryRows<std::string>(
      db.handle(), sql, [&](Statement& st) { st.Bind(1, id); },
      [](const Statement& st) -> Result<std::string> { return st.Text(0); });
}

// The journal's fire_bound column (migration 5): the event names a stored fire, and its mission,
// user and terminal, where named, are that fire's. TraceJournal then finds it through the fire,
// and the mission, user and terminal indexes leave it out.
Result<bool> FireBound(Txn& txn, const Event& e) {
  if (e.fire_id.empty()) return false;
  auto fire = QueryOneCached<std::array<std::string, 3>>(
      txn, "SELECT mission_id, user_id, terminal_id FROM fires WHERE fire_id = ?1",
      [&](Statement& st) { st.Bind(1, e.fire_id); },
      [](const Statement& st) -> Result<std::array<std::string, 3>> {
        return std::array<std::string, 3>{st.Text(0), st.Text(1), st.Text(2)};
      });
  if (!fire) return tl::unexpected(fire.error());
  if (!*fire) return false;
  const auto& [mission, user, terminal] = **fire;
  auto same = [](const std::string& named, const std::string& stored) {
    return named.empty() || named == stored;
  };
  return same(e.mission_id, mission) && same(e.user_id, user) && same(e.terminal_id, terminal);
}

}  // namespace

std::string EventCanonicalText(std::int64_t seq, std::string_view event_id, const Event& e,
                               std::string_view payload_text) {
  std::string t;
  t.reserve(256 + payload_text.size());
  const std::string time = std::to_string(e.time);
  t += std::to_string(seq);
  for (std::string_view part :
       {event_id, std::string_view(time), std::string_view(e.type), std::string_view(e.signal_id),
        std::string_view(e.mission_id), std::string_view(e.fire_id), std::string_view(e.user_id),
        std::string_view(e.terminal_id), payload_text}) {
    t += '\n';
    t += part;
  }
  return t;
}

Result<JournalEvent> AppendEvent(Txn& txn, Event event) {
  // Cached statements (Txn::Cached): the journal is appended to by nearly every work.
  auto head = QueryOneCached<std::pair<std::int64_t, std::string>>(
      txn, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", [](Statement&) {},
      [](const Statement& st) -> Result<std::pair<std::int64_t, std::string>> {
        return std::pair{st.Int(0), st.Text(1)};
      });
  if (!head) return tl::unexpected(head.error());
  Row row;
  row.event.seq = *head ? (*head)->first + 1 : 1;
  row.event.prev_hash = *head ? (*head)->second : std::string(kGenesisHash);
  row.event.event_id = NewUuidV7(txn.clock());
  row.event.event = std::move(event);
  if (row.event.event.time == 0) row.event.event.time = txn.clock().NowMs();
  row.payload_text = row.event.event.payload.dump();
  row.event.hash = RowHash(row.event.prev_hash, row);
  auto bound = FireBound(txn, row.event.event);
  if (!bound) return tl::unexpected(bound.error());

  auto st = txn.Cached(
      "INSERT INTO journal(seq, event_id, time, type, signal_id, mission_id, fire_id, user_id, "
      "terminal_id, payload, prev_hash, hash, fire_bound) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!st) return tl::unexpected(st.error());
  const Event& e = row.event.event;
  (*st)
      ->Bind(1, row.event.seq)
      .Bind(2, row.event.event_id)
      .Bind(3, e.time)
      .Bind(4, e.type)
      .BindTextOrNull(5, e.signal_id)
      .BindTextOrNull(6, e.mission_id)
      .BindTextOrNull(7, e.fire_id)
      .BindTextOrNull(8, e.user_id)
      .BindTextOrNull(9, e.terminal_id)
      .Bind(10, row.payload_text)
      .Bind(11, row.event.prev_hash)
      .Bind(12, row.event.hash)
      .Bind(13, *bound ? 1 : 0);
  if (auto s = (*st)->Run(); !s) return tl::unexpected(s.error());
  txn.SetAtCommit(kHeadKey, std::to_string(row.event.seq) + " " + row.event.hash);
  return std::move(row.event);
}

Result<VerifyReport> VerifyJournal(const Database& db) {
  // Rows and the recorded head must come from one snapshot, or a concurrent append looks like a
  // broken head.
  ReadSnapshot snapshot(db);
  if (auto s = snapshot.status(); !s) return tl::unexpected(s.error());
  auto st = Statement::Prepare(db.handle(), std::string(kSelect) + "ORDER BY seq");
  if (!st) return tl::unexpected(st.error());
  VerifyReport report;
  report.head_hash = std::string(kGenesisHash);
  std::int64_t expected_seq = 1;
  auto broken = [&](std::int64_t seq, std::string problem, std::string message) {
    report.ok = false;
    report.broken_seq = seq;
    report.problem = std::move(problem);
    report.message = db.path().string() + ": journal broken at seq " + std::to_string(seq) + ": " +
                     std::move(message);
    return report;
  };
  for (;;) {
    auto more = st->Step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    auto row = ReadRow(*st);
    if (!row) return tl::unexpected(row.error());
    const std::int64_t seq = row->event.seq;
    if (seq != expected_seq) {
      return broken(expected_seq, "gap",
                    "events " + std::to_string(expected_seq) + ".." + std::to_string(seq - 1) +
                        " are missing (next stored event is seq " + std::to_string(seq) + ")");
    }
    if (row->event.prev_hash != report.head_hash) {
      return broken(seq, "prev_link",
                    "prev_hash does not equal the hash of seq " + std::to_string(seq - 1));
    }
    if (RowHash(report.head_hash, *row) != row->event.hash) {
      return broken(seq, "hash_mismatch",
                    "the stored hash does not match the row's content (the row was changed)");
    }
    report.head_hash = row->event.hash;
    report.events = seq;
    ++expected_seq;
  }
  auto head = KvGet(db, kHeadKey);
  if (!head) return tl::unexpected(head.error());
  if (head->has_value()) {
    const std::string expected = std::to_string(report.events) + " " + report.head_hash;
    if (**head != expected) {
      return broken(report.events + 1, "head_mismatch",
                    "the recorded head is '" + **head + "' but the chain ends at seq " +
                        std::to_string(report.events) + " (events were cut off the end)");
    }
  } else if (report.events > 0) {
    return broken(report.events, "head_mismatch", "the recorded head (kv journal.head) is missing");
  }
  return report;
}

Result<std::vector<JournalEvent>> TraceJournal(const Database& db, std::string_view id) {
  ReadSnapshot snapshot(db);
  if (auto s = snapshot.status(); !s) return tl::unexpected(s.error());
  // Every event naming `id` in any of its id columns; for a signal also its missions' and their
  // fires' events, for a mission its fire's. A fire-bound event (migration 5) is not in the
  // mission, user or terminal index: it is reached through its fire, whose row names them.
  std::set<std::string> missions;
  std::set<std::string> fires;
  for (const char* sql : {"SELECT mission_id FROM missions WHERE signal_id = ?1",
                          "SELECT DISTINCT mission_id FROM journal WHERE signal_id = ?1 "
                          "AND mission_id IS NOT NULL"}) {
    auto ids = Ids(db, sql, id);
    if (!ids) return tl::unexpected(ids.error());
    missions.insert(ids->begin(), ids->end());
  }
  missions.insert(std::string(id));
  for (const std::string& m : missions) {
    for (const char* sql : {"SELECT fire_id FROM fires WHERE mission_id = ?1",
                            "SELECT DISTINCT fire_id FROM journal WHERE mission_id = ?1 "
                            "AND fire_bound = 0 AND fire_id IS NOT NULL"}) {
      auto ids = Ids(db, sql, m);
      if (!ids) return tl::unexpected(ids.error());
      fires.insert(ids->begin(), ids->end());
    }
  }
  missions.erase(std::string(id));
  // The fires of `id` as a user or a terminal: their fire-bound events naming `id`. There is no
  // index on a fire's terminal (it would cost the fire path a page per terminal): a terminal's
  // fires are one pass over the table, taken only when `id` is a terminal.
  std::vector<const char*> owner_sql = {"SELECT fire_id FROM fires WHERE user_id = ?1"};
  auto terminal = Ids(db, "SELECT terminal_id FROM terminals WHERE terminal_id = ?1", id);
  if (!terminal) return tl::unexpected(terminal.error());
  if (!terminal->empty()) owner_sql.push_back("SELECT fire_id FROM fires WHERE terminal_id = ?1");
  std::set<std::string> fires_of_owner;
  for (const char* sql : owner_sql) {
    auto ids = Ids(db, sql, id);
    if (!ids) return tl::unexpected(ids.error());
    fires_of_owner.insert(ids->begin(), ids->end());
  }

  std::map<std::int64_t, JournalEvent> found;  // by seq: an event is listed once
  auto collect = [&](const char* where, std::string_view value,
                     const std::function<bool(const Event&)>& keep) -> Status {
    auto rows = QueryRows<Row>(
        db.handle(), std::string(kSelect) + where, [&](Statement& st) { st.Bind(1, value); },
        ReadRow);
    if (!rows) return tl::unexpected(rows.error());
    for (Row& r : *rows) {
      if (keep && !keep(r.event.event)) continue;
      const std::int64_t seq = r.event.seq;
      r.event.event.payload =
          nlohmann::json::parse(r.payload_text, nullptr, /*allow_exceptions=*/false);
      found.emplace(seq, std::move(r.event));
    }
    return Ok();
  };
  for (const char* where :
       {"WHERE signal_id = ?1", "WHERE fire_id = ?1", "WHERE mission_id = ?1 AND fire_bound = 0",
        "WHERE user_id = ?1 AND fire_bound = 0", "WHERE terminal_id = ?1 AND fire_bound = 0"}) {
    if (auto s = collect(where, id, nullptr); !s) return tl::unexpected(s.error());
  }
  for (const std::string& m : missions) {
    if (auto s = collect("WHERE mission_id = ?1 AND fire_bound = 0", m, nullptr); !s) {
      return tl::unexpected(s.error());
    }
  }
  for (const std::string& f : fires) {
    if (auto s = collect("WHERE fire_id = ?1", f, nullptr); !s) return tl::unexpected(s.error());
  }
  const auto names_id = [id](const Event& e) { return e.user_id == id || e.terminal_id == id; };
  for (const std::string& f : fires_of_owner) {
    if (auto s = collect("WHERE fire_id = ?1", f, names_id); !s) return tl::unexpected(s.error());
  }

  std::vector<JournalEvent> out;
  out.reserve(found.size());
  for (auto& [seq, e] : found) out.push_back(std::move(e));
  std::stable_sort(out.begin(), out.end(), [](const JournalEvent& a, const JournalEvent& b) {
    return a.event.time != b.event.time ? a.event.time < b.event.time : a.seq < b.seq;
  });
  return out;
}

Result<std::vector<JournalEvent>> RecentJournal(const Database& db, int limit) {
  auto rows = QueryRows<Row>(
      db.handle(), std::string(kSelect) + "ORDER BY seq DESC LIMIT ?1",
      [&](Statement& st) { st.Bind(1, limit); }, ReadRow);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<JournalEvent> out;
  out.reserve(rows->size());
  for (Row& r : *rows) {
    r.event.event.payload =
        nlohmann::json::parse(r.payload_text, nullptr, /*allow_exceptions=*/false);
    out.push_back(std::move(r.event));
  }
  return out;
}

Result<std::int64_t> JournalHeadSeq(const Database& db) {
  auto rows = QueryRows<std::int64_t>(
      db.handle(), "SELECT COALESCE(MAX(seq), 0) FROM journal", [](Statement&) {},
      [](const Statement& st) -> Result<std::int64_t> { return st.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  return rows->front();
}

}  // namespace bitten::store
