// The HTTP vocabulary of the web module, free of Beast so that app/ handlers compile fast.
//
// Request and Response are plain values. A handler receives a Request and a Responder; it answers
// by calling Responder::Send exactly once, now or later, from any thread (typically after the core
// and the store have answered). A Responder whose every copy is dropped without an answer sends 500
// {"error":{"code":"internal",...}} so a forgotten request never hangs its client.
//
// SseStream is the handle of one Server-Sent Events connection: any thread may Send events; they
// wait in a bounded queue (default 256 events) that the connection's writer drains. A client that
// cannot keep up (the queue is full) is dropped rather than buffered without limit.
//
// Errors follow CONTRACTS §4: an HTTP status plus {"error":{"code":"...","message":"..."}}.
//
// Thread-safety: Request/Response are values (no sharing). Responder and SseStream are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitten::web {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // as sent, e.g. "GET", "POST" (HEAD is routed as GET by the server)
  std::string target;  // the raw request-target, e.g. "/api/missions?status=active"
  std::string path;    // percent-decoded path part of target, e.g. "/api/missions"
  std::map<std::string, std::string>
      query;           // decoded query ('+' is a space); a repeated key: first
  HeaderList headers;  // as received, in order
  std::string body;
  std::map<std::string, std::string> params;  // values of the route pattern's {name} segments
  std::string remote;                         // peer "ip:port" ("" when not from a socket)

  // Value of the first header called `name` (case-insensitive); "" when absent.
  std::string_view Header(std::string_view name) const;
  // Value of query parameter `name`; "" when absent.
  std::string_view Query(std::string_view name) const;
  // Value of path parameter `name`; "" when absent.
  std::string_view Param(std::string_view name) const;
};

// Splits `target` into req.target, req.path (percent-decoded) and req.query. Returns false (and
// leaves path/query unspecified) for a target that is not origin-form ("/..."), has a bad %-escape,
// or decodes to a NUL byte; the server answers such requests 400 bad_request.
bool ParseTarget(std::string_view target, Request& req);

// Decodes %XX escapes (and '+' as space when `plus_is_space`). False on a malformed escape.
bool PercentDecode(std::string_view in, std::string& out, bool plus_is_space);

struct Response {
  int status = 200;
  std::string content_type;  // "" means no body type (e.g. 204, 304)
  std::string body;
  HeaderList headers;  // extra headers; the server adds Date, X-Server-Time, Content-Length

  // Value of the first header called `name` (case-insensitive); "" when absent.
  std::string_view Header(std::string_view name) const;
};

// application/json response with `value.dump()` as body.
Response Json(int status, const nlohmann::json& value);
// {"error":{"code":code,"message":message}} with `status` (CONTRACTS §4).
Response JsonError(int status, std::string_view code, std::string_view message);

// Completes one request, once. Copyable: copies share the same answer. Send may be called from any
// thread; the first call wins and returns true, later calls return false and do nothing. When the
// last copy is destroyed without an answer, the request is answered 500 "internal" from the
// destroying thread. Sending after the server stopped or the client left is harmless (the answer is
// dropped).
class Responder {
 public:
  using Sink = std::function<void(Response)>;

  // `sink` receives the single answer (the server's session writer, or a test's capture). It is
  // called on the thread that calls Send or drops the last copy, at most once.
  explicit Responder(Sink sink);

  bool Send(Response response) const;
  bool answered() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// One Server-Sent Events connection (GET with Accept: text/event-stream, see Router::Sse).
//
// Send queues one event `event: <event>\ndata: <line>\n...\n\n` (data split into one data: line per
// line). The queue holds at most `max_queued` events not yet handed to the socket (plus the one
// batch being written): when it is full the stream closes, its queue is freed and the client is
// dropped; the client is expected to reconnect and re-read state. Comments (": keep-alive") are
// sent every 15 s by the server when idle so proxies keep the connection and dead peers are
// noticed.
//
// The on-close callback runs exactly once, when the connection ends for any reason (client left,
// dropped because the queue was full, Close(), write timeout, server Stop). With a connection
// attached it runs on a server io thread (or on the thread calling HttpServer::Stop), never inside
// Send or Close, so it may take locks that the sender holds around Send. Without a connection (unit
// tests) it runs inside Close/Send. Set after the close, it runs at once on the calling thread. It
// must not block.
class SseStream {
 public:
  static constexpr std::size_t kDefaultMaxQueued = 256;

  explicit SseStream(std::size_t max_queued = kDefaultMaxQueued);
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // Queues one event. False when the stream is closed, when `event` is empty or holds a CR/LF, or
  // when the queue was full (the stream is then closed). Thread-safe.
  bool Send(std::string_view event, std::string_view data);
  // Stops accepting events; the ones already queued are still written, then the connection closes.
  void Close();
  bool open() const;
  // True when the stream was closed because its queue was full (the connection is cut at once,
  // without flushing).
  bool dropped() const;
  std::size_t queued() const;
  void SetOnClose(std::function<void()> on_close);

  // --- Used by the server's connection writer, not by handlers. ---
  // `wake` is called (outside the lock) whenever there is something new for the writer: an event
  // after an empty queue, or the close. It must only post work, never write itself.
  void Attach(std::function<void()> wake);
  // Moves out every queued frame, concatenated, in order.
  std::string TakeFrames();
  // The connection ended: closes the stream and runs the on-close callback (once).
  void NotifyClosed();

 private:
  void CloseLocked(std::unique_lock<std::mutex>& lock, bool drop_queue);

  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  const std::size_t max_queued_;
  bool open_ = true;
  bool notified_ = false;
  bool dropped_ = false;
  std::function<void()> wake_;
  std::function<void()> on_close_;
};

// "Tue, 24 Nov 2026 02:13:54 GMT" (RFC 9110 IMF-fixdate) for a Unix ms time.
std::string HttpDate(std::int64_t unix_ms);

}  // namespace bitten::web
