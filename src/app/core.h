// The core of `bitten serve` (ARCHITECTURE "Threads and ownership", docs/internals.md "Runtime"):
// one thread running a boost::asio::io_context that owns every piece of domain state: instruments
// (the defaults overridden by heartbeat specs), the quote book, the M1 aggregator, the VENOM
// engine, users, terminal status, live missions, their signals and fires, per-user day counters,
// the kill switch, and the SSE streams of the HUD. Nothing else mutates that state: every public
// method below only posts an immutable message to the core thread and returns at once; answers come
// back through callbacks.
//
// Durability (ARCHITECTURE invariants 1, 2, 4): every state change that matters is a store::Writer
// work that writes the rows and their journal events in one transaction. The core adopts the change
// only in the work's Done (posted back to the core thread), i.e. after the commit. Works that
// depend on what is already stored (the one-time fire lock, (terminal, seq) result dedup,
// delivered/filled transitions) decide inside the work against the database, so concurrent requests
// are settled by the store, never by a count in memory. A fire is answered 202 only after its
// commit, and only then is its fire.txt handed to the transport.
//
// Thread-safety: every public method may be called from any thread after Start() (Recover,
// SetTransport and Start from the owning thread before that). Reply callbacks run on the core
// thread and must be quick (web::Responder::Send is). Stop() stops intake, waits (bounded) for
// submitted store works to answer, then joins the thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "app/auth.h"
#include "app/config.h"
#include "app/core_xp.h"
#include "app/sse_hub.h"
#include "base/clock.h"
#include "base/error.h"
#include "bridge/codec.h"
#include "bridge/http_transport.h"
#include "bridge/transport.h"
#include "market/aggregator.h"
#include "market/instrument.h"
#include "missions/builder.h"
#include "missions/day_counters.h"
#include "missions/fire_rules.h"
#include "missions/ranking.h"
#include "missions/stats.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/fires.h"
#include "store/terminals.h"
#include "store/writer.h"
#include "telegram/messages.h"
#include "venom/engine.h"
#include "venom/signal.h"
#include "web/http.h"

namespace bitten::app {

class Metrics;

// The answer of a core operation to an API caller: an HTTP status and a JSON body (CONTRACTS §4
// error shape for failures).
struct CoreReply {
  int status = 200;
  nlohmann::json body;
};
using ReplyFn = std::function<void(CoreReply)>;

// {"error":{"code","message"}} with HttpStatusFor-style status.
CoreReply ErrorReply(int status, std::string code, std::string message);
// 503 store_unavailable: the store took nothing (a write failed or the writer is stopped).
CoreReply StoreUnavailable(const Error& e);

// `reply` wrapped so that the answer is counted by outcome and timed from now in `metrics`, and
// logged at debug level with mission_id, fire_id, outcome and latency_us as log context fields
// (app/core_metrics.cc).
ReplyFn MeasureFire(Metrics* metrics, std::string mission_id, ReplyFn reply);

// A terminal-signed HTTP request (CONTRACTS §3.4), as received; verified on the core thread, which
// owns the terminal secrets and the replay cache.
struct TerminalCall {
  std::string terminal_id;  // X-Bitten-Terminal
  std::string timestamp;    // X-Bitten-Timestamp
  std::string signature;    // X-Bitten-Signature
  std::string method;       // "POST"
  std::string target;       // the request target as sent (path and query)
  std::string body;
};

// Latest bid/ask per symbol (market::QuoteSource for pip value conversion). Core thread only.
class QuoteBook final : public market::QuoteSource {
 public:
  void Update(const market::Tick& tick);
  std::optional<std::pair<double, double>> Quote(const std::string& symbol) const override;
  // The latest tick of each symbol in `symbols` (every symbol when empty), by symbol name; a
  // symbol without a quote is left out. GET /api/quotes answers with it.
  std::vector<market::Tick> Latest(const std::vector<std::string>& symbols) const;
  // Time of the newest tick of any symbol (0 = none).
  TimeMs last_tick_at() const { return last_tick_at_; }
  std::size_t size() const { return quotes_.size(); }

