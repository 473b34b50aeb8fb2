// The EA emulator behind `bitten paper-bridge` and the demo: a terminal that watches its folder for
// fire.txt, executes commands on a PaperBroker at the quotes of its own tick feed, and reports
// exactly as the MT5 EA does (CONTRACTS §3): trade_result.txt, heartbeat.txt, and the signed HTTP
// posts of §3.4 (/api/report, /api/heartbeat, /api/ticks).
//
// A command: fire.txt is read, then claimed by renaming it to fire.<fire_id>.claimed (when the
// rename fails someone else claimed it: skipped). The claimed text is then checked in the EA's
// order: signature (a wrong one, or a text too broken to find it, gives a `bad_signature` record),
// expiry (expires_at < clock now gives `expired`), the executed-ids file (gives `duplicate`), then
// the terminal's own checks the EA makes before it sends an order (`reject` 10018 "market closed"
// when the symbol's last quote is older than Options::market_closed_after_ms; `reject` 10016
// "invalid stops" when sl/tp is closer to the closing price than Options::stops_level_points), then
// the broker (`fill` or `reject`; action=close gives `close` with reason "expert", or a `reject`
// 10036 when no position is open for that fire_id). A fire_id is recorded as executed (append +
// fsync to executed_ids.txt) BEFORE the broker acts, so a crash can lose an order but never repeat
// it; opens and closes are tracked separately ("<fire_id>" and "close:<fire_id>"). Claimed files
// older than a day are deleted.
//
// Records get seq = last seq + 1 (recovered from the last complete line of trade_result.txt at
// start; a torn last line left by a crash is cut off first), are appended with one write and an
// fsync, then POSTed to /api/report. The file journal is the truth: a failed POST (poster error,
// status not 2xx) never blocks execution; the body waits in a bounded retry queue
// (Options::max_retry, oldest dropped with a warning when full; the server still gets the record
// from the file when it shares the folder) and is re-signed on each attempt. Heartbeats and ticks
// are not retried: stale ones are worthless. The poster is called on the bridge thread and must
// bound its own time (the app's libcurl poster uses a short timeout).
//
// Quotes come from a feed replayed by Run, or from the server (RunOnQuotes): a QuoteFetcher (the
// app's signed GET /api/quotes) polled on a cadence, each quote newer than the last one of its
// symbol applied as a tick. Quotes taken from the server are not posted back to /api/ticks
// (Options::stream_ticks = false there), or the server would hear its own ticks again.
//
// Not persisted across restarts: the broker's open positions and balance (a restarted paper
// terminal starts flat with Options::balance).
//
// Not thread-safe: one thread calls Run, or the step-wise methods (OnTick, ProcessCommands,
// Service) in tests. Only the stop_token passed to Run may be signalled from another thread.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "bridge/codec.h"
#include "bridge/paper_broker.h"
#include "market/feed.h"
#include "market/instrument.h"

namespace bitten::bridge {

// POSTs `body` to `path` ("/api/report", ...) of the server with `headers`; returns the HTTP status
// or an error (connection refused, timeout).
using Poster = std::function<Result<int>(std::string path, std::string body,
                                         std::vector<std::pair<std::string, std::string>> headers)>;

// Returns the server's latest quote of each symbol (GET /api/quotes), or an error (connection
// refused, timeout, a refused or malformed answer). Must bound its own time, like the Poster.
using QuoteFetcher = std::function<Result<std::vector<market::Tick>>()>;

class PaperBridge {
 public:
  struct Options {
    std::filesystem::path dir;         // the terminal's folder (created if missing)
    std::string terminal_id;           // [a-z0-9][a-z0-9-]{0,31}
    std::string secret;                // raw bytes (FromHex of the terminal's secret), the HMAC key
    std::string currency = "USD";      // account currency. Default: USD.
    double balance = 10000;            // starting balance. Default: 10000.
    int slippage_points = 0;           // adverse slippage of every fill. Default: 0.
    TimeMs heartbeat_every_ms = 5000;  // heartbeat.txt + POST /api/heartbeat. Default: 5000.
    TimeMs tick_batch_ms = 250;        // POST /api/ticks cadence. Default: 250.
    int poll_ms = 10;  // fallback check for fire.txt when no inotify event came. Default: 10.
    TimeMs retry_every_ms = 1000;  // retry cadence of failed /api/report posts. Default: 1000.
    std::size_t max_retry = 1000;  // bodies kept for retry. Default: 1000.
    // Symbols described in the heartbeat, looked up in the instrument table. Default: CONTRACTS §1.
    std::vector<std::string> symbols = {"EURUSD", "GBPUSD", "AUDUSD", "NZDUSD", "USDCHF", "USDCAD",
                                        "EURGBP", "USDJPY", "EURJPY", "GBPJPY", "XAUUSD"};
    std::int64_t login = 0;
    std::string server = "BITTEN-Paper";
    std::string ea_version = "paper-1.0.0";
    int leverage = 100;
    // The broker's minimum distance of sl/tp from the price a position closes at (MT5's
    // SYMBOL_TRADE_STOPS_LEVEL), in points, for every symbol; reported in the heartbeat. Default:
    // 0.
    int stops_level_points = 0;
    // A symbol whose last quote arrived longer ago than this (by the clock) counts as closed and
    // orders on it are refused with 10018 "market closed". 0 = never. Default: 0.
    TimeMs market_closed_after_ms = 0;
    // Run returns when the feed ends (backtests, tests); otherwise it keeps serving commands and
    // heartbeats until stopped, like a terminal whose market went quiet. Default: false.
    bool exit_at_end = false;
    // Post the ticks of the feed to /api/ticks in batches (the EA's tick stream). The app turns it
    // off when the quotes come from the server. Default: true.
    bool stream_ticks = true;
  };

