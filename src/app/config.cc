#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "base/log.h"
#include "market/instrument.h"

namespace bitten::app {
namespace {

// One problem in the file: "<file>:<line>: <setting>: <what>".
class Loader {
 public:
  explicit Loader(std::string path) : path_(std::move(path)) {}

  using Field = std::function<void(const toml::node&, const std::string& setting)>;

  // Applies `fields` to every key of `table`; an unknown key is an error (a typo must not be
  // ignored).
  void Fields(const toml::table& table, const std::string& prefix,
              const std::map<std::string, Field>& fields) {
    for (auto&& [key, node] : table) {
      const std::string name(key.str());
      const std::string setting = prefix.empty() ? name : prefix + "." + name;
      auto it = fields.find(name);
      if (it == fields.end()) {
        Error(node, setting, "unknown setting");
        continue;
      }
      it->second(node, setting);
    }
  }

  void Error(const toml::node& node, const std::string& setting, const std::string& what) {
    std::ostringstream os;
    os << path_ << ":" << node.source().begin.line << ": " << setting << ": " << what;
    errors_.push_back(os.str());
  }

  // Typed setters: each reports a wrong type or a value out of range and leaves `out` untouched.
  Field String(std::string& out) {
    return [this, &out](const toml::node& n, const std::string& s) {
      if (auto v = n.value_exact<std::string>()) {
        out = *v;
      } else {
        Error(n, s, "must be a string");
      }
    };
  }
  Field Bool(bool& out) {
    return [this, &out](const toml::node& n, const std::string& s) {
      if (auto v = n.value_exact<bool>()) {
        out = *v;
      } else {
        Error(n, s, "must be true or false");
      }
    };
  }
  template <typename Int>
  Field Integer(Int& out, std::int64_t min = std::numeric_limits<Int>::min(),
                std::int64_t max = std::numeric_limits<Int>::max()) {
    return [this, &out, min, max](const toml::node& n, const std::string& s) {
      auto v = n.value_exact<std::int64_t>();
      if (!v) {
        Error(n, s, "must be an integer");
      } else if (*v < min || *v > max) {
        Error(n, s,
              "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                  std::to_string(*v) + ")");
      } else {
        out = static_cast<Int>(*v);
      }
    };
  }
  Field Number(double& out) {
    return [this, &out](const toml::node& n, const std::string& s) {
      if (auto v = n.value<double>(); v && (n.is_floating_point() || n.is_integer())) {
        out = *v;
      } else {
        Error(n, s, "must be a number");
      }
    };
  }
  Field TierName(missions::Tier& out) {
    return [this, &out](const toml::node& n, const std::string& s) {
      auto v = n.value_exact<std::string>();
      if (!v) {
        Error(n, s, "must be a string");
        return;
      }
      if (auto t = missions::ParseTier(*v)) {
        out = *t;
      } else {
        Error(n, s, "unknown tier '" + *v + "' (PRESS_PASS, NIBBLER, FANG or COMMANDER)");
      }
    };
  }
  Field StringList(std::vector<std::string>& out) {
    return [this, &out](const toml::node& n, const std::string& s) {
      const toml::array* a = n.as_array();
      if (a == nullptr) {
        Error(n, s, "must be an array of strings");
        return;
      }
      out.clear();
      for (std::size_t i = 0; i < a->size(); ++i) {
        if (auto v = (*a)[i].value_exact<std::string>()) {
          out.push_back(*v);
        } else {
          Error((*a)[i], s + "[" + std::to_string(i) + "]", "must be a string");
        }
      }
    };
  }
  // A table of fields ([server] ...).
  Field Table(const std::function<void(const toml::table&, const std::string&)>& apply) {
    return [this, apply](const toml::node& n, const std::string& s) {
      if (const toml::table* t = n.as_table()) {
        apply(*t, s);
      } else {
        Error(n, s, "must be a table ([" + s + "])");
      }
    };
  }
  // An array of tables ([[terminals]] ...); `apply` gets each table and its index.
  Field TableArray(const std::function<void(const toml::table&, const std::string&)>& apply) {
    return [this, apply](const toml::node& n, const std::string& s) {
      const toml::array* a = n.as_array();
      if (a == nullptr) {
        Error(n, s, "must be an array of tables ([[" + s + "]])");
        return;
      }
      for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string item = s + "[" + std::to_string(i) + "]";
        if (const toml::table* t = (*a)[i].as_table()) {
          apply(*t, item);
        } else {
          Error((*a)[i], item, "must be a table");
        }
      }
    };
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string path_;
  std::vector<std::string> errors_;
};

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += "\n";
    out += l;
  }
  return out;
}