 private:
  struct Entry {
    double bid = 0, ask = 0;
    TimeMs time = 0;
  };
  std::map<std::string, Entry> quotes_;
  TimeMs last_tick_at_ = 0;
};

// What the /status page shows; a copy made on the core thread.
struct CoreSnapshot {
  struct TerminalRow {
    std::string terminal_id;
    TimeMs last_heartbeat_at = 0;  // 0 = never
    bool online = false;
    bool connected = false, trade_allowed = false;
    double balance = 0;
    std::string currency;
    std::size_t queued_commands = 0;  // fires enqueued but not yet delivered
  };
  struct SignalRow {
    std::string signal_id, symbol, side, signal_class;
    int confidence = 0;
    std::string shield_band;
    TimeMs created_at = 0, expires_at = 0;
  };
  TimeMs now = 0;
  bool kill_switch = false;
  std::int64_t ticks = 0, bars = 0, signals = 0, duplicate_signals = 0, late_ticks = 0;
  // Transport faults reported (bad result lines, bad heartbeats, I/O).
  std::int64_t bridge_errors = 0;
  venom::EngineStats engine;  // the engine's own counters (setups, refusals)
  // Signals CITADEL blocked most recently (oldest first, bounded by the engine), for the admin
  // console.
  std::vector<venom::BlockedSignal> recent_blocked;
  TimeMs last_tick_at = 0;
  std::size_t users = 0, sse_streams = 0, quotes = 0;
  std::map<std::string, int> missions_by_status;  // live missions held by the core
  std::int64_t fires_accepted = 0, fires_refused = 0, results_processed = 0, results_duplicate = 0;
  // Store works started for result records: at most one per (terminal, seq) while the core
  // remembers it, however many copies arrive (metric bitten_result_works_total).
  std::int64_t result_works = 0;
  std::int64_t fires_settled_by_lock =
      0;                                  // concurrent fires answered duplicate by the store's lock
  std::vector<SignalRow> recent_signals;  // newest first, at most 20
  std::vector<TerminalRow> terminals;
  std::string store_health;  // "ok" or the sticky store failure
};

class Core {
 public:
  // `writer` must outlive the Core. `wake_outbox` (may be empty) is called on the core thread after
  // a commit queued Telegram messages.
  Core(const Config& config, const Clock& clock, store::Writer& writer,
       std::function<void()> wake_outbox);
  ~Core();  // Stop()
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Startup recovery, on the owning thread before Start(), from a read connection to the same file:
  // loads users, terminals (the store's, with the config's TTLs), live missions and their signals,
  // the fires of those missions, today's counters; marks missions past expires_at expired
  // (journaled, one work, waited for) and remembers the committed-but-undelivered fires to enqueue
  // again at Start().
  Status Recover(const store::Database& reader);
  // The command transport (may be null: no terminal has a folder). Before Start().
  void SetTransport(bridge::CommandTransport* transport) { transport_ = transport; }
  // The HTTP command path behind GET /api/bridge/next (may be null). Before Start().
  void SetHttpTransport(bridge::HttpTransport* http) { http_transport_ = http; }
  // Terminals whose folder the transport watches (fires to others are refused: no command path).
  void SetTerminalHasFolder(const std::string& terminal_id, bool has) {
    folders_[terminal_id] = has;
  }
  // Where fire answers are counted and timed (app/metrics.h; may be null). Before Start().
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }
  // Base URL of the HUD for the DM buttons, e.g. "http://127.0.0.1:8080/hud/". Before Start().
  void SetHudUrl(std::string url) { hud_url_ = std::move(url); }
  // The terminals recovered (for the server to register folders with the transport).
  std::vector<store::Terminal> terminals() const;

  // Starts the core thread; enqueues the recovered undelivered fires again (the terminal dedups by
  // fire_id).
  void Start();
  // Stops intake, waits up to `drain_ms` for submitted store works to answer, joins. Idempotent.
  void Stop(int drain_ms = 10000);

  // --- Terminals (HTTP, signed; answered 401 when the signature fails) ---
  void PostTicks(TerminalCall call, ReplyFn reply);
  void PostReport(TerminalCall call, ReplyFn reply);
  void PostHeartbeat(TerminalCall call, ReplyFn reply);
  // GET /api/quotes (docs/protocol.md "Quotes from the server"): verified like the other terminal
  // calls, then 200 with the quote book's latest tick of each of `symbols` (every symbol when
  // empty) in the POST /api/ticks body format (app/core_bridge.cc).
  void GetQuotes(TerminalCall call, std::vector<std::string> symbols, ReplyFn reply);

