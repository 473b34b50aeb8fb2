// `bitten users add|list|set-tier|login-link` on the store named by --config (or --db). Changes go
// through a store::Writer with a journal event each ("user_added", "user_tier_set"), so they are
// safe while `bitten serve` runs (SQLite WAL; the server picks them up as its seeding/reload
// allows).
//
// USER arguments accept a user_id (UUIDv7), a Telegram id (digits), or an exact, unique name.
// login-link prints `<public_url>/hud/?token=<dev token>[&mission=<id>]` (CONTRACTS §4 dev login);
// the secret and URL come from the config (auth.dev_login_secret_hex, server.public_url) or from
// --secret / --url.
#pragma once

#include <optional>
#include <string>

#include "app/cli.h"
#include "missions/types.h"
#include "store/db.h"

namespace bitten::app {

void AddUsersCommand(CLI::App& root, CliAction* action);

// Finds a user by id, Telegram id or unique name; "user_not_found" / "ambiguous_user" naming `who`.
Result<missions::User> FindUser(const store::Database& db, const std::string& who);

// The HUD login URL: base (no trailing '/') + "/hud/?token=" + token [+ "&mission=" + mission_id].
std::string HudLoginUrl(const std::string& base_url, const std::string& token,
                        const std::string& mission_id = "");

}  // namespace bitten::app
