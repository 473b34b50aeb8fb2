// The bridge protocol codec (CONTRACTS §3): the fire.txt command text, the signed JSON lines of
// trade_result.txt and heartbeat.txt, the tick batch of POST /api/ticks, and the HMAC signature of
// HTTP requests from terminals. Pure functions on strings, plus RequestVerifier (replay cache).
//
// THE SECRET. A terminal's secret is 32 random bytes, stored and shown as 64 hex digits. Every
// function here takes `secret` as the RAW BYTES (the hex text decoded with bitten::FromHex), and
// that raw byte string is the HMAC key. The EA must do the same: decode its hex input to 32 bytes
// and use those as the HMAC-SHA256 key (never the 64 ASCII characters). Check: `openssl dgst
// -sha256 -mac HMAC -macopt hexkey:<secret hex>` over the signed bytes gives the same signature
// (tests/data/bridge/README.md).
//
// SIGNED BYTES.
//   fire.txt: every byte before the `sig=` line, including each LF.
//   result lines and heartbeat.txt: the bytes from the first `{` up to, not including, the
//     `,"sig":` before the last member.
//   Parsers verify the raw bytes as received, so a writer may format numbers as it likes (the EA
//   writes prices at the symbol's digits; our encoder writes JSON numbers in shortest round-trip
//   form, money rounded to 2 decimals). Never re-serialise to verify.
//   HTTP: timestamp + "\n" + METHOD + "\n" + path + "\n" + body.
// All signature comparisons are constant-time.
//
// ERRORS. Parsers return "bad_signature" when the text is well-formed enough to find its signature
// and the signature is wrong (the content is then not interpreted), and "malformed" with a message
// naming the key, member or line at fault otherwise. RequestVerifier returns "unauthorized".
//
// Thread-safety: all free functions are pure and thread-safe; RequestVerifier is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "market/types.h"