  // --- Terminals (FileTransport callbacks; already verified by the transport) ---
  void OnResult(std::string terminal, bridge::ResultRecord record, std::string line);
  void OnHeartbeat(std::string terminal, bridge::Heartbeat heartbeat);
  void OnDelivered(std::string terminal, std::string fire_id, TimeMs at);
  // A command waited longer than the transport's delivery timeout: fire and mission go from fired
  // to undelivered (journaled "command_undelivered", pushed to the trader's HUD); OnDelivered later
  // moves them on to delivered (app/core_bridge.cc).
  void OnUndelivered(std::string terminal, std::string fire_id, TimeMs since);
  // A fault the transport skipped or will retry (TransportCallbacks::on_error): logged and counted
  // (metric bitten_bridge_errors_total); a bad result line or heartbeat ("malformed",
  // "bad_signature") and "journal_truncated" are also journaled as "bridge_fault" with the code
  // and message (app/core_bridge.cc). I/O errors, which repeat at every scan, are not journaled.
  void OnBridgeError(std::string terminal, Error error);
  // GET /api/bridge/next (CONTRACTS §3.4): verified on the core thread like the other terminal
  // calls (401 otherwise), then the HTTP transport's long poll of at most `wait_ms`: 200 with the
  // fire.txt text, or 204 when nothing came (app/core_bridge.cc).
  void BridgeNext(TerminalCall call, TimeMs wait_ms, std::function<void(web::Response)> answer);
  // PositionStore::Save through the core, so the offset is written after the results it covers:
  // kept, and saved with the others in one work per housekeeping round and at Stop.
  void SaveResultOffset(std::string terminal, std::int64_t offset);

  // --- Users (principal proven by app/auth.h or by the bot's update) ---
  void FireMission(Principal who, std::string mission_id, ReplyFn reply);
  void GetMe(Principal who, ReplyFn reply);
  // status: "" (every live and recent one the core holds) or "active" (pending/fired/delivered/
  // undelivered/filled) or one mission status name.
  void ListMissions(Principal who, std::string status, ReplyFn reply);
  void GetMission(Principal who, std::string mission_id, ReplyFn reply);
  void GetMissionForSignal(Principal who, std::string signal_id, ReplyFn reply);
  // Adds the stream to the hub for the principal's user (closed with an "error" event when the
  // principal is no known user). Sends one "mission" event per live mission at once.
  void Subscribe(Principal who, std::shared_ptr<web::SseStream> stream);
  // Links a Telegram account to a user (bot /start link-<token>). Reply body: {"user_id","name"}.
  void LinkTelegram(std::string user_id, std::int64_t telegram_id, ReplyFn reply);
  // Resolves a Telegram account: 200 {"user_id","name","tier"} or 401.
  void WhoIs(std::int64_t telegram_id, ReplyFn reply);
  // The caller's XP, level, rank and trading statistics (docs/xp.md): 200 {"user_id","xp","level",
  // "rank","level_xp","next_level_xp","stats":{...},"server_time"}.
  void GetStats(Principal who, ReplyFn reply);
  // The `limit` users with the most XP (ties: P&L, then the older account), and the caller's own
  // row: 200 {"leaderboard":[...],"you":{...},"users":N,"server_time"}. No user ids of others.
  void GetLeaderboard(Principal who, int limit, ReplyFn reply);
  // The last `n` closed bars of `symbol` at `tf` (M1, M5 or M15; bid OHLC, oldest first), built
  // from the M1 bars the core has seen (it keeps the last kRecentM1Bars per symbol): 200
  // {"symbol","tf","digits","bars":[{"time","open","high","low","close"}],"server_time"}, 404
  // unknown_symbol (app/core_hud.cc, the HUD chart).
  void GetBars(Principal who, std::string symbol, market::Timeframe tf, int n, ReplyFn reply);
  static constexpr std::size_t kRecentM1Bars = 1500;
  // Queues one Telegram message through the outbox (bot replies). Fire and forget.
  void QueueMessage(telegram::OutMessage msg, int priority, std::string dedup_key);
  // Links a Telegram account through a one-time invite code (bot /start <code>, store/invites.h).
  // Reply 200 {"user_id","name"}; 404 invite_not_found, 410 invite_expired, 409 invite_used or
  // telegram_linked. Defined in core_telegram.cc.
  void RedeemInvite(std::string code, std::int64_t telegram_id, ReplyFn reply);

