#include "app/terminals_cmd.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/config.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "store/journal.h"
#include "store/terminals.h"
#include "store/writer.h"

namespace bitten::app {
namespace {

struct TerminalsArgs {
  StoreTarget store;
  std::string terminal_id;
  std::string dir;
  std::string secret_hex;
  bool json = false;
  bool show_secrets = false;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int RunAdd(const TerminalsArgs& a) {
  if (!IsValidTerminalId(a.terminal_id)) {
    return ReportFailure(Error{
        "usage", "terminals add: '" + a.terminal_id + "' must match [a-z0-9][a-z0-9-]{0,31}"});
  }
  if (!a.secret_hex.empty() && !IsValidSecretHex(a.secret_hex)) {
    return ReportFailure(Error{"usage", "terminals add: --secret must be 64 hex digits"});
  }
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto writer = OpenStoreWriter(*path);
  if (!writer) return ReportFailure(writer.error());

  RealClock clock;
  store::Terminal t;
  t.terminal_id = a.terminal_id;
  t.secret_hex = a.secret_hex.empty() ? NewTerminalSecretHex() : Lower(a.secret_hex);
  t.dir =
      a.dir.empty() ? std::string() : std::filesystem::absolute(a.dir).lexically_normal().string();
  t.created_at = clock.NowMs();
  Status s = (*writer)->SubmitAndWait([&](store::Txn& txn) -> Status {
    if (auto r = store::InsertTerminal(txn, t); !r) return r;
    store::Event e;
    e.type = "terminal_added";
    e.terminal_id = t.terminal_id;
    e.payload = {{"dir", t.dir}, {"by", "cli"}};
    auto appended = store::AppendEvent(txn, e);
    if (!appended) return tl::unexpected(appended.error());
    return Ok();
  });
  if (!s) return ReportFailure(s.error());
  if (a.json) {
    nlohmann::json j = {
        {"terminal_id", t.terminal_id}, {"secret_hex", t.secret_hex}, {"dir", t.dir}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "terminal " << t.terminal_id << " added\nsecret " << t.secret_hex
              << "\n(give the secret to the terminal's EA input; it is not shown again)\n";
  }
  return kExitOk;
}

int RunList(const TerminalsArgs& a) {
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto db = OpenStoreReadOnly(*path);
  if (!db) return ReportFailure(db.error());
  auto terminals = store::ListTerminals(**db);
  if (!terminals) return ReportFailure(terminals.error());
  for (const store::Terminal& t : *terminals) {
    const std::string secret = a.show_secrets ? t.secret_hex : std::string("(hidden)");
    if (a.json) {
      nlohmann::json j = {
          {"terminal_id", t.terminal_id}, {"dir", t.dir}, {"created_at", t.created_at}};
      if (a.show_secrets) j["secret_hex"] = t.secret_hex;
      std::cout << j.dump() << "\n";
    } else {
      std::cout << t.terminal_id << "  " << (t.dir.empty() ? "(http only)" : t.dir) << "  "
                << secret << "\n";
    }
  }
  return kExitOk;
}

int RunRotate(const TerminalsArgs& a) {
  if (!IsValidTerminalId(a.terminal_id)) {
    return ReportFailure(Error{"usage", "terminals rotate-secret: '" + a.terminal_id +
                                            "' must match [a-z0-9][a-z0-9-]{0,31}"});
  }
  auto path = a.store.Resolve();
  if (!path) return ReportFailure(path.error());
  auto writer = OpenStoreWriter(*path);
  if (!writer) return ReportFailure(writer.error());
  const std::string secret = NewTerminalSecretHex();
  Status s = (*writer)->SubmitAndWait([&](store::Txn& txn) -> Status {
    if (auto r = store::SetTerminalSecret(txn, a.terminal_id, secret); !r) return r;
    store::Event e;
    e.type = "terminal_secret_rotated";
    e.terminal_id = a.terminal_id;
    e.payload = {{"by", "cli"}};
    auto appended = store::AppendEvent(txn, e);
    if (!appended) return tl::unexpected(appended.error());
    return Ok();
  });
  if (!s) return ReportFailure(s.error());
  if (a.json) {
    nlohmann::json j = {{"terminal_id", a.terminal_id}, {"secret_hex", secret}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "terminal " << a.terminal_id << " new secret " << secret
              << "\n(update the EA input; the old secret no longer signs)\n";
  }
  return kExitOk;
}

}  // namespace

std::string NewTerminalSecretHex() { return ToHex(RandomBytes(32)); }

void AddTerminalsCommand(CLI::App& root, CliAction* action) {
  CLI::App* terminals = root.add_subcommand("terminals", "Add, list and re-key MT5 terminals");
  terminals->require_subcommand(1);
  auto args = std::make_shared<TerminalsArgs>();

  CLI::App* add = terminals->add_subcommand("add", "Add a terminal; prints its new secret");
  add->add_option("terminal_id", args->terminal_id, "[a-z0-9][a-z0-9-]{0,31}")->required();
  AddStoreOptions(*add, args->store);
  add->add_option("--dir", args->dir, "The terminal's bridge folder (MQL5/Files/bitten)");
  add->add_option("--secret", args->secret_hex, "Use this secret (64 hex) instead of a new one");
  add->add_flag("--json", args->json, "Print {terminal_id, secret_hex, dir}");
  add->callback([args, action] { *action = [args] { return RunAdd(*args); }; });

  CLI::App* list = terminals->add_subcommand("list", "List terminals");
  AddStoreOptions(*list, args->store);
  list->add_flag("--json", args->json, "One JSON object per terminal");
  list->add_flag("--show-secrets", args->show_secrets, "Also print the secrets");
  list->callback([args, action] { *action = [args] { return RunList(*args); }; });

  CLI::App* rotate =
      terminals->add_subcommand("rotate-secret", "Give a terminal a new secret; prints it");
  rotate->add_option("terminal_id", args->terminal_id, "The terminal")->required();
  AddStoreOptions(*rotate, args->store);
  rotate->add_flag("--json", args->json, "Print {terminal_id, secret_hex}");
  rotate->callback([args, action] { *action = [args] { return RunRotate(*args); }; });
}

}  // namespace bitten::app
