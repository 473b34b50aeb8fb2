// SseHub: the live Server-Sent Events streams of the HUD (GET /api/events), grouped by user, so the
// core can push "mission", "fill" and "close" events to the one user they concern.
//
// Owned by the core thread: Subscribe, Push and Prune are called only there (the HTTP handler posts
// the new stream to the core after authentication). Streams are web::SseStream handles, whose Send
// is thread-safe and bounded (a slow client is dropped by the stream itself, never buffered here).
//
// Limits: at most kMaxPerUser streams per user (a new one closes the oldest) and kMaxTotal streams
// in all (a new one beyond that is closed at once and Subscribe returns false). Closed streams are
// removed lazily on Push/Subscribe and by Prune(), which the core runs on its housekeeping timer.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "web/http.h"

namespace bitten::app {

class SseHub {
 public:
  static constexpr std::size_t kMaxPerUser = 8;
  static constexpr std::size_t kMaxTotal = 10000;

  // Adds `stream` for `user_id`. False (and the stream closed) when the hub is full.
  bool Subscribe(const std::string& user_id, std::shared_ptr<web::SseStream> stream);
  // True when the user has a stream (possibly closed, not yet pruned): callers build an event's
  // JSON only then (the fire path pushes one or more per fire; most users have no HUD open).
  bool Watching(const std::string& user_id) const { return by_user_.contains(user_id); }
  // Sends one event to every open stream of the user; returns how many accepted it.
  std::size_t Push(const std::string& user_id, std::string_view event, std::string_view data);
  // Drops closed streams.
  void Prune();
  // Closes every stream (server stop).
  void CloseAll();

  std::size_t size() const;

 private:
  std::map<std::string, std::vector<std::shared_ptr<web::SseStream>>> by_user_;
};

}  // namespace bitten::app
