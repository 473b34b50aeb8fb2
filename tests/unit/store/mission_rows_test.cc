// The fan-out's write path in the store: InsertMissions renders the part of the mission JSON that a
// signal's missions share once and binds the row's texts without copying them; every row must still
// read back to exactly the mission written, whatever the order of signals in the list and whatever
// the texts hold. Also the read-write connection's threading mode (SQLITE_OPEN_NOMUTEX).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>  // std::nextafter
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/missions.h"
#include "store/statement.h"
#include "store_fixture.h"

namespace bitten::store {
namespace {

using missions::Mission;

class MissionRowsTest : public testing::StoreTest {
 protected:
  void SetUp() override { StartWriter(); }
};

void ExpectSameMission(const Mission& got, const Mission& want) {
  const std::string& id = want.mission_id;
  EXPECT_EQ(got.mission_id, want.mission_id);
  EXPECT_EQ(got.signal_id, want.signal_id) << id;
  EXPECT_EQ(got.user_id, want.user_id) << id;
  EXPECT_EQ(got.status, want.status) << id;
  EXPECT_EQ(got.expires_at, want.expires_at) << id;
  EXPECT_EQ(got.created_at, want.created_at) << id;
  EXPECT_EQ(got.symbol, want.symbol) << id;
  EXPECT_EQ(got.side, want.side) << id;
  EXPECT_EQ(got.signal_class, want.signal_class) << id;
  // Exact: the JSON holds the shortest text that reads back to the same double (a negative zero
  // is written "-0" but reads back as 0, which compares equal).
  for (auto [a, b] : {std::pair{got.entry, want.entry},
                      {got.sl, want.sl},
                      {got.tp, want.tp},
                      {got.sl_pips, want.sl_pips},
                      {got.tp_pips, want.tp_pips},
                      {got.lots, want.lots},
                      {got.risk_money, want.risk_money},
                      {got.reward_money, want.reward_money}}) {
    EXPECT_EQ(a, b) << id;
  }
  EXPECT_EQ(got.digits, want.digits) << id;
  EXPECT_EQ(got.account_ccy, want.account_ccy) << id;
  EXPECT_EQ(got.blocked_code, want.blocked_code) << id;
  EXPECT_EQ(got.blocked_reason, want.blocked_reason) << id;
  EXPECT_EQ(got.briefing, want.briefing) << id;
}

TEST_F(MissionRowsTest, MissionsOfInterleavedSignalsReadBackExactly) {
  const auto user = MakeUser("ana");
  const auto a = MakeSignal("a");
  auto b = MakeSignal("b");
  b.symbol = "USDJPY";
  std::vector<Mission> list;
  for (int i = 0; i < 12; ++i) {
    // Signals alternate in runs (a a b a a b b a b a a b), and within a run of one signal a price
    // changes (rows 3 → 4) and the sign of a zero does (rows 9 → 10): a cached signal part must
    // never be reused for a row it does not belong to.
    const bool of_b = i % 3 == 2 || i == 6;
    Mission m = MakeMission(of_b ? b : a, user);
    m.symbol = of_b ? "USDJPY" : "EURUSD";
    m.digits = of_b ? 3 : 5;
    if (i >= 4) m.entry = std::nextafter(1.08501, 2.0);
    m.sl_pips = i == 9 ? -0.0 : 0.0;
    if (i % 5 == 3) m.status = missions::MissionStatus::kExpired;
    m.lots = 0.01 * (i + 1);
    m.risk_money = 1.0 / 3 * i;
    m.reward_money = 1e-7 * i;
    m.account_ccy = i % 2 ? "JPY" : "";
    if (i % 4 == 1) {
      m.blocked_code = "tier_not_allowed";
      m.blocked_reason = "Your tier \"NIBBLER\" may not\tfire \\ this: \u00e9\u4e2d\x01";
    }
    m.briefing = "line one\nline \"two\" \\ " + std::to_string(i) + "\x1f" + "\u2713";
    list.push_back(std::move(m));
  }
  Write([&](Txn& txn) -> Status {
    if (auto s = InsertUser(txn, user); !s) return s;
    if (auto r = InsertSignal(txn, a); !r) return tl::unexpected(r.error());
    if (auto r = InsertSignal(txn, b); !r) return tl::unexpected(r.error());
    return InsertMissions(txn, list);
  });

  auto reader = Reader();
  for (const Mission& want : list) {
    auto got = GetMission(*reader, want.mission_id);
    ASSERT_TRUE(got && got->has_value()) << want.mission_id;
    ExpectSameMission(**got, want);
  }
  EXPECT_EQ(ListMissionsBySignal(*reader, a.signal_id)->size(), 7u);
  EXPECT_EQ(ListMissionsBySignal(*reader, b.signal_id)->size(), 5u);

  // Each row is one JSON object with its members in the documented order.
  auto st = Statement::Prepare(reader->handle(), "SELECT json FROM missions");
  ASSERT_TRUE(st);
  int rows = 0;
  while (*st->Step()) {
    const auto j = nlohmann::json::parse(st->Text(0));
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    std::string text = st->Text(0);
    std::vector<std::size_t> at;
    for (const char* k : {"symbol", "side", "class", "entry", "sl", "tp", "digits", "sl_pips",
                          "tp_pips", "lots", "risk_money", "reward_money", "account_ccy",
                          "blocked_code", "blocked_reason", "briefing"}) {
      at.push_back(text.find(std::string("\"") + k + "\":"));
      EXPECT_NE(at.back(), std::string::npos) << k << " in " << text;
    }
    EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << text;
    EXPECT_EQ(keys.size(), 16u) << text;
    ++rows;
  }
  EXPECT_EQ(rows, 12);

  // Rows 9 and 10 differ only in the sign of a zero: each has its own signal part.
  auto text_of = [&](const Mission& m) {
    auto one =
        Statement::Prepare(reader->handle(), "SELECT json FROM missions WHERE mission_id = ?1");
    one->Bind(1, m.mission_id);
    EXPECT_TRUE(*one->Step());
    return one->Text(0);
  };
  EXPECT_NE(text_of(list[9]).find("\"sl_pips\":-0,"), std::string::npos) << text_of(list[9]);
  EXPECT_NE(text_of(list[10]).find("\"sl_pips\":0,"), std::string::npos) << text_of(list[10]);
}

TEST_F(MissionRowsTest, ADuplicateMissionFailsTheWholeInsertAndNamesIt) {
  const auto user = MakeUser("ana");
  const auto signal = MakeSignal("dup");
  const Mission first = MakeMission(signal, user);
  Mission again = MakeMission(signal, user);
  again.mission_id = first.mission_id;
  auto s = writer_->SubmitAndWait([&](Txn& txn) -> Status {
    if (auto u = InsertUser(txn, user); !u) return u;
    if (auto r = InsertSignal(txn, signal); !r) return tl::unexpected(r.error());
    return InsertMissions(txn, {first, MakeMission(signal, user), again});
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "store_conflict");
  EXPECT_NE(s.error().message.find(first.mission_id), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(DbPath().string()), std::string::npos) << s.error().message;
  // The work was rolled back: no mission, no signal.
  auto reader = Reader();
  EXPECT_TRUE(ListMissionsBySignal(*reader, signal.signal_id)->empty());

  // An unknown user (foreign key) is refused as well.
  Mission orphan = MakeMission(signal, MakeUser("nobody"));
  s = writer_->SubmitAndWait([&](Txn& txn) -> Status {
    if (auto u = InsertUser(txn, user); !u) return u;
    if (auto r = InsertSignal(txn, signal); !r) return tl::unexpected(r.error());
    return InsertMissions(txn, {orphan});
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "store_conflict") << s.error().message;
  EXPECT_NE(s.error().message.find(orphan.mission_id), std::string::npos) << s.error().message;
}

// The writer's connection is used by the writer thread alone, so it runs without SQLite's
// per-connection mutex; read-only connections (which a reader may hand between threads) keep it.
TEST(DatabaseOpen, ReadWriteConnectionHasNoConnectionMutexReadOnlyKeepsIt) {
  bitten::testing::TempDir dir;
  const auto path = dir.path() / "bitten.db";
  auto rw = Database::Open(path, OpenMode::kReadWrite);
  ASSERT_TRUE(rw) << rw.error().message;
  EXPECT_EQ(sqlite3_db_mutex((*rw)->handle()), nullptr);
  auto ro = Database::Open(path, OpenMode::kReadOnly);
  ASSERT_TRUE(ro) << ro.error().message;
  EXPECT_NE(sqlite3_db_mutex((*ro)->handle()), nullptr);
}

}  // namespace
}  // namespace bitten::store
