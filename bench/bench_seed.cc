// bench_seed: fills a BITTEN store file for scripts/bench-fire.sh (docs/performance.md): N users on
// one terminal, one signal and M pending EURUSD missions per user (far stops, small risk, an hour
// to expiry), through the store API and store::Writer in batches. Prints nothing on success; with
// --out writes one line per mission, "<dev token> <mission_id>", users interleaved (line k is user
// k % N) so that consecutive fires hit different users.
//
//   bench_seed --db FILE --users N --missions M --terminal t1 --dev-secret HEX [--out FILE]
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "app/dev_login.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/uuid.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/missions.h"
#include "store/signals.h"
#include "store/users.h"
#include "store/writer.h"
#include "venom/signal.h"

using namespace bitten;

int main(int argc, char** argv) {
  CLI::App app("Seed a store file for the fire benchmarks");
  std::string db_path, terminal = "t1", dev_secret_hex, out_path;
  long users = 0, per_user = 0, terminals = 0;
  app.add_option("--db", db_path, "SQLite store file")->required();
  app.add_option("--users", users, "Users to create")->required();
  app.add_option("--missions", per_user, "Pending missions per user")->required();
  app.add_option("--terminal", terminal, "terminal_id of every user");
  app.add_option("--terminals", terminals,
                 "Spread the users over terminals <terminal>-1..N, round robin (the ids `bitten "
                 "paper-bridge --terminals N` runs); 0 = every user on --terminal")
      ->check(CLI::Range(0, 1000));
  app.add_option("--dev-secret", dev_secret_hex, "auth.dev_login_secret_hex (for --out tokens)");
  app.add_option("--out", out_path, "Where to write '<token> <mission_id>' lines");
  CLI11_PARSE(app, argc, argv);

  RealClock clock;
  auto db = store::Database::Open(db_path, store::OpenMode::kReadWrite);
  if (!db) {
    std::cerr << db_path << ": " << db.error().message << "\n";
    return 1;
  }
  store::Writer writer(std::move(*db), clock);
  const TimeMs now = clock.NowMs();
  venom::Signal s;
  s.signal_id = "bench-" + NewUuidV7(clock);
  s.symbol = "EURUSD";
  s.setup = "bench";
  s.bar_time = now;
  s.entry = 1.085;
  s.sl = 0.5;
  s.tp = 5.0;
  s.digits = 5;
  s.sl_pips = 5850;
  s.tp_pips = 39150;
  s.confidence = 80;
  s.shield.score = 7;
  s.shield.band = venom::BandForScore(7);
  s.created_at = now;
  s.expires_at = now + 3600 * 1000;
  s.signal_hash = s.signal_id;
  if (Status st = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
        auto r = store::InsertSignal(txn, s);
        if (!r) return tl::unexpected(r.error());
        return Ok();
      });
      !st) {
    std::cerr << st.error().message << "\n";
    return 1;
  }

  std::vector<std::string> user_ids;
  std::vector<std::vector<std::string>> missions_of(static_cast<std::size_t>(users));
  constexpr long kBatch = 10000;
  for (long first = 0; first < users; first += kBatch) {
    std::vector<missions::User> batch;
    std::vector<missions::Mission> ms;
    for (long i = first; i < std::min(users, first + kBatch); ++i) {
      missions::User u;
      u.user_id = NewUuidV7(clock);
      u.name = "bench" + std::to_string(i);
      u.tier = missions::Tier::kFang;
      u.terminal_id = terminals > 0 ? terminal + "-" + std::to_string(i % terminals + 1) : terminal;
      u.created_at = now;
      user_ids.push_back(u.user_id);
      for (long k = 0; k < per_user; ++k) {
        missions::Mission m;
        m.mission_id = NewUuidV7(clock);
        m.signal_id = s.signal_id;
        m.user_id = u.user_id;
        m.symbol = s.symbol;
        m.entry = s.entry;
        m.sl = s.sl;
        m.tp = s.tp;
        m.sl_pips = s.sl_pips;
        m.tp_pips = s.tp_pips;
        m.lots = 0.01;
        m.risk_money = 0.01;
        m.reward_money = 0.05;
        m.created_at = now;
        m.expires_at = s.expires_at;
        missions_of[static_cast<std::size_t>(i)].push_back(m.mission_id);
        ms.push_back(std::move(m));
      }
      batch.push_back(std::move(u));
    }
    Status st = writer.SubmitAndWait([&](store::Txn& txn) -> Status {
      for (const missions::User& u : batch) {
        if (Status r = store::InsertUser(txn, u); !r) return r;
      }
      return store::InsertMissions(txn, ms);
    });
    if (!st) {
      std::cerr << st.error().message << "\n";
      return 1;
    }
  }

  if (!out_path.empty()) {
    auto secret = FromHex(dev_secret_hex);
    if (!secret) {
      std::cerr << "--dev-secret must be hex\n";
      return 2;
    }
    std::ofstream out(out_path);
    std::vector<std::string> tokens;
    for (const std::string& id : user_ids) {
      tokens.push_back(app::MintDevToken(*secret, id, now + 24 * 3600 * 1000));
    }
    for (long k = 0; k < per_user; ++k) {
      for (long i = 0; i < users; ++i) {
        out << tokens[static_cast<std::size_t>(i)] << ' '
            << missions_of[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)] << '\n';
      }
    }
  }
  return 0;
}
