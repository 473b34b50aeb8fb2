// `bitten demo`: the whole loop with no configuration (issue 2, point 10). It makes a temporary
// folder with a SQLite store and one paper terminal folder, a fresh terminal secret, a demo trader
// (FANG) on that terminal, dev login with a fresh secret; starts the server (app/server.h) on
// --port and an in-process paper bridge thread that replays --data files (or the seeded generator)
// at --speed and talks to the server over HTTP exactly as `bitten paper-bridge` does. It prints the
// HUD link (a signed dev login) and the status page URL, runs until Ctrl-C (SIGINT/SIGTERM) or
// --for seconds, then stops everything and removes the temporary folder (unless --keep).
//
// Telegram is used only when $BITTEN_TELEGRAM_TOKEN is set: through $BITTEN_TELEGRAM_API_BASE
// (default the real Bot API), alerts to $BITTEN_TELEGRAM_GROUP, and DMs to the demo trader when
// $BITTEN_TELEGRAM_USER (a Telegram user id) is set. Without a token the outbox is shown in the
// log.
#pragma once

#include "app/cli.h"

namespace bitten::app {

void AddDemoCommand(CLI::App& root, CliAction* action);

}  // namespace bitten::app
