#include "app/audit_cmd.h"

#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "base/format.h"
#include "store/db.h"
#include "store/snapshot.h"
#include "store/statement.h"

namespace bitten::app {
namespace {

struct AuditArgs {
  StoreTarget store;
  std::string id;
  bool json = false;
  std::int64_t from_seq = 1;
};

int RunVerify(const AuditArgs& a) {
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto db = OpenStoreReadOnly(*path);
  if (!db) return ReportFailure(db.error());
  auto report = store::VerifyJournal(**db);
  if (!report) return ReportFailure(report.error());
  if (a.json) {
    nlohmann::json j = {{"ok", report->ok},
                        {"events", report->events},
                        {"file", *path},
                        {"head_hash", report->head_hash},
                        {"broken_seq", report->broken_seq},
                        {"problem", report->problem},
                        {"message", report->message}};
    std::cout << j.dump() << "\n";
  }
  if (!report->ok) {
    return ReportFailure(*path + ": journal broken at seq " + std::to_string(report->broken_seq) +
                         " (" + report->problem + "): " + report->message);
  }
  if (!a.json) {
    std::cout << *path << ": journal ok, " << report->events << " events, head "
              << report->head_hash << "\n";
  }
  return kExitOk;
}

int RunTrace(const AuditArgs& a) {
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto db = OpenStoreReadOnly(*path);
  if (!db) return ReportFailure(db.error());
  auto events = store::TraceJournal(**db, a.id);
  if (!events) return ReportFailure(events.error());
  if (events->empty()) return ReportFailure(*path + ": no journal event names '" + a.id + "'");
  for (const store::JournalEvent& e : *events) {
    if (a.json) {
      std::cout << JournalEventJson(e).dump() << "\n";
      continue;
    }
    std::cout << FormatIsoMs(e.event.time) << "  #" << e.seq << "  " << e.event.type;
    auto id = [](const char* name, const std::string& v) {
      return v.empty() ? std::string() : std::string("  ") + name + "=" + v;
    };
    std::cout << id("signal", e.event.signal_id) << id("mission", e.event.mission_id)
              << id("fire", e.event.fire_id) << id("user", e.event.user_id)
              << id("terminal", e.event.terminal_id) << "\n    " << e.event.payload.dump() << "\n";
  }
  return kExitOk;
}

// Export reads the journal table directly, so it takes the snapshot VerifyJournal and TraceJournal
// take for themselves.
int RunExport(const AuditArgs& a) {
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto db = OpenStoreReadOnly(*path);
  if (!db) return ReportFailure(db.error());
  store::ReadSnapshot snapshot(**db);
  if (auto s = snapshot.status(); !s) return ReportFailure(s.error());
  auto stmt = store::Statement::Prepare(
      (*db)->handle(),
      "SELECT seq, event_id, time, type, signal_id, mission_id, fire_id, user_id, terminal_id, "
      "payload, prev_hash, hash FROM journal WHERE seq >= ?1 ORDER BY seq");
  if (!stmt) return ReportFailure(stmt.error());
  stmt->Bind(1, a.from_seq);
  while (true) {
    auto row = stmt->Step();
    if (!row) return ReportFailure(row.error());
    if (!*row) break;
    store::JournalEvent e;
    e.seq = stmt->Int(0);
    e.event_id = stmt->Text(1);
    e.event.time = stmt->Int(2);
    e.event.type = stmt->Text(3);
    e.event.signal_id = stmt->Text(4);
    e.event.mission_id = stmt->Text(5);
    e.event.fire_id = stmt->Text(6);
    e.event.user_id = stmt->Text(7);
    e.event.terminal_id = stmt->Text(8);
    const std::string payload = stmt->Text(9);
    e.event.payload = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (e.event.payload.is_discarded()) {
      return ReportFailure(*path + ": journal seq " + std::to_string(e.seq) +
                           ": payload is not JSON");
    }
    e.prev_hash = stmt->Text(10);
    e.hash = stmt->Text(11);
    std::cout << JournalEventJson(e).dump() << "\n";
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

nlohmann::json JournalEventJson(const store::JournalEvent& e) {
  nlohmann::json j = {
      {"seq", e.seq}, {"event_id", e.event_id}, {"time", e.event.time}, {"type", e.event.type}};
  auto id = [&j](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  id("signal_id", e.event.signal_id);
  id("mission_id", e.event.mission_id);
  id("fire_id", e.event.fire_id);
  id("user_id", e.event.user_id);
  id("terminal_id", e.event.terminal_id);
  j["payload"] = e.event.payload;
  j["prev_hash"] = e.prev_hash;
  j["hash"] = e.hash;
  return j;
}

void AddAuditCommand(CLI::App& root, CliAction* action) {
  CLI::App* audit = root.add_subcommand("audit", "Check and read the hash-chained journal");
  audit->require_subcommand(1);
  auto args = std::make_shared<AuditArgs>();

  CLI::App* verify = audit->add_subcommand("verify", "Prove the journal's hash chain is intact");
  AddStoreOptions(*verify, args->store);
  verify->add_flag("--json", args->json, "Print the report as one JSON object");
  verify->callback([args, action] { *action = [args] { return RunVerify(*args); }; });

  CLI::App* trace =
      audit->add_subcommand("trace", "Timeline of a signal, mission, fire, user or terminal");
  trace->add_option("id", args->id, "signal_id, mission_id, fire_id, user_id or terminal_id")
      ->required();
  AddStoreOptions(*trace, args->store);
  trace->add_flag("--json", args->json, "One JSON object per event");
  trace->callback([args, action] { *action = [args] { return RunTrace(*args); }; });

  CLI::App* exp =
      audit->add_subcommand("export", "Every journal event as JSON lines, in seq order");
  AddStoreOptions(*exp, args->store);
  exp->add_option("--from-seq", args->from_seq, "First seq to print (default 1)")
      ->check(CLI::PositiveNumber);
  exp->callback([args, action] { *action = [args] { return RunExport(*args); }; });
}

}  // namespace bitten::app
