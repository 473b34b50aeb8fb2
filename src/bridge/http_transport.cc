#include "bridge/http_transport.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "base/thread_name.h"

namespace bitten::bridge {

HttpTransport::HttpTransport(Options options, const Clock& clock, TransportCallbacks callbacks)
    : options_(options), clock_(clock), callbacks_(std::move(callbacks)) {}

HttpTransport::~HttpTransport() { Stop(); }

void HttpTransport::AddTerminal(const std::string& terminal) {
  std::lock_guard lock(mu_);
  terminals_[terminal];
}

bool HttpTransport::HasTerminal(const std::string& terminal) const {
  std::lock_guard lock(mu_);
  return terminals_.contains(terminal);
}

std::size_t HttpTransport::queued(const std::string& terminal) const {
  std::lock_guard lock(mu_);
  const auto it = terminals_.find(terminal);
  return it == terminals_.end() ? 0 : it->second.queue.size();
}

Status HttpTransport::Enqueue(const std::string& terminal, const std::string& fire_id,
                              std::string text) {
  std::optional<Poll> poll;
  {
    std::lock_guard lock(mu_);
    auto it = terminals_.find(terminal);
    if (it == terminals_.end()) {
      return Fail("unknown_terminal", "terminal '" + terminal + "' has no HTTP command path");
    }
    Terminal& t = it->second;
    for (const Pending& p : t.queue) {
      if (p.fire_id == fire_id && p.text == text) return Ok();  // already queued
    }
    if (t.queue.size() >= options_.max_queue) {
      return Fail("queue_full", "terminal '" + terminal + "' has " +
                                    std::to_string(t.queue.size()) + " commands waiting");
    }
    if (t.poll && t.queue.empty()) {
      poll = std::move(t.poll);  // a terminal is waiting: hand it over now
      t.poll.reset();
    } else {
      t.queue.push_back(Pending{fire_id, std::move(text), clock_.NowMs()});
    }
  }
  if (poll) {
    poll->answer(std::move(text));
    if (callbacks_.on_delivered) callbacks_.on_delivered(terminal, fire_id, clock_.NowMs());
  }
  return Ok();
}

Status HttpTransport::Next(const std::string& terminal, TimeMs wait_ms, Answer answer) {
  std::optional<Pending> command;
  std::optional<Poll> replaced;
  bool parked = false;
  {
    std::lock_guard lock(mu_);
    auto it = terminals_.find(terminal);
    if (it == terminals_.end()) {
      return Fail("unknown_terminal", "terminal '" + terminal + "' has no HTTP command path");
    }
    Terminal& t = it->second;
    if (!t.queue.empty()) {
      command = std::move(t.queue.front());
      t.queue.pop_front();
    } else if (wait_ms > 0 && !stop_) {
      replaced = std::move(t.poll);
      parked = true;
      t.poll = Poll{std::move(answer), clock_.NowMs() + std::min(wait_ms, options_.max_wait_ms)};
    }
  }
  if (replaced) replaced->answer(std::nullopt);
  if (command) {
    answer(std::move(command->text));
    if (callbacks_.on_delivered) {
      callbacks_.on_delivered(terminal, command->fire_id, clock_.NowMs());
    }
  } else if (!parked) {
    answer(std::nullopt);  // nothing queued and no wait asked (or stopping)
  }
  return Ok();
}

void HttpTransport::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void HttpTransport::Stop() {
  std::vector<Poll> polls;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    for (auto& [id, t] : terminals_) {
      if (t.poll) polls.push_back(std::move(*t.poll));
      t.poll.reset();
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (Poll& p : polls) p.answer(std::nullopt);
}

void HttpTransport::Loop() {
  SetThreadName("bitten-longpoll");
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms));
    if (stop_) break;
    const TimeMs now = clock_.NowMs();
    std::vector<Poll> ended;
    std::vector<std::pair<std::string, Pending>> late;
    for (auto& [id, t] : terminals_) {
      if (t.poll && now >= t.poll->deadline) {
        ended.push_back(std::move(*t.poll));
        t.poll.reset();
      }
      if (options_.delivery_timeout_ms <= 0) continue;
      for (Pending& p : t.queue) {
        if (!p.reported_undelivered && now - p.queued_at > options_.delivery_timeout_ms) {
          p.reported_undelivered = true;
          late.emplace_back(id, p);
        }
      }
    }
    lock.unlock();
    for (Poll& p : ended) p.answer(std::nullopt);
    if (callbacks_.on_undelivered) {
      for (const auto& [id, p] : late) callbacks_.on_undelivered(id, p.fire_id, p.queued_at);
    }
    lock.lock();
  }
}

Status RoutingTransport::Enqueue(const std::string& terminal, const std::string& fire_id,
                                 std::string text) {
  const auto it = routes_.find(terminal);
  if (it == routes_.end() || it->second == nullptr) {
    return Fail("unknown_terminal", "terminal '" + terminal + "' has no command path");
  }
  return it->second->Enqueue(terminal, fire_id, std::move(text));
}

}  // namespace bitten::bridge
