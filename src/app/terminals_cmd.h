// `bitten terminals add|list|rotate-secret` on the store named by --config (or --db). A terminal's
// secret is 32 random bytes shown once as 64 hex digits (add and rotate-secret print it; list hides
// it unless --show-secrets). Changes are journaled ("terminal_added", "terminal_secret_rotated";
// the secret itself never enters the journal).
//
// Note: `bitten serve` seeds [[terminals]] of its config into the store at start; a terminal
// managed here should not also be listed in the config with another secret.
#pragma once

#include "app/cli.h"

namespace bitten::app {

void AddTerminalsCommand(CLI::App& root, CliAction* action);

// 32 fresh random bytes as 64 lowercase hex digits.
std::string NewTerminalSecretHex();

}  // namespace bitten::app
