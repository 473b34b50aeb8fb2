#include <fcntl.h>
#include <poll.h>
#include <stdio.h>  // renameat2
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "base/thread_name.h"
#include "bridge/file_io.h"
#include "bridge/transport.h"

namespace bitten::bridge {
namespace {

constexpr const char* kFireFile = "fire.txt";
constexpr const char* kResultFile = "trade_result.txt";
constexpr const char* kHeartbeatFile = "heartbeat.txt";
constexpr const char* kBadResultsFile = "trade_result.bad";
constexpr const char* kBadHeartbeatFile = "heartbeat.txt.bad";
// Bytes of an over-long line kept in trade_result.bad (the rest is not in memory any more).
constexpr std::size_t kKeptOfLongLine = 4096;
constexpr std::size_t kReadChunk = 1 << 20;

bool ValidTerminalId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

bool Exists(const std::filesystem::path& p) {
  struct stat sb {};
  return ::stat(p.c_str(), &sb) == 0;
}

}  // namespace

FileTransport::FileTransport(Options options, const Clock& clock, PositionStore& positions,
                             TransportCallbacks callbacks)
    : options_(options), clock_(clock), positions_(positions), callbacks_(std::move(callbacks)) {
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

FileTransport::~FileTransport() {
  Stop();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status FileTransport::AddTerminal(const std::string& terminal, const std::filesystem::path& dir,
                                  std::string secret) {
  if (!ValidTerminalId(terminal)) {
    return Fail("bad_terminal_id",
                "terminal id \"" + terminal + "\" does not match [a-z0-9][a-z0-9-]{0,31}");
  }
  if (inotify_fd_ < 0 || wake_fd_ < 0) {
    return Fail("io_error", "inotify/eventfd could not be created for the file transport");
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = terminals_.find(terminal); it != terminals_.end()) {
      it->second->secret = std::move(secret);
      return Ok();
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail("io_error", "create folder " + dir.string() + ": " + ec.message());
  auto offset = positions_.Load(terminal);
  if (!offset) return tl::unexpected(offset.error());

  auto t = std::make_unique<Terminal>();
  t->id = terminal;
  t->dir = dir;
  t->secret = std::move(secret);
  t->offset = t->saved_offset = *offset;
  if (auto existing = ReadWholeFile(dir / kFireFile)) {
    const std::string id = PeekFireId(*existing);
    if (!id.empty()) t->in_slot = Pending{id, *existing, clock_.NowMs()};
  }
  t->wd = ::inotify_add_watch(
      inotify_fd_, dir.c_str(),
      IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE);
  if (t->wd < 0) return Fail("io_error", "inotify watch " + dir.string() + ": " + strerror(errno));
  {
    std::lock_guard lock(mu_);
    by_wd_[t->wd] = t.get();
    woken_.insert(t.get());
    terminals_.emplace(terminal, std::move(t));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  return Ok();
}

Status FileTransport::Enqueue(const std::string& terminal, const std::string& fire_id,
                              std::string text) {
  {
    std::lock_guard lock(mu_);
    const auto it = terminals_.find(terminal);
    if (it == terminals_.end()) {
      return Fail("unknown_terminal", "no folder is known for terminal \"" + terminal + "\"");
    }
    Terminal& t = *it->second;
    if (t.in_slot && t.in_slot->fire_id == fire_id && t.in_slot->text == text) return Ok();
    for (const Pending& p : t.queue) {
      if (p.fire_id == fire_id && p.text == text) return Ok();
    }
    if (t.queue.size() >= options_.max_queue) {
      return Fail("queue_full", "terminal \"" + terminal + "\" already has " +
                                    std::to_string(t.queue.size()) + " commands waiting");
    }
    t.queue.push_back(Pending{fire_id, std::move(text), clock_.NowMs()});
    woken_.insert(&t);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  return Ok();
}

Status FileTransport::Start() {
  if (thread_.joinable()) return Ok();
  if (inotify_fd_ < 0 || wake_fd_ < 0) {
    return Fail("io_error", "inotify/eventfd could not be created for the file transport");
  }
  stop_.store(false);
  thread_ = std::thread([this] { Loop(); });
  return Ok();
}

void FileTransport::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

void FileTransport::ReportError(const std::string& terminal, std::string code,
                                std::string message) {
  if (callbacks_.on_error)
    callbacks_.on_error(terminal, Error{std::move(code), std::move(message)});
}

void FileTransport::Loop() {
  SetThreadName("bitten-files");
  using SteadyClock = std::chrono::steady_clock;
  auto last_scan = SteadyClock::time_point{};  // scan everything on the first pass
  alignas(struct inotify_event) char buf[16 * 1024];
  while (!stop_.load()) {
    std::set<Terminal*> dirty;
    bool scan_all = SteadyClock::now() - last_scan >= std::chrono::milliseconds(options_.scan_ms);
    if (!scan_all) {
      pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const auto left =
          std::chrono::milliseconds(options_.scan_ms) - (SteadyClock::now() - last_scan);
      const int timeout =
          static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count()) + 1;
      const int rc = ::poll(fds, 2, timeout);
      if (stop_.load()) break;
      if (rc <= 0) scan_all = true;
      if (rc > 0 && (fds[1].revents & POLLIN)) {
        std::uint64_t v = 0;
        [[maybe_unused]] const ssize_t n = ::read(wake_fd_, &v, sizeof v);
      }
      if (rc > 0 && (fds[0].revents & POLLIN)) {
        for (;;) {
          const ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
          if (n <= 0) break;
          std::lock_guard lock(mu_);
          for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
            off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
            if (ev->mask & IN_Q_OVERFLOW) {
              scan_all = true;
              continue;
            }
            const auto it = by_wd_.find(ev->wd);
            if (it == by_wd_.end()) continue;
            dirty.insert(it->second);
          }
        }
      }
    }
    {
      std::lock_guard lock(mu_);
      dirty.merge(woken_);  // terminals with a new command, or just added
      woken_.clear();
      if (scan_all) {
        last_scan = SteadyClock::now();
        for (auto& [id, t] : terminals_) dirty.insert(t.get());
      }
    }
    for (Terminal* t : dirty) {
      if (stop_.load()) break;
      ServiceSlot(*t);
      CheckDeliveryTimeouts(*t);
      DrainResults(*t);
      CheckHeartbeat(*t);
    }
  }
}

void FileTransport::ServiceSlot(Terminal& t) {
  const std::filesystem::path fire = t.dir / kFireFile;
  std::optional<std::string> delivered;
  {
    std::lock_guard lock(mu_);
    if (t.in_slot && !Exists(fire)) {
      delivered = std::move(t.in_slot->fire_id);
      t.in_slot.reset();
    }
  }
  if (delivered && callbacks_.on_delivered) {
    callbacks_.on_delivered(t.id, *delivered, clock_.NowMs());
  }
  Pending head;
  {
    std::lock_guard lock(mu_);
    if (t.in_slot || t.queue.empty()) return;
    head = t.queue.front();
  }
  if (Exists(fire)) return;  // a fire.txt we did not write (or cannot know about): wait
  const Status st =
      WriteFileAtomically(t.dir, kFireFile, head.text, Replace::kRefuse, Durability::kFsync);
  if (!st) {
    if (st.error().code != "exists") ReportError(t.id, st.error().code, st.error().message);
    return;  // retried at the next event or scan
  }
  std::lock_guard lock(mu_);
  t.queue.pop_front();
  t.in_slot = std::move(head);
}

void FileTransport::CheckDeliveryTimeouts(Terminal& t) {
  if (options_.delivery_timeout_ms <= 0 || !callbacks_.on_undelivered) return;
  const TimeMs now = clock_.NowMs();
  std::vector<std::pair<std::string, TimeMs>> late;
  {
    std::lock_guard lock(mu_);
    auto check = [&](Pending& p) {
      if (!p.reported_undelivered && now - p.queued_at > options_.delivery_timeout_ms) {
        p.reported_undelivered = true;
        late.emplace_back(p.fire_id, p.queued_at);
      }
    };
    if (t.in_slot) check(*t.in_slot);
    for (Pending& p : t.queue) check(p);
  }
  for (const auto& [fire_id, since] : late) callbacks_.on_undelivered(t.id, fire_id, since);
}

void FileTransport::DrainResults(Terminal& t) {
  const std::filesystem::path path = t.dir / kResultFile;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT)
      ReportError(t.id, "io_error", "open " + path.string() + ": " + strerror(errno));
    return;
  }
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    ReportError(t.id, "io_error", "stat " + path.string() + ": " + strerror(errno));
    ::close(fd);
    return;
  }
  if (sb.st_size < t.offset) {
    ReportError(t.id, "journal_truncated",
                path.string() + " is shorter (" + std::to_string(sb.st_size) +
                    " bytes) than the saved read position " + std::to_string(t.offset) +
                    "; reading it again from the start (records are deduplicated by seq)");
    t.offset = 0;
    t.skipping_long_line = false;
  }
  std::string secret;
  {
    std::lock_guard lock(mu_);
    secret = t.secret;
  }
  std::string buf;
  while (t.offset < sb.st_size && !stop_.load()) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::int64_t>(sb.st_size - t.offset, kReadChunk));
    buf.resize(want);
    const ssize_t n = ::pread(fd, buf.data(), want, t.offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) ReportError(t.id, "io_error", "read " + path.string() + ": " + strerror(errno));
      break;
    }
    buf.resize(static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string line = buf.substr(start, nl - start);
      const std::int64_t line_at = t.offset + static_cast<std::int64_t>(start);
      if (t.skipping_long_line) {
        t.skipping_long_line = false;  // the end of an over-long line, reported when it started
        continue;
      }
      if (line.empty() || line == "\r") continue;
      if (line.size() > options_.max_line_bytes) {
        SetAside(t, line_at, "malformed",
                 "line longer than " + std::to_string(options_.max_line_bytes) + " bytes",
                 std::string_view(line).substr(0, kKeptOfLongLine), true);
        continue;
      }
      auto record = ParseResultLine(line, secret);
      if (record && record->terminal != t.id) {
        record = Fail("malformed", "result line names terminal \"" + record->terminal + "\"");
      }
      if (!record) {
        SetAside(t, line_at, record.error().code, record.error().message, line, false);
        continue;
      }
      if (callbacks_.on_result) {
        std::string raw = line;
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        callbacks_.on_result(t.id, *record, raw);
      }
    }
    std::size_t consumed = start;
    if (buf.size() - start > options_.max_line_bytes) {
      if (!t.skipping_long_line) {
        SetAside(t, t.offset + static_cast<std::int64_t>(start), "malformed",
                 "line longer than " + std::to_string(options_.max_line_bytes) + " bytes",
                 std::string_view(buf).substr(start, kKeptOfLongLine), true);
      }
      t.skipping_long_line = true;
      consumed = buf.size();
    }
    if (consumed == 0) break;  // only a torn (not yet LF-terminated) line is left
    t.offset += static_cast<std::int64_t>(consumed);
  }
  ::close(fd);
  if (t.offset != t.saved_offset) {
    if (const Status st = positions_.Save(t.id, t.offset); st) {
      t.saved_offset = t.offset;
    } else {
      ReportError(t.id, "position_store", st.error().message);  // retried after the next batch
    }
  }
}

