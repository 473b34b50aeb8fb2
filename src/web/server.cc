// The only file of web/ that includes Beast (compile time: app/ sees only the pimpl in server.h).
#include "web/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/thread_name.h"

namespace bitten::web {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

class Session;

// State shared by the server, its connections and the Responders handed to handlers (which may
// outlive the server: `running` tells them whether the io_context may still be posted to).
struct Shared {
  Shared(ServerOptions o, const Router& r) : options(std::move(o)), router(r) {}

  TimeMs Now() const { return options.clock != nullptr ? options.clock->NowMs() : real.NowMs(); }

  const ServerOptions options;
  const Router& router;
  RealClock real;

  std::mutex life_mu;  // guards running; held while posting from foreign threads
  bool running = false;

  std::mutex sessions_mu;  // guards sessions
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;
};

bool IsHttpParseError(const beast::error_code& ec) {
  return std::string_view(ec.category().name()) == "beast.http";
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)), timer_(stream_.get_executor()) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~Session() {
    if (sse_) sse_->NotifyClosed();
    std::lock_guard lock(shared_->sessions_mu);
    shared_->sessions.erase(this);
  }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // From any thread (Stop): closes the connection on its strand.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  const ServerOptions& opts() const { return shared_->options; }

  void DoRead() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(opts().max_header_bytes);
    parser_->body_limit(opts().body_limit);
    stream_.expires_after(milliseconds(opts().read_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  // Headers are in. A client that waits for "100 Continue" before its body (curl does above 1 KiB)
  // gets it at once instead of stalling a second; then the body is read under the same deadline.
  void OnHeader(beast::error_code ec, std::size_t) {
    if (closed_) return;
    if (ec || parser_->is_done()) return OnRead(ec, 0);
    const auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue") && parser_->get().version() >= 11) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code wec, std::size_t) {
                         if (self->closed_) return;
                         if (wec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (closed_) return;
    if (ec == http::error::body_limit) {
      return WriteError(
          413, "body_too_large",
          "The request body is larger than " + std::to_string(opts().body_limit) + " bytes.");
    }
    if (ec == http::error::header_limit) {
      return WriteError(431, "headers_too_large", "The request headers are too large.");
    }
    if (ec && IsHttpParseError(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return WriteError(400, "bad_request", "Malformed HTTP request: " + ec.message() + ".");
    }
    if (ec) return Close();  // client left, idle timeout, reset

    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    for (const auto& field : msg) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote = remote_;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == http::verb::head;
    if (!ParseTarget(std::string_view(msg.target().data(), msg.target().size()), req)) {
      return WriteError(400, "bad_request", "Malformed request target.");
    }

    Router::Resolution route = shared_->router.Resolve(req);
    if (route.response) return Write(std::move(*route.response));
    if (route.sse != nullptr) return OpenSse(*route.sse, req);
    RunHandler(*route.handler, req);
  }

  void RunHandler(const Handler& handler, const Request& req) {
    const std::uint64_t seq = ++seq_;
    awaiting_ = true;
    timer_.expires_after(milliseconds(opts().handler_timeout_ms));
    timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
      if (!ec) self->OnHandlerTimeout(seq);
    });
    std::weak_ptr<Session> weak = weak_from_this();
    Responder responder([weak, shared = shared_, seq](Response response) {
      std::lock_guard lock(shared->life_mu);
      if (!shared->running) return;  // the server stopped: nobody to answer
      auto self = weak.lock();
      if (!self) return;  // the connection is gone
      auto ex = self->stream_.get_executor();
      // Move (not copy) self into the posted work, so that no reference is dropped on this thread
      // after the server may have been destroyed.
      net::post(ex, [self = std::move(self), seq, response = std::move(response)]() mutable {
        self->Deliver(seq, std::move(response));
      });
    });
    try {
      handler(req, std::move(responder));
    } catch (const std::exception& e) {
      spdlog::error("web: handler for {} {} threw: {}", req.method, req.path, e.what());
      Deliver(seq, JsonError(500, "internal", "The server failed while answering."));
    }
  }

  void OnHandlerTimeout(std::uint64_t seq) {
    if (closed_ || !awaiting_ || seq != seq_) return;
    Deliver(seq, JsonError(504, "timeout", "The server did not answer in time."));
  }

  void Deliver(std::uint64_t seq, Response response) {
    if (closed_ || !awaiting_ || seq != seq_) return;  // late answer (after a timeout): dropped
    awaiting_ = false;
    timer_.cancel();
    Write(std::move(response));
  }

  void WriteError(int status, std::string_view code, const std::string& message) {
    keep_alive_ = false;
    version_ = 11;
    head_ = false;
    Write(JsonError(status, code, message), /*force_close=*/true);
  }

  void Write(Response r, bool force_close = false) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    const TimeMs now = shared_->Now();
    res->set(http::field::server, "bitten");
    res->set(http::field::date, HttpDate(now));
    res->set("X-Server-Time", std::to_string(now));
    res->set("X-Content-Type-Options", "nosniff");
    res->set("Referrer-Policy", "no-referrer");
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->insert(name, value);
    close_after_ = force_close || !keep_alive_;
    res->keep_alive(!close_after_);
    if (head_) {
      res->content_length(r.body.size());
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    res_ = std::move(res);
    stream_.expires_after(milliseconds(opts().write_timeout_ms));
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    res_.reset();
    if (closed_) return;
    if (ec) return Close();
    if (close_after_) return LingerClose();
    DoRead();
  }

  // After an error answer: stop sending, swallow what the client still sends for a moment (so that
  // closing does not reset the connection before it has read our answer), then close.
  void LingerClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(milliseconds(2000));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->closed_) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    awaiting_ = false;
    timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    if (sse_) sse_->NotifyClosed();
  }

  // --- Server-Sent Events ---

  void OpenSse(const SseHandler& handler, const Request& req) {
    auto stream = std::make_shared<SseStream>(opts().sse_max_queued);
    std::optional<Response> refused;
    try {
      refused = handler(req, stream);
    } catch (const std::exception& e) {
      spdlog::error("web: event stream handler for {} threw: {}", req.path, e.what());
      refused = JsonError(500, "internal", "The server failed while opening the stream.");
    }
    if (refused) {
      stream->NotifyClosed();
      return Write(std::move(*refused));
    }
    sse_ = std::move(stream);
    std::weak_ptr<Session> weak = weak_from_this();
    sse_->Attach([weak, shared = shared_] {
      std::lock_guard lock(shared->life_mu);
      if (!shared->running) return;
      auto self = weak.lock();
      if (!self) return;
      auto ex = self->stream_.get_executor();
      net::post(ex, [self = std::move(self)] { self->PumpSse(); });
    });
    const TimeMs now = shared_->Now();
    std::string head =
        "HTTP/1.1 200 OK\r\n"
        "Server: bitten\r\n"
        "Content-Type: text/event-stream\r\n"
        "Cache-Control: no-cache, no-transform\r\n"
        "Connection: close\r\n"
        "X-Accel-Buffering: no\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "Date: " +
        HttpDate(now) + "\r\nX-Server-Time: " + std::to_string(now) + "\r\n\r\n: connected\n\n";
    WriteSse(std::move(head) + sse_->TakeFrames());
    // The client sends nothing more; a read tells us when it leaves.
    WatchPeer();
    ArmKeepalive();
  }

  void WatchPeer() {
    stream_.socket().async_read_some(
        net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (self->closed_) return;
          if (ec) return self->Close();
          self->WatchPeer();
        });
  }

  void ArmKeepalive() {
    timer_.expires_after(milliseconds(opts().sse_keepalive_ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (!self->sse_writing_) self->WriteSse(": keep-alive\n\n" + self->sse_->TakeFrames());
      self->ArmKeepalive();
    });
  }

  void PumpSse() {
    if (closed_) return;
    if (sse_->dropped()) return Close();  // cut a client that cannot keep up, even mid-write
    if (sse_writing_) return;
    std::string frames = sse_->TakeFrames();
    if (frames.empty()) {
      if (!sse_->open()) Close();  // closed by the app (after flushing) or dropped on overflow
      return;
    }
    WriteSse(std::move(frames));
  }

  void WriteSse(std::string bytes) {
    sse_writing_ = true;
    sse_out_ = std::move(bytes);
    stream_.expires_after(milliseconds(opts().write_timeout_ms));
    net::async_write(stream_, net::buffer(sse_out_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->sse_writing_ = false;
                       if (self->closed_) return;
                       if (ec) return self->Close();
                       self->PumpSse();
                     });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  net::steady_timer timer_;  // handler deadline, or the event stream's keep-alive
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  std::array<char, 4096> scratch_{};
  std::string remote_;
  std::uint64_t seq_ = 0;
  bool awaiting_ = false;
  bool keep_alive_ = false;
  bool head_ = false;
  bool close_after_ = false;
  bool closed_ = false;
  unsigned version_ = 11;
  std::shared_ptr<SseStream> sse_;
  std::string sse_out_;
  bool sse_writing_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<Shared> shared)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        retry_(acceptor_.get_executor()),
        shared_(std::move(shared)) {}

  Result<std::uint16_t> Open(const std::string& address, std::uint16_t port) {
    beast::error_code ec;
    const auto addr = net::ip::make_address(address, ec);
    if (ec) return Fail("bind_failed", "Bad listen address '" + address + "': " + ec.message());
    const tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Fail("bind_failed",
                  "Cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
    }
    return acceptor_.local_endpoint().port();
  }

  void Run() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
  }

  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->retry_.cancel();
      self->acceptor_.close(ec);
    });
  }

 private:
  void DoAccept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == net::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or similar: wait a little rather than spin.
      spdlog::warn("web: accept failed: {}", ec.message());
      retry_.expires_after(milliseconds(100));
      retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->DoAccept();
      });
      return;
    }
    auto session = std::make_shared<Session>(std::move(socket), shared_);
    {
      std::lock_guard lock(shared_->sessions_mu);
      shared_->sessions.emplace(session.get(), session);
    }
    session->Run();
    DoAccept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared;
  std::unique_ptr<net::io_context> ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  std::mutex exit_mu;
  std::condition_variable exit_cv;
  int running_threads = 0;
  bool started = false;
  bool stopped = false;
};

