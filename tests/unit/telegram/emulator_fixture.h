// Test fixtures for the telegram module (and the lead's e2e test): a child process with pipes, the
// telegram-test-api Bot API emulator started as a real node process on a free port, and its client
// API (what a Telegram user would do: send commands, press buttons; and what the chat shows).
//
//   testing::TelegramEmulator emu;  // runs node tests/unit/telegram/emulator.cjs
//   ASSERT_TRUE(emu.ok()) << emu.error();
//   BotApi api({.base_url = emu.url(), .token = "123:abc"});
//   emu.UserCommand("123:abc", user, chat, "/start abc");  // a user writes to the bot
//   emu.UserCallback("123:abc", user, chat, message_id, "fire:<id>");  // presses a button
//   emu.BotMessages("123:abc", chat_id);  // unread messages the bot sent there (marks read)
//   emu.History("123:abc");  // everything the bot and users sent, edits applied
// The emulator exits when the fixture is destroyed (SIGTERM) or when the test process dies (stdin).
// Header-only: tests/unit/<module>/ compiles only *_test.cc files.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/paths.h"

namespace bitten::telegram::testing {

// A child process with stdin and stdout as pipes (stderr inherited). Killed (SIGTERM, then SIGKILL
// after 2 s) and reaped on destruction.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[0]);
      close(in[1]);
      close(out[0]);
      close(out[1]);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~ChildProcess() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 200; ++i) {
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (stdout_ >= 0) close(stdout_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // One line of the child's stdout (without "\n"), or nullopt on EOF or timeout.
  std::optional<std::string> ReadLine(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0 || stdout_ < 0) return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char chunk[512];
      const ssize_t n = read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

// POSTs JSON, returns the parsed answer (null json on any failure).
inline nlohmann::json PostJson(const std::string& url, const nlohmann::json& body) {
  CURL* curl = curl_easy_init();
  std::string in = body.dump(), out;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, in.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) -> size_t {
        static_cast<std::string*>(u)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return nullptr;
  return nlohmann::json::parse(out, nullptr, false);
}

struct EmuUser {
  std::int64_t id = 1;
  std::string first_name = "Test";
  std::string username = "test";
};
struct EmuChat {
  std::int64_t id = 1;
  std::string type = "private";  // "private", "group", "supergroup"
};

class TelegramEmulator {
 public:
  TelegramEmulator()
      : process_({"/usr/bin/node",
                  (bitten::testing::SourceDir() / "tests/unit/telegram/emulator.cjs").string()}) {
    const auto line = process_.ReadLine(15000);
    if (!line || line->rfind("READY ", 0) != 0) {
      error_ = "emulator did not start: " + line.value_or("<no output>");
      return;
    }
    port_ = std::stoi(line->substr(6));
  }

  bool ok() const { return port_ > 0; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // The Bot API base URL (BotApi::Options::base_url).
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A user sends a command (text starting with "/") to the bot.
  nlohmann::json UserCommand(const std::string& token, const EmuUser& u, const EmuChat& c,
                             const std::string& text) {
    const auto space = text.find(' ');
    const std::size_t len = space == std::string::npos ? text.size() : space;
    nlohmann::json m = Message(token, u, c, text);
    m["entities"] =
        nlohmann::json::array({{{"offset", 0}, {"length", len}, {"type", "bot_command"}}});
    return PostJson(url() + "/sendCommand", m);
  }
  // A user sends plain text.
  nlohmann::json UserMessage(const std::string& token, const EmuUser& u, const EmuChat& c,
                             const std::string& text) {
    return PostJson(url() + "/sendMessage", Message(token, u, c, text));
  }
  // A user presses an inline button with callback_data `data` on message `message_id` in chat c.
  nlohmann::json UserCallback(const std::string& token, const EmuUser& presser, const EmuChat& c,
                              std::int64_t message_id, const std::string& data) {
    nlohmann::json body{{"botToken", token},
                        {"date", std::time(nullptr)},
                        {"from", User(presser)},
                        {"message", {{"message_id", message_id}, {"chat", Chat(c)}}},
                        {"data", data}};
    return PostJson(url() + "/sendCallback", body);
  }
  // Unread messages the bot sent to chat_id (each: {"message":{chat_id,text,reply_markup..},
  // "messageId":..}); marks them read.
  nlohmann::json BotMessages(const std::string& token, std::int64_t chat_id) {
    auto r = PostJson(url() + "/getUpdates", {{"token", token}, {"chatId", chat_id}});
    return r.is_object() ? r.value("result", nlohmann::json::array()) : nlohmann::json::array();
  }
  // Every stored message of this bot (bot's and users'), oldest first, edits applied.
  nlohmann::json History(const std::string& token) {
    auto r = PostJson(url() + "/getUpdatesHistory", {{"token", token}});
    return r.is_object() ? r.value("result", nlohmann::json::array()) : nlohmann::json::array();
  }

 private:
  static nlohmann::json User(const EmuUser& u) {
    return {
        {"id", u.id}, {"first_name", u.first_name}, {"username", u.username}, {"is_bot", false}};
  }
  static nlohmann::json Chat(const EmuChat& c) {
    return {{"id", c.id}, {"type", c.type}, {"title", "chat"}};
  }
  static nlohmann::json Message(const std::string& token, const EmuUser& u, const EmuChat& c,
                                const std::string& text) {
    return {{"botToken", token},
            {"date", std::time(nullptr)},
            {"from", User(u)},
            {"chat", Chat(c)},
            {"text", text}};
  }

  ChildProcess process_;
  int port_ = 0;
  std::string error_;
};

// Runs a shell command and returns its stdout (for the node signing helper).
inline std::string RunCapture(const std::string& command) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) return out;
  char buf[1024];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  pclose(f);
  return out;
}

}  // namespace bitten::telegram::testing
