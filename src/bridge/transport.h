// How commands reach terminals and results come back (CONTRACTS §3.1–3.3, ARCHITECTURE "Bridge").
//
// CommandTransport is the seam: the core hands it (terminal, fire_id, fire.txt text) and hears back
// "delivered" (or "undelivered" after the delivery timeout), result records and heartbeats through
// TransportCallbacks. FileTransport is the shared-folder implementation; HttpTransport
// (bridge/http_transport.h) serves the long poll GET /api/bridge/next, and RoutingTransport puts
// both behind one CommandTransport.
//
// FileTransport owns one thread (Start/Stop). Per terminal it keeps an ordered queue and a single
// slot: it never writes while fire.txt exists; it writes fire.txt.tmp, fsyncs, renames it to
// fire.txt without replacing (renameat2 RENAME_NOREPLACE), and fsyncs the folder. When fire.txt
// disappears (the EA renamed it to fire.<fire_id>.claimed) it reports the command it wrote as
// delivered and writes the next one. It tails trade_result.txt from a durable byte offset
// (PositionStore), passing on only complete LF-terminated lines, verified and parsed with the
// terminal's secret; a line that fails is copied to trade_result.bad in the same folder (one JSON
// object: offset, code, reason, the line), reported through on_error and skipped, never blocking
// the lines after it. heartbeat.txt changes are verified, parsed and passed on; a bad one is moved
// to heartbeat.txt.bad (replacing the previous bad one) and reported once per run of bad beats.
// inotify wakes the thread; a periodic scan (Options::scan_ms) covers missed events and
// IN_Q_OVERFLOW.
//
// Delivery of result lines is at least once: the offset is saved after the callbacks of a batch of
// lines have returned, so a crash in between replays those lines on restart. The receiver processes
// each (terminal, seq) once (CONTRACTS §3.2), which makes the replay harmless.
//
// Thread-safety: AddTerminal, Enqueue, Start and Stop may be called from any thread. Callbacks run
// on the transport thread, one at a time; they may call Enqueue but must not call Stop (it joins
// the transport thread) and should return quickly (post to the core). PositionStore methods are
// called on the thread that calls AddTerminal (Load) and on the transport thread (Save).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "bridge/codec.h"

namespace bitten::bridge {

struct TransportCallbacks {
  // The terminal took the command (fire.txt disappeared). `at` is the transport's clock.
  std::function<void(const std::string& terminal, const std::string& fire_id, TimeMs at)>
      on_delivered;
  // One verified result line; `line` is the raw text without its LF (for the journal).
  std::function<void(const std::string& terminal, const ResultRecord& record,
                     const std::string& line)>
      on_result;
  // A verified heartbeat; `text` is the raw file content.
  std::function<void(const std::string& terminal, const Heartbeat& heartbeat,
                     const std::string& text)>
      on_heartbeat;
  // A command has waited longer than the delivery timeout (Options::delivery_timeout_ms of the
  // transport) without being claimed: the terminal is down or not reading its folder. Called once
  // per command; the command stays in place (fire.txt or the queue) and is still delivered when the
  // terminal comes back, which on_delivered then reports. `since` is when it was queued.
  std::function<void(const std::string& terminal, const std::string& fire_id, TimeMs since)>
      on_undelivered;
  // Something went wrong that the transport skipped or will retry: a bad or malformed line
  // (code "bad_signature" / "malformed"), an I/O error ("io_error"), a truncated journal
  // ("journal_truncated"), a failed offset save ("position_store").
  std::function<void(const std::string& terminal, const Error& error)> on_error;
};

class CommandTransport {
 public:
  virtual ~CommandTransport() = default;