HttpServer::HttpServer(Options options, const Router& router) : impl_(std::make_unique<Impl>()) {
  options.io_threads = std::clamp(options.io_threads, 1, 2);
  impl_->shared = std::make_shared<Shared>(std::move(options), router);
}

HttpServer::~HttpServer() { Stop(); }

Result<std::uint16_t> HttpServer::Start() {
  if (impl_->started) return Fail("already_started", "The HTTP server was already started.");
  const ServerOptions& o = impl_->shared->options;
  impl_->ioc = std::make_unique<net::io_context>(o.io_threads);
  impl_->listener = std::make_shared<Listener>(*impl_->ioc, impl_->shared);
  auto port = impl_->listener->Open(o.address, o.port);
  if (!port) {
    impl_->listener.reset();
    impl_->ioc.reset();
    return port;
  }
  impl_->started = true;
  {
    std::lock_guard lock(impl_->shared->life_mu);
    impl_->shared->running = true;
  }
  impl_->work.emplace(impl_->ioc->get_executor());
  impl_->listener->Run();
  impl_->running_threads = o.io_threads;
  for (int i = 0; i < o.io_threads; ++i) {
    impl_->threads.emplace_back([impl = impl_.get(), i] {
      SetThreadName("bitten-io-" + std::to_string(i + 1));
      try {
        impl->ioc->run();
      } catch (const std::exception& e) {
        // Handlers do not throw by design; reaching here is a broken invariant.
        BITTEN_CHECK(false, e.what());
      }
      std::lock_guard lock(impl->exit_mu);
      --impl->running_threads;
      impl->exit_cv.notify_all();
    });
  }
  return *port;
}

void HttpServer::Stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  Shared& shared = *impl_->shared;
  {
    std::lock_guard lock(shared.life_mu);
    shared.running = false;
  }
  impl_->listener->Close();
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(shared.sessions_mu);
    for (auto& [key, weak] : shared.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Shutdown();
  live.clear();
  impl_->work.reset();
  {
    // Let the io threads finish the closes; stop them hard if something still holds work.
    std::unique_lock lock(impl_->exit_mu);
    impl_->exit_cv.wait_for(lock, std::chrono::seconds(2),
                            [&] { return impl_->running_threads == 0; });
  }
  impl_->ioc->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->listener.reset();
  impl_->ioc.reset();  // destroys what is left (connections notify their event streams)
}

std::size_t HttpServer::connections() const {
  std::lock_guard lock(impl_->shared->sessions_mu);
  return impl_->shared->sessions.size();
}

}  // namespace bitten::web
