// Shared helpers for the store tests: a fresh database file in a TempDir, a Writer over it, and
// plain records (users, signals, missions, fires) with unique ids to insert.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/uuid.h"
#include "common/paths.h"
#include "missions/types.h"
#include "store/db.h"
#include "store/missions.h"
#include "store/signals.h"
#include "store/users.h"
#include "store/writer.h"
#include "venom/signal.h"

namespace bitten::store::testing {

inline constexpr TimeMs kT0 = 1722289995123;

class StoreTest : public ::testing::Test {
 protected:
  std::filesystem::path DbPath() const { return dir_.path() / "bitten.db"; }

  // Opens the file read-write and starts a writer over it.
  void StartWriter(WriterOptions options = {}) {
    auto db = Database::Open(DbPath(), OpenMode::kReadWrite);
    ASSERT_TRUE(db) << db.error().message;
    writer_ = std::make_unique<Writer>(std::move(*db), clock_, options);
  }

  // A fresh read-only connection: sees exactly what was committed.
  std::unique_ptr<Database> Reader() const {
    auto db = Database::Open(DbPath(), OpenMode::kReadOnly);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }

  void Write(Writer::Work work) {
    auto s = writer_->SubmitAndWait(std::move(work));
    ASSERT_TRUE(s) << s.error().code << ": " << s.error().message;
  }

  missions::User MakeUser(const std::string& name, std::int64_t telegram_id = 0) {
    missions::User u;
    u.user_id = NewUuidV7(clock_);
    u.telegram_id = telegram_id;
    u.name = name;
    u.tier = missions::Tier::kFang;
    u.created_at = clock_.NowMs();
    return u;
  }

  venom::Signal MakeSignal(const std::string& content) {
    venom::Signal s;
    s.signal_id = NewUuidV7(clock_);
    s.symbol = "EURUSD";
    s.side = market::Side::kBuy;
    s.setup = "ema_cross_rsi";
    s.bar_time = kT0;
    s.entry = 1.08501;
    s.sl = 1.08250;
    s.tp = 1.08750;
    s.created_at = clock_.NowMs();
    s.expires_at = s.created_at + 15 * 60 * 1000;
    s.signal_hash = Sha256Hex(content);
    return s;
  }

  missions::Mission MakeMission(const venom::Signal& s, const missions::User& u) {
    missions::Mission m;
    m.mission_id = NewUuidV7(clock_);
    m.signal_id = s.signal_id;
    m.user_id = u.user_id;
    m.symbol = s.symbol;
    m.side = market::Side::kSell;
    m.signal_class = venom::SignalClass::kPrecisionStrike;
    m.entry = s.entry;
    m.sl = s.sl;
    m.tp = s.tp;
    m.lots = 0.12;
    m.risk_money = 30.12;
    m.created_at = clock_.NowMs();
    m.expires_at = s.expires_at;
    m.briefing = "EURUSD SELL 0.12 lots";
    return m;
  }

  missions::Fire MakeFire(const missions::Mission& m) {
    missions::Fire f;
    f.fire_id = NewUuidV7(clock_);
    f.mission_id = m.mission_id;
    f.user_id = m.user_id;
    f.terminal_id = "t1";
    f.fired_at = clock_.NowMs();
    return f;
  }

  // Stores a user, a signal and one mission for them; returns the mission.
  missions::Mission SeedMission(const std::string& content = "seed") {
    const auto user = MakeUser("seed-" + content);
    const auto signal = MakeSignal(content);
    const auto mission = MakeMission(signal, user);
    Write([&](Txn& txn) -> Status {
      if (auto s = InsertUser(txn, user); !s) return s;
      auto inserted = InsertSignal(txn, signal);
      if (!inserted) return tl::unexpected(inserted.error());
      return InsertMissions(txn, {mission});
    });
    return mission;
  }

  SimClock clock_{kT0};
  bitten::testing::TempDir dir_;
  std::unique_ptr<Writer> writer_;
};

}  // namespace bitten::store::testing
