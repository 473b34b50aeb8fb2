// BotApi: one connection to the Telegram Bot API (or anything that speaks it: the telegram-test-api
// emulator in tests, a local Bot API server). Call() POSTs `params` as JSON to
// base_url + "/bot" + token + "/" + method and classifies the answer as a value (CallKind), never
// an exception:
//
//   kOk           HTTP 2xx with {"ok":true}; `result` holds the "result" member.
//   kRateLimited  HTTP 429 (or error_code 429); `retry_after_s` from parameters.retry_after
//                 (1 if absent). Wait that long before sending anything else to this bot.
//   kTransient    5xx, or the request never left this host (DNS failure, connection refused,
//                 connect timeout). Safe to retry with backoff.
//   kPermanent    Any other error answer (400, 401, 403, 404, 409, ...) with Telegram's
//                 `description`. error_code 409 means another getUpdates/webhook consumer holds
//                 the token (conflict()).
//   kUnknown      The request was (maybe) sent but no usable answer came back: a timeout after
//                 sending, a connection lost mid-answer, an unparsable 2xx body, an abort via the
//                 abort flag. The message may or may not have been delivered: do NOT blindly
//                 retry a sendMessage.
//
// Keep-alive: the handle keeps its connection between calls (connections idle over 30 s are not
// reused). libcurl silently re-sends a request when a reused connection dies before any answer
// byte; BotApi allows that only for methods that do not create messages (getUpdates,
// answerCallbackQuery, edits, deletes). A send*/forward*/copy* call on such a connection ends
// kUnknown instead.
//
// The token is secret: it appears only in the request URL handed to libcurl. It is never logged
// and is scrubbed from every `description` this class produces.
//
// Thread-safety: a BotApi holds one libcurl easy handle (keep-alive) and must be used by one thread
// at a time; give each thread (outbox sender, poller) its own instance. Construction is
// thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bitten::telegram {

enum class CallKind { kOk, kRateLimited, kTransient, kPermanent, kUnknown };
std::string_view ToString(CallKind k);  // "ok", "rate_limited", "transient", "permanent", "unknown"

struct CallResult {
  CallKind kind = CallKind::kUnknown;
  long http_status = 0;     // 0 when no HTTP answer was received
  long error_code = 0;      // Telegram's error_code (0 on success or without an answer)
  long retry_after_s = 0;   // kRateLimited only
  std::string description;  // Telegram's description, or the transport error; never the token
  nlohmann::json result;    // kOk: the "result" member (a Message object for sendMessage)

  bool ok() const { return kind == CallKind::kOk; }
  // Another consumer (getUpdates or webhook) uses the same token: HTTP 409 Conflict.
  bool conflict() const { return kind == CallKind::kPermanent && error_code == 409; }
  // result.message_id when the result is a Message, else 0 (editMessageText may answer `true`).
  std::int64_t message_id() const;
};

class BotApi {
 public:
  struct Options {
    // Where the Bot API lives. Default: "https://api.telegram.org". No trailing slash.
    std::string base_url = "https://api.telegram.org";
    // The bot token from @BotFather. Secret: never logged.
    std::string token;
    // Whole-request deadline in ms, used when Call() gets timeout_ms = 0. Default: 10000.
    long timeout_ms = 10000;
    // TCP/TLS connect deadline in ms. Default: 5000.
    long connect_timeout_ms = 5000;
  };

  explicit BotApi(Options options);
  ~BotApi();
  BotApi(const BotApi&) = delete;
  BotApi& operator=(const BotApi&) = delete;

  // One Bot API call; blocks until an answer, an error or the deadline (timeout_ms, or
  // options.timeout_ms when 0). Long polling passes getUpdates' own timeout plus a margin here.
  CallResult Call(std::string_view method, const nlohmann::json& params, long timeout_ms = 0);

  // While *flag is true, a running Call() aborts within about a second (kind kUnknown,
  // description "<method>: aborted"). Lets an owner stop a thread blocked in a 25 s long poll. The
  // flag must outlive this.
  void SetAbortFlag(const std::atomic<bool>* flag) { abort_ = flag; }

 private:
  std::string Scrub(std::string text) const;

  Options options_;
  void* curl_ = nullptr;  // CURL*
  const std::atomic<bool>* abort_ = nullptr;
};

}  // namespace bitten::telegram
