#include "telegram/bot.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "base/thread_name.h"

namespace bitten::telegram {
namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : "";
}

std::int64_t Int(const json& obj, const char* key) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(key);
  return (it != obj.end() && it->is_number_integer()) ? it->get<std::int64_t>() : 0;
}

const json& Member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it != obj.end() ? *it : kNull;
}

TelegramUser ParseUser(const json& u) {
  return TelegramUser{Int(u, "id"), Str(u, "first_name"), Str(u, "last_name"), Str(u, "username")};
}

}  // namespace

std::optional<Update> ParseCommand(const json& update, const std::string& bot_username) {
  const json& message = Member(update, "message");
  const std::string text = Str(message, "text");
  if (text.empty() || text[0] != '/') return std::nullopt;
  const auto space = text.find_first_of(" \t\n");
  std::string word = text.substr(1, space == std::string::npos ? std::string::npos : space - 1);
  if (const auto at = word.find('@'); at != std::string::npos) {
    const std::string target = word.substr(at + 1);
    if (!bot_username.empty() && Lower(target) != Lower(bot_username)) return std::nullopt;
    word.resize(at);
  }
  if (word.empty()) return std::nullopt;
  Update u;
  u.update_id = Int(update, "update_id");
  u.from = ParseUser(Member(message, "from"));
  const json& chat = Member(message, "chat");
  u.chat_id = Int(chat, "id");
  u.chat_type = Str(chat, "type");
  u.message_id = Int(message, "message_id");
  u.text = text;
  u.command = Lower(word);
  u.args = space == std::string::npos ? "" : Trim(std::string_view(text).substr(space));
  return u;
}

BotPoller::BotPoller(Options options, BotBackend& backend, LoadOffset load_offset,
                     SaveOffset save_offset)
    : options_(std::move(options)),
      backend_(backend),
      load_offset_(std::move(load_offset)),
      save_offset_(std::move(save_offset)) {}

BotPoller::~BotPoller() { Stop(); }

void BotPoller::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  abort_ = false;
  thread_ = std::thread([this] { Run(); });
}

void BotPoller::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  abort_ = true;
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void BotPoller::Sleep(long ms) {
  if (ms <= 0) return;
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

void BotPoller::Dispatch(BotApi& api, const json& update) {
  DispatchUpdate(api, backend_, update, options_.bot_username);
}

void DispatchUpdate(BotApi& api, BotBackend& backend, const json& update,
                    const std::string& bot_username) {
  if (const json& cq = Member(update, "callback_query"); cq.is_object()) {
    const std::string id = Str(cq, "id");
    const json& message = Member(cq, "message");
    const std::string text =
        backend.OnCallback(ParseUser(Member(cq, "from")), Int(Member(message, "chat"), "id"),
                           Int(message, "message_id"), id, Str(cq, "data"));
    json params{{"callback_query_id", id}};
    if (!text.empty()) params["text"] = text;
    const CallResult r = api.Call("answerCallbackQuery", params);
    if (!r.ok()) {
      spdlog::warn("telegram bot: answerCallbackQuery failed ({}: {})", ToString(r.kind),
                   r.description);
    }
    return;
  }
  std::optional<Update> u = ParseCommand(update, bot_username);
  if (!u) return;
  const bool is_group = u->chat_type == "group" || u->chat_type == "supergroup";
  if (u->chat_type == "private" || (is_group && u->command == "help")) backend.OnCommand(*u);
}

void BotPoller::Run() {
  SetThreadName("bitten-tgpoll");
  BotApi::Options api_options = options_.api;
  api_options.timeout_ms = std::max(api_options.timeout_ms, options_.long_poll_s * 1000 + 10000);
  BotApi api(api_options);
  api.SetAbortFlag(&abort_);
  std::int64_t offset = load_offset_ ? load_offset_() : 0;
  const json allowed = json::array({"message", "callback_query"});

  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    const auto started = std::chrono::steady_clock::now();
    json params{{"timeout", options_.long_poll_s}, {"allowed_updates", allowed}};
    if (offset > 0) params["offset"] = offset;
    const CallResult r = api.Call("getUpdates", params);
    ++polls_;
    if (abort_) return;
    if (!r.ok()) {
      if (r.conflict()) {
        ++conflicts_;
        spdlog::error(
            "telegram bot: getUpdates answered 409 Conflict ({}): another bot process or a webhook "
            "uses this token. Stop the other consumer (or deleteWebhook); retrying in {} ms",
            r.description, options_.conflict_backoff_ms);
        Sleep(options_.conflict_backoff_ms);
      } else if (r.kind == CallKind::kRateLimited) {
        Sleep(r.retry_after_s * 1000);
      } else {
        spdlog::warn("telegram bot: getUpdates failed ({}: {}); retrying in {} ms",
                     ToString(r.kind), r.description, options_.error_backoff_ms);
        Sleep(options_.error_backoff_ms);
      }
      continue;
    }
    if (!r.result.is_array()) {
      spdlog::warn("telegram bot: getUpdates result is not an array; retrying in {} ms",
                   options_.error_backoff_ms);
      Sleep(options_.error_backoff_ms);
      continue;
    }
    std::int64_t next = offset;
    for (const json& update : r.result) {
      const std::int64_t id = Int(update, "update_id");
      if (id != 0 && id < offset) continue;  // already handled (a server that ignores offset)
      Dispatch(api, update);
      next = std::max(next, id + 1);
    }
    if (next != offset) {
      offset = next;
      if (save_offset_) save_offset_(offset);
    } else {
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
      Sleep(options_.idle_poll_ms - static_cast<long>(elapsed));
    }
  }
}

}  // namespace bitten::telegram
