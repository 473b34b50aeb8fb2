// The root configuration of `bitten serve` (TOML, see docs/config.md), one struct per component
// gathered here, with Validate() reporting every problem at once (STYLE.md: nautilus_trader). Each
// field says its meaning and its default. Read once at start-up; immutable afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/admin_auth.h"
#include "base/error.h"
#include "missions/types.h"

namespace bitten::app {

struct ServerConfig {
  std::string address = "127.0.0.1";  // listen address. Default: 127.0.0.1
  std::uint16_t port = 8080;          // 0 = ephemeral (printed at start). Default: 8080
  int io_threads = 1;                 // HTTP io threads, 1..2. Default: 1
  std::string public_url;  // base URL users reach (HUD links). Default: http://address:port
  std::string web_root;    // folder with hud/ (and admin/). Default: <repo>/web
};

struct StoreConfig {
  std::string path = "bitten.sqlite";  // SQLite file. Default: bitten.sqlite
};

struct TelegramConfig {
  std::string token;  // bot token; empty = Telegram off (outbox shown in the log)
  std::string api_base = "https://api.telegram.org";  // Bot API base URL (an emulator in tests)
  std::int64_t group_chat_id = 0;                     // where group alerts go; 0 = none
  std::string bot_username = "bitten_bot";            // for the t.me direct link
  std::string webapp_short_name = "hud";              // Mini App short name
  bool poll = true;                                   // long-poll getUpdates. Default: true
  // Expired group alerts are deleted this long after the signal's expiry; 0 = keep them.
  // Default: 3600 (Telegram lets a bot delete its messages for 48 h only).
  std::int64_t alert_delete_after_s = 3600;
  // The group alert's countdown ("⏳ N min left") is edited in every this many seconds while the
  // signal is live; 0 = no countdown edits. Each edit costs one of the group's 20 messages a
  // minute; a pending edit of an alert is replaced, never queued twice. Default: 60.
  std::int64_t alert_countdown_s = 60;
  // Webhook intake instead of long polling when set: the public HTTPS URL Telegram POSTs updates
  // to (path /telegram/webhook on this server). Default: "" (long polling, when poll is on).
  std::string webhook_url;
  // The setWebhook secret_token, checked against X-Telegram-Bot-Api-Secret-Token on every POST.
  // 1-256 characters of A-Z a-z 0-9 _ -; required with webhook_url.
  std::string webhook_secret;
};

struct AuthConfig {
  bool dev_login = false;            // accept `Authorization: Bearer <dev token>`. Default: false
  std::string dev_login_secret_hex;  // HMAC key for dev tokens (hex); required when dev_login
  std::int64_t init_data_max_age_read_s = 86400;  // CONTRACTS §4. Default: 24 h
  std::int64_t init_data_max_age_fire_s = 3600;   // CONTRACTS §4. Default: 1 h
};

struct TerminalConfig {
  std::string terminal_id;  // [a-z0-9][a-z0-9-]{0,31}
  std::string secret_hex;   // 32 random bytes, hex (64 digits)
  std::string dir;          // the terminal's bridge folder (MQL5/Files/bitten); "" = HTTP only
  std::int64_t heartbeat_ttl_ms =
      30000;  // online while the last heartbeat is younger. Default: 30 s
};

struct UserConfig {
  std::int64_t telegram_id = 0;
  std::string name;
  missions::Tier tier = missions::Tier::kPressPass;
  std::string terminal_id;
};

struct EngineConfig {
  std::vector<std::string> symbols;   // symbols VENOM trades; empty = every symbol with ticks
  std::int64_t spacing_minutes = 15;  // per-symbol spacing between signals. Default: 15
  std::int64_t rapid_ttl_s = 900;  // RAPID_ASSAULT mission expiry after the signal. Default: 15 min
  std::int64_t precision_ttl_s = 1800;  // PRECISION_STRIKE mission expiry. Default: 30 min
  bool kill_switch = false;             // global: refuse every fire. Default: false
  // VENOM (docs/venom.md). Setups to run; empty = all four. Default: empty
  std::vector<std::string> setups;
  double stop_atr_multiple = 2.0;  // stop = this × M5 ATR(14), at least the floor. Default: 2.0
  double min_stop_pips_fx = 6;     // stop floors in pips of the instrument. Defaults: 6, 6, 20
  double min_stop_pips_jpy = 6;
  double min_stop_pips_gold = 20;
  double max_spread_to_stop = 0.35;             // spread gate, fraction of the stop. Default: 0.35
  std::int64_t max_signals_per_symbol_day = 6;  // per UTC day; 0 = no cap. Default: 6
  std::int64_t max_signals_per_day = 20;        // all symbols, per UTC day; 0 = no cap. Default: 20
};

// CITADEL, the shield (docs/venom.md).
struct CitadelConfig {
  double block_below = 4.0;   // shield score below this blocks the signal; 0 = never. Default: 4.0
  std::string news_calendar;  // CSV path (time_utc,currency,impact,title); "" = none. Default: ""
  std::int64_t news_before_min = 30;  // blackout window before a high-impact event. Default: 30
  std::int64_t news_after_min = 30;   // ... and after it. Default: 30
  bool news_blocks = true;            // a high-impact event in the window blocks. Default: true
  // Size multiplier per band for mission sizing. Defaults: 1.0, 0.75, 0.5, 0.25
  double size_approved = 1.0;
  double size_active = 0.75;
  double size_volatility_zone = 0.5;
  double size_unverified = 0.25;
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  TelegramConfig telegram;
  AuthConfig auth;
  AdminConfig admin;  // the Commander Throne (app/admin_auth.h)
  EngineConfig engine;
  CitadelConfig citadel;
  std::vector<missions::TierRules> tiers = missions::DefaultTierRules();
  std::vector<TerminalConfig> terminals;
  std::vector<UserConfig> users;    // seeded into the store at start if missing
  std::string log_level = "info";   // trace|debug|info|warn|error|off. Default: info
  std::string log_format = "text";  // [log] format: text|json (base/log.h). Default: text
  std::string source_path;  // the file it was loaded from ("" when built in code, e.g. demo)

  // The base URL users reach: server.public_url without a trailing '/', else
  // http://<address>:<bound_port or server.port> (0.0.0.0 shown as 127.0.0.1).
  std::string PublicUrl(std::uint16_t bound_port = 0) const;

  // Every problem at once, one per line, each naming the setting ("terminals[0].secret_hex: ...").
  Status Validate() const;
};

// Parses a TOML file; errors name the file, line and setting (every problem at once, one per line,
// code "bad_config"): syntax, wrong types, unknown settings (typos), unknown tier names. Semantic
// checks are Validate()'s. An empty telegram.token is filled from $BITTEN_TELEGRAM_TOKEN.
Result<Config> LoadConfig(const std::string& path);

// Where the static pages (hud/) are when server.web_root is empty: $BITTEN_WEB_ROOT, else the first
// of <binary dir>/../../web, <binary dir>/../web, <binary dir>/../share/bitten/web, ./web that has
// a hud/ folder; "" when none has. `bitten serve` and `bitten demo` fill server.web_root with it.
std::string DefaultWebRoot();

// [a-z0-9][a-z0-9-]{0,31} (CONTRACTS §1).
bool IsValidTerminalId(std::string_view id);
// Exactly 64 hex digits (a 32-byte secret).
bool IsValidSecretHex(std::string_view hex);

}  // namespace bitten::app