  // --- Operators ---
  void Snapshot(std::function<void(CoreSnapshot)> done);
  void SetKillSwitch(bool on);
  // Per-user halts (docs/rules.md): persisted (users.paused / users.killed) and journaled
  // ("user_paused"/"user_resumed", "user_killed"/"user_kill_lifted"); either refuses every fire of
  // the user with "kill_switch". `reply` (may be empty): 200 {"user_id","name","paused","killed"},
  // 404 user_not_found, 503 store_unavailable.
  void SetUserPaused(std::string user_id, bool paused, ReplyFn reply);
  void SetUserKilled(std::string user_id, bool killed, ReplyFn reply);

  // --- The Commander Throne (app/core_admin.cc, docs/admin.md) ---
  // Every control below is journaled in the same transaction as its change, with the operator in
  // the event payload ({"by": <admin>, ...}), and takes effect in the running core only after the
  // commit. Replies: 200 with the new state, 404 <thing>_not_found, 409 for a control that has
  // nothing to act on, 503 store_unavailable.
  //
  // Everything the console shows that only the core knows, as one JSON object made on the core
  // thread: engine (paused, kill switch, counters, CITADEL-blocked signals), feeds (per symbol:
  // last tick time, bid/ask), recent signals with their shield verdict and the live funnel
  // counts the core holds (hud_opened), terminals (heartbeat, balance, equity, positions), users
  // (tier, XP, flags): the first kAdminUsersShown by id, or those of `only_users` (the console's
  // search, found in the store) in that order; plus users_total.
  static constexpr std::size_t kAdminUsersShown = 200;
  void AdminState(std::optional<std::vector<std::string>> only_users,
                  std::function<void(nlohmann::json)> done);
  // Pause: the engine keeps reading bars (its indicators stay warm) but its signals are dropped and
  // counted, not emitted; ticks, fires and results flow as before. Persisted in kv "engine_paused".
  void AdminSetEnginePaused(std::string admin, bool paused, ReplyFn reply);
  // The global kill switch (as SetKillSwitch), journaled with the operator, answered after commit.
  void AdminSetKillSwitch(std::string admin, bool on, ReplyFn reply);
  // Every pending mission of the signal → cancelled (compare-and-set in the store, so a fire that
  // committed first keeps its mission), pushed to the traders' HUDs; a later fire is 409.
  void AdminCancelSignal(std::string admin, std::string signal_id, ReplyFn reply);
  void AdminSetUserTier(std::string admin, std::string user_id, missions::Tier tier, ReplyFn reply);
  // Queues the signal's group alert again (when a group is configured) and the DM of every pending
  // mission whose user has Telegram, each under a new dedup key.
  void AdminResendAlert(std::string admin, std::string signal_id, ReplyFn reply);
  // A new random 32-byte secret: stored, journaled (without the secret), then used at once by the
  // core's request verifier and by `on_secret_rotated` (the file transport). The reply carries the
  // new secret (hex), once.
  void AdminRotateTerminalSecret(std::string admin, std::string terminal_id, ReplyFn reply);
  // Called on the core thread after a rotation commits: (terminal_id, raw secret). Before Start().
  void SetSecretRotatedHook(std::function<void(const std::string&, const std::string&)> hook) {
    on_secret_rotated_ = std::move(hook);
  }
  // Reads the console's persisted state (kv "engine_paused"). On the owning thread before Start().
  Status RecoverAdmin(const store::Database& reader);

  // For tests: runs `fn` on the core thread and waits for it.
  void RunSync(std::function<void()> fn);
  // For tests, on the core thread (inside RunSync): checks the per-user mission index against a
  // walk of every held mission; an error names the first user whose index drifted.
  Status CheckMissionIndex() const;
  // For tests, on the core thread: checks the leaderboard's order against a sort of every user.
  Status CheckRanking() const;
  // Core thread. CITADEL's open exposure (Engine::SetOpenExposure), from open_of_exposure_.
  std::vector<venom::citadel::OpenPosition> OpenExposure() const;