namespace bitten::bridge {

// ---------------------------------------------------------------------------------------------
// fire.txt (CONTRACTS §3.1)

enum class FireAction { kOpen, kClose };
std::string_view ToString(FireAction a);  // "open" / "close"

inline constexpr std::size_t kMaxCommentBytes = 31;

struct FireCommand {
  std::string fire_id;     // UUIDv7
  std::string mission_id;  // UUIDv7
  FireAction action = FireAction::kOpen;
  // For kOpen all of symbol, side, volume, sl, tp are written and required. For kClose only
  // `symbol` is written (when non-empty); side/volume/sl/tp are omitted and ignored.
  std::string symbol;  // BITTEN's name; the EA maps it to the broker's
  market::Side side = market::Side::kBuy;
  double volume = 0;  // lots
  double sl = 0;      // absolute price level; 0 = none (MT5 convention)
  double tp = 0;      // absolute price level; 0 = none
  int max_slippage_points = 0;
  TimeMs expires_at = 0;
  std::int64_t magic = 0;
  std::string comment;  // at most kMaxCommentBytes bytes; the encoder truncates at a UTF-8 boundary
};

// The exact fire.txt text: "BITTEN-FIRE 1\n", the key=value lines in the contract's order, then
// "sig=<hex>\n". sl/tp with FormatFixed at price_digits, volume at volume_digits. A value
// containing CR or LF is a broken invariant (ids and symbols are validated upstream) and aborts.
std::string EncodeFireCommand(const FireCommand& cmd, std::string_view secret, int price_digits,
                              int volume_digits);

// Verifies and parses fire.txt text. Accepts keys in any order, ignores unknown keys (they are
// still covered by the signature), refuses duplicate keys, content after the sig line, ids that are
// not UUIDv7, non-finite or negative numbers, and a comment longer than 31 bytes.
Result<FireCommand> ParseFireCommand(std::string_view text, std::string_view secret);

// The fire_id line's value WITHOUT verifying anything, for naming a claimed file and reporting a
// bad_signature record. Empty when there is none. Never trust it for anything else.
std::string PeekFireId(std::string_view text);

// ---------------------------------------------------------------------------------------------
// trade_result.txt lines (CONTRACTS §3.2)

enum class ResultType { kFill, kReject, kExpired, kDuplicate, kBadSignature, kClose };
std::string_view ToString(ResultType t);  // "fill", "reject", "expired", "duplicate", ...
std::optional<ResultType> ParseResultType(std::string_view s);

// One record. Which members are written depends on `type` (in this order, `sig` always last):
//   fill:  v seq type terminal fire_id mission_id retcode order deal position symbol side volume
//          price sl tp time
//   reject: v seq type terminal fire_id [mission_id] retcode reason time
//   expired, duplicate, bad_signature: v seq type terminal fire_id [mission_id] reason time
//   close: v seq type terminal fire_id position price volume profit swap commission reason time
// [mission_id] is written when non-empty. Parsing requires the members listed (without brackets)
// and reads the optional ones when present.
struct ResultRecord {
  int v = 1;
  std::int64_t seq = 0;
  ResultType type = ResultType::kFill;
  std::string terminal;
  std::string fire_id;
  std::string mission_id;
  int retcode = 0;  // MT5 trade retcode (fill 10009, reject e.g. 10016)
  std::int64_t order = 0;
  std::int64_t deal = 0;
  std::int64_t position = 0;
  std::string symbol;
  market::Side side = market::Side::kBuy;
  double volume = 0;
  double price = 0;
  double sl = 0;
  double tp = 0;
  double profit = 0;      // account currency (encoded rounded to 2 decimals)
  double swap = 0;        // account currency
  double commission = 0;  // account currency
  // reject: the broker's text; close: "tp", "sl", "manual", "so" or "expert"; expired, duplicate,
  // bad_signature: free text.
  std::string reason;
  TimeMs time = 0;
};

// One line, LF-terminated.
std::string EncodeResultLine(const ResultRecord& r, std::string_view secret);
// `line` with or without its trailing LF (a CR before it is tolerated).
Result<ResultRecord> ParseResultLine(std::string_view line, std::string_view secret);

// Signature helpers shared by result lines and heartbeats: `json_without_close` is an object's text
// without its final `}`; the answer appends `,"sig":"<hex>"}`.
std::string AppendJsonSignature(std::string json_without_close, std::string_view secret);
// Verifies the raw bytes of a signed JSON object (trailing whitespace allowed). Returns the text of
// the object on success; "malformed" when there is no `,"sig":"<64 hex>"}` ending, "bad_signature"
// when the signature does not match.
Result<std::string_view> VerifyJsonSignature(std::string_view text, std::string_view secret);

// ---------------------------------------------------------------------------------------------
// heartbeat.txt (CONTRACTS §3.3)

struct SymbolSpec {
  std::string name;         // BITTEN's name
  std::string broker_name;  // the broker's, e.g. "EURUSD.m"
  int digits = 5;
  double point = 0.00001;
  double contract_size = 100000;
  double volume_min = 0.01;
  double volume_max = 100;
  double volume_step = 0.01;
  double tick_value = 1.0;  // account currency per tick_size per lot; 0 = not known yet
  double tick_size = 0.00001;
  int stops_level = 0;          // points
  std::string filling = "IOC";  // "FOK", "IOC" or "RETURN"
};

struct Heartbeat {
  int v = 1;
  std::string terminal;
  TimeMs time = 0;
  std::int64_t login = 0;
  std::string server;
  std::string currency;
  double balance = 0;
  double equity = 0;
  double margin_free = 0;
  int leverage = 0;
  bool connected = false;
  bool trade_allowed = false;
  int positions = 0;
  std::string ea_version;
  // Absent when the beat carries no symbol specs (they may be sent only on change and every tenth
  // beat); an empty vector is written as [].
  std::optional<std::vector<SymbolSpec>> symbols;
};

// The heartbeat object followed by one LF.
std::string EncodeHeartbeat(const Heartbeat& hb, std::string_view secret);
Result<Heartbeat> ParseHeartbeat(std::string_view text, std::string_view secret);

// ---------------------------------------------------------------------------------------------
// POST /api/ticks body (CONTRACTS §3.4)

struct TickBatch {
  std::string terminal;
  std::vector<market::Tick> ticks;
};

inline constexpr std::size_t kMaxTicksPerBatch = 10000;

std::string EncodeTickBatch(const TickBatch& batch);
// Refuses the whole batch ("malformed", naming the tick index) when the terminal is empty, there
// are more than max_ticks ticks, or any tick has an empty symbol, a negative time, a price that is
// not finite and positive, or a crossed quote (ask < bid). A crossed quote means a broken feed;
// guessing which side is right would put a wrong price into the bars, so the batch is refused, not
// repaired.
Result<TickBatch> ParseTickBatch(std::string_view body, std::size_t max_ticks = kMaxTicksPerBatch);

// ---------------------------------------------------------------------------------------------
// HTTP request signatures (CONTRACTS §3.4)

inline constexpr TimeMs kRequestWindowMs = 30'000;

// hex HMAC-SHA256(secret, std::to_string(timestamp_ms) + "\n" + method + "\n" + path + "\n" +
// body). `method` as sent (upper case), `path` the request target as sent (including any query
// string).
std::string SignRequest(std::string_view secret, TimeMs timestamp_ms, std::string_view method,
                        std::string_view path, std::string_view body);

// Verifies X-Bitten-Timestamp / X-Bitten-Signature of one request and remembers accepted signatures
// for the window so that a replay is refused. Thread-safe (one mutex). The cache holds only
// verified signatures, each until its timestamp has left the window, and at most max_entries of
// them: when it is full, new requests are refused (code "unauthorized") rather than forgetting a
// live signature.
class RequestVerifier {
 public:
  explicit RequestVerifier(TimeMs window_ms = kRequestWindowMs, std::size_t max_entries = 200'000);

  // Ok, or "unauthorized" with one of the messages: "missing or malformed X-Bitten-Timestamp",
  // "X-Bitten-Timestamp is N ms away from the server clock", "bad request signature",
  // "replayed request signature", "replay cache full". `secret` is the terminal's raw secret.
  Status Verify(std::string_view secret, std::string_view timestamp_header,
                std::string_view signature_header, std::string_view method, std::string_view path,
                std::string_view body, TimeMs now);

  std::size_t cached() const;

 private:
  void EvictLocked(TimeMs now);

  const TimeMs window_ms_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_set<std::string> seen_;             // guarded by mu_
  std::multimap<TimeMs, std::string> by_timestamp_;  // guarded by mu_
};

}  // namespace bitten::bridge
