#include "bridge/paper_bridge.h"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/format.h"
#include "base/uuid.h"
#include "bridge/file_io.h"

namespace bitten::bridge {
namespace {

constexpr const char* kFireFile = "fire.txt";
constexpr const char* kResultFile = "trade_result.txt";
constexpr const char* kHeartbeatFile = "heartbeat.txt";
constexpr const char* kExecutedFile = "executed_ids.txt";
constexpr TimeMs kClaimMaxAgeMs = 24 * 3600 * 1000;
constexpr TimeMs kCleanupEveryMs = 3600 * 1000;
constexpr int kRetcodeMarketClosed = 10018;  // MT5 TRADE_RETCODE_MARKET_CLOSED

bool ValidTerminalId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0))) return false;
  }
  return true;
}

// A fire_id safe to put in a file name (the text is not verified yet when the file is claimed).
bool SafeForFileName(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Cuts a file back to its last LF (a crash can leave a torn last line) and returns the content.
Result<std::string> ReadCuttingTornTail(const std::filesystem::path& path) {
  auto text = ReadWholeFile(path);
  if (!text) {
    if (text.error().code == "not_found") return std::string();
    return text;
  }
  if (!text->empty() && text->back() != '\n') {
    const std::size_t keep = text->rfind('\n') == std::string::npos ? 0 : text->rfind('\n') + 1;
    spdlog::warn("{}: cutting a torn last line of {} bytes", path.string(), text->size() - keep);
    std::error_code ec;
    std::filesystem::resize_file(path, keep, ec);
    if (ec) return Fail("io_error", "truncate " + path.string() + ": " + ec.message());
    text->resize(keep);
  }
  return text;
}

}  // namespace

PaperBridge::PaperBridge(Options options, const Clock& clock, market::InstrumentTable instruments,
                         Poster poster)
    : options_(std::move(options)),
      clock_(clock),
      poster_(std::move(poster)),
      broker_(PaperBroker::Options{options_.currency, options_.balance, options_.slippage_points},
              std::move(instruments)) {}

PaperBridge::~PaperBridge() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

Result<std::unique_ptr<PaperBridge>> PaperBridge::Open(Options options, const Clock& clock,
                                                       market::InstrumentTable instruments,
                                                       Poster poster) {
  std::unique_ptr<PaperBridge> bridge(
      new PaperBridge(std::move(options), clock, std::move(instruments), std::move(poster)));
  if (Status st = bridge->Init(); !st) return tl::unexpected(st.error());
  return bridge;
}