  // Creates the folder, cuts torn tails of trade_result.txt / executed_ids.txt, loads the executed
  // fire_ids, recovers the next seq, sets up inotify. "bad_terminal_id", "io_error" on failure.
  // `poster` may be empty (no HTTP: file journal only).
  static Result<std::unique_ptr<PaperBridge>> Open(Options options, const Clock& clock,
                                                   market::InstrumentTable instruments,
                                                   Poster poster);
  ~PaperBridge();
  PaperBridge(const PaperBridge&) = delete;
  PaperBridge& operator=(const PaperBridge&) = delete;

  // Replays `feed` paced at real time / speed (speed <= 0: as fast as possible), servicing commands
  // between ticks (woken by inotify; Options::poll_ms as a fallback) and heartbeats, tick batches
  // and retries on their cadence. Returns when `stop` is requested, or at the end of the feed with
  // Options::exit_at_end. Flushes the tick batch before returning.
  void Run(market::TickSource& feed, double speed, std::stop_token stop);

  // Takes the quotes from the server instead of a feed: calls `fetch` every `every_ms` (by the
  // steady clock) and applies what it returns with ApplyQuotes, servicing commands, heartbeats and
  // retries in between, until `stop` is requested. A failed fetch is logged (once until a fetch
  // succeeds again) and retried at the next turn; orders meanwhile see the last quotes, and
  // Options::market_closed_after_ms refuses them once those are too old.
  void RunOnQuotes(const QuoteFetcher& fetch, TimeMs every_ms, std::stop_token stop);
  // Applies each tick newer (by its time) than the last one applied for its symbol through OnTick;
  // returns how many were applied. An unchanged quote polled again is not a new tick.
  int ApplyQuotes(const std::vector<market::Tick>& ticks);

  // Step-wise use. OnTick updates the quote, writes close records for SL/TP hits and batches the
  // tick. ProcessCommands handles fire.txt if present and returns how many commands it handled.
  // Service sends what is due (tick batch, heartbeat, retries) by the clock.
  void OnTick(const market::Tick& tick);
  int ProcessCommands();
  void Service();
  void WriteHeartbeat();  // now, regardless of the cadence
  void FlushTicks();

  const PaperBroker& broker() const { return broker_; }
  const std::string& terminal_id() const { return options_.terminal_id; }
  std::int64_t next_seq() const { return next_seq_; }
  std::size_t pending_reports() const { return retry_.size(); }

 private:
  PaperBridge(Options options, const Clock& clock, market::InstrumentTable instruments,
              Poster poster);
  Status Init();
  bool HandleFireFile();
  void Emit(ResultRecord r);
  void MarkExecuted(const std::string& key);
  // The EA's own pre-trade checks (market closed, stops level): a reject record's retcode and
  // reason, or nullopt when the order may go to the broker.
  std::optional<std::pair<int, std::string>> PreTradeRefusal(const FireCommand& cmd) const;
  bool Post(const std::string& path, const std::string& body);
  void PostReport(std::string body);
  void RetryReports();
  void DeleteOldClaims();
  Heartbeat BuildHeartbeat() const;
  void WaitForWork(int timeout_ms);  // poll inotify + stop eventfd; handles commands on an event

  const Options options_;
  const Clock& clock_;
  const Poster poster_;
  PaperBroker broker_;
  std::unordered_set<std::string> executed_;
  std::map<std::string, TimeMs> quote_seen_at_;       // symbol -> clock time of its last quote
  std::map<std::string, TimeMs> applied_quote_time_;  // symbol -> time of the last ApplyQuotes tick
  std::int64_t next_seq_ = 1;
  std::deque<std::string> retry_;  // /api/report bodies, oldest first
  std::vector<market::Tick> tick_batch_;
  TimeMs last_heartbeat_ = 0;
  TimeMs last_tick_flush_ = 0;
  TimeMs last_retry_ = 0;
  TimeMs last_cleanup_ = 0;
  bool heartbeat_sent_ = false;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // eventfd signalled by Run's stop_token
};

}  // namespace bitten::bridge
