#include "app/users_rules_cmd.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "app/users_cmd.h"
#include "store/journal.h"
#include "store/user_flags.h"
#include "store/writer.h"

namespace bitten::app {
namespace {

struct FlagArgs {
  StoreTarget store;
  std::string who;
  bool lift = false;
};

enum class Flag { kPause, kResume, kKill };

int RunFlag(const FlagArgs& a, Flag flag) {
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  missions::User user;
  {
    auto db = OpenStoreReadOnly(*path);
    if (!db) return ReportFailure(db.error());
    auto u = FindUser(**db, a.who);
    if (!u) return ReportFailure(u.error());
    user = *u;
  }
  auto writer = OpenStoreWriter(*path);
  if (!writer) return ReportFailure(writer.error());
  const bool on = flag == Flag::kPause || (flag == Flag::kKill && !a.lift);
  const bool is_pause = flag != Flag::kKill;
  const char* type =
      is_pause ? (on ? "user_paused" : "user_resumed") : (on ? "user_killed" : "user_kill_lifted");
  Status s = (*writer)->SubmitAndWait([&](store::Txn& txn) -> Status {
    Status set = is_pause ? store::SetUserPaused(txn, user.user_id, on)
                          : store::SetUserKilled(txn, user.user_id, on);
    if (!set) return set;
    store::Event e;
    e.type = type;
    e.user_id = user.user_id;
    e.payload = {{"by", "cli"}};
    auto appended = store::AppendEvent(txn, e);
    if (!appended) return tl::unexpected(appended.error());
    return Ok();
  });
  if (!s) return ReportFailure(s.error());
  std::cout << user.user_id << " " << user.name << ": " << type << "\n";
  return kExitOk;
}

}  // namespace

void AddUsersRulesCommands(CLI::App& users, CliAction* action) {
  auto args = std::make_shared<FlagArgs>();
  auto add = [&](const char* name, const char* help, Flag flag) {
    CLI::App* cmd = users.add_subcommand(name, help);
    cmd->add_option("user", args->who, "user_id, Telegram id or unique name")->required();
    AddStoreOptions(*cmd, args->store);
    if (flag == Flag::kKill) {
      cmd->add_flag("--lift", args->lift, "Lift the user's kill switch instead of setting it");
    }
    cmd->callback(
        [args, action, flag] { *action = [args, flag] { return RunFlag(*args, flag); }; });
  };
  add("pause", "Pause a trader: every fire is refused (kill_switch) until resumed", Flag::kPause);
  add("resume", "Lift a trader's pause", Flag::kResume);
  add("kill", "Set (or with --lift clear) a trader's kill switch", Flag::kKill);
}

}  // namespace bitten::app