 private:
  struct TerminalState {
    store::Terminal row;
    std::string secret;  // raw bytes
    TimeMs ttl_ms = 30000;
    TimeMs last_heartbeat_at = 0;  // server clock at receipt
    bool connected = false, trade_allowed = false;
    double balance = 0;
    double equity = 0;  // from the last heartbeat
    int positions = 0;  // open positions, from the last heartbeat
    std::string currency;
    std::size_t queued = 0;     // commands handed to the transport, not yet claimed
    std::size_t in_flight = 0;  // fires submitted to the store, not yet answered
  };
  struct LiveMission {
    missions::Mission mission;
    bool expiring = false;    // an expiry work is in flight
    bool hud_opened = false;  // its user fetched it in the HUD (the console's funnel)
  };
  struct SignalInfo {
    venom::Signal signal;
  };

  template <typename F>
  void Post(F&& fn);
  // Store submit that the core counts (Stop waits for the Done) and whose Done runs on the core.
  // Bookkeeping that no answer waits on right away (deliveries, results, read positions, alert
  // edits) goes kSoon, to share the next fire's commit (store::Writer "Urgency").
  void Submit(store::Writer::Work work, std::function<void(Status)> on_core,
              store::Urgency urgency = store::Urgency::kNow);
  // A fire's store work (DoFire): an accepted fire runs AcceptedFire (its command is queued) and
  // is then answered 202, on the core thread; any other outcome goes to `on_core` there.
  void SubmitFire(store::Writer::Work work, std::shared_ptr<store::FireInsert> result,
                  std::string user_id, std::string mission_id, ReplyFn reply,
                  std::function<void(Status, ReplyFn)> on_core);
  void AcceptedFire(const missions::Fire& f, const std::string& user_id,
                    const std::string& mission_id);
  // Results whose works committed (processed, or found already processed), by terminal and seq:
  // the last kResultsRemembered seqs of each terminal, the smallest forgotten first. A record of
  // one of them is answered as a duplicate without a store work; any other goes to the store,
  // whose (terminal, seq) key stays the authority (ProcessResults).
  static constexpr std::size_t kResultsRemembered = 4096;
  void RememberResult(const std::string& terminal, std::int64_t seq);
  bool ResultRemembered(const std::string& terminal, std::int64_t seq) const;
  // Saves offsets_due_ in one store work (housekeeping and Stop).
  void SaveDueResultOffsets();
  // A fire to `terminal_id` was answered: one fewer in TerminalState::in_flight.
  void TerminalDone(const std::string& terminal_id);
  // The group alert of `signal_id` shows stale fired/filled counts: QueueDueAlertEdits (each
  // housekeeping round, 1 s) queues one edit per such signal in one work, instead of every fire and
  // fill recounting the signal's missions in its own work.
  void AlertEditDue(const std::string& signal_id);
  void QueueDueAlertEdits(TimeMs now);

  // Identity.
  const missions::User* Resolve(const Principal& who) const;
  const missions::TierRules& RulesFor(missions::Tier tier) const;
  missions::TerminalView TerminalViewFor(const missions::User& user) const;
  missions::AccountView AccountFor(const missions::User& user) const;

  // Terminal requests.
  Status VerifyCall(const TerminalCall& call, TerminalState** terminal);
  void ApplyHeartbeat(TerminalState& t, const bridge::Heartbeat& hb);
  void ProcessResults(const std::string& terminal,
                      std::vector<std::pair<bridge::ResultRecord, std::string>> records,
                      ReplyFn reply);

  // Market → signals → missions.
  void IngestTick(const market::Tick& tick);
  void OnBar(const market::Bar& bar);
  void EmitSignal(const venom::Signal& signal);

  // Fire path.
  void DoFire(const missions::User& user, const std::string& mission_id, ReplyFn reply);
  void SendCommand(const missions::Fire& fire, const missions::Mission& mission);
  void RefuseFire(const missions::User& user, const std::string& mission_id, const Error& why,
                  ReplyFn reply);

  // Rules, XP and statistics (core_rules.cc, core_xp.cc).
  enum class UserFlag { kPaused, kKilled };
  void SetUserFlag(std::string user_id, UserFlag flag, bool on, ReplyFn reply);
  // Fires, through DoFire, every pending mission of `signal` whose user's tier auto-fires at the
  // signal's confidence and that the user could fire by hand; the trader is told (TellAutoFire).
  void AutoFire(const venom::Signal& signal);
  void TellAutoFire(const std::string& user_id, const std::string& mission_id, int confidence,
                    int min_confidence, const CoreReply& r);
  nlohmann::json XpJson(const missions::User& user) const;
  Status RecoverStats(const store::Database& reader);
  void CountClosedTrade(const missions::Fire& fire, const missions::Mission& mission);
  void OnTradeXp(const std::string& user_id, const XpResult& xp);

