#include "app/admin_cmd.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "app/admin_auth.h"

namespace bitten::app {

void AddAdminCommand(CLI::App& root, CliAction* action) {
  CLI::App* admin = root.add_subcommand("admin", "Commander Throne credentials");
  admin->require_subcommand(1);
  CLI::App* hash = admin->add_subcommand(
      "hash-password",
      "Read a password from stdin and print its admin.password_hash (PBKDF2-HMAC-SHA256)");
  auto iterations = std::make_shared<int>(600000);
  hash->add_option("--iterations", *iterations, "PBKDF2 iterations (default 600000)")
      ->check(CLI::Range(1000, 100000000));
  hash->callback([iterations, action] {
    *action = [iterations] {
      std::string password;
      if (!std::getline(std::cin, password) || password.empty()) {
        return ReportFailure(Error{"usage", "admin hash-password: no password on stdin"});
      }
      if (!password.empty() && password.back() == '\r') password.pop_back();
      if (password.size() < 12) {
        return ReportFailure(
            Error{"usage", "admin hash-password: the password must be at least 12 characters"});
      }
      std::printf("%s\n", HashAdminPassword(password, *iterations).c_str());
      return kExitOk;
    };
  });
}

}  // namespace bitten::app
