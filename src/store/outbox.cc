#include "store/outbox.h"

#include <array>
#include <string>

#include "store/statement.h"

namespace bitten::store {
namespace {

constexpr std::array<std::string_view, 4> kStatusNames = {"pending", "sent", "failed", "unknown"};

constexpr const char* kSelect =
    "SELECT id, priority, chat_id, method, payload, dedup_key, status, attempts, not_before, "
    "created_at, sent_at, tg_message_id, error FROM outbox ";

Result<OutboxMessage> ReadMessage(const Statement& st, const Database& db) {
  OutboxMessage m;
  m.id = st.Int(0);
  m.priority = static_cast<int>(st.Int(1));
  m.chat_id = st.Int(2);
  m.method = st.Text(3);
  m.payload = st.Text(4);
  m.dedup_key = st.Text(5);
  auto status = ParseOutboxStatus(st.Text(6));
  if (!status) {
    return Fail("store_corrupt", db.path().string() + ": outbox " + std::to_string(m.id) +
                                     " has unknown status '" + st.Text(6) + "'");
  }
  m.status = *status;
  m.attempts = static_cast<int>(st.Int(7));
  m.not_before = st.Int(8);
  m.created_at = st.Int(9);
  m.sent_at = st.Int(10);
  m.tg_message_id = st.Int(11);
  m.error = st.Text(12);
  return m;
}

Result<std::optional<OutboxMessage>> QueryOne(const Database& db, const std::string& sql,
                                              const std::function<void(Statement&)>& bind) {
  auto rows = QueryRows<OutboxMessage>(db.handle(), sql, bind,
                                       [&](const Statement& st) { return ReadMessage(st, db); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<OutboxMessage>();
  return std::optional<OutboxMessage>(std::move(rows->front()));
}

Status UpdateOne(Txn& txn, const char* sql, std::int64_t id,
                 const std::function<void(Statement&)>& bind) {
  auto cached = txn.Cached(sql);
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;  // the writer's prepared statement (Txn::Cached)
  st->Bind(1, id);
  bind(*st);
  if (auto s = st->Run(); !s) return s;
  if (st->changes() == 0) {
    return Fail("outbox_not_found",
                txn.db().path().string() + ": no outbox message " + std::to_string(id));
  }
  return Ok();
}

}  // namespace

std::string_view ToString(OutboxStatus s) { return kStatusNames[static_cast<std::size_t>(s)]; }

std::optional<OutboxStatus> ParseOutboxStatus(std::string_view s) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == s) return static_cast<OutboxStatus>(i);
  }
  return std::nullopt;
}

Result<std::optional<std::int64_t>> EnqueueOutbox(Txn& txn, const OutboxMessage& m) {
  auto cached = txn.Cached(
      "INSERT INTO outbox(priority, chat_id, method, payload, dedup_key, status, attempts, "
      "not_before, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7) "
      "ON CONFLICT(dedup_key) DO NOTHING");
  if (!cached) return tl::unexpected(cached.error());
  Statement* st = *cached;  // the writer's prepared statement (Txn::Cached)
  st->Bind(1, m.priority)
      .Bind(2, m.chat_id)
      .Bind(3, m.method)
      .Bind(4, m.payload)
      .BindTextOrNull(5, m.dedup_key)
      .Bind(6, m.not_before)
      .Bind(7, m.created_at);
  if (auto s = st->Run(); !s) return tl::unexpected(s.error());
  if (st->changes() == 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(sqlite3_last_insert_rowid(txn.handle()));
}

Result<std::optional<OutboxMessage>> NextPendingOutbox(const Database& db, TimeMs now) {
  return QueryOne(db,
                  std::string(kSelect) +
                      "WHERE status = 'pending' AND not_before <= ?1 ORDER BY priority, id LIMIT 1",
                  [&](Statement& st) { st.Bind(1, now); });
}

Result<std::optional<OutboxMessage>> GetOutbox(const Database& db, std::int64_t id) {
  return QueryOne(db, std::string(kSelect) + "WHERE id = ?1",
                  [&](Statement& st) { st.Bind(1, id); });
}

Result<std::int64_t> CountOutbox(const Database& db, OutboxStatus status) {
  auto rows = QueryRows<std::int64_t>(
      db.handle(), "SELECT COUNT(*) FROM outbox WHERE status = ?1",
      [&](Statement& st) { st.Bind(1, ToString(status)); },
      [](const Statement& st) -> Result<std::int64_t> { return st.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  return rows->front();
}

Status MarkOutboxSent(Txn& txn, std::int64_t id, std::int64_t tg_message_id, TimeMs sent_at) {
  return UpdateOne(txn,
                   "UPDATE outbox SET status = 'sent', attempts = attempts + 1, "
                   "tg_message_id = ?2, sent_at = ?3, error = '' WHERE id = ?1",
                   id, [&](Statement& st) { st.Bind(2, tg_message_id).Bind(3, sent_at); });
}

Status MarkOutboxFailed(Txn& txn, std::int64_t id, std::string_view error) {
  return UpdateOne(txn,
                   "UPDATE outbox SET status = 'failed', attempts = attempts + 1, error = ?2 "
                   "WHERE id = ?1",
                   id, [&](Statement& st) { st.Bind(2, error); });
}

Status MarkOutboxUnknown(Txn& txn, std::int64_t id, std::string_view error) {
  return UpdateOne(txn,
                   "UPDATE outbox SET status = 'unknown', attempts = attempts + 1, error = ?2 "
                   "WHERE id = ?1",
                   id, [&](Statement& st) { st.Bind(2, error); });
}

Status DeferOutbox(Txn& txn, std::int64_t id, TimeMs not_before, std::string_view error) {
  return UpdateOne(txn,
                   "UPDATE outbox SET attempts = attempts + 1, not_before = ?2, error = ?3 "
                   "WHERE id = ?1 AND status = 'pending'",
                   id, [&](Statement& st) { st.Bind(2, not_before).Bind(3, error); });
}

}  // namespace bitten::store