  // Missions and events.
  // The only ways a mission enters or leaves missions_: they keep missions_of_user_ and
  // open_of_user_ in step. HoldMission replaces a held mission of the same id (its user may not
  // change).
  LiveMission& HoldMission(missions::Mission m);
  std::map<std::string, LiveMission>::iterator DropMission(
      std::map<std::string, LiveMission>::iterator it);
  // Enter or leave every index (IndexMission/UnindexMission) or the status indexes only.
  void IndexMission(const missions::Mission& m);
  void UnindexMission(const missions::Mission& m);
  void IndexStatus(const missions::Mission& m);
  void UnindexStatus(const missions::Mission& m);
  // Adds `delta` to hud_opened_of_signal_ for a mission its user opened in the HUD.
  void CountHudOpened(const LiveMission& lm, int delta);
  // The user's leaderboard key (from the user, the stats book and the users_ map's own id).
  missions::RankKey RankKeyOf(const missions::User& u) const;
  // Runs `change` (which may change the user's XP or P&L) with the user's key taken out of
  // ranking_ and put back after.
  template <typename Change>
  void Rerank(const missions::User& u, Change&& change) {
    ranking_.Erase(RankKeyOf(u));
    change();
    ranking_.Insert(RankKeyOf(u));
  }
  // The only way a held mission's status changes: keeps open_of_user_, pending_by_expiry_ and
  // finished_by_expiry_ in step.
  void SetMissionStatus(LiveMission& lm, missions::MissionStatus status);
  // The only ways a fire enters or leaves fires_in_flight_: they keep in_flight_of_user_ in step.
  void MarkInFlight(const std::string& mission_id, const std::string& user_id);
  void ClearInFlight(const std::string& mission_id);
  // The user's open positions (fired/delivered/undelivered/filled, plus fires in flight other
  // than `except`) and their summed risk, from the user's open and in-flight missions only
  // (O(open positions), summed in mission-id order as a walk of the held missions would).
  struct OpenCount {
    int positions = 0;
    double risk = 0;
    int in_flight = 0;  // fires not yet committed (they count as fires today too)
  };
  OpenCount CountOpen(const std::string& user_id, const std::string& except) const;
  nlohmann::json MissionJson(const missions::Mission& m) const;
  void PushMission(const missions::Mission& m);
  void AdoptFire(const missions::Fire& fire, std::optional<missions::MissionStatus> mission_status);
  void Housekeeping();
  void ScheduleHousekeeping();
  void ExpireDue();
  // Edits the group alert of every signal past its expiry to "expired" and queues its deletion,
  // and queues the countdown edits of live alerts every telegram.alert_countdown_s
  // (core_telegram.cc). Runs in Housekeeping.
  void ExpireAlerts(TimeMs now);
  // The Commander Throne (core_admin.cc): a HUD fetch of a mission counts once in the funnel;
  // a signal the engine produced while paused is dropped here (true) instead of emitted.
  void NoteHudOpened(LiveMission& lm);
  bool DropWhilePaused(const venom::Signal& signal);
  void CountdownAlerts(TimeMs now);  // part of ExpireAlerts

  const Config& config_;
  const Clock& clock_;
  store::Writer& writer_;
  std::function<void()> wake_outbox_;
  bridge::CommandTransport* transport_ = nullptr;
  bridge::HttpTransport* http_transport_ = nullptr;
  Metrics* metrics_ = nullptr;
  std::map<std::string, bool> folders_;  // terminal_id -> watched by the transport
  std::string hud_url_;

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> in_flight_works_{0};