bool IsTerminalId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(i > 0 && c == '-')) return false;
  }
  return true;
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool IsHttpUrl(std::string_view s) {
  return (s.starts_with("http://") && s.size() > 7) || (s.starts_with("https://") && s.size() > 8);
}

}  // namespace

bool IsValidTerminalId(std::string_view id) { return IsTerminalId(id); }

std::string DefaultWebRoot() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("BITTEN_WEB_ROOT"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    const fs::path dir = exe.parent_path();
    candidates = {dir / ".." / ".." / "web", dir / ".." / "web",
                  dir / ".." / "share" / "bitten" / "web"};
  }
  candidates.push_back(fs::current_path(ec) / "web");
  for (const fs::path& c : candidates) {
    if (fs::is_directory(c / "hud", ec)) return fs::weakly_canonical(c, ec).string();
  }
  return "";
}
bool IsValidSecretHex(std::string_view hex) { return IsHex64(hex); }

std::string Config::PublicUrl(std::uint16_t bound_port) const {
  if (!server.public_url.empty()) {
    std::string url = server.public_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  const std::string host = server.address == "0.0.0.0" || server.address.empty()
                               ? std::string("127.0.0.1")
                               : server.address;
  return "http://" + host + ":" + std::to_string(bound_port != 0 ? bound_port : server.port);
}

Status Config::Validate() const {
  std::vector<std::string> p;
  auto add = [&p](const std::string& setting, const std::string& what) {
    p.push_back(setting + ": " + what);
  };

  // [server]
  if (server.address.empty()) add("server.address", "must not be empty");
  if (server.io_threads < 1 || server.io_threads > 2) {
    add("server.io_threads", "must be 1 or 2 (got " + std::to_string(server.io_threads) + ")");
  }
  if (!server.public_url.empty() && !IsHttpUrl(server.public_url)) {
    add("server.public_url",
        "must start with http:// or https:// (got '" + server.public_url + "')");
  }

  // [store]
  if (store.path.empty()) add("store.path", "must name the SQLite file");

  // [telegram]
  if (!telegram.token.empty()) {
    if (!IsHttpUrl(telegram.api_base)) {
      add("telegram.api_base",
          "must start with http:// or https:// (got '" + telegram.api_base + "')");
    }
    if (telegram.token.find(':') == std::string::npos) {
      add("telegram.token", "does not look like a bot token (<bot id>:<secret>)");
    }
  }
  if (telegram.bot_username.empty()) add("telegram.bot_username", "must not be empty");
  if (telegram.webapp_short_name.empty()) add("telegram.webapp_short_name", "must not be empty");
  if (telegram.alert_delete_after_s < 0 || telegram.alert_delete_after_s > 47 * 3600) {
    add("telegram.alert_delete_after_s",
        "must be in [0, 169200] (Telegram deletes only messages younger than 48 h)");
  }
  if (telegram.alert_countdown_s != 0 &&
      (telegram.alert_countdown_s < 3 || telegram.alert_countdown_s > 3600)) {
    add("telegram.alert_countdown_s",
        "must be 0 (no countdown) or in [3, 3600] (a group takes 20 messages a minute)");
  }
  if (!telegram.webhook_url.empty()) {
    if (!IsHttpUrl(telegram.webhook_url)) {
      add("telegram.webhook_url",
          "must start with http:// or https:// (got '" + telegram.webhook_url + "')");
    }
    const std::string& ws = telegram.webhook_secret;
    const bool ok_chars = std::all_of(ws.begin(), ws.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
    });
    if (ws.empty() || ws.size() > 256 || !ok_chars) {
      add("telegram.webhook_secret",
          "must be 1-256 characters of A-Z a-z 0-9 _ - when telegram.webhook_url is set");
    }
  }

  // [auth]
  if (auth.dev_login) {
    if (auth.dev_login_secret_hex.empty()) {
      add("auth.dev_login_secret_hex", "is required when auth.dev_login = true");
    } else if (!IsHex64(auth.dev_login_secret_hex)) {
      add("auth.dev_login_secret_hex", "must be 64 hex digits (32 random bytes)");
    }
  } else if (!auth.dev_login_secret_hex.empty() && !IsHex64(auth.dev_login_secret_hex)) {
    add("auth.dev_login_secret_hex", "must be 64 hex digits (32 random bytes)");
  }
  if (auth.init_data_max_age_read_s <= 0) add("auth.init_data_max_age_read_s", "must be > 0");
  if (auth.init_data_max_age_fire_s <= 0) add("auth.init_data_max_age_fire_s", "must be > 0");
  // [admin]
  if (auto h = ValidatePasswordHash(admin.password_hash); !h) {
    constexpr std::string_view kPrefix = "admin.password_hash: ";
    std::string_view m = h.error().message;
    if (m.starts_with(kPrefix)) m.remove_prefix(kPrefix.size());
    add("admin.password_hash", std::string(m));
  }
  if (admin.session_ttl_s <= 0) add("admin.session_ttl_s", "must be > 0");
  if (admin.login_max_attempts < 1) add("admin.login_max_attempts", "must be >= 1");
  if (admin.login_window_s <= 0) add("admin.login_window_s", "must be > 0");

  // [engine]
  if (engine.spacing_minutes < 0) add("engine.spacing_minutes", "must be >= 0");
  if (engine.rapid_ttl_s <= 0) add("engine.rapid_ttl_s", "must be > 0");
  if (engine.precision_ttl_s <= 0) add("engine.precision_ttl_s", "must be > 0");
  for (std::size_t i = 0; i < engine.setups.size(); ++i) {
    const std::string& n = engine.setups[i];
    if (n != "trend_pullback" && n != "squeeze_breakout" && n != "range_reversal" &&
        n != "ema_cross_rsi") {
      add("engine.setups[" + std::to_string(i) + "]",
          "unknown setup '" + n +
              "' (trend_pullback, squeeze_breakout, range_reversal, ema_cross_rsi)");
    }
  }
  if (!(engine.stop_atr_multiple > 0)) add("engine.stop_atr_multiple", "must be > 0");
  if (!(engine.min_stop_pips_fx > 0)) add("engine.min_stop_pips_fx", "must be > 0");
  if (!(engine.min_stop_pips_jpy > 0)) add("engine.min_stop_pips_jpy", "must be > 0");
  if (!(engine.min_stop_pips_gold > 0)) add("engine.min_stop_pips_gold", "must be > 0");
  if (!(engine.max_spread_to_stop > 0)) add("engine.max_spread_to_stop", "must be > 0");
  if (engine.max_signals_per_symbol_day < 0) {
    add("engine.max_signals_per_symbol_day", "must be >= 0 (0 = no cap)");
  }
  if (engine.max_signals_per_day < 0)
    add("engine.max_signals_per_day", "must be >= 0 (0 = no cap)");
  // [citadel]
  if (!(citadel.block_below >= 0 && citadel.block_below <= 10)) {
    add("citadel.block_below", "must be in 0..10");
  }
  if (citadel.news_before_min < 0) add("citadel.news_before_min", "must be >= 0");
  if (citadel.news_after_min < 0) add("citadel.news_after_min", "must be >= 0");
  for (const auto& [key, v] :
       {std::pair<const char*, double>{"size_approved", citadel.size_approved},
        {"size_active", citadel.size_active},
        {"size_volatility_zone", citadel.size_volatility_zone},
        {"size_unverified", citadel.size_unverified}}) {
    if (!(v >= 0 && v <= 1)) add(std::string("citadel.") + key, "must be in 0..1");
  }
  {
    const market::InstrumentTable instruments = market::InstrumentTable::Defaults();
    for (std::size_t i = 0; i < engine.symbols.size(); ++i) {
      if (instruments.Find(engine.symbols[i]) == nullptr) {
        add("engine.symbols[" + std::to_string(i) + "]",
            "unknown symbol '" + engine.symbols[i] + "'");
      }
    }
  }

  // [[tiers]]
  {
    std::set<missions::Tier> seen;
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      const missions::TierRules& t = tiers[i];
      const std::string s = "tiers[" + std::to_string(i) + "]";
      if (!seen.insert(t.tier).second) {
        add(s + ".name", "tier " + std::string(missions::ToString(t.tier)) + " appears twice");
      }
      if (t.fires_per_day < 0) add(s + ".fires_per_day", "must be >= 0");
      if (t.max_open < 0) add(s + ".max_open", "must be >= 0");
      if (!(t.risk_pct > 0 && t.risk_pct <= 100)) add(s + ".risk_pct", "must be in (0, 100]");
      if (!(t.daily_loss_cap_pct > 0 && t.daily_loss_cap_pct <= 100)) {
        add(s + ".daily_loss_cap_pct", "must be in (0, 100]");
      }
      if (t.auto_fire && (t.auto_fire_min_confidence < 0 || t.auto_fire_min_confidence > 100)) {
        add(s + ".auto_fire_min_confidence", "must be 0..100 when auto_fire = true");
      }
    }
  }

  // [[terminals]]
  std::set<std::string> terminal_ids;
  {
    std::set<std::string> dirs;
    for (std::size_t i = 0; i < terminals.size(); ++i) {
      const TerminalConfig& t = terminals[i];
      const std::string s = "terminals[" + std::to_string(i) + "]";
      if (!IsTerminalId(t.terminal_id)) {
        add(s + ".terminal_id", "'" + t.terminal_id + "' must match [a-z0-9][a-z0-9-]{0,31}");
      } else if (!terminal_ids.insert(t.terminal_id).second) {
        add(s + ".terminal_id", "'" + t.terminal_id + "' appears twice");
      }
      if (!IsHex64(t.secret_hex)) {
        add(s + ".secret_hex", "must be 64 hex digits (32 random bytes; `openssl rand -hex 32`)");
      }
      if (!t.dir.empty() && !dirs.insert(t.dir).second) {
        add(s + ".dir", "'" + t.dir + "' is also another terminal's folder");
      }
      if (t.heartbeat_ttl_ms <= 0) add(s + ".heartbeat_ttl_ms", "must be > 0");
    }
  }

  // [[users]]
  {
    std::set<std::int64_t> telegram_ids;
    for (std::size_t i = 0; i < users.size(); ++i) {
      const UserConfig& u = users[i];
      const std::string s = "users[" + std::to_string(i) + "]";
      if (u.name.empty()) add(s + ".name", "must not be empty");
      if (u.telegram_id < 0) add(s + ".telegram_id", "must be >= 0");
      if (u.telegram_id > 0 && !telegram_ids.insert(u.telegram_id).second) {
        add(s + ".telegram_id", std::to_string(u.telegram_id) + " appears twice");
      }
      if (!u.terminal_id.empty() && terminal_ids.count(u.terminal_id) == 0) {
        add(s + ".terminal_id", "no [[terminals]] entry has terminal_id '" + u.terminal_id + "'");
      }
    }
  }

  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (kLevels.count(log_level) == 0) {
    add("log_level", "must be trace, debug, info, warn, error or off (got '" + log_level + "')");
  }
  if (!IsValidLogFormat(log_format)) {
    add("log.format", "must be text or json (got '" + log_format + "')");
  }

  if (p.empty()) return Ok();
  if (!source_path.empty()) {
    for (std::string& line : p) line = source_path + ": " + line;
  }
  return Fail("invalid_config", Join(p));
}

