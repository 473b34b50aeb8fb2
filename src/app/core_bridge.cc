// Core members for the bridge's delivery path (core.h): undelivered commands, the HTTP long poll
// of GET /api/bridge/next, and the quotes of GET /api/quotes. Same rules as core.cc: state changes
// are store works adopted after their commit, on the core thread.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "app/core.h"
#include "store/fires.h"
#include "store/journal.h"
#include "store/missions.h"

namespace bitten::app {

using missions::Fire;
using missions::FireStatus;
using missions::MissionStatus;

void Core::OnUndelivered(std::string terminal, std::string fire_id, TimeMs since) {
  boost::asio::post(io_, [this, terminal = std::move(terminal), fire_id = std::move(fire_id),
                          since] {
    struct Outcome {
      std::optional<Fire> fire;
      std::optional<MissionStatus> mission_status;
    };
    auto out = std::make_shared<Outcome>();
    const TimeMs now = clock_.NowMs();
    Submit(
        [terminal, fire_id, since, now, out](store::Txn& txn) -> Status {
          auto fire = store::GetFire(txn, fire_id);
          if (!fire) return tl::unexpected(fire.error());
          if (!*fire) return Ok();  // not ours (a command written by something else)
          Fire f = **fire;
          // Only a fire still waiting for its terminal; a delivery that won the race stands.
          if (f.status != FireStatus::kFired) return Ok();
          f.status = FireStatus::kUndelivered;
          auto cas = store::CompareAndSetMissionStatus(txn, f.mission_id, MissionStatus::kFired,
                                                       MissionStatus::kUndelivered);
          if (!cas) return tl::unexpected(cas.error());
          if (*cas) out->mission_status = MissionStatus::kUndelivered;
          if (Status s = store::UpdateFire(txn, f); !s) return s;
          store::Event e;
          e.type = "command_undelivered";
          e.fire_id = fire_id;
          e.mission_id = f.mission_id;
          e.user_id = f.user_id;
          e.terminal_id = terminal;
          e.time = now;
          e.payload = {{"queued_at", since}, {"waiting_ms", now - since}};
          if (auto r = store::AppendEvent(txn, e); !r) return tl::unexpected(r.error());
          out->fire = f;
          return Ok();
        },
        [this, out, fire_id, terminal](Status s) {
          if (!s) {
            spdlog::error("recording fire {} as undelivered failed: {}", fire_id,
                          s.error().message);
            return;
          }
          if (!out->fire) return;
          spdlog::warn("fire {} not yet claimed by terminal {}: undelivered (retried until expiry)",
                       fire_id, terminal);
          AdoptFire(*out->fire, out->mission_status);
        });
  });
}

void Core::BridgeNext(TerminalCall call, TimeMs wait_ms,
                      std::function<void(web::Response)> answer) {
  if (stopping_.load()) {
    answer(web::JsonError(503, "shutting_down", "the server is stopping"));
    return;
  }
  boost::asio::post(io_, [this, call = std::move(call), wait_ms,
                          answer = std::move(answer)]() mutable {
    TerminalState* t = nullptr;
    if (Status s = VerifyCall(call, &t); !s) {
      answer(web::JsonError(401, "unauthorized", s.error().message));
      return;
    }
    if (http_transport_ == nullptr || !http_transport_->HasTerminal(call.terminal_id)) {
      answer(web::JsonError(404, "no_http_transport",
                            "terminal '" + call.terminal_id +
                                "' takes its commands from its folder (fire.txt), not over HTTP"));
      return;
    }
    // The poll waits on the transport, not on the core thread.
    const Status s = http_transport_->Next(
        call.terminal_id, wait_ms, [answer](std::optional<std::string> command) {
          if (!command) {
            answer(web::Response{204, "", "", {}});
            return;
          }
          answer(web::Response{200, "text/plain; charset=utf-8", std::move(*command), {}});
        });
    if (!s) answer(web::JsonError(404, s.error().code, s.error().message));
  });
}

void Core::GetQuotes(TerminalCall call, std::vector<std::string> symbols, ReplyFn reply) {
  if (stopping_.load()) return reply(ErrorReply(503, "shutting_down", "the server is stopping"));
  boost::asio::post(
      io_, [this, call = std::move(call), symbols = std::move(symbols), reply = std::move(reply)] {
        TerminalState* t = nullptr;
        if (Status s = VerifyCall(call, &t); !s)
          return reply(ErrorReply(401, "unauthorized", s.error().message));
        // The POST /api/ticks body format, so the terminal parses it with the same (fuzzed) codec.
        nlohmann::json ticks = nlohmann::json::array();
        for (const market::Tick& tick : quotes_.Latest(symbols)) {
          ticks.push_back({{"s", tick.symbol}, {"t", tick.time}, {"b", tick.bid}, {"a", tick.ask}});
        }
        reply(CoreReply{200, nlohmann::json{{"terminal", call.terminal_id},
                                            {"server_time", clock_.NowMs()},
                                            {"ticks", std::move(ticks)}}});
      });
}

void Core::OnBridgeError(std::string terminal, Error error) {
  spdlog::warn("bridge {}: {}: {}", terminal, error.code, error.message);
  boost::asio::post(io_, [this, terminal = std::move(terminal), error = std::move(error)] {
    ++stats_.bridge_errors;
    if (error.code != "malformed" && error.code != "bad_signature" &&
        error.code != "journal_truncated") {
      return;
    }
    store::Event e;
    e.type = "bridge_fault";
    e.terminal_id = terminal;
    e.time = clock_.NowMs();
    e.payload = {{"code", error.code}, {"message", error.message}};
    Submit(
        [e](store::Txn& txn) -> Status {
          if (auto r = store::AppendEvent(txn, e); !r) return tl::unexpected(r.error());
          return Ok();
        },
        [terminal](Status s) {
          if (!s)
            spdlog::error("journaling a bridge fault of {} failed: {}", terminal,
                          s.error().message);
        });
  });
}

}  // namespace bitten::app