  // ---- Core-thread state ----
  market::InstrumentTable instruments_;
  QuoteBook quotes_;
  market::M1Aggregator aggregator_;
  std::unique_ptr<venom::Engine> engine_;
  std::map<std::string, missions::User> users_;           // by user_id
  std::map<std::int64_t, std::string> user_by_telegram_;  // telegram_id -> user_id
  std::map<std::string, TerminalState> terminals_;        // by terminal_id
  std::map<std::string, LiveMission> missions_;           // by mission_id
  std::map<std::string, SignalInfo> signals_;             // signals of held missions
  std::map<std::string, missions::Fire> fires_;           // by fire_id
  std::map<std::string, std::string> fire_by_mission_;    // mission_id -> fire_id
  std::map<std::string, std::string> fires_in_flight_;    // mission_id -> user_id (not committed)
  // user_id -> ids of the user's missions in missions_ (HoldMission/DropMission keep it exact; the
  // status is read from missions_, so status transitions cannot make it drift).
  std::map<std::string, std::set<std::string>> missions_of_user_;
  // user_id -> ids of the user's held missions whose status is open (IsOpen), and of the user's
  // missions with a fire in flight: what a fire's rules count, without walking every held mission
  // (a user may hold hundreds; docs/performance.md "Fire path"). Kept exact by HoldMission,
  // DropMission, SetMissionStatus, MarkInFlight and ClearInFlight; checked by CheckMissionIndex.
  // An open mission's entry points at the held mission (its node in missions_, which stays put
  // until DropMission unindexes it), so counting a user's open risk looks nothing up.
  std::map<std::string, std::map<std::string, const missions::Mission*>> open_of_user_;
  std::map<std::string, std::set<std::string>> in_flight_of_user_;
  std::set<std::string> alert_edits_due_;  // signal ids (AlertEditDue)
  // The housekeeping's indexes, so that a round costs what is due rather than a walk of every held
  // mission (a walk of 500,000 missions stalls the core thread, and every fire behind it, for tens
  // of milliseconds each second). Kept exact by the same functions as open_of_user_; checked by
  // CheckMissionIndex. (expires_at, mission_id) of the held missions that are pending, and of
  // those in a terminal status (dropped a day after their expiry); held missions per signal.
  std::set<std::pair<TimeMs, std::string>> pending_by_expiry_;
  std::set<std::pair<TimeMs, std::string>> finished_by_expiry_;
  std::map<std::string, int> held_of_signal_;
  // What /metrics, /status, the console and each bar read, without a walk of every held mission
  // (a scrape or a bar stalled the core thread, and every fire behind it, for milliseconds per
  // 100,000 held missions: docs/performance.md "Session 7"). Kept exact by the same functions;
  // checked by CheckMissionIndex. Held missions per status; the ids of the open missions per
  // (symbol, side), CITADEL's exposure; held missions per signal that their user opened in the
  // HUD (NoteHudOpened).
  std::map<missions::MissionStatus, int> held_of_status_;
  std::map<std::pair<std::string, market::Side>, std::set<std::string>> open_of_exposure_;
  std::map<std::string, int> hud_opened_of_signal_;
  missions::DayCounters counters_;
  missions::StatsBook stats_book_;  // closed trades per user (docs/xp.md)
  // Every user in leaderboard order (XP, P&L, age). Kept exact by Recover, OnTradeXp and
  // CountClosedTrade through Rerank; checked by CheckRanking.
  missions::Ranking ranking_;
  bool kill_switch_ = false;
  std::vector<missions::Fire> redeliver_;  // from recovery, enqueued at Start
  std::deque<SignalInfo> recent_signals_;  // for /status
  // terminal id -> trade_result.txt offset not yet saved (SaveResultOffset).
  std::map<std::string, std::int64_t> offsets_due_;
  // terminal id -> seqs of its committed results (RememberResult).
  std::unordered_map<std::string, std::set<std::int64_t>> results_done_;
  // (terminal, seq) of results whose work is queued or running -> what the other copies of the
  // same record wait for: each gets that work's outcome, as a duplicate (ProcessResults). The EA
  // reports every result by file and by HTTP within a millisecond, before either copy commits.
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::function<void(const Status&)>>>
      results_in_flight_;
  std::set<std::string> alerts_expired_;  // signal ids whose alert expiry edit is queued
  // signal id -> the countdown step (time left in whole telegram.alert_countdown_s) last queued
  std::map<std::string, TimeMs> alert_countdown_step_;
  bridge::RequestVerifier verifier_;
  SseHub hub_;
  CoreSnapshot stats_;                       // counters part
  bool engine_paused_ = false;               // the console's pause (core_admin.cc)
  std::int64_t signals_dropped_paused_ = 0;  // signals the engine produced while paused
  // symbol -> its last kRecentM1Bars M1 bars (the HUD chart, core_hud.cc)
  std::map<std::string, std::deque<market::Bar>> recent_bars_;
  std::function<void(const std::string&, const std::string&)> on_secret_rotated_;
};

}  // namespace bitten::app
