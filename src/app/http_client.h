// A small blocking HTTP client over libcurl, used by `bitten paper-bridge` and `bitten demo` to
// post ticks, heartbeats and reports to a server (the PaperBridge's Poster), and by the CLI for
// probes.
//
// Every request has a connect timeout and a total timeout (STYLE habit 4). Each calling thread
// keeps its own curl easy handle (thread_local), so connections are kept alive between requests of
// that thread and no handle is ever shared between threads. HttpClient itself is immutable after
// construction and thread-safe.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace bitten::app {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpClientOptions {
  std::string base_url;  // e.g. "http://127.0.0.1:8080" (no trailing '/'), prefixed to paths
  long connect_timeout_ms = 2000;  // Default: 2 s
  long timeout_ms = 10000;         // whole request. Default: 10 s
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);

  // Sends `method` (GET, POST, ...) to base_url + path. `body` is sent when non-empty (POST always
  // sends it, even empty). Returns the status and body for any HTTP answer (4xx/5xx included);
  // fails with code "http_error" naming the URL when there is no answer (refused, timeout, DNS).
  Result<HttpResponse> Send(const std::string& method, const std::string& path,
                            const std::string& body, const HttpHeaders& headers) const;

  // POST with Content-Type: application/json unless `headers` sets one; returns the status only.
  Result<int> PostJson(const std::string& path, const std::string& body,
                       const HttpHeaders& headers) const;

  const std::string& base_url() const { return options_.base_url; }

 private:
  HttpClientOptions options_;
};

// The function shape bridge::PaperBridge takes as its Poster: POST JSON to base_url + path with the
// given headers; the HTTP status or an error. The returned function owns a copy of the client.
using JsonPoster =
    std::function<Result<int>(std::string path, std::string body, HttpHeaders headers)>;
JsonPoster MakeJsonPoster(HttpClientOptions options);

}  // namespace bitten::app
