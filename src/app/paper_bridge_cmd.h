// `bitten paper-bridge`: the EA emulator as its own process (bridge::PaperBridge), a paper MT5
// terminal that is also the market. Quotes come from --data files replayed at --speed (several
// files are merged in time order; each is shifted so its first quote lands at "now"), or from the
// seeded SyntheticFeed. It watches --dir for fire.txt, fills on its paper broker, appends
// trade_result.txt, and streams ticks, heartbeats and reports to --server, signed with the
// terminal's secret (CONTRACTS §3.4) through the libcurl poster (app/http_client.h). SIGINT/SIGTERM
// stop it cleanly. With --terminals N (load tests) it runs N such terminals in one process, each on
// its own thread with its own feed: ids <terminal>-1..<terminal>-N in folders <dir>/<terminal>-i,
// all signed with --secret (docs/cli.md). With --quotes-from-server the quotes are the server's
// (GET /api/quotes, polled every --quote-poll-ms) instead of a feed, and no ticks are posted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/http_client.h"
#include "base/clock.h"
#include "bridge/paper_bridge.h"
#include "market/feed.h"

namespace bitten::app {

void AddPaperBridgeCommand(CLI::App& root, CliAction* action);

struct FeedOptions {
  std::vector<std::string> data;  // data files (market/reader.h formats); empty = synthetic
  std::string symbol;      // replay: override the file name's symbol; synthetic: default EURUSD
  std::uint64_t seed = 1;  // SyntheticFeed seed. Default: 1
  TimeMs start_time = 0;   // first quote's time (replays are shifted to it)
};

// The paper bridge's QuoteFetcher for --quotes-from-server: a signed GET
// /api/quotes?terminal=<terminal_id> (CONTRACTS §3.4 signing with `secret`, the raw key, at
// `clock`'s time) through libcurl with `http`'s timeouts. Fails with "http_error" (no answer),
// "http_status" (an answer other than 200, with its body) or "malformed" (a body that is not a
// tick batch of this terminal).
bridge::QuoteFetcher MakeQuoteFetcher(HttpClientOptions http, std::string terminal_id,
                                      std::string secret, const Clock& clock);

// The quote source described by `options`. Errors name the data file (and line) at fault.
Result<std::unique_ptr<market::TickSource>> MakeTickSource(const FeedOptions& options);

}  // namespace bitten::app
