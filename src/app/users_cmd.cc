#include "app/users_cmd.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/config.h"
#include "app/dev_login.h"
#include "app/invite_cmd.h"
#include "app/users_rules_cmd.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/uuid.h"
#include "store/journal.h"
#include "store/terminals.h"
#include "store/users.h"
#include "store/writer.h"

namespace bitten::app {
namespace {

struct UsersArgs {
  StoreTarget store;
  std::string name;
  std::int64_t telegram_id = 0;
  std::string tier = "PRESS_PASS";
  std::string terminal;
  std::string who;
  std::string mission;
  double ttl_hours = 24;
  std::string secret_hex;
  std::string url;
  bool json = false;
};

Result<missions::Tier> ParseTierArg(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::toupper(c));
  });
  auto t = missions::ParseTier(s);
  if (!t) return Fail("usage", "unknown tier '" + s + "' (PRESS_PASS, NIBBLER, FANG or COMMANDER)");
  return *t;
}

nlohmann::json UserJson(const missions::User& u) {
  return {{"user_id", u.user_id},
          {"telegram_id", u.telegram_id},
          {"name", u.name},
          {"tier", std::string(missions::ToString(u.tier))},
          {"terminal_id", u.terminal_id},
          {"xp", u.xp},
          {"created_at", u.created_at}};
}

int RunAdd(const UsersArgs& a) {
  auto tier = ParseTierArg(a.tier);
  if (!tier) return ReportFailure(tier.error());
  if (a.name.empty()) return ReportFailure(Error{"usage", "users add: --name must not be empty"});
  if (a.telegram_id < 0)
    return ReportFailure(Error{"usage", "users add: --telegram-id must be >= 0"});
  if (!a.terminal.empty() && !IsValidTerminalId(a.terminal)) {
    return ReportFailure(Error{
        "usage", "users add: --terminal '" + a.terminal + "' must match [a-z0-9][a-z0-9-]{0,31}"});
  }
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto writer = OpenStoreWriter(*path);
  if (!writer) return ReportFailure(writer.error());

  RealClock clock;
  missions::User user;
  user.user_id = NewUuidV7(clock);
  user.telegram_id = a.telegram_id;
  user.name = a.name;
  user.tier = *tier;
  user.terminal_id = a.terminal;
  user.created_at = clock.NowMs();
  const std::string file = *path;
  Status s = (*writer)->SubmitAndWait([&](store::Txn& txn) -> Status {
    if (!user.terminal_id.empty()) {
      auto t = store::GetTerminal(txn.db(), user.terminal_id);
      if (!t) return tl::unexpected(t.error());
      if (!*t) {
        return Fail("terminal_not_found", file + ": no terminal '" + user.terminal_id +
                                              "' (add it with `bitten terminals add`)");
      }
    }
    if (auto r = store::InsertUser(txn, user); !r) return r;
    store::Event e;
    e.type = "user_added";
    e.user_id = user.user_id;
    e.terminal_id = user.terminal_id;
    e.payload = {{"name", user.name},
                 {"tier", std::string(missions::ToString(user.tier))},
                 {"telegram_id", user.telegram_id},
                 {"by", "cli"}};
    auto appended = store::AppendEvent(txn, e);
    if (!appended) return tl::unexpected(appended.error());
    return Ok();
  });
  if (!s) return ReportFailure(s.error());
  if (a.json) {
    std::cout << UserJson(user).dump() << "\n";
  } else {
    std::cout << user.user_id << "\n";
  }
  return kExitOk;
}

