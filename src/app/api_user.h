// HTTP routes of the HUD and user API (CONTRACTS §4):
//
//   GET  /api/me                        the caller (xp, level, rank, stats), today's limits,
//                                       terminal status
//   GET  /api/stats                     the caller's XP and trading statistics (docs/xp.md)
//   GET  /api/leaderboard?limit=20      users by XP (limit 1..100) and the caller's own row
//   GET  /api/missions?status=active    the caller's missions (status: active | a status)
//   GET  /api/missions/{mission_id}     the caller's mission (404 for anyone else's)
//   GET  /api/signals/{signal_id}/mission  the caller's mission for a signal
//   GET  /api/bars?symbol=EURUSD&tf=M1&n=120  recent bars for the HUD chart (tf M1|M5|M15,
//                                       n 1..500, default 120)
//   POST /api/fire {"mission_id":"…"}   202 accepted and durable | 200 duplicate | 4xx/503
//   GET  /api/events                    Server-Sent Events: mission, fill, close, xp, autofire
//
// Authentication first (app/auth.h; POST /api/fire uses the 1 h initData age), then the body. Every
// route, /api/events included, takes the credentials from the Authorization header only (the HUD
// reads the stream with fetch(), docs/api.md), so no credential sits in a URL. Handlers only parse
// and post to the core; they never block.
#pragma once

#include "app/auth.h"
#include "app/core.h"
#include "web/router.h"

namespace bitten::app {

// `core` and `auth` must outlive the router's use.
void RegisterUserRoutes(web::Router& router, Core& core, const Authenticator& auth);

}  // namespace bitten::app
