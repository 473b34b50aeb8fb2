// Router: maps a request's method and path to a handler. A plain function of the Request that knows
// nothing about sockets (Boost.Beast advanced server example), so it is testable without a server.
//
// Patterns are absolute paths whose segments are literals or `{name}` (one whole segment, bound
// into Request::params, percent-decoded). When several patterns match, the one with a literal in
// the first position where they differ wins ("/api/missions/active" beats "/api/missions/{id}").
// Trailing slashes matter ("/a" and "/a/" differ). API routes are tried before static directories.
//
// Answers the router gives by itself (CONTRACTS §4 error shape):
// - no route and no static file: 404 {"error":{"code":"not_found",...}}
// - a route exists for the path but not for the method: 405 "method_not_allowed" with an Allow
// header
// - static files (ServeStatic): GET/HEAD only; file types html, js, mjs, css, svg, png, json,
// woff2,
//   ico, txt, map (others application/octet-stream); a directory serves its index.html; the prefix
//   without its slash redirects (301) to the prefix; no path may leave the directory ("..", encoded
//   "%2e%2e", backslashes, symlinks that point outside all answer 404); ETag + If-None-Match → 304;
//   Cache-Control "no-cache" (always revalidate: the pages are not content-hashed, a deploy must
//   show at once), files over 16 MiB are refused (404).
//
// Thread-safety: register every route before the server starts; afterwards the router is read-only
// and may be used from any number of threads (handlers themselves must be thread-safe: with 2 io
// threads two requests may run them at once).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/http.h"

namespace bitten::web {

// Called on an io thread. Must not block: answer through the Responder now or later, from any
// thread. The Request lives only for the call: copy what a later answer needs.
using Handler = std::function<void(const Request&, Responder)>;
// Called on an io thread when a client opens an event stream (the Request lives only for the call).
// Return std::nullopt to accept (keep the SseStream to Send events; queued events are written once
// the headers are out), or a Response to refuse (e.g. 401 unauthorized): the connection then
// answers it like a normal request.
using SseHandler =
    std::function<std::optional<Response>(const Request&, std::shared_ptr<SseStream>)>;

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  void Get(std::string_view pattern, Handler handler);
  void Post(std::string_view pattern, Handler handler);
  void Put(std::string_view pattern, Handler handler);
  void Delete(std::string_view pattern, Handler handler);
  // Any method name (upper case, e.g. "PATCH").
  void Add(std::string_view method, std::string_view pattern, Handler handler);
  // GET route answered as a Server-Sent Events stream.
  void Sse(std::string_view pattern, SseHandler handler);
  // Serves the files under `directory` at `url_prefix` (which must start and end with '/',
  // e.g. "/hud/"). The directory need not exist yet; it is resolved per request.
  void ServeStatic(std::string_view url_prefix, std::filesystem::path directory);

  // The outcome of routing: exactly one of the three is set.
  struct Resolution {
    const Handler* handler = nullptr;  // a normal route (params filled in the request)
    const SseHandler* sse = nullptr;   // an event-stream route (params filled in the request)
    std::optional<Response> response;  // answered by the router: static file, redirect, 404, 405
  };
  // Resolves `req` (method, path, headers for conditional GET). Fills req.params. HEAD resolves
  // like GET; the server omits the body.
  Resolution Resolve(Request& req) const;

  // Convenience for tests and in-process callers: resolves and runs the handler (an SSE route
  // answers 400 "sse_required" here, since there is no connection to stream on).
  void Handle(Request req, Responder responder) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Content type for a file name by its extension ("text/html; charset=utf-8", ...).
std::string_view ContentTypeFor(const std::filesystem::path& file);

}  // namespace bitten::web
