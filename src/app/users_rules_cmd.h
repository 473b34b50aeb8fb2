// `bitten users pause|resume|kill USER [--lift]` (docs/rules.md): per-user halts. pause/resume set
// and clear the pause; kill sets the user's kill switch and `kill --lift` clears it. Either flag
// refuses every fire of the user with "kill_switch". Written through a store::Writer with a
// journal event ("user_paused", "user_resumed", "user_killed", "user_kill_lifted", payload
// {"by":"cli"}), safe while `bitten serve` runs: the fire path reads the flags from the store
// inside its transaction, so the change holds from the next fire on.
#pragma once

#include "app/cli.h"

namespace bitten::app {

// Adds "pause", "resume" and "kill" under the `users` subcommand.
void AddUsersRulesCommands(CLI::App& users, CliAction* action);

}  // namespace bitten::app
