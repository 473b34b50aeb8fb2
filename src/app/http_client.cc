#include "app/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <mutex>

namespace bitten::app {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per thread: reused (keep-alive) by every request of that thread, freed at exit.
struct ThreadHandle {
  CURL* curl = nullptr;
  ThreadHandle() {
    GlobalInit();
    curl = curl_easy_init();
  }
  ~ThreadHandle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
};

CURL* HandleForThisThread() {
  thread_local ThreadHandle handle;
  return handle.curl;
}

size_t Append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

bool HasHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return true;
  }
  return false;
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
}

Result<HttpResponse> HttpClient::Send(const std::string& method, const std::string& path,
                                      const std::string& body, const HttpHeaders& headers) const {
  CURL* curl = HandleForThisThread();
  if (curl == nullptr) return Fail("http_error", "curl_easy_init failed");
  curl_easy_reset(curl);  // keeps the connection cache, clears the previous request's options

  const std::string url = options_.base_url + path;
  HttpResponse response;
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const auto& [k, v] : headers) {
    list.reset(curl_slist_append(list.release(), (k + ": " + v).c_str()));
  }
  // No "Expect: 100-continue" round trip for larger bodies.
  list.reset(curl_slist_append(list.release(), "Expect:"));

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
  }

  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    return Fail("http_error", method + " " + url + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

Result<int> HttpClient::PostJson(const std::string& path, const std::string& body,
                                 const HttpHeaders& headers) const {
  Result<HttpResponse> r;
  if (HasHeader(headers, "Content-Type")) {
    r = Send("POST", path, body, headers);
  } else {
    HttpHeaders with = headers;
    with.emplace_back("Content-Type", "application/json");
    r = Send("POST", path, body, with);
  }
  if (!r) return tl::unexpected(r.error());
  return r->status;
}

JsonPoster MakeJsonPoster(HttpClientOptions options) {
  auto client = std::make_shared<const HttpClient>(std::move(options));
  return [client](std::string path, std::string body, HttpHeaders headers) {
    return client->PostJson(path, body, headers);
  };
}

}  // namespace bitten::app
