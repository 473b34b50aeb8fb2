// Test doubles shared by the bridge tests: an in-memory PositionStore, a recorder of transport
// callbacks that tests can wait on (generous deadlines, never timing assertions), a vector feed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bridge/transport.h"
#include "market/feed.h"

namespace bitten::bridge::testing {

inline constexpr auto kDeadline = std::chrono::seconds(10);

class MemoryPositions final : public PositionStore {
 public:
  Result<std::int64_t> Load(const std::string& terminal) override {
    std::lock_guard lock(mu_);
    const auto it = offsets_.find(terminal);
    return it == offsets_.end() ? 0 : it->second;
  }
  Status Save(const std::string& terminal, std::int64_t offset) override {
    std::lock_guard lock(mu_);
    offsets_[terminal] = offset;
    ++saves_;
    return Ok();
  }
  std::int64_t offset(const std::string& terminal) {
    std::lock_guard lock(mu_);
    return offsets_[terminal];
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::int64_t> offsets_;
  int saves_ = 0;
};

struct Delivered {
  std::string terminal, fire_id;
};

class Recorder {
 public:
  TransportCallbacks Callbacks() {
    TransportCallbacks cb;
    cb.on_delivered = [this](const std::string& t, const std::string& id, TimeMs) {
      Push([&] { delivered_.push_back({t, id}); });
    };
    cb.on_result = [this](const std::string&, const ResultRecord& r, const std::string& line) {
      Push([&] {
        results_.push_back(r);
        lines_.push_back(line);
      });
    };
    cb.on_heartbeat = [this](const std::string&, const Heartbeat& hb, const std::string&) {
      Push([&] { heartbeats_.push_back(hb); });
    };
    cb.on_error = [this](const std::string&, const Error& e) {
      Push([&] { errors_.push_back(e); });
    };
    return cb;
  }

  // Waits (up to kDeadline) until `pred` holds on the recorded state; false on timeout.
  bool WaitFor(const std::function<bool(const Recorder&)>& pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return pred(*this); });
  }
  template <typename T>
  T Read(const std::function<T(const Recorder&)>& f) {
    std::lock_guard lock(mu_);
    return f(*this);
  }

  std::vector<Delivered> delivered_;
  std::vector<ResultRecord> results_;
  std::vector<std::string> lines_;
  std::vector<Heartbeat> heartbeats_;
  std::vector<Error> errors_;

 private:
  void Push(const std::function<void()>& f) {
    {
      std::lock_guard lock(mu_);
      f();
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
};

// Polls the file system until `pred` holds (up to kDeadline); false on timeout.
inline bool WaitForFile(const std::function<bool()>& pred) {
  const auto end = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class VectorFeed final : public market::TickSource {
 public:
  explicit VectorFeed(std::vector<market::Tick> ticks) : ticks_(std::move(ticks)) {}
  std::optional<market::Tick> Next() override {
    if (next_ >= ticks_.size()) return std::nullopt;
    return ticks_[next_++];
  }

 private:
  std::vector<market::Tick> ticks_;
  std::size_t next_ = 0;
};

}  // namespace bitten::bridge::testing