Result<Config> LoadConfig(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    std::ostringstream os;
    if (where.line == 0) {
      os << path << ": " << e.description();
    } else {
      os << path << ":" << where.line << ":" << where.column << ": " << e.description();
    }
    return Fail("bad_config", os.str());
  }

  Config c;
  c.source_path = path;
  c.tiers = missions::DefaultTierRules();
  Loader L(path);

  L.Fields(
      root, "",
      {
          {"log_level", L.String(c.log_level)},
          {"log", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(t, s, {{"format", L.String(c.log_format)}});
           })},
          {"server", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(t, s,
                      {{"address", L.String(c.server.address)},
                       {"port", L.Integer(c.server.port)},
                       {"io_threads", L.Integer(c.server.io_threads)},
                       {"public_url", L.String(c.server.public_url)},
                       {"web_root", L.String(c.server.web_root)}});
           })},
          {"store", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(t, s, {{"path", L.String(c.store.path)}});
           })},
          {"telegram", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(t, s,
                      {{"token", L.String(c.telegram.token)},
                       {"api_base", L.String(c.telegram.api_base)},
                       {"group_chat_id", L.Integer(c.telegram.group_chat_id)},
                       {"bot_username", L.String(c.telegram.bot_username)},
                       {"webapp_short_name", L.String(c.telegram.webapp_short_name)},
                       {"poll", L.Bool(c.telegram.poll)},
                       {"alert_delete_after_s", L.Integer(c.telegram.alert_delete_after_s)},
                       {"alert_countdown_s", L.Integer(c.telegram.alert_countdown_s)},
                       {"webhook_url", L.String(c.telegram.webhook_url)},
                       {"webhook_secret", L.String(c.telegram.webhook_secret)}});
           })},
          {"auth", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(t, s,
                      {{"dev_login", L.Bool(c.auth.dev_login)},
                       {"dev_login_secret_hex", L.String(c.auth.dev_login_secret_hex)},
                       {"init_data_max_age_read_s", L.Integer(c.auth.init_data_max_age_read_s)},
                       {"init_data_max_age_fire_s", L.Integer(c.auth.init_data_max_age_fire_s)}});
           })},
          {"admin", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(t, s,
                      {{"password_hash", L.String(c.admin.password_hash)},
                       {"session_ttl_s", L.Integer(c.admin.session_ttl_s)},
                       {"login_max_attempts", L.Integer(c.admin.login_max_attempts)},
                       {"login_window_s", L.Integer(c.admin.login_window_s)}});
           })},
          {"engine", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(
                 t, s,
                 {{"symbols", L.StringList(c.engine.symbols)},
                  {"spacing_minutes", L.Integer(c.engine.spacing_minutes)},
                  {"rapid_ttl_s", L.Integer(c.engine.rapid_ttl_s)},
                  {"precision_ttl_s", L.Integer(c.engine.precision_ttl_s)},
                  {"kill_switch", L.Bool(c.engine.kill_switch)},
                  {"setups", L.StringList(c.engine.setups)},
                  {"stop_atr_multiple", L.Number(c.engine.stop_atr_multiple)},
                  {"min_stop_pips_fx", L.Number(c.engine.min_stop_pips_fx)},
                  {"min_stop_pips_jpy", L.Number(c.engine.min_stop_pips_jpy)},
                  {"min_stop_pips_gold", L.Number(c.engine.min_stop_pips_gold)},
                  {"max_spread_to_stop", L.Number(c.engine.max_spread_to_stop)},
                  {"max_signals_per_symbol_day", L.Integer(c.engine.max_signals_per_symbol_day)},
                  {"max_signals_per_day", L.Integer(c.engine.max_signals_per_day)}});
           })},
          {"citadel", L.Table([&](const toml::table& t, const std::string& s) {
             L.Fields(t, s,
                      {{"block_below", L.Number(c.citadel.block_below)},
                       {"news_calendar", L.String(c.citadel.news_calendar)},
                       {"news_before_min", L.Integer(c.citadel.news_before_min)},
                       {"news_after_min", L.Integer(c.citadel.news_after_min)},
                       {"news_blocks", L.Bool(c.citadel.news_blocks)},
                       {"size_approved", L.Number(c.citadel.size_approved)},
                       {"size_active", L.Number(c.citadel.size_active)},
                       {"size_volatility_zone", L.Number(c.citadel.size_volatility_zone)},
                       {"size_unverified", L.Number(c.citadel.size_unverified)}});
           })},
          {"tiers", L.TableArray([&](const toml::table& t, const std::string& s) {
             // An override names its tier; settings it leaves out keep the tier's defaults.
             const toml::node* name = t.get("name");
             std::optional<missions::Tier> tier;
             if (name == nullptr) {
               L.Error(t, s + ".name", "is required (PRESS_PASS, NIBBLER, FANG or COMMANDER)");
             } else if (auto v = name->value_exact<std::string>()) {
               tier = missions::ParseTier(*v);
               if (!tier) {
                 L.Error(*name, s + ".name",
                         "unknown tier '" + *v + "' (PRESS_PASS, NIBBLER, FANG or COMMANDER)");
               }
             } else {
               L.Error(*name, s + ".name", "must be a string");
             }
             missions::TierRules scratch;
             missions::TierRules* r = &scratch;
             if (tier) {
               for (missions::TierRules& existing : c.tiers) {
                 if (existing.tier == *tier) r = &existing;
               }
             }
             L.Fields(t, s,
                      {{"name", [](const toml::node&, const std::string&) {}},
                       {"fires_per_day", L.Integer(r->fires_per_day)},
                       {"max_open", L.Integer(r->max_open)},
                       {"risk_pct", L.Number(r->risk_pct)},
                       {"daily_loss_cap_pct", L.Number(r->daily_loss_cap_pct)},
                       {"may_fire_rapid", L.Bool(r->may_fire_rapid)},
                       {"may_fire_precision", L.Bool(r->may_fire_precision)},
                       {"auto_fire", L.Bool(r->auto_fire)},
                       {"auto_fire_min_confidence", L.Integer(r->auto_fire_min_confidence)}});
           })},
          {"terminals", L.TableArray([&](const toml::table& t, const std::string& s) {
             TerminalConfig& term = c.terminals.emplace_back();
             L.Fields(t, s,
                      {{"terminal_id", L.String(term.terminal_id)},
                       {"secret_hex", L.String(term.secret_hex)},
                       {"dir", L.String(term.dir)},
                       {"heartbeat_ttl_ms", L.Integer(term.heartbeat_ttl_ms)}});
             if (t.get("terminal_id") == nullptr) L.Error(t, s + ".terminal_id", "is required");
             if (t.get("secret_hex") == nullptr) L.Error(t, s + ".secret_hex", "is required");
           })},
          {"users", L.TableArray([&](const toml::table& t, const std::string& s) {
             UserConfig& user = c.users.emplace_back();
             L.Fields(t, s,
                      {{"telegram_id", L.Integer(user.telegram_id)},
                       {"name", L.String(user.name)},
                       {"tier", L.TierName(user.tier)},
                       {"terminal_id", L.String(user.terminal_id)}});
             if (t.get("name") == nullptr) L.Error(t, s + ".name", "is required");
           })},
      });

  if (!L.errors().empty()) return Fail("bad_config", Join(L.errors()));
  missions::LinkUpgradeTiers(c.tiers);

  // Secrets may stay out of the file (LESSONS: tokens were committed): the environment fills them.
  if (c.telegram.token.empty()) {
    if (const char* env = std::getenv("BITTEN_TELEGRAM_TOKEN"); env != nullptr)
      c.telegram.token = env;
  }
  return c;
}

}  // namespace bitten::app