  // Queues the command text for the terminal, after any command already queued for it. Idempotent
  // per command: the same (fire_id, text) already queued or still in the slot is not queued twice
  // (redelivery after a restart is safe). A different text with the same fire_id (action=close of
  // that fire) is queued. Fails with "unknown_terminal" or "queue_full"; never blocks on I/O.
  virtual Status Enqueue(const std::string& terminal, const std::string& fire_id,
                         std::string text) = 0;
};

// The durable read position of each terminal's trade_result.txt (app/ implements it with the
// store).
class PositionStore {
 public:
  virtual ~PositionStore() = default;
  // The saved byte offset, 0 when none was saved.
  virtual Result<std::int64_t> Load(const std::string& terminal) = 0;
  virtual Status Save(const std::string& terminal, std::int64_t offset) = 0;
};

class FileTransport final : public CommandTransport {
 public:
  struct Options {
    // Fallback scan of every folder when no inotify event came. Default: 250 ms.
    int scan_ms = 250;
    // Commands waiting per terminal; Enqueue fails with "queue_full" beyond it. Default: 1000.
    std::size_t max_queue = 1000;
    // A result line longer than this is reported as malformed and skipped. Default: 64 KiB.
    std::size_t max_line_bytes = 64 * 1024;
    // A command not claimed this long after Enqueue is reported through on_undelivered (once).
    // 0 = never. Default: 10 s.
    TimeMs delivery_timeout_ms = 10'000;
  };

  FileTransport(Options options, const Clock& clock, PositionStore& positions,
                TransportCallbacks callbacks);
  ~FileTransport() override;  // Stop()
  FileTransport(const FileTransport&) = delete;
  FileTransport& operator=(const FileTransport&) = delete;

  // Watches `dir` (created if missing) for terminal `terminal` with its raw secret. Loads the saved
  // result offset. When fire.txt already exists (left from before a restart) its fire_id is adopted
  // as the command in the slot, so a re-enqueue of that same command is not written twice. Fails
  // with "bad_terminal_id", "io_error" (folder, inotify) or the PositionStore's error. Adding an
  // existing terminal again replaces its secret (secret rotation) and keeps its queue.
  Status AddTerminal(const std::string& terminal, const std::filesystem::path& dir,
                     std::string secret);

  Status Enqueue(const std::string& terminal, const std::string& fire_id,
                 std::string text) override;

  // Starts the transport thread. Fails with "io_error" when inotify cannot be set up.
  Status Start();
  // Stops and joins the thread; commands still queued stay queued (the caller redelivers committed
  // fires on restart). Idempotent.
  void Stop();

 private:
  struct Pending {
    std::string fire_id;
    std::string text;
    TimeMs queued_at = 0;
    bool reported_undelivered = false;
  };
  struct Terminal {
    std::string id;
    std::filesystem::path dir;
    std::string secret;
    int wd = -1;
    std::deque<Pending> queue;
    std::optional<Pending> in_slot;  // the command in fire.txt that we know of
    std::int64_t offset = 0;         // trade_result.txt bytes consumed
    std::int64_t saved_offset = 0;
    bool skipping_long_line = false;
    // Last heartbeat.txt seen (to pass on each change once).
    std::int64_t hb_ino = -1, hb_size = -1, hb_mtime_ns = -1;
    bool hb_bad_streak = false;  // the last heartbeat.txt was bad (reported once per streak)
  };

  void Loop();
  void ServiceSlot(Terminal& t);
  void CheckDeliveryTimeouts(Terminal& t);  // on_undelivered for commands waiting too long
  void DrainResults(Terminal& t);
  void CheckHeartbeat(Terminal& t);  // passes on each change (inode, size, mtime) once
  void ReportError(const std::string& terminal, std::string code, std::string message);
  // A bad trade_result.txt line at byte `offset`: appended to trade_result.bad and reported.
  void SetAside(Terminal& t, std::int64_t offset, const std::string& code,
                const std::string& reason, std::string_view line, bool truncated);

  const Options options_;
  const Clock& clock_;
  PositionStore& positions_;
  const TransportCallbacks callbacks_;

  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Enqueue, AddTerminal and Stop wake the thread
  std::thread thread_;
  std::atomic<bool> stop_{false};

  // Terminals. The map is guarded by mu_ for insertion and for queue/slot access from Enqueue; file
  // state (offset, heartbeat stamps) is touched only by the transport thread.
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Terminal>> terminals_;
  std::map<int, Terminal*> by_wd_;
  std::set<Terminal*> woken_;  // to service at the next wake-up (new command, new terminal)
};

}  // namespace bitten::bridge
