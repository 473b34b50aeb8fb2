#include "app/invite_cmd.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/config.h"
#include "app/users_cmd.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "store/invites.h"
#include "store/journal.h"

namespace bitten::app {
namespace {

struct InviteArgs {
  StoreTarget store;
  std::string who;
  double ttl_hours = 72;
  std::string bot;
  bool json = false;
};

int RunInvite(const InviteArgs& a) {
  if (!(a.ttl_hours > 0)) {
    return ReportFailure(Error{"usage", "users invite: --ttl-hours must be > 0"});
  }
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto config = a.store.LoadConfigIfAny();
  if (!config) return ReportFailure(config.error());
  std::string bot = a.bot;
  if (bot.empty()) bot = *config ? (*config)->telegram.bot_username : "bitten_bot";
  if (!bot.empty() && bot.front() == '@') bot.erase(0, 1);

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
  RealClock clock;
  store::Invite invite;
  invite.code = "inv-" + ToHex(RandomBytes(12));
  invite.user_id = user.user_id;
  invite.created_at = clock.NowMs();
  invite.expires_at = invite.created_at + static_cast<TimeMs>(a.ttl_hours * 3600 * 1000);
  Status s = (*writer)->SubmitAndWait([&](store::Txn& txn) -> Status {
    if (Status r = store::InsertInvite(txn, invite); !r) return r;
    store::Event e;
    e.type = "invite_created";
    e.user_id = user.user_id;
    e.payload = {{"expires_at", invite.expires_at}, {"by", "cli"}};
    auto appended = store::AppendEvent(txn, e);
    if (!appended) return tl::unexpected(appended.error());
    return Ok();
  });
  if (!s) return ReportFailure(s.error());
  const std::string url = "https://t.me/" + bot + "?start=" + invite.code;
  if (a.json) {
    std::cout << nlohmann::json{{"url", url},
                                {"code", invite.code},
                                {"user_id", user.user_id},
                                {"expires_at", invite.expires_at}}
                     .dump()
              << "\n";
  } else {
    std::cout << url << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddUsersInviteCommand(CLI::App& users, CliAction* action) {
  auto args = std::make_shared<InviteArgs>();
  CLI::App* invite = users.add_subcommand(
      "invite", "Create a one-time Telegram invite link that links a trader's Telegram account");
  invite->add_option("user", args->who, "user_id, Telegram id or unique name")->required();
  AddStoreOptions(*invite, args->store);
  invite->add_option("--ttl-hours", args->ttl_hours, "How long the invite works")
      ->capture_default_str();
  invite->add_option("--bot", args->bot,
                     "Bot username; default the config's telegram.bot_username");
  invite->add_flag("--json", args->json, "Print {url, code, user_id, expires_at}");
  invite->callback([args, action] { *action = [args] { return RunInvite(*args); }; });
}

}  // namespace bitten::app
