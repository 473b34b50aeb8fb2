// `bitten admin hash-password`: reads a password from stdin (one line; the trailing newline is not
// part of it) and prints the `admin.password_hash` value for the config (app/admin_auth.h). The
// password never appears on the command line, so it stays out of shell history and `ps`.
#pragma once

#include "app/cli.h"

namespace bitten::app {

void AddAdminCommand(CLI::App& root, CliAction* action);

}  // namespace bitten::app
