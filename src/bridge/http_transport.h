// The HTTP command path of CONTRACTS §3.4 (`GET /api/bridge/next`, docs/protocol.md "HTTP
// transport") and the router that puts it and the file transport behind one CommandTransport.
//
// HttpTransport keeps one ordered queue per terminal. A terminal fetches its next command with a
// long poll: Next() answers at once when a command is queued, otherwise it parks the poll until a
// command is enqueued or the wait ends (answered with nothing: the route sends 204). A command
// handed to a poll counts as claimed (§3.4): on_delivered is called and the command leaves the
// queue; the terminal deduplicates by fire_id, so the server never needs to send it twice. A newer
// poll of the same terminal replaces a parked one (the old one is answered with nothing). Commands
// not fetched within Options::delivery_timeout_ms are reported once through on_undelivered and stay
// queued (retried until the terminal comes back; the terminal refuses them once expired).
//
// RoutingTransport sends each terminal's commands to the transport registered for it (file or
// HTTP); Route() is called before the transports start, Enqueue from any thread afterwards.
//
// Thread-safety: HttpTransport methods may be called from any thread; it owns one thread (Start /
// Stop) that ends parked polls and checks delivery timeouts. Callbacks and poll answers run on the
// thread that triggered them (Enqueue's, Next's, or the transport thread), never under its lock;
// they must be quick and must not call Stop.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/error.h"
#include "bridge/transport.h"

namespace bitten::bridge {

class HttpTransport final : public CommandTransport {
 public:
  struct Options {
    std::size_t max_queue = 1000;         // commands waiting per terminal. Default: 1000.
    TimeMs delivery_timeout_ms = 10'000;  // on_undelivered after this; 0 = never. Default: 10 s.
    TimeMs max_wait_ms = 25'000;          // longest long poll (CONTRACTS §3.4). Default: 25 s.
    int tick_ms = 100;                    // how often parked polls and timeouts are checked.
  };
  // Called once per poll: the fire.txt text of the command, or nullopt when the wait ended.
  using Answer = std::function<void(std::optional<std::string> command)>;

  // Uses callbacks.on_delivered and on_undelivered only.
  HttpTransport(Options options, const Clock& clock, TransportCallbacks callbacks);
  ~HttpTransport() override;  // Stop()
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Makes the terminal known (its queue exists from now on). Idempotent.
  void AddTerminal(const std::string& terminal);
  bool HasTerminal(const std::string& terminal) const;

  Status Enqueue(const std::string& terminal, const std::string& fire_id,
                 std::string text) override;

  // The long poll of `terminal`, waiting at most min(wait_ms, max_wait_ms). Fails with
  // "unknown_terminal" (answer not called) when the terminal was never added.
  Status Next(const std::string& terminal, TimeMs wait_ms, Answer answer);

  std::size_t queued(const std::string& terminal) const;

  void Start();
  // Answers every parked poll with nothing and joins the thread. Queued commands stay queued (the
  // core redelivers committed fires on restart). Idempotent.
  void Stop();

 private:
  struct Pending {
    std::string fire_id;
    std::string text;
    TimeMs queued_at = 0;
    bool reported_undelivered = false;
  };
  struct Poll {
    Answer answer;
    TimeMs deadline = 0;
  };
  struct Terminal {
    std::deque<Pending> queue;
    std::optional<Poll> poll;
  };

  void Loop();

  const Options options_;
  const Clock& clock_;
  const TransportCallbacks callbacks_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                          // guarded by mu_
  std::map<std::string, Terminal> terminals_;  // guarded by mu_
  std::thread thread_;
};

class RoutingTransport final : public CommandTransport {
 public:
  // Commands for `terminal` go to `transport` (not owned; must outlive this). Before use.
  void Route(const std::string& terminal, CommandTransport* transport) {
    routes_[terminal] = transport;
  }
  Status Enqueue(const std::string& terminal, const std::string& fire_id,
                 std::string text) override;

 private:
  std::map<std::string, CommandTransport*> routes_;
};

}  // namespace bitten::bridge