Status PaperBridge::Init() {
  if (!ValidTerminalId(options_.terminal_id)) {
    return Fail("bad_terminal_id", "terminal id \"" + options_.terminal_id +
                                       "\" does not match [a-z0-9][a-z0-9-]{0,31}");
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return Fail("io_error", "create folder " + options_.dir.string() + ": " + ec.message());

  auto journal = ReadCuttingTornTail(options_.dir / kResultFile);
  if (!journal) return tl::unexpected(journal.error());
  if (const std::size_t end = journal->find_last_not_of('\n'); end != std::string::npos) {
    const std::size_t begin = journal->rfind('\n', end);
    const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
    const std::string last = journal->substr(from, end + 1 - from);
    // The seq is read without the signature check: the secret may have been rotated since.
    const auto j = nlohmann::json::parse(last, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("seq") || !j["seq"].is_number_integer()) {
      return Fail("io_error", (options_.dir / kResultFile).string() +
                                  ": last line has no integer seq; cannot continue the sequence");
    }
    next_seq_ = j["seq"].get<std::int64_t>() + 1;
  }

  auto executed = ReadCuttingTornTail(options_.dir / kExecutedFile);
  if (!executed) return tl::unexpected(executed.error());
  for (std::size_t pos = 0; pos < executed->size();) {
    const std::size_t nl = executed->find('\n', pos);
    if (nl > pos) executed_.insert(executed->substr(pos, nl - pos));
    pos = nl + 1;
  }

  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || stop_fd_ < 0 ||
      ::inotify_add_watch(inotify_fd_, options_.dir.c_str(),
                          IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return Fail("io_error", "inotify on " + options_.dir.string() + ": " + std::strerror(errno));
  }
  DeleteOldClaims();
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Commands

int PaperBridge::ProcessCommands() {
  int handled = 0;
  // Bounded: the server writes the next command only after it saw this one claimed.
  while (handled < 16 && HandleFireFile()) ++handled;
  return handled;
}

bool PaperBridge::HandleFireFile() {
  const std::filesystem::path fire = options_.dir / kFireFile;
  auto text = ReadWholeFile(fire);
  if (!text) {
    if (text.error().code != "not_found") spdlog::warn("paper bridge: {}", text.error().message);
    return false;
  }
  const std::string peeked = PeekFireId(*text);
  const TimeMs now = clock_.NowMs();
  const std::string claimed_name =
      "fire." + (SafeForFileName(peeked) ? peeked : "unreadable-" + std::to_string(now)) +
      ".claimed";
  const std::filesystem::path claimed = options_.dir / claimed_name;
  if (::rename(fire.c_str(), claimed.c_str()) != 0) return false;  // claimed by someone else
  // The claimed file is ours now; act on its content (the server never replaces fire.txt).
  auto claimed_text = ReadWholeFile(claimed);
  if (!claimed_text) {
    spdlog::warn("paper bridge: {}", claimed_text.error().message);
    return true;
  }

  ResultRecord r;
  auto cmd = ParseFireCommand(*claimed_text, options_.secret);
  if (!cmd) {
    r.type = ResultType::kBadSignature;
    r.fire_id = PeekFireId(*claimed_text);
    r.reason = cmd.error().code == "bad_signature" ? "bad signature" : cmd.error().message;
    Emit(std::move(r));
    return true;
  }
  r.fire_id = cmd->fire_id;
  r.mission_id = cmd->mission_id;
  if (cmd->expires_at < now) {
    r.type = ResultType::kExpired;
    r.reason = "expired at " + FormatIsoMs(cmd->expires_at) + ", seen at " + FormatIsoMs(now);
    Emit(std::move(r));
    return true;
  }
  const std::string key = cmd->action == FireAction::kOpen ? cmd->fire_id : "close:" + cmd->fire_id;
  if (executed_.contains(key)) {
    r.type = ResultType::kDuplicate;
    r.reason = "fire already executed";
    Emit(std::move(r));
    return true;
  }
  MarkExecuted(key);

  if (cmd->action == FireAction::kClose) {
    auto close = broker_.Close(cmd->fire_id, now);
    if (!close) {
      r.type = ResultType::kReject;
      r.retcode = kRetcodePositionClosed;
      r.reason = close.error().message;
    } else {
      r.type = ResultType::kClose;
      r.position = close->position.ticket;
      r.price = close->close_price;
      r.volume = close->position.volume;
      r.profit = close->profit;
      r.reason = close->reason;
    }
    Emit(std::move(r));
    return true;
  }

  if (auto refusal = PreTradeRefusal(*cmd)) {
    r.type = ResultType::kReject;
    r.retcode = refusal->first;
    r.reason = std::move(refusal->second);
    Emit(std::move(r));
    return true;
  }
  OpenRequest req;
  req.fire_id = cmd->fire_id;
  req.symbol = cmd->symbol;
  req.side = cmd->side;
  req.volume = cmd->volume;
  req.sl = cmd->sl;
  req.tp = cmd->tp;
  req.max_slippage_points = cmd->max_slippage_points;
  const OpenOutcome out = broker_.Open(req, now);
  r.retcode = out.retcode;
  if (!out.filled()) {
    r.type = ResultType::kReject;
    r.reason = out.reason;
  } else {
    r.type = ResultType::kFill;
    r.order = out.order;
    r.deal = out.deal;
    r.position = out.position->ticket;
    r.symbol = out.position->symbol;
    r.side = out.position->side;
    r.volume = out.position->volume;
    r.price = out.position->open_price;
    r.sl = out.position->sl;
    r.tp = out.position->tp;
  }
  Emit(std::move(r));
  return true;
}

std::optional<std::pair<int, std::string>> PaperBridge::PreTradeRefusal(
    const FireCommand& cmd) const {
  const TimeMs now = clock_.NowMs();
  if (options_.market_closed_after_ms > 0) {
    const auto seen = quote_seen_at_.find(cmd.symbol);
    if (seen == quote_seen_at_.end() || now - seen->second > options_.market_closed_after_ms) {
      return std::pair<int, std::string>(
          kRetcodeMarketClosed,
          "market closed: no " + cmd.symbol + " quote " +
              (seen == quote_seen_at_.end()
                   ? std::string("yet")
                   : "for " + std::to_string((now - seen->second) / 1000) + " s"));
    }
  }
  const market::Instrument* inst = broker_.instruments().Find(cmd.symbol);
  const auto quote = broker_.Quote(cmd.symbol);
  if (options_.stops_level_points <= 0 || inst == nullptr || !quote) return std::nullopt;
  // As the EA: a position closes at the bid (BUY) or the ask (SELL); sl/tp must be on the right
  // side of that price by at least the stops level. The broker checks the side itself (level 0).
  const double point = std::pow(10.0, -inst->digits);
  const double level = options_.stops_level_points * point;
  const bool buy = cmd.side == market::Side::kBuy;
  const double ref = buy ? quote->first : quote->second;
  auto refuse = [&](const char* which, double v) {
    return std::pair<int, std::string>(
        kRetcodeInvalidStops,
        fmt::format("invalid stops: {} {} {} is within the stops level of {} points from the {} {}",
                    buy ? "BUY" : "SELL", which, FormatFixed(v, inst->digits),
                    options_.stops_level_points, buy ? "bid" : "ask",
                    FormatFixed(ref, inst->digits)));
  };
  const double half = point / 2;
  if (cmd.sl > 0 && (buy ? cmd.sl > ref - level - half : cmd.sl < ref + level + half)) {
    return refuse("sl", cmd.sl);
  }
  if (cmd.tp > 0 && (buy ? cmd.tp < ref + level + half : cmd.tp > ref - level - half)) {
    return refuse("tp", cmd.tp);
  }
  return std::nullopt;
}

void PaperBridge::MarkExecuted(const std::string& key) {
  // Durable before acting: the executed-ids file is what makes a re-sent command a duplicate.
  const Status st = AppendDurably(options_.dir / kExecutedFile, key + "\n");
  BITTEN_CHECK(st.has_value(), "paper bridge cannot record an executed fire_id");
  executed_.insert(key);
}

void PaperBridge::Emit(ResultRecord r) {
  r.v = 1;
  r.seq = next_seq_;
  r.terminal = options_.terminal_id;
  if (r.time == 0) r.time = clock_.NowMs();
  std::string line = EncodeResultLine(r, options_.secret);
  // The journal is the truth; one that will not write is a broken terminal (STYLE habit 2).
  const Status st = AppendDurably(options_.dir / kResultFile, line);
  BITTEN_CHECK(st.has_value(), "paper bridge cannot append to trade_result.txt");
  ++next_seq_;
  line.pop_back();  // the LF
  PostReport(std::move(line));
}

// ---------------------------------------------------------------------------------------------
// Ticks, heartbeat, HTTP

void PaperBridge::OnTick(const market::Tick& tick) {
  quote_seen_at_[tick.symbol] = clock_.NowMs();
  for (const CloseEvent& ev : broker_.OnQuote(tick)) {
    if (ev.conversion_error) {
      spdlog::warn("paper bridge: profit of position {} booked as 0: {}", ev.position.ticket,
                   ev.conversion_error->message);
    }
    ResultRecord r;
    r.type = ResultType::kClose;
    r.fire_id = ev.position.fire_id;
    r.position = ev.position.ticket;
    r.price = ev.close_price;
    r.volume = ev.position.volume;
    r.profit = ev.profit;
    r.swap = ev.swap;
    r.commission = ev.commission;
    r.reason = ev.reason;
    Emit(std::move(r));
  }
  if (poster_ && options_.stream_ticks) {
    tick_batch_.push_back(tick);
    if (tick_batch_.size() >= kMaxTicksPerBatch) FlushTicks();
  }
}

void PaperBridge::FlushTicks() {
  last_tick_flush_ = clock_.NowMs();
  if (tick_batch_.empty() || !poster_) return;
  TickBatch batch{options_.terminal_id, std::move(tick_batch_)};
  tick_batch_.clear();
  Post("/api/ticks", EncodeTickBatch(batch));
}

Heartbeat PaperBridge::BuildHeartbeat() const {
  Heartbeat hb;
  hb.terminal = options_.terminal_id;
  hb.time = clock_.NowMs();
  hb.login = options_.login;
  hb.server = options_.server;
  hb.currency = broker_.currency();
  hb.balance = broker_.balance();
  hb.equity = broker_.equity();
  hb.margin_free = hb.equity;
  hb.leverage = options_.leverage;
  hb.connected = true;
  hb.trade_allowed = true;
  hb.positions = static_cast<int>(broker_.positions().size());
  hb.ea_version = options_.ea_version;
  std::vector<SymbolSpec> specs;
  for (const std::string& name : options_.symbols) {
    const market::Instrument* inst = broker_.instruments().Find(name);
    if (inst == nullptr) continue;
    SymbolSpec s;
    s.name = s.broker_name = inst->symbol;
    s.digits = inst->digits;
    s.point = RoundTo(std::pow(10.0, -inst->digits), inst->digits);
    s.tick_size = s.point;
    s.contract_size = inst->contract_size;
    s.volume_min = inst->volume_min;
    s.volume_max = inst->volume_max;
    s.volume_step = inst->volume_step;
    auto value = broker_.ToAccountCurrency(inst->contract_size * s.point, inst->quote_ccy);
    s.tick_value = value ? RoundTo(*value, 8) : 0;  // 0: no conversion quote yet
    s.stops_level = options_.stops_level_points;
    s.filling = "IOC";
    specs.push_back(std::move(s));
  }
  hb.symbols = std::move(specs);
  return hb;
}

void PaperBridge::WriteHeartbeat() {
  last_heartbeat_ = clock_.NowMs();
  heartbeat_sent_ = true;
  const std::string text = EncodeHeartbeat(BuildHeartbeat(), options_.secret);
  if (Status st = WriteFileAtomically(options_.dir, kHeartbeatFile, text, Replace::kAllow,
                                      Durability::kNone);
      !st) {
    spdlog::warn("paper bridge: heartbeat: {}", st.error().message);
  }
  if (poster_) Post("/api/heartbeat", text.substr(0, text.size() - 1));
}

bool PaperBridge::Post(const std::string& path, const std::string& body) {
  const TimeMs now = clock_.NowMs();
  const std::string ts = std::to_string(now);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"},
      {"X-Bitten-Terminal", options_.terminal_id},
      {"X-Bitten-Timestamp", ts},
      {"X-Bitten-Signature", SignRequest(options_.secret, now, "POST", path, body)}};
  auto status = poster_(path, body, std::move(headers));
  if (!status) {
    spdlog::warn("paper bridge: POST {} failed: {}", path, status.error().message);
    return false;
  }
  if (*status < 200 || *status >= 300) {
    spdlog::warn("paper bridge: POST {} answered {}", path, *status);
    return false;
  }
  return true;
}

void PaperBridge::PostReport(std::string body) {
  if (!poster_) return;
  retry_.push_back(std::move(body));
  if (retry_.size() > options_.max_retry) {
    spdlog::warn("paper bridge: report retry queue full; dropping the oldest (it stays in {})",
                 kResultFile);
    retry_.pop_front();
  }
  if (retry_.size() == 1) RetryReports();  // nothing older is waiting: send now, in order
}

void PaperBridge::RetryReports() {
  last_retry_ = clock_.NowMs();
  while (!retry_.empty() && Post("/api/report", retry_.front())) retry_.pop_front();
}

void PaperBridge::Service() {
  const TimeMs now = clock_.NowMs();
  if (poster_ && now - last_tick_flush_ >= options_.tick_batch_ms) FlushTicks();
  if (!heartbeat_sent_ || now - last_heartbeat_ >= options_.heartbeat_every_ms) WriteHeartbeat();
  if (!retry_.empty() && now - last_retry_ >= options_.retry_every_ms) RetryReports();
  if (now - last_cleanup_ >= kCleanupEveryMs) DeleteOldClaims();
}

void PaperBridge::DeleteOldClaims() {
  last_cleanup_ = clock_.NowMs();
  const auto cutoff =
      std::filesystem::file_time_type::clock::now() - std::chrono::milliseconds(kClaimMaxAgeMs);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("fire.") || !name.ends_with(".claimed")) continue;
    std::error_code ec2;
    const auto mtime = entry.last_write_time(ec2);
    if (!ec2 && mtime < cutoff) std::filesystem::remove(entry.path(), ec2);
  }
}

