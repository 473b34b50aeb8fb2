#include "bridge/codec.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/crypto.h"
#include "base/format.h"
#include "base/uuid.h"

namespace bitten::bridge {
namespace {

using OrderedJson = nlohmann::ordered_json;
using Json = nlohmann::json;

constexpr std::string_view kFireHeader = "BITTEN-FIRE 1\n";
constexpr std::string_view kSigMember = ",\"sig\":";

// Parsing inside this file throws Malformed; the public entry points turn it into
// Fail("malformed").
struct Malformed {
  std::string message;
};

double Money(double v) {
  const double r = RoundTo(v, 2);
  return r == 0 ? 0.0 : r;  // no "-0.0" on the wire
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<std::int64_t> ToInt(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> ToDouble(std::string_view s) {
  double v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

void CheckNoLineBreak(std::string_view value) {
  BITTEN_CHECK(value.find_first_of("\r\n") == std::string_view::npos,
               "fire.txt value contains a line break");
}

std::string TruncateUtf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t n = max_bytes;
  // Back off over continuation bytes (10xxxxxx) so that no character is cut in half.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

// Typed access to a parsed JSON object; every failure names the member.
class Members {
 public:
  Members(const Json& j, std::string what) : j_(j), what_(std::move(what)) {}

  bool Has(const char* key) const { return j_.contains(key); }

  const Json& Get(const char* key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) throw Malformed{what_ + ": missing member \"" + key + "\""};
    return *it;
  }
  std::string Str(const char* key) const {
    const Json& v = Get(key);
    if (!v.is_string()) throw Malformed{what_ + ": member \"" + key + "\" is not a string"};
    return v.get<std::string>();
  }
  std::int64_t Int(const char* key) const {
    const Json& v = Get(key);
    if (!v.is_number_integer()) {
      throw Malformed{what_ + ": member \"" + key + "\" is not an integer"};
    }
    return v.get<std::int64_t>();
  }
  double Num(const char* key) const {
    const Json& v = Get(key);
    if (!v.is_number()) throw Malformed{what_ + ": member \"" + key + "\" is not a number"};
    const double d = v.get<double>();
    if (!std::isfinite(d)) throw Malformed{what_ + ": member \"" + key + "\" is not finite"};
    return d;
  }
  bool Bool(const char* key) const {
    const Json& v = Get(key);
    if (!v.is_boolean()) throw Malformed{what_ + ": member \"" + key + "\" is not a boolean"};
    return v.get<bool>();
  }
  market::Side SideOf(const char* key) const {
    const auto s = market::ParseSide(Str(key));
    if (!s) throw Malformed{what_ + ": member \"" + key + "\" is not BUY or SELL"};
    return *s;
  }

 private:
  const Json& j_;
  std::string what_;
};

Json ParseObject(std::string_view text, const std::string& what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw Malformed{what + ": not a JSON object"};
  return j;
}

// The object text without its final "}" (nlohmann dumps objects as "{...}").
std::string DumpOpen(const OrderedJson& j) {
  std::string s = j.dump();
  BITTEN_CHECK(!s.empty() && s.back() == '}', "JSON object dump does not end with }");
  s.pop_back();
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// fire.txt

std::string_view ToString(FireAction a) { return a == FireAction::kOpen ? "open" : "close"; }

std::string EncodeFireCommand(const FireCommand& cmd, std::string_view secret, int price_digits,
                              int volume_digits) {
  std::string out(kFireHeader);
  auto line = [&out](std::string_view key, std::string_view value) {
    CheckNoLineBreak(value);
    out.append(key).append("=").append(value).append("\n");
  };
  line("fire_id", cmd.fire_id);
  line("mission_id", cmd.mission_id);
  line("action", ToString(cmd.action));
  if (cmd.action == FireAction::kOpen) {
    line("symbol", cmd.symbol);
    line("side", market::ToString(cmd.side));
    line("volume", FormatFixed(cmd.volume, volume_digits));
    line("sl", FormatFixed(cmd.sl, price_digits));
    line("tp", FormatFixed(cmd.tp, price_digits));
  } else if (!cmd.symbol.empty()) {
    line("symbol", cmd.symbol);
  }
  line("max_slippage_points", std::to_string(cmd.max_slippage_points));
  line("expires_at", std::to_string(cmd.expires_at));
  line("magic", std::to_string(cmd.magic));
  line("comment", TruncateUtf8(cmd.comment, kMaxCommentBytes));
  const std::string sig = HmacSha256Hex(secret, out);  // before "sig=" is appended
  out.append("sig=").append(sig).append("\n");
  return out;
}

std::string PeekFireId(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    if (line.starts_with("fire_id=")) return std::string(line.substr(8));
    pos = end + 1;
  }
  return "";
}

Result<FireCommand> ParseFireCommand(std::string_view text, std::string_view secret) {
  if (!text.starts_with(kFireHeader)) {
    return Fail("malformed", "fire.txt: first line is not \"BITTEN-FIRE 1\"");
  }
  // The sig line: the first line starting with "sig=". Everything before it is signed.
  std::size_t sig_at = std::string_view::npos;
  for (std::size_t pos = 0; pos < text.size();) {
    if (text.substr(pos).starts_with("sig=")) {
      sig_at = pos;
      break;
    }
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (sig_at == std::string_view::npos) return Fail("malformed", "fire.txt: no sig line");
  std::string_view sig_line = text.substr(sig_at + 4);
  const std::size_t sig_end = sig_line.find('\n');
  if (sig_end != std::string_view::npos) {
    if (sig_end + 1 != sig_line.size()) {
      return Fail("malformed", "fire.txt: content after the sig line");
    }
    sig_line = sig_line.substr(0, sig_end);
  }
  if (!IsHex64(sig_line)) return Fail("malformed", "fire.txt: sig is not 64 lowercase hex digits");
  const std::string_view signed_bytes = text.substr(0, sig_at);
  if (!ConstantTimeEquals(HmacSha256Hex(secret, signed_bytes), sig_line)) {
    return Fail("bad_signature", "fire.txt: signature does not match the terminal's secret");
  }

  std::map<std::string, std::string, std::less<>> kv;
  std::size_t line_no = 1;
  for (std::size_t pos = kFireHeader.size(); pos < signed_bytes.size();) {
    ++line_no;
    const std::size_t nl = signed_bytes.find('\n', pos);  // signed bytes always end with LF
    const std::string_view line = signed_bytes.substr(pos, nl - pos);
    pos = nl + 1;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Fail("malformed", "fire.txt line " + std::to_string(line_no) + ": not key=value");
    }
    const std::string key(line.substr(0, eq));
    if (!kv.emplace(key, std::string(line.substr(eq + 1))).second) {
      return Fail("malformed", "fire.txt: duplicate key \"" + key + "\"");
    }
  }

  auto get = [&kv](const char* key) -> const std::string* {
    const auto it = kv.find(key);
    return it == kv.end() ? nullptr : &it->second;
  };
  auto need = [&](const char* key) -> Result<std::string> {
    const std::string* v = get(key);
    if (v == nullptr)
      return Fail("malformed", std::string("fire.txt: missing key \"") + key + "\"");
    return *v;
  };
  auto bad = [](const char* key, std::string_view why) {
    return Fail("malformed", std::string("fire.txt: key \"") + key + "\" " + std::string(why));
  };

  FireCommand cmd;
  for (const char* key : {"fire_id", "mission_id"}) {
    auto v = need(key);
    if (!v) return tl::unexpected(v.error());
    if (!IsUuidV7(*v)) return bad(key, "is not a lowercase UUIDv7");
    (std::string_view(key) == "fire_id" ? cmd.fire_id : cmd.mission_id) = *v;
  }
  auto action = need("action");
  if (!action) return tl::unexpected(action.error());
  if (*action == "open") {
    cmd.action = FireAction::kOpen;
  } else if (*action == "close") {
    cmd.action = FireAction::kClose;
  } else {
    return bad("action", "is neither open nor close");
  }
  if (const std::string* s = get("symbol")) cmd.symbol = *s;
  if (cmd.action == FireAction::kOpen) {
    if (cmd.symbol.empty()) return bad("symbol", "is missing or empty");
    auto side = need("side");
    if (!side) return tl::unexpected(side.error());
    const auto parsed_side = market::ParseSide(*side);
    if (!parsed_side) return bad("side", "is neither BUY nor SELL");
    cmd.side = *parsed_side;
    for (const char* key : {"volume", "sl", "tp"}) {
      auto v = need(key);
      if (!v) return tl::unexpected(v.error());
      const auto d = ToDouble(*v);
      if (!d || *d < 0) return bad(key, "is not a non-negative decimal number");
      const std::string_view k(key);
      (k == "volume" ? cmd.volume : k == "sl" ? cmd.sl : cmd.tp) = *d;
    }
    if (cmd.volume <= 0) return bad("volume", "is not positive");
  }
  auto slip = need("max_slippage_points");
  if (!slip) return tl::unexpected(slip.error());
  const auto slip_v = ToInt(*slip);
  if (!slip_v || *slip_v < 0 || *slip_v > 1'000'000) {
    return bad("max_slippage_points", "is not a non-negative integer");
  }
  cmd.max_slippage_points = static_cast<int>(*slip_v);
  auto expires = need("expires_at");
  if (!expires) return tl::unexpected(expires.error());
  const auto expires_v = ToInt(*expires);
  if (!expires_v || *expires_v < 0) return bad("expires_at", "is not a Unix ms integer");
  cmd.expires_at = *expires_v;
  auto magic = need("magic");
  if (!magic) return tl::unexpected(magic.error());
  const auto magic_v = ToInt(*magic);
  if (!magic_v) return bad("magic", "is not an integer");
  cmd.magic = *magic_v;
  auto comment = need("comment");
  if (!comment) return tl::unexpected(comment.error());
  if (comment->size() > kMaxCommentBytes) return bad("comment", "is longer than 31 bytes");
  cmd.comment = *comment;
  return cmd;
}

// ---------------------------------------------------------------------------------------------
// Signed JSON objects

std::string AppendJsonSignature(std::string json_without_close, std::string_view secret) {
  const std::string sig = HmacSha256Hex(secret, json_without_close);
  json_without_close.append(kSigMember).append("\"").append(sig).append("\"}");
  return json_without_close;
}

Result<std::string_view> VerifyJsonSignature(std::string_view text, std::string_view secret) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  // `,"sig":` cannot occur inside a JSON string (its quotes would be escaped), so the last one is
  // the member separator of the last member.
  const std::size_t at = text.rfind(kSigMember);
  if (at == std::string_view::npos) return Fail("malformed", "no \"sig\" member at the end");
  const std::string_view tail = text.substr(at + kSigMember.size());
  if (tail.size() != 64 + 3 || tail.front() != '"' || tail.substr(65) != "\"}" ||
      !IsHex64(tail.substr(1, 64))) {
    return Fail("malformed", "\"sig\" is not the last member or not 64 lowercase hex digits");
  }
  if (!ConstantTimeEquals(HmacSha256Hex(secret, text.substr(0, at)), tail.substr(1, 64))) {
    return Fail("bad_signature", "signature does not match the terminal's secret");
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Result lines

std::string_view ToString(ResultType t) {
  switch (t) {
    case ResultType::kFill:
      return "fill";
    case ResultType::kReject:
      return "reject";
    case ResultType::kExpired:
      return "expired";
    case ResultType::kDuplicate:
      return "duplicate";
    case ResultType::kBadSignature:
      return "bad_signature";
    case ResultType::kClose:
      return "close";
  }
  return "fill";
}

std::optional<ResultType> ParseResultType(std::string_view s) {
  for (ResultType t : {ResultType::kFill, ResultType::kReject, ResultType::kExpired,
                       ResultType::kDuplicate, ResultType::kBadSignature, ResultType::kClose}) {
    if (ToString(t) == s) return t;
  }
  return std::nullopt;
}

std::string EncodeResultLine(const ResultRecord& r, std::string_view secret) {
  OrderedJson j;
  j["v"] = r.v;
  j["seq"] = r.seq;
  j["type"] = ToString(r.type);
  j["terminal"] = r.terminal;
  j["fire_id"] = r.fire_id;
  switch (r.type) {
    case ResultType::kFill:
      j["mission_id"] = r.mission_id;
      j["retcode"] = r.retcode;
      j["order"] = r.order;
      j["deal"] = r.deal;
      j["position"] = r.position;
      j["symbol"] = r.symbol;
      j["side"] = market::ToString(r.side);
      j["volume"] = r.volume;
      j["price"] = r.price;
      j["sl"] = r.sl;
      j["tp"] = r.tp;
      break;
    case ResultType::kReject:
    case ResultType::kExpired:
    case ResultType::kDuplicate:
    case ResultType::kBadSignature:
      if (!r.mission_id.empty()) j["mission_id"] = r.mission_id;
      if (r.type == ResultType::kReject) j["retcode"] = r.retcode;
      j["reason"] = r.reason;
      break;
    case ResultType::kClose:
      j["position"] = r.position;
      j["price"] = r.price;
      j["volume"] = r.volume;
      j["profit"] = Money(r.profit);
      j["swap"] = Money(r.swap);
      j["commission"] = Money(r.commission);
      j["reason"] = r.reason;
      break;
  }
  j["time"] = r.time;
  return AppendJsonSignature(DumpOpen(j), secret) + "\n";
}

Result<ResultRecord> ParseResultLine(std::string_view line, std::string_view secret) {
  auto verified = VerifyJsonSignature(line, secret);
  if (!verified) {
    return Fail(verified.error().code, "result line: " + verified.error().message);
  }
  try {
    const Json j = ParseObject(*verified, "result line");
    const Members m(j, "result line");
    ResultRecord r;
    r.v = static_cast<int>(m.Int("v"));
    if (r.v != 1) throw Malformed{"result line: unsupported version " + std::to_string(r.v)};
    r.seq = m.Int("seq");
    if (r.seq < 0) throw Malformed{"result line: negative seq"};
    const auto type = ParseResultType(m.Str("type"));
    if (!type) throw Malformed{"result line: unknown type \"" + m.Str("type") + "\""};
    r.type = *type;
    r.terminal = m.Str("terminal");
    r.fire_id = m.Str("fire_id");
    if (m.Has("mission_id")) r.mission_id = m.Str("mission_id");
    r.time = m.Int("time");
    switch (r.type) {
      case ResultType::kFill:
        r.retcode = static_cast<int>(m.Int("retcode"));
        r.order = m.Int("order");
        r.deal = m.Int("deal");
        r.position = m.Int("position");
        r.symbol = m.Str("symbol");
        r.side = m.SideOf("side");
        r.volume = m.Num("volume");
        r.price = m.Num("price");
        r.sl = m.Num("sl");
        r.tp = m.Num("tp");
        break;
      case ResultType::kReject:
      case ResultType::kExpired:
      case ResultType::kDuplicate:
      case ResultType::kBadSignature:
        if (r.type == ResultType::kReject || m.Has("retcode")) {
          r.retcode = static_cast<int>(m.Int("retcode"));
        }
        r.reason = m.Str("reason");
        break;
      case ResultType::kClose:
        r.position = m.Int("position");
        r.price = m.Num("price");
        r.volume = m.Num("volume");
        r.profit = m.Num("profit");
        r.swap = m.Num("swap");
        r.commission = m.Num("commission");
        r.reason = m.Str("reason");
        break;
    }
    return r;
  } catch (const Malformed& e) {
    return Fail("malformed", e.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Heartbeat

std::string EncodeHeartbeat(const Heartbeat& hb, std::string_view secret) {
  OrderedJson j;
  j["v"] = hb.v;
  j["terminal"] = hb.terminal;
  j["time"] = hb.time;
  j["login"] = hb.login;
  j["server"] = hb.server;
  j["currency"] = hb.currency;
  j["balance"] = Money(hb.balance);
  j["equity"] = Money(hb.equity);
  j["margin_free"] = Money(hb.margin_free);
  j["leverage"] = hb.leverage;
  j["connected"] = hb.connected;
  j["trade_allowed"] = hb.trade_allowed;
  j["positions"] = hb.positions;
  j["ea_version"] = hb.ea_version;
  if (hb.symbols) {
    OrderedJson arr = OrderedJson::array();
    for (const SymbolSpec& s : *hb.symbols) {
      OrderedJson o;
      o["name"] = s.name;
      o["broker_name"] = s.broker_name;
      o["digits"] = s.digits;
      o["point"] = s.point;
      o["contract_size"] = s.contract_size;
      o["volume_min"] = s.volume_min;
      o["volume_max"] = s.volume_max;
      o["volume_step"] = s.volume_step;
      o["tick_value"] = s.tick_value;
      o["tick_size"] = s.tick_size;
      o["stops_level"] = s.stops_level;
      o["filling"] = s.filling;
      arr.push_back(std::move(o));
    }
    j["symbols"] = std::move(arr);
  }
  return AppendJsonSignature(DumpOpen(j), secret) + "\n";
}

Result<Heartbeat> ParseHeartbeat(std::string_view text, std::string_view secret) {
  auto verified = VerifyJsonSignature(text, secret);
  if (!verified) return Fail(verified.error().code, "heartbeat: " + verified.error().message);
  try {
    const Json j = ParseObject(*verified, "heartbeat");
    const Members m(j, "heartbeat");
    Heartbeat hb;
    hb.v = static_cast<int>(m.Int("v"));
    if (hb.v != 1) throw Malformed{"heartbeat: unsupported version " + std::to_string(hb.v)};
    hb.terminal = m.Str("terminal");
    hb.time = m.Int("time");
    hb.login = m.Int("login");
    hb.server = m.Str("server");
    hb.currency = m.Str("currency");
    hb.balance = m.Num("balance");
    hb.equity = m.Num("equity");
    hb.margin_free = m.Num("margin_free");
    hb.leverage = static_cast<int>(m.Int("leverage"));
    hb.connected = m.Bool("connected");
    hb.trade_allowed = m.Bool("trade_allowed");
    hb.positions = static_cast<int>(m.Int("positions"));
    hb.ea_version = m.Str("ea_version");
    if (m.Has("symbols")) {
      const Json& arr = m.Get("symbols");
      if (!arr.is_array()) throw Malformed{"heartbeat: member \"symbols\" is not an array"};
      std::vector<SymbolSpec> specs;
      for (std::size_t i = 0; i < arr.size(); ++i) {
        if (!arr[i].is_object()) throw Malformed{"heartbeat: symbols[" + std::to_string(i) + "]"};
        const Members s(arr[i], "heartbeat symbols[" + std::to_string(i) + "]");
        SymbolSpec spec;
        spec.name = s.Str("name");
        spec.broker_name = s.Str("broker_name");
        spec.digits = static_cast<int>(s.Int("digits"));
        spec.point = s.Num("point");
        spec.contract_size = s.Num("contract_size");
        spec.volume_min = s.Num("volume_min");
        spec.volume_max = s.Num("volume_max");
        spec.volume_step = s.Num("volume_step");
        spec.tick_value = s.Num("tick_value");
        spec.tick_size = s.Num("tick_size");
        spec.stops_level = static_cast<int>(s.Int("stops_level"));
        spec.filling = s.Str("filling");
        if (spec.name.empty() || spec.digits < 0 || spec.digits > 10 || spec.point <= 0 ||
            spec.contract_size <= 0 || spec.volume_step <= 0 || spec.volume_min <= 0 ||
            spec.volume_max < spec.volume_min) {
          throw Malformed{"heartbeat symbols[" + std::to_string(i) + "]: implausible spec"};
        }
        specs.push_back(std::move(spec));
      }
      hb.symbols = std::move(specs);
    }
    return hb;
  } catch (const Malformed& e) {
    return Fail("malformed", e.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Tick batches

std::string EncodeTickBatch(const TickBatch& batch) {
  OrderedJson j;
  j["terminal"] = batch.terminal;
  OrderedJson ticks = OrderedJson::array();
  for (const market::Tick& t : batch.ticks) {
    OrderedJson o;
    o["s"] = t.symbol;
    o["t"] = t.time;
    o["b"] = t.bid;
    o["a"] = t.ask;
    ticks.push_back(std::move(o));
  }
  j["ticks"] = std::move(ticks);
  return j.dump();
}

Result<TickBatch> ParseTickBatch(std::string_view body, std::size_t max_ticks) {
  try {
    const Json j = ParseObject(body, "tick batch");
    const Members m(j, "tick batch");
    TickBatch batch;
    batch.terminal = m.Str("terminal");
    if (batch.terminal.empty()) throw Malformed{"tick batch: empty terminal"};
    const Json& arr = m.Get("ticks");
    if (!arr.is_array()) throw Malformed{"tick batch: member \"ticks\" is not an array"};
    if (arr.size() > max_ticks) {
      throw Malformed{"tick batch: " + std::to_string(arr.size()) + " ticks, more than the limit " +
                      std::to_string(max_ticks)};
    }
    batch.ticks.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string what = "tick batch ticks[" + std::to_string(i) + "]";
      if (!arr[i].is_object()) throw Malformed{what + ": not an object"};
      const Members t(arr[i], what);
      market::Tick tick;
      tick.symbol = t.Str("s");
      tick.time = t.Int("t");
      tick.bid = t.Num("b");
      tick.ask = t.Num("a");
      if (tick.symbol.empty()) throw Malformed{what + ": empty symbol"};
      if (tick.time < 0) throw Malformed{what + ": negative time"};
      if (!(tick.bid > 0) || !(tick.ask > 0)) throw Malformed{what + ": price not positive"};
      if (tick.ask < tick.bid) throw Malformed{what + ": crossed quote (ask below bid)"};
      batch.ticks.push_back(std::move(tick));
    }
    return batch;
  } catch (const Malformed& e) {
    return Fail("malformed", e.message);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP request signatures

std::string SignRequest(std::string_view secret, TimeMs timestamp_ms, std::string_view method,
                        std::string_view path, std::string_view body) {
  std::string msg = std::to_string(timestamp_ms);
  msg.append("\n").append(method).append("\n").append(path).append("\n").append(body);
  return HmacSha256Hex(secret, msg);
}

RequestVerifier::RequestVerifier(TimeMs window_ms, std::size_t max_entries)
    : window_ms_(window_ms), max_entries_(max_entries) {}

Status RequestVerifier::Verify(std::string_view secret, std::string_view timestamp_header,
                               std::string_view signature_header, std::string_view method,
                               std::string_view path, std::string_view body, TimeMs now) {
  // Only canonical decimal text: the signed string contains the header as sent, and SignRequest
  // writes std::to_string, so "+123" or "0123" would be a second spelling of the same timestamp.
  const auto ts = ToInt(timestamp_header);
  if (!ts || *ts < 0 || std::to_string(*ts) != timestamp_header) {
    return Fail("unauthorized", "missing or malformed X-Bitten-Timestamp");
  }
  const TimeMs skew = *ts - now;
  if (skew > window_ms_ || skew < -window_ms_) {
    return Fail("unauthorized", "X-Bitten-Timestamp is " + std::to_string(skew < 0 ? -skew : skew) +
                                    " ms away from the server clock (limit " +
                                    std::to_string(window_ms_) + " ms)");
  }
  const std::string expected = SignRequest(secret, *ts, method, path, body);
  if (!ConstantTimeEquals(expected, signature_header)) {
    return Fail("unauthorized", "bad request signature");
  }
  std::lock_guard lock(mu_);
  EvictLocked(now);
  if (seen_.contains(expected)) return Fail("unauthorized", "replayed request signature");
  if (seen_.size() >= max_entries_) return Fail("unauthorized", "replay cache full");
  seen_.insert(expected);
  by_timestamp_.emplace(*ts, expected);
  return Ok();
}

void RequestVerifier::EvictLocked(TimeMs now) {
  // A signature whose timestamp is older than now - window would be refused by the clock check, so
  // it no longer needs remembering.
  while (!by_timestamp_.empty() && by_timestamp_.begin()->first < now - window_ms_) {
    seen_.erase(by_timestamp_.begin()->second);
    by_timestamp_.erase(by_timestamp_.begin());
  }
}

std::size_t RequestVerifier::cached() const {
  std::lock_guard lock(mu_);
  return seen_.size();
}

}  // namespace bitten::bridge
