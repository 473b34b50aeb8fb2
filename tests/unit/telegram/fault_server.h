// A fault injector for BotApi tests: a raw-socket HTTP/1.1 server on 127.0.0.1 (free port) that
// answers each request with the next scripted reply (the last one repeats): a canned status + JSON
// body, closing the connection after reading the request (no answer: the request was sent), or
// stalling (no answer until the client gives up). Records every request (path, body, arrival time).
// Serves one connection at a time with keep-alive, like one BotApi. Header-only.
//
// As a proxy in front of a real server (the emulator): SetUpstream(url) and the replies
// Forward(delay_ms) (wait, pass the request upstream, relay its answer: a slow connection) and
// ForwardThenClose() (pass it upstream, then drop the connection without answering: delivered,
// answer lost) and ForwardThenStall() (pass it upstream, then hold the answer until the client
// gives up). SetCycle(true) repeats the whole script instead of its last reply.
#pragma once

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bitten::telegram::testing {

class FaultServer {
 public:
  struct Reply {
    enum Kind {
      kRespond,
      kCloseAfterRequest,
      kStall,
      kForward,
      kForwardThenClose,
      kForwardThenStall
    } kind = kRespond;
    int status = 200;
    std::string body;
    int delay_ms = 0;  // kForward: wait this long first
  };
  static Reply Json(int status, std::string body) {
    return {Reply::kRespond, status, std::move(body)};
  }
  static Reply Close() { return {Reply::kCloseAfterRequest, 0, ""}; }
  static Reply Stall() { return {Reply::kStall, 0, ""}; }
  static Reply Forward(int delay_ms = 0) { return {Reply::kForward, 0, "", delay_ms}; }
  static Reply ForwardThenClose() { return {Reply::kForwardThenClose, 0, "", 0}; }
  // Pass it upstream, then hold the connection without answering until the client gives up.
  static Reply ForwardThenStall() { return {Reply::kForwardThenStall, 0, "", 0}; }

  struct Request {
    std::string path;
    std::string body;
    std::chrono::steady_clock::time_point at;
    bool forwarded = false;              // passed to the upstream server
    Reply::Kind kind = Reply::kRespond;  // how it was answered
    int status = 0;                      // kRespond: the scripted status (429, 500, ...)
  };

  explicit FaultServer(std::vector<Reply> script) : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listen_fd_, 8);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FaultServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Call before the first request arrives.
  void SetUpstream(std::string url) { upstream_ = std::move(url); }
  void SetCycle(bool cycle) {
    std::lock_guard lock(mu_);
    cycle_ = cycle;
  }
  int connections() const { return connections_.load(); }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  // Waits for fd to be readable, checking stop_ every 20 ms; false when stopping.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void Serve() {
    while (WaitReadable(listen_fd_)) {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      ServeConnection(fd);
      close(fd);
    }
  }

  void ServeConnection(int fd) {
    std::string buf;
    for (;;) {
      // Read one request: headers, then Content-Length bytes of body.
      std::size_t header_end;
      while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(fd, buf)) return;
      }
      const std::string head = buf.substr(0, header_end);
      std::size_t content_length = 0;
      for (std::size_t pos = 0; (pos = head.find("\r\n", pos)) != std::string::npos;) {
        pos += 2;
        std::string line = head.substr(pos, head.find("\r\n", pos) - pos);
        for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (line.rfind("content-length:", 0) == 0) content_length = std::stoul(line.substr(15));
      }
      while (buf.size() < header_end + 4 + content_length) {
        if (!ReadMore(fd, buf)) return;
      }
      Request req;
      const auto sp1 = head.find(' ');
      req.path = head.substr(sp1 + 1, head.find(' ', sp1 + 1) - sp1 - 1);
      req.body = buf.substr(header_end + 4, content_length);
      req.at = std::chrono::steady_clock::now();
      buf.erase(0, header_end + 4 + content_length);
      Reply reply;
      {
        std::lock_guard lock(mu_);
        reply = script_[cycle_ ? next_ % script_.size() : std::min(next_, script_.size() - 1)];
        ++next_;
        req.forwarded = reply.kind == Reply::kForward || reply.kind == Reply::kForwardThenClose ||
                        reply.kind == Reply::kForwardThenStall;
        req.kind = reply.kind;
        if (reply.kind == Reply::kRespond) req.status = reply.status;
        requests_.push_back(req);
      }
      if (reply.kind == Reply::kCloseAfterRequest) return;
      if (reply.kind == Reply::kForward || reply.kind == Reply::kForwardThenClose ||
          reply.kind == Reply::kForwardThenStall) {
        if (reply.delay_ms > 0)
          std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
        reply.status = ForwardUpstream(req, reply.body);
        if (reply.kind == Reply::kForwardThenClose) return;
      }
      if (reply.kind == Reply::kStall || reply.kind == Reply::kForwardThenStall) {
        while (!stop_) {
          pollfd p{fd, POLLIN, 0};
          if (poll(&p, 1, 20) > 0) {
            char c;
            if (recv(fd, &c, 1, MSG_PEEK) <= 0) return;  // the client gave up
          }
        }
        return;
      }
      const std::string response =
          "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n" +
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(reply.body.size()) +
          "\r\n\r\n" + reply.body;
      if (send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  // POSTs the request to upstream_ + path; returns the HTTP status (502 on failure), body in `out`.
  int ForwardUpstream(const Request& req, std::string& out) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return 502;
    const std::string url = upstream_ + req.path;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    out.clear();
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION, +[](char* d, size_t sz, size_t n, void* u) -> size_t {
          static_cast<std::string*>(u)->append(d, sz * n);
          return sz * n;
        });
    long status = 502;
    if (curl_easy_perform(curl) == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    } else {
      out = R"({"ok":false,"error_code":502,"description":"proxy: upstream failed"})";
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return static_cast<int>(status);
  }

  bool ReadMore(int fd, std::string& buf) {
    if (!WaitReadable(fd)) return false;
    char chunk[4096];
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  std::vector<Reply> script_;
  std::size_t next_ = 0;
  bool cycle_ = false;
  std::string upstream_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace bitten::telegram::testing