// ---------------------------------------------------------------------------------------------
// Run

void PaperBridge::WaitForWork(int timeout_ms) {
  pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  const int rc = ::poll(fds, 2, std::max(0, timeout_ms));
  if (rc > 0 && (fds[0].revents & POLLIN)) {
    alignas(struct inotify_event) char buf[4096];
    while (::read(inotify_fd_, buf, sizeof buf) > 0) {
    }
  }
  // An event, or the poll_ms fallback: either way look at fire.txt (one failed open when absent).
  ProcessCommands();
}

void PaperBridge::Run(market::TickSource& feed, double speed, std::stop_token stop) {
  using Steady = std::chrono::steady_clock;
  std::stop_callback wake(stop, [this] {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(stop_fd_, &one, sizeof one);
  });
  const Steady::time_point start = Steady::now();
  std::optional<TimeMs> first_time;
  Steady::time_point last_check = start;
  while (!stop.stop_requested()) {
    std::optional<market::Tick> tick = feed.Next();
    if (!tick) break;
    if (!first_time) first_time = tick->time;
    if (speed > 0) {
      const auto due = start + std::chrono::microseconds(static_cast<std::int64_t>(
                                   static_cast<double>(tick->time - *first_time) * 1000.0 / speed));
      for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(due - Steady::now()).count();
        if (left <= 0 || stop.stop_requested()) break;
        WaitForWork(static_cast<int>(std::min<std::int64_t>(left, options_.poll_ms)));
        Service();
      }
    } else if (Steady::now() - last_check >= std::chrono::milliseconds(options_.poll_ms)) {
      last_check = Steady::now();
      WaitForWork(0);
      Service();
    }
    if (stop.stop_requested()) break;
    OnTick(*tick);
  }
  while (!options_.exit_at_end && !stop.stop_requested()) {
    WaitForWork(options_.poll_ms);
    Service();
  }
  ProcessCommands();
  FlushTicks();
}

