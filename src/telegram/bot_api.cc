#include "telegram/bot_api.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace bitten::telegram {
namespace {

constexpr std::size_t kMaxBody = std::size_t{8} << 20;  // a Bot API answer is far smaller

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::string body;  // the answer
  bool too_big = false;
  const std::atomic<bool>* abort = nullptr;
  // The request body, handed to libcurl through a read callback so that libcurl must ask (seek)
  // before sending it a second time.
  std::string_view request;
  std::size_t sent = 0;
  bool may_resend = false;
  bool resend_refused = false;
};

size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = std::min(size * n, t->request.size() - t->sent);
  std::memcpy(buffer, t->request.data() + t->sent, len);
  t->sent += len;
  return len;
}

// libcurl rewinds the body only to send the request again: when a reused keep-alive connection died
// before any answer byte arrived, it silently retries on a fresh connection. For a sendMessage that
// is a blind retry of a request Telegram may have acted on, so it is refused (the call ends
// kUnknown); idempotent methods (getUpdates, answerCallbackQuery, edits, deletes) may be re-sent.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->may_resend || origin != SEEK_SET || offset < 0 ||
      static_cast<std::size_t>(offset) > t->request.size()) {
    t->resend_refused = true;
    return CURL_SEEKFUNC_FAIL;
  }
  t->sent = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// Methods that create something in a chat: never repeated without being asked.
bool CreatesMessage(std::string_view method) {
  return method.starts_with("send") || method.starts_with("forward") || method.starts_with("copy");
}

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->body.size() + size * n > kMaxBody) {
    t->too_big = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, size * n);
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return (t->abort != nullptr && t->abort->load(std::memory_order_acquire)) ? 1 : 0;
}

}  // namespace

std::string_view ToString(CallKind k) {
  switch (k) {
    case CallKind::kOk:
      return "ok";
    case CallKind::kRateLimited:
      return "rate_limited";
    case CallKind::kTransient:
      return "transient";
    case CallKind::kPermanent:
      return "permanent";
    case CallKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::int64_t CallResult::message_id() const {
  if (result.is_object()) {
    auto it = result.find("message_id");
    if (it != result.end() && it->is_number_integer()) return it->get<std::int64_t>();
  }
  return 0;
}

BotApi::BotApi(Options options) : options_(std::move(options)) {
  GlobalInitOnce();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) {
    std::fprintf(stderr, "curl_easy_init failed\n");
    std::abort();
  }
}

BotApi::~BotApi() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string BotApi::Scrub(std::string text) const {
  if (options_.token.empty()) return text;
  for (std::size_t pos; (pos = text.find(options_.token)) != std::string::npos;) {
    text.replace(pos, options_.token.size(), "<token>");
  }
  return text;
}

CallResult BotApi::Call(std::string_view method, const nlohmann::json& params, long timeout_ms) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string url = options_.base_url + "/bot" + options_.token + "/" + std::string(method);
  const std::string body = params.is_null() ? std::string("{}") : params.dump();
  Transfer transfer;
  transfer.abort = abort_;
  transfer.request = body;
  transfer.may_resend = !CreatesMessage(method);
  char errbuf[CURL_ERROR_SIZE] = {0};

  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  curl_easy_reset(curl);  // keeps the connection cache: keep-alive survives
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &OnRead);
  curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &OnSeek);
  curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
  // Do not reuse a connection idle longer than this: servers close idle keep-alive connections, and
  // a request racing that close ends kUnknown (see OnSeek).
  curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, 30L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : options_.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "bitten/0.1");

  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);

  CallResult out;
  if (rc != CURLE_OK) {
    long request_bytes = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
    std::string what = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    out.description = Scrub(std::string(method) + ": " + what);
    switch (rc) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SSL_CONNECT_ERROR:
        out.kind = CallKind::kTransient;  // nothing left this host
        break;
      case CURLE_SEND_FAIL_REWIND:
        out.kind = CallKind::kUnknown;
        out.description = std::string(method) + ": connection lost after the request was sent";
        break;
      case CURLE_ABORTED_BY_CALLBACK:
        out.kind = CallKind::kUnknown;
        out.description = std::string(method) + ": aborted";
        break;
      default:
        // A timeout or a broken connection: if not one request byte went out, the call is safe to
        // repeat; otherwise Telegram may have acted on it.
        out.kind = request_bytes == 0 ? CallKind::kTransient : CallKind::kUnknown;
        if (transfer.too_big) out.description = std::string(method) + ": answer too large";
        break;
    }
    return out;
  }

  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.http_status);
  nlohmann::json answer = nlohmann::json::parse(transfer.body, nullptr, /*allow_exceptions=*/false);
  const bool parsed = answer.is_object();
  if (parsed) {
    if (auto it = answer.find("error_code"); it != answer.end() && it->is_number_integer()) {
      out.error_code = it->get<long>();
    }
    if (auto it = answer.find("description"); it != answer.end() && it->is_string()) {
      out.description = Scrub(it->get<std::string>());
    }
  }
  const bool ok_flag = parsed && answer.value("ok", false) == true;
  const long status = out.http_status;

  if (status == 429 || out.error_code == 429) {
    out.kind = CallKind::kRateLimited;
    out.error_code = 429;
    out.retry_after_s = 1;
    if (parsed) {
      auto p = answer.find("parameters");
      if (p != answer.end() && p->is_object()) {
        auto r = p->find("retry_after");
        if (r != p->end() && r->is_number() && r->get<double>() > 0) {
          out.retry_after_s = static_cast<long>(r->get<double>() + 0.999);
        }
      }
    }
  } else if (status >= 200 && status < 300 && ok_flag) {
    out.kind = CallKind::kOk;
    out.result = answer.contains("result") ? answer["result"] : nlohmann::json();
  } else if (status >= 200 && status < 300 && !parsed) {
    out.kind = CallKind::kUnknown;  // something answered, but not the Bot API: it may have acted
    out.description = std::string(method) + ": unparsable answer";
  } else if (status >= 500) {
    out.kind = CallKind::kTransient;
  } else {
    out.kind = CallKind::kPermanent;
    if (out.error_code == 0) out.error_code = status;
  }
  if (out.kind != CallKind::kOk && out.description.empty()) {
    out.description = std::string(method) + ": HTTP " + std::to_string(status);
  }
  return out;
}

}  // namespace bitten::telegram
