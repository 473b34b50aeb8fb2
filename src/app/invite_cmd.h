// `bitten users invite USER [--ttl-hours H] [--bot NAME] [--json]`: creates a one-time Telegram
// invite for a trader (store/invites.h) and prints the link that links their Telegram account:
// https://t.me/<bot_username>?start=inv-<code>. Opening it sends the bot "/start inv-<code>"
// (app/bot_backend.h). The code is 24 hex digits of randomness; it expires after --ttl-hours
// (default 72) and links one account. The bot name comes from --bot or the config's
// telegram.bot_username. Written through a store::Writer with a journal event ("invite_created"),
// safe while `bitten serve` runs.
#pragma once

#include "app/cli.h"

namespace bitten::app {

// Adds "invite" under the `users` subcommand.
void AddUsersInviteCommand(CLI::App& users, CliAction* action);

}  // namespace bitten::app
