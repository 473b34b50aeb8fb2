#include "app/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "app/core.h"

namespace bitten::app {

namespace {

// Seconds: 100 µs .. 2.5 s. The fire path's budget is a few ms (docs/performance.md).
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
// Works per transaction: 1 .. the writer's default max_batch (1000).
const prometheus::Histogram::BucketBoundaries kBatchBuckets = {1,  2,   4,   8,   16,  32,
                                                               64, 128, 256, 512, 1000};

prometheus::Gauge& ByLabel(prometheus::Family<prometheus::Gauge>& family, const std::string& key,
                           const std::string& value,
                           std::map<std::string, prometheus::Gauge*>& seen) {
  auto it = seen.find(value);
  if (it != seen.end()) return *it->second;
  prometheus::Gauge& g = family.Add({{key, value}});
  seen.emplace(value, &g);
  return g;
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  auto& r = *registry_;
  fires_ = &BuildCounter()
                .Name("bitten_fires_total")
                .Help("POST /api/fire answers by outcome: accepted, duplicate or the refusal code")
                .Register(r);
  fire_latency_ = &BuildHistogram()
                       .Name("bitten_fire_latency_seconds")
                       .Help("POST /api/fire, request reaching the core to answer (after commit)")
                       .Register(r)
                       .Add({}, kLatencyBuckets);
  commit_latency_ = &BuildHistogram()
                         .Name("bitten_store_commit_seconds")
                         .Help("Store writer COMMIT (WAL fsync) duration")
                         .Register(r)
                         .Add({}, kLatencyBuckets);
  batch_latency_ = &BuildHistogram()
                        .Name("bitten_store_batch_seconds")
                        .Help("Store writer transaction, BEGIN to end of COMMIT")
                        .Register(r)
                        .Add({}, kLatencyBuckets);
  batch_size_ = &BuildHistogram()
                     .Name("bitten_store_batch_works")
                     .Help("Works committed in one store transaction (group commit)")
                     .Register(r)
                     .Add({}, kBatchBuckets);
  auto counter = [&](const char* name, const char* help) {
    return &BuildCounter().Name(name).Help(help).Register(r).Add({});
  };
  auto gauge = [&](const char* name, const char* help) {
    return &BuildGauge().Name(name).Help(help).Register(r).Add({});
  };
  commits_ = counter("bitten_store_commits_total", "Successful store COMMITs");
  store_works_ = counter("bitten_store_works_total", "Store works run");
  store_failed_works_ =
      counter("bitten_store_failed_works_total", "Store works that returned an error");
  store_refused_ =
      counter("bitten_store_refused_total", "Store submits refused (busy, failed, stopped)");
  checkpoints_ = counter("bitten_store_checkpoints_total", "WAL checkpoints run");
  wal_restarts_ = counter("bitten_store_wal_restarts_total",
                          "Times the store's WAL was started over after a full checkpoint");
  wal_pages_ = gauge("bitten_store_wal_pages", "Pages in the store's WAL after the last commit");
  wal_frames_ =
      counter("bitten_store_wal_frames_total", "Pages written to the store's WAL by all commits");
  signals_ = counter("bitten_signals_total", "VENOM signals emitted since the start");
  ticks_ = counter("bitten_ticks_total", "Ticks ingested since the start");
  bridge_errors_ = counter("bitten_bridge_errors_total",
                           "Bridge transport faults (bad result lines, bad heartbeats, I/O)");
  result_works_ = counter("bitten_result_works_total",
                          "Store works started for result records (one per terminal and seq)");
  store_healthy_ = gauge("bitten_store_healthy", "1 while the store takes writes, 0 once failed");
  writer_queue_ = gauge("bitten_store_queue_depth", "Works waiting for the store writer");
  outbox_depth_ = gauge("bitten_outbox_depth", "Telegram outbox messages not yet sent");
  terminals_online_ = gauge("bitten_terminals_online", "Terminals online (fresh heartbeat)");
  terminals_ = gauge("bitten_terminals", "Terminals registered");
  sse_streams_ = gauge("bitten_sse_streams", "Open HUD event streams");
  users_ = gauge("bitten_users", "Registered users");
  kill_switch_ = gauge("bitten_kill_switch", "1 while the global kill switch is on");
  terminal_queue_ = &BuildGauge()
                         .Name("bitten_terminal_command_queue")
                         .Help("Fire commands enqueued for a terminal, not yet delivered")
                         .Register(r);
  terminal_online_ = &BuildGauge()
                          .Name("bitten_terminal_online")
                          .Help("1 when the terminal's heartbeat is fresh and it may trade")
                          .Register(r);
  missions_ = &BuildGauge()
                   .Name("bitten_missions")
                   .Help("Missions held by the core, by status")
                   .Register(r);
}

Metrics::~Metrics() = default;

std::string Metrics::FireOutcome(int status, const std::string& error_code, bool duplicate) {
  if (status == 202) return "accepted";
  if (status == 200) return duplicate ? "duplicate" : "ok";
  if (!error_code.empty()) return error_code;
  return "http_" + std::to_string(status);
}

void Metrics::ObserveFire(std::string_view outcome, double seconds) {
  fires_->Add({{"outcome", std::string(outcome)}}).Increment();
  fire_latency_->Observe(seconds);
}

void Metrics::ObserveCommit(std::size_t batch, std::int64_t commit_us, std::int64_t batch_us) {
  batch_size_->Observe(static_cast<double>(batch));
  commit_latency_->Observe(static_cast<double>(commit_us) / 1e6);
  batch_latency_->Observe(static_cast<double>(batch_us) / 1e6);
}

void Metrics::CatchUp(prometheus::Counter& counter, double value) {
  const double now = counter.Value();
  if (value > now) counter.Increment(value - now);
}

std::string Metrics::Render(const CoreSnapshot& core, const store::WriterStats& writer,
                            std::int64_t outbox_depth) {
  std::lock_guard lock(render_mu_);
  CatchUp(*commits_, static_cast<double>(writer.commits));
  CatchUp(*store_works_, static_cast<double>(writer.works));
  CatchUp(*store_failed_works_, static_cast<double>(writer.failed_works));
  CatchUp(*store_refused_, static_cast<double>(writer.refused));
  CatchUp(*checkpoints_, static_cast<double>(writer.checkpoints));
  CatchUp(*wal_restarts_, static_cast<double>(writer.wal_restarts));
  wal_pages_->Set(static_cast<double>(writer.wal_pages));
  CatchUp(*wal_frames_, static_cast<double>(writer.wal_frames));
  CatchUp(*signals_, static_cast<double>(core.signals));
  CatchUp(*ticks_, static_cast<double>(core.ticks));
  CatchUp(*bridge_errors_, static_cast<double>(core.bridge_errors));
  CatchUp(*result_works_, static_cast<double>(core.result_works));
  store_healthy_->Set(core.store_health == "ok" ? 1 : 0);
  writer_queue_->Set(static_cast<double>(writer.queued));
  if (outbox_depth >= 0) outbox_depth_->Set(static_cast<double>(outbox_depth));
  sse_streams_->Set(static_cast<double>(core.sse_streams));
  users_->Set(static_cast<double>(core.users));
  kill_switch_->Set(core.kill_switch ? 1 : 0);
  terminals_->Set(static_cast<double>(core.terminals.size()));
  int online = 0;
  for (auto& [id, g] : terminal_queue_by_id_) g->Set(0);
  for (auto& [id, g] : terminal_online_by_id_) g->Set(0);
  for (const CoreSnapshot::TerminalRow& t : core.terminals) {
    if (t.online) ++online;
    ByLabel(*terminal_queue_, "terminal", t.terminal_id, terminal_queue_by_id_)
        .Set(static_cast<double>(t.queued_commands));
    ByLabel(*terminal_online_, "terminal", t.terminal_id, terminal_online_by_id_)
        .Set(t.online ? 1 : 0);
  }
  terminals_online_->Set(online);
  for (auto& [status, g] : missions_by_status_) g->Set(0);
  for (const auto& [status, n] : core.missions_by_status) {
    ByLabel(*missions_, "status", status, missions_by_status_).Set(n);
  }

  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace bitten::app
