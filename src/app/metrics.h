// Process metrics for GET /metrics, in the Prometheus text exposition format (docs/operations.md
// lists every series). Built on prometheus-cpp's core library (Debian prometheus-cpp-dev): its
// registry, counters, gauges and histograms, and its TextSerializer; this file only names the
// series and fills the scrape-time gauges.
//
// Two kinds of series:
//   - event series, updated where the event happens: the fire latency histogram and the fires by
//     outcome (ObserveFire, from the core thread when a fire request is answered), the store's
//     commit latency and batch size (ObserveCommit, from the store writer thread after a COMMIT);
//   - state series, set at scrape time from one CoreSnapshot, the writer's stats and the outbox
//     depth (Render): queue depths, terminals online, SSE streams, signals.
//
// Ownership: the Server owns one Metrics and hands it to the store writer (commit hook) and the
// core (fire replies). Thread-safety: every method may be called from any thread at any time
// (prometheus-cpp's metrics are atomic and its families lock when a label set is added).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "store/writer.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace bitten::app {

struct CoreSnapshot;

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered POST /api/fire: `outcome` is "accepted" (202), "duplicate" (200, the existing
  // fire) or the CONTRACTS §4 error code of the refusal; `seconds` from the request reaching the
  // core to the answer.
  void ObserveFire(std::string_view outcome, double seconds);
  // The fire outcome of an HTTP answer of the fire API: "accepted" for 202, "duplicate" for a 200
  // whose body has duplicate=true, else body.error.code (or "http_<status>" when it has none).
  static std::string FireOutcome(int status, const std::string& error_code, bool duplicate);

  // One committed store transaction: works in it, COMMIT (fsync) time and BEGIN..COMMIT time.
  void ObserveCommit(std::size_t batch, std::int64_t commit_us, std::int64_t batch_us);

  // The whole exposition: sets the state series from `core`, `writer` and `outbox_depth` (-1 =
  // unknown, then the series is absent), then serializes every series.
  std::string Render(const CoreSnapshot& core, const store::WriterStats& writer,
                     std::int64_t outbox_depth);

 private:
  // Raises a counter to `value` (a count kept elsewhere since the start, e.g. in the core).
  static void CatchUp(prometheus::Counter& counter, double value);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* fires_ = nullptr;
  prometheus::Histogram* fire_latency_ = nullptr;
  prometheus::Histogram* commit_latency_ = nullptr;
  prometheus::Histogram* batch_latency_ = nullptr;
  prometheus::Histogram* batch_size_ = nullptr;
  prometheus::Counter* commits_ = nullptr;
  prometheus::Counter* store_works_ = nullptr;
  prometheus::Counter* store_failed_works_ = nullptr;
  prometheus::Counter* store_refused_ = nullptr;
  prometheus::Counter* checkpoints_ = nullptr;
  prometheus::Counter* wal_restarts_ = nullptr;
  prometheus::Gauge* wal_pages_ = nullptr;
  prometheus::Counter* wal_frames_ = nullptr;
  prometheus::Counter* signals_ = nullptr;
  prometheus::Counter* ticks_ = nullptr;
  prometheus::Counter* bridge_errors_ = nullptr;
  prometheus::Counter* result_works_ = nullptr;
  prometheus::Gauge* store_healthy_ = nullptr;
  prometheus::Gauge* writer_queue_ = nullptr;
  prometheus::Gauge* outbox_depth_ = nullptr;
  prometheus::Gauge* terminals_online_ = nullptr;
  prometheus::Gauge* terminals_ = nullptr;
  prometheus::Gauge* sse_streams_ = nullptr;
  prometheus::Gauge* users_ = nullptr;
  prometheus::Gauge* kill_switch_ = nullptr;
  prometheus::Family<prometheus::Gauge>* terminal_queue_ = nullptr;
  prometheus::Family<prometheus::Gauge>* terminal_online_ = nullptr;
  prometheus::Family<prometheus::Gauge>* missions_ = nullptr;
  // Label sets seen so far (guarded by render_mu_): reset to 0 when absent from a snapshot.
  std::map<std::string, prometheus::Gauge*> terminal_queue_by_id_, terminal_online_by_id_;
  std::map<std::string, prometheus::Gauge*> missions_by_status_;
  std::mutex render_mu_;  // one Render at a time (the state series are set, then read)
};

}  // namespace bitten::app