int PaperBridge::ApplyQuotes(const std::vector<market::Tick>& ticks) {
  int applied = 0;
  for (const market::Tick& tick : ticks) {
    auto [it, inserted] = applied_quote_time_.try_emplace(tick.symbol, tick.time);
    if (!inserted) {
      if (tick.time <= it->second) continue;
      it->second = tick.time;
    }
    OnTick(tick);
    ++applied;
  }
  return applied;
}

void PaperBridge::RunOnQuotes(const QuoteFetcher& fetch, TimeMs every_ms, std::stop_token stop) {
  using Steady = std::chrono::steady_clock;
  std::stop_callback wake(stop, [this] {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(stop_fd_, &one, sizeof one);
  });
  const auto every = std::chrono::milliseconds(std::max<TimeMs>(1, every_ms));
  Steady::time_point next_fetch = Steady::now();
  bool failing = false;
  while (!stop.stop_requested()) {
    if (Steady::now() >= next_fetch) {
      next_fetch = Steady::now() + every;
      auto quotes = fetch();
      if (!quotes) {
        if (!failing) {
          spdlog::warn("paper bridge {}: quotes from the server: {} (retrying every {} ms)",
                       options_.terminal_id, quotes.error().message, every.count());
        }
        failing = true;
      } else {
        if (failing)
          spdlog::info("paper bridge {}: quotes from the server again", options_.terminal_id);
        failing = false;
        ApplyQuotes(*quotes);
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_fetch - Steady::now()).count();
    WaitForWork(static_cast<int>(std::clamp<std::int64_t>(left, 0, options_.poll_ms)));
    Service();
  }
  ProcessCommands();
  FlushTicks();
}

}  // namespace bitten::bridge