int RunList(const UsersArgs& a) {
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto db = OpenStoreReadOnly(*path);
  if (!db) return ReportFailure(db.error());
  auto users = store::ListUsers(**db);
  if (!users) return ReportFailure(users.error());
  if (a.json) {
    for (const missions::User& u : *users) std::cout << UserJson(u).dump() << "\n";
    return kExitOk;
  }
  std::printf("%-36s  %-12s  %-10s  %-12s  %6s  %s\n", "user_id", "telegram_id", "tier", "terminal",
              "xp", "name");
  for (const missions::User& u : *users) {
    std::printf("%-36s  %-12lld  %-10s  %-12s  %6lld  %s\n", u.user_id.c_str(),
                static_cast<long long>(u.telegram_id),
                std::string(missions::ToString(u.tier)).c_str(),
                u.terminal_id.empty() ? "-" : u.terminal_id.c_str(), static_cast<long long>(u.xp),
                u.name.c_str());
  }
  std::fflush(stdout);
  return kExitOk;
}

int RunSetTier(const UsersArgs& a) {
  auto tier = ParseTierArg(a.tier);
  if (!tier) return ReportFailure(tier.error());
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
  const missions::Tier from = user.tier;
  Status s = (*writer)->SubmitAndWait([&](store::Txn& txn) -> Status {
    if (auto r = store::SetUserTier(txn, user.user_id, *tier); !r) return r;
    store::Event e;
    e.type = "user_tier_set";
    e.user_id = user.user_id;
    e.payload = {{"from", std::string(missions::ToString(from))},
                 {"to", std::string(missions::ToString(*tier))},
                 {"by", "cli"}};
    auto appended = store::AppendEvent(txn, e);
    if (!appended) return tl::unexpected(appended.error());
    return Ok();
  });
  if (!s) return ReportFailure(s.error());
  std::cout << user.user_id << " " << missions::ToString(from) << " -> "
            << missions::ToString(*tier) << "\n";
  return kExitOk;
}

int RunLoginLink(const UsersArgs& a) {
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto config = a.store.LoadConfigIfAny();
  if (!config) return ReportFailure(config.error());

  std::string secret_hex = a.secret_hex;
  std::string base = a.url;
  if (*config) {
    const Config& c = **config;
    if (secret_hex.empty()) {
      if (!c.auth.dev_login) {
        return ReportFailure(a.store.config +
                             ": auth.dev_login is false: the server would refuse this link "
                             "(set auth.dev_login = true and auth.dev_login_secret_hex)");
      }
      secret_hex = c.auth.dev_login_secret_hex;
      if (secret_hex.empty()) {
        return ReportFailure(a.store.config + ": auth.dev_login_secret_hex is not set");
      }
    }
    if (base.empty()) base = c.PublicUrl();
  }
  if (secret_hex.empty()) {
    return ReportFailure(Error{"usage", "users login-link: --secret HEX is required with --db"});
  }
  if (base.empty()) base = "http://127.0.0.1:8080";
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto secret = FromHex(secret_hex);
  if (!secret) {
    return ReportFailure(*config ? a.store.config + ": auth.dev_login_secret_hex is not hex"
                                 : std::string("--secret is not hex"));
  }
  if (!(a.ttl_hours > 0)) return ReportFailure(Error{"usage", "--ttl-hours must be > 0"});

  auto db = OpenStoreReadOnly(*path);
  if (!db) return ReportFailure(db.error());
  auto user = FindUser(**db, a.who);
  if (!user) return ReportFailure(user.error());

  RealClock clock;
  const TimeMs expires_at = clock.NowMs() + static_cast<TimeMs>(a.ttl_hours * 3600.0 * 1000.0);
  const std::string token = MintDevToken(*secret, user->user_id, expires_at);
  if (a.json) {
    nlohmann::json j = {{"url", HudLoginUrl(base, token, a.mission)},
                        {"token", token},
                        {"user_id", user->user_id},
                        {"expires_at", expires_at}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << HudLoginUrl(base, token, a.mission) << "\n";
  }
  return kExitOk;
}

}  // namespace