void FileTransport::SetAside(Terminal& t, std::int64_t offset, const std::string& code,
                             const std::string& reason, std::string_view line, bool truncated) {
  // One JSON object per bad line; the raw bytes as a JSON string (invalid UTF-8 replaced), so
  // the file stays one line per record whatever the bad line holds.
  nlohmann::json j = {{"offset", offset},
                      {"code", code},
                      {"reason", reason},
                      {"set_aside_at", clock_.NowMs()},
                      {"line", std::string(line)}};
  if (truncated) j["truncated"] = true;
  const std::string entry = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::filesystem::path bad = t.dir / kBadResultsFile;
  std::string where = (t.dir / kResultFile).string() + " at byte " + std::to_string(offset) + ": " +
                      reason + "; skipped";
  if (const Status st = AppendDurably(bad, entry); st) {
    where += ", copied to " + bad.string();
  } else {
    where += " (copying it to " + bad.string() + " failed: " + st.error().message + ")";
  }
  ReportError(t.id, code, std::move(where));
}

void FileTransport::CheckHeartbeat(Terminal& t) {
  const std::filesystem::path path = t.dir / kHeartbeatFile;
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) return;
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(sb.st_mtim.tv_sec) * 1'000'000'000 + sb.st_mtim.tv_nsec;
  const bool changed = static_cast<std::int64_t>(sb.st_ino) != t.hb_ino ||
                       static_cast<std::int64_t>(sb.st_size) != t.hb_size ||
                       mtime_ns != t.hb_mtime_ns;
  if (!changed) return;
  t.hb_ino = static_cast<std::int64_t>(sb.st_ino);
  t.hb_size = static_cast<std::int64_t>(sb.st_size);
  t.hb_mtime_ns = mtime_ns;
  auto text = ReadWholeFile(path);
  if (!text) {
    if (text.error().code != "not_found")
      ReportError(t.id, text.error().code, text.error().message);
    return;
  }
  std::string secret;
  {
    std::lock_guard lock(mu_);
    secret = t.secret;
  }
  auto parse = [&](const std::string& text) {
    auto hb = ParseHeartbeat(text, secret);
    if (hb && hb->terminal != t.id) {
      hb = Fail("malformed", "heartbeat names terminal \"" + hb->terminal + "\"");
    }
    return hb;
  };
  auto hb = parse(*text);
  if (!hb) {
    // Move it aside (replacing the previous bad one), then judge what was moved: the EA may have
    // replaced the file with a good beat since we read it, and a good beat is never lost.
    const std::filesystem::path bad = t.dir / kBadHeartbeatFile;
    if (::rename(path.c_str(), bad.c_str()) != 0) {
      if (errno != ENOENT) {
        ReportError(t.id, "io_error", "rename " + path.string() + ": " + strerror(errno));
      }
      return;
    }
    auto moved = ReadWholeFile(bad);
    if (moved && *moved != *text) {
      if (auto again = parse(*moved)) {
        // A good beat raced in: pass it on and put it back unless a newer one arrived.
        if (::renameat2(AT_FDCWD, bad.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
          ::unlink(bad.c_str());
        }
        t.hb_bad_streak = false;
        if (callbacks_.on_heartbeat) callbacks_.on_heartbeat(t.id, *again, *moved);
        return;
      } else {
        hb = tl::unexpected(again.error());
      }
    }
    // Reported once per run of bad beats (a terminal with a wrong secret beats every 5 s).
    if (!t.hb_bad_streak) {
      ReportError(t.id, hb.error().code,
                  path.string() + ": " + hb.error().message + "; moved to " + bad.string());
    }
    t.hb_bad_streak = true;
    return;
  }
  t.hb_bad_streak = false;
  if (callbacks_.on_heartbeat) callbacks_.on_heartbeat(t.id, *hb, *text);
}

}  // namespace bitten::bridge
