#include "web/http.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace bitten::web {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return {};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view Request::Header(std::string_view name) const { return FindHeader(headers, name); }

std::string_view Request::Query(std::string_view name) const {
  const auto it = query.find(std::string(name));
  return it == query.end() ? std::string_view{} : std::string_view{it->second};
}

std::string_view Request::Param(std::string_view name) const {
  const auto it = params.find(std::string(name));
  return it == params.end() ? std::string_view{} : std::string_view{it->second};
}

std::string_view Response::Header(std::string_view name) const { return FindHeader(headers, name); }

bool PercentDecode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

bool ParseTarget(std::string_view target, Request& req) {
  req.target = std::string(target);
  req.query.clear();
  if (target.empty() || target.front() != '/') return false;
  const std::size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  const std::size_t qmark = target.find('?');
  const std::string_view raw_path = target.substr(0, qmark);
  if (!PercentDecode(raw_path, req.path, false)) return false;
  if (req.path.find('\0') != std::string::npos) return false;
  if (qmark == std::string_view::npos) return true;
  std::string_view rest = target.substr(qmark + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key;
    std::string value;
    if (!PercentDecode(pair.substr(0, eq), key, true)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), value, true)) {
      return false;
    }
    req.query.emplace(std::move(key), std::move(value));  // first occurrence wins
  }
  return true;
}

Response Json(int status, const nlohmann::json& value) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response JsonError(int status, std::string_view code, std::string_view message) {
  return Json(status, nlohmann::json{{"error", {{"code", code}, {"message", message}}}});
}

// ------------------------------------------------------------------------------------------------

struct Responder::State {
  explicit State(Sink s) : sink(std::move(s)) {}
  ~State() {
    if (!done.exchange(true) && sink) {
      sink(JsonError(500, "internal", "The server dropped this request without answering."));
    }
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  Sink sink;
  std::atomic<bool> done{false};
};

Responder::Responder(Sink sink) : state_(std::make_shared<State>(std::move(sink))) {}

bool Responder::Send(Response response) const {
  if (state_->done.exchange(true)) return false;
  if (state_->sink) state_->sink(std::move(response));
  return true;
}

bool Responder::answered() const { return state_->done.load(); }

// ------------------------------------------------------------------------------------------------

SseStream::SseStream(std::size_t max_queued) : max_queued_(max_queued == 0 ? 1 : max_queued) {}

SseStream::~SseStream() = default;

bool SseStream::Send(std::string_view event, std::string_view data) {
  if (event.empty() || event.find_first_of("\r\n") != std::string_view::npos) return false;
  std::string frame;
  frame.reserve(event.size() + data.size() + 16);
  frame.append("event: ").append(event).append("\n");
  // One data: line per line of `data` (CRLF, CR and LF all end a line in SSE).
  std::size_t start = 0;
  while (true) {
    const std::size_t end = data.find_first_of("\r\n", start);
    frame.append("data: ").append(data.substr(start, end - start)).append("\n");
    if (end == std::string_view::npos) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
    if (start >= data.size()) break;
  }
  frame.append("\n");

  std::unique_lock lock(mu_);
  if (!open_) return false;
  if (queue_.size() >= max_queued_) {
    CloseLocked(lock, /*drop_queue=*/true);
    return false;
  }
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(frame));
  if (was_empty && wake_) {
    auto wake = wake_;
    lock.unlock();
    wake();
  }
  return true;
}

void SseStream::Close() {
  std::unique_lock lock(mu_);
  if (!open_) return;
  CloseLocked(lock, /*drop_queue=*/false);
}

// Called with the lock held and open_ true; releases the lock.
void SseStream::CloseLocked(std::unique_lock<std::mutex>& lock, bool drop_queue) {
  open_ = false;
  if (drop_queue) {
    dropped_ = true;
    std::deque<std::string>().swap(queue_);
  }
  if (wake_) {
    auto wake = wake_;
    lock.unlock();
    wake();  // the connection writer flushes what is left, closes, then calls NotifyClosed
    return;
  }
  notified_ = true;
  auto on_close = std::move(on_close_);
  on_close_ = nullptr;
  lock.unlock();
  if (on_close) on_close();
}

bool SseStream::open() const {
  std::lock_guard lock(mu_);
  return open_;
}

bool SseStream::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::size_t SseStream::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void SseStream::SetOnClose(std::function<void()> on_close) {
  std::unique_lock lock(mu_);
  if (notified_) {
    lock.unlock();
    if (on_close) on_close();
    return;
  }
  on_close_ = std::move(on_close);
}

void SseStream::Attach(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

std::string SseStream::TakeFrames() {
  std::lock_guard lock(mu_);
  std::string out;
  for (auto& frame : queue_) out.append(frame);
  queue_.clear();
  return out;
}

void SseStream::NotifyClosed() {
  std::unique_lock lock(mu_);
  open_ = false;
  wake_ = nullptr;
  std::deque<std::string>().swap(queue_);
  if (notified_) return;
  notified_ = true;
  auto on_close = std::move(on_close_);
  on_close_ = nullptr;
  lock.unlock();
  if (on_close) on_close();
}

std::string HttpDate(std::int64_t unix_ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace bitten::web