Result<missions::User> FindUser(const store::Database& db, const std::string& who) {
  if (IsUuidV7(who)) {
    auto u = store::GetUser(db, who);
    if (!u) return tl::unexpected(u.error());
    if (!*u) return Fail("user_not_found", db.path().string() + ": no user with id " + who);
    return **u;
  }
  if (!who.empty() &&
      std::all_of(who.begin(), who.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    auto u = store::GetUserByTelegramId(db, std::stoll(who));
    if (!u) return tl::unexpected(u.error());
    if (!*u)
      return Fail("user_not_found", db.path().string() + ": no user with Telegram id " + who);
    return **u;
  }
  auto all = store::ListUsers(db);
  if (!all) return tl::unexpected(all.error());
  std::optional<missions::User> found;
  for (const missions::User& u : *all) {
    if (u.name != who) continue;
    if (found) {
      return Fail("ambiguous_user",
                  db.path().string() + ": several users are named '" + who + "'; give the user_id");
    }
    found = u;
  }
  if (!found) return Fail("user_not_found", db.path().string() + ": no user named '" + who + "'");
  return *found;
}

std::string HudLoginUrl(const std::string& base_url, const std::string& token,
                        const std::string& mission_id) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/hud/?token=" + token;
  if (!mission_id.empty()) url += "&mission=" + mission_id;
  return url;
}

void AddUsersCommand(CLI::App& root, CliAction* action) {
  CLI::App* users = root.add_subcommand("users", "Add, list and change traders");
  users->require_subcommand(1);
  auto args = std::make_shared<UsersArgs>();

  CLI::App* add = users->add_subcommand("add", "Add a trader; prints the new user_id");
  AddStoreOptions(*add, args->store);
  add->add_option("--name", args->name, "Display name")->required();
  add->add_option("--telegram-id", args->telegram_id, "Telegram user id (0 = link later)");
  add->add_option("--tier", args->tier, "PRESS_PASS, NIBBLER, FANG or COMMANDER")
      ->capture_default_str();
  add->add_option("--terminal", args->terminal, "terminal_id of the trader's MT5 terminal");
  add->add_flag("--json", args->json, "Print the user as JSON");
  add->callback([args, action] { *action = [args] { return RunAdd(*args); }; });

  CLI::App* list = users->add_subcommand("list", "List traders");
  AddStoreOptions(*list, args->store);
  list->add_flag("--json", args->json, "One JSON object per user");
  list->callback([args, action] { *action = [args] { return RunList(*args); }; });

  CLI::App* set_tier = users->add_subcommand("set-tier", "Change a trader's tier");
  set_tier->add_option("user", args->who, "user_id, Telegram id or unique name")->required();
  set_tier->add_option("tier", args->tier, "PRESS_PASS, NIBBLER, FANG or COMMANDER")->required();
  AddStoreOptions(*set_tier, args->store);
  set_tier->callback([args, action] { *action = [args] { return RunSetTier(*args); }; });

  CLI::App* link = users->add_subcommand(
      "login-link", "Print a signed, expiring HUD login URL (dev login; needs auth.dev_login)");
  link->add_option("user", args->who, "user_id, Telegram id or unique name")->required();
  AddStoreOptions(*link, args->store);
  link->add_option("--mission", args->mission, "Open this mission_id in the HUD");
  link->add_option("--ttl-hours", args->ttl_hours, "How long the link works")
      ->capture_default_str();
  link->add_option("--secret", args->secret_hex,
                   "Dev-login secret (hex); default auth.dev_login_secret_hex of --config");
  link->add_option("--url", args->url, "Public base URL; default the config's server.public_url");
  link->add_flag("--json", args->json, "Print {url, token, user_id, expires_at}");
  link->callback([args, action] { *action = [args] { return RunLoginLink(*args); }; });

  AddUsersInviteCommand(*users, action);  // users invite (app/invite_cmd.h)
  AddUsersRulesCommands(*users, action);  // users pause|resume|kill (app/users_rules_cmd.h)
}

}  // namespace bitten::app
