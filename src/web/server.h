// HttpServer: the HTTP/1.1 front door (Boost.Beast, asynchronous), answering through a Router.
//
// One acceptor and 1–2 io threads. Each connection runs on its own strand: it reads one request
// (with a deadline, a header limit and a body limit), routes it, waits for the handler's Responder,
// writes the answer (one write in flight), then reads the next request while the client keeps the
// connection alive. Pipelined requests are answered in order. Event-stream routes switch the
// connection to a writer fed by the SseStream's bounded queue until either side closes.
//
// Answers the server gives by itself (CONTRACTS §4 error shape, and the connection closes after
// them): malformed request 400 "bad_request", headers over max_header_bytes 431
// "headers_too_large", body over body_limit 413 "body_too_large". A handler that has not answered
// within handler_timeout_ms gets 504 "timeout" sent on its behalf (its late answer is dropped). A
// request not fully received within read_timeout_ms (and an idle keep-alive connection after it) is
// closed without an answer.
//
// Every response carries `Date`, `X-Server-Time` (Unix ms from Options::clock, so the HUD can
// correct its countdown), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
//
// A request with "Expect: 100-continue" gets "100 Continue" before its body is read.
//
// Thread-safety: Start and Stop from one owning thread, never from a handler (Stop joins the io
// threads). The Router must outlive the server and must
// not change after Start. Stop (also run by the destructor) closes the listener and every
// connection (event streams get their on-close callback), waits for the io threads and returns;
// Responders still held elsewhere become harmless (their answers are dropped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/error.h"
#include "web/router.h"

namespace bitten::web {

struct ServerOptions {
  // Address to listen on. Default: "127.0.0.1" (put a TLS proxy in front for Telegram).
  std::string address = "127.0.0.1";
  // TCP port; 0 picks a free port (Start returns it). Default: 0.
  std::uint16_t port = 0;
  // io threads, clamped to 1..2. Default: 1.
  int io_threads = 1;
  // Deadline for receiving a whole request, and for an idle keep-alive connection. Default: 30000.
  int read_timeout_ms = 30000;
  // Deadline for writing one response or one batch of events; a client that does not read is
  // dropped. Default: 30000.
  int write_timeout_ms = 30000;
  // Time a handler has to answer before the server answers 504 for it. Default: 60000.
  int handler_timeout_ms = 60000;
  // Largest accepted request body; more gets 413. Default: 1 MiB.
  std::size_t body_limit = 1024 * 1024;
  // Largest accepted request line + headers; more gets 431. Default: 16 KiB.
  std::uint32_t max_header_bytes = 16 * 1024;
  // Events queued per event stream before its client is dropped. Default: 256.
  std::size_t sse_max_queued = SseStream::kDefaultMaxQueued;
  // Interval of ": keep-alive" comments on idle event streams. Default: 15000.
  int sse_keepalive_ms = 15000;
  // Source of X-Server-Time; nullptr means the system clock. Must outlive the server. Default:
  // null.
  const Clock* clock = nullptr;
};

class HttpServer {
 public:
  using Options = ServerOptions;

  HttpServer(Options options, const Router& router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the io threads. Returns the bound port. Errors: "bind_failed"
  // (address in use, bad address), "already_started".
  Result<std::uint16_t> Start();
  // Idempotent. See the header comment.
  void Stop();

  // Connections currently open (for tests and the admin console).
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitten::web
