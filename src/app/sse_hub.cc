#include "app/sse_hub.h"

#include <algorithm>

namespace bitten::app {

namespace {

void DropClosed(std::vector<std::shared_ptr<web::SseStream>>& streams) {
  std::erase_if(streams, [](const std::shared_ptr<web::SseStream>& s) { return !s->open(); });
}

}  // namespace

bool SseHub::Subscribe(const std::string& user_id, std::shared_ptr<web::SseStream> stream) {
  if (!stream) return false;
  Prune();
  if (size() >= kMaxTotal) {
    stream->Close();
    return false;
  }
  auto& streams = by_user_[user_id];
  while (streams.size() >= kMaxPerUser) {
    streams.front()->Close();
    streams.erase(streams.begin());
  }
  streams.push_back(std::move(stream));
  return true;
}

std::size_t SseHub::Push(const std::string& user_id, std::string_view event,
                         std::string_view data) {
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return 0;
  std::size_t sent = 0;
  for (const auto& s : it->second) {
    if (s->Send(event, data)) ++sent;
  }
  DropClosed(it->second);
  if (it->second.empty()) by_user_.erase(it);
  return sent;
}

void SseHub::Prune() {
  for (auto it = by_user_.begin(); it != by_user_.end();) {
    DropClosed(it->second);
    it = it->second.empty() ? by_user_.erase(it) : std::next(it);
  }
}

void SseHub::CloseAll() {
  for (auto& [user, streams] : by_user_) {
    for (const auto& s : streams) s->Close();
  }
  by_user_.clear();
}

std::size_t SseHub::size() const {
  std::size_t n = 0;
  for (const auto& [user, streams] : by_user_) n += streams.size();
  return n;
}

}  // namespace bitten::app
