// The bot through a real app::Server with Telegram on (issue 6): commands typed into the
// telegram-test-api emulator (a real node process) reach the server by long polling, and the
// answers come back through the durable outbox to the emulator's chat. Also: invites (/start
// inv-<code>, store/invites.h), the webhook intake (POST /telegram/webhook, secret header) with a
// FaultServer standing in for the Bot API, and the group alert's life in the emulator's group chat
// (edited in place with the fired/filled counts, marked expired, deleted after the TTL) on a
// SimClock.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/bot_backend.h"
#include "app/config.h"
#include "app/core_telegram.h"
#include "app/http_client.h"
#include "app/outbox_adapter.h"
#include "app/server.h"
#include "base/clock.h"
#include "common/paths.h"
#include "store/db.h"
#include "store/invites.h"
#include "store/kv.h"
#include "store/missions.h"
#include "store/outbox.h"
#include "store/signals.h"
#include "store/statement.h"
#include "store/users.h"
#include "telegram/messages.h"
#include "unit/telegram/emulator_fixture.h"
#include "unit/telegram/fault_server.h"

namespace bitten::app {
namespace {

using bitten::testing::TempDir;
using nlohmann::json;
using telegram::testing::EmuChat;
using telegram::testing::EmuUser;
using telegram::testing::FaultServer;
using telegram::testing::TelegramEmulator;

constexpr const char* kToken = "4242:bot-test-token";

Config BaseConfig(const std::filesystem::path& dir) {
  Config c;
  c.server.address = "127.0.0.1";
  c.server.port = 0;
  c.store.path = (dir / "bitten.sqlite").string();
  c.engine.symbols = {"EURUSD"};
  c.telegram.token = kToken;
  c.telegram.bot_username = "bitten_test_bot";
  c.users.push_back({1001, "alice", missions::Tier::kCommander, ""});
  c.users.push_back({0, "erin", missions::Tier::kFang, ""});
  return c;
}

// Collects the bot's messages to `chat` until `n` arrived (or 20 s passed).
std::vector<json> WaitForBotMessages(TelegramEmulator& emu, std::int64_t chat, std::size_t n) {
  std::vector<json> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    for (const json& m : emu.BotMessages(kToken, chat)) got.push_back(m["message"]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return got;
}

std::string TextOf(const json& m) { return m.value("text", std::string()); }

class TelegramBotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(emu_.ok()) << emu_.error();
    config_ = BaseConfig(tmp_.path());
    config_.telegram.api_base = emu_.url();
  }
  void Start() {
    auto s = Server::Start(config_, clock_);
    ASSERT_TRUE(s) << s.error().code << ": " << s.error().message;
    server_ = std::move(*s);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  TempDir tmp_;
  TelegramEmulator emu_;
  Config config_;
  RealClock clock_;
  std::unique_ptr<Server> server_;
};

TEST_F(TelegramBotTest, EveryCommandIsAnsweredInPrivateAndOnlyHelpInGroups) {
  Start();
  const EmuUser alice{1001, "Alice", "alice"};
  const EmuChat dm{1001, "private"};
  for (const char* cmd : {"/help", "/status", "/stats", "/xp", "/missions", "/fire"}) {
    emu_.UserCommand(kToken, alice, dm, cmd);
  }
  const EmuChat group{-100777, "group"};
  emu_.UserCommand(kToken, alice, group, "/stats");  // ignored in groups
  emu_.UserCommand(kToken, alice, group, "/help");   // answered

  const auto replies = WaitForBotMessages(emu_, 1001, 6);
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_EQ(TextOf(replies[0]), CoreBotBackend::HelpText());
  EXPECT_NE(TextOf(replies[0]).find("/stats"), std::string::npos);
  EXPECT_NE(TextOf(replies[0]).find("/xp"), std::string::npos);
  EXPECT_EQ(TextOf(replies[1]), "Fires today: 0 of 20\nOpen: 0 of 5\nTerminal: none");
  EXPECT_EQ(TextOf(replies[2]), "Today: 0 of 20 fires · 0 of 5 open\nP&L +0.00");
  EXPECT_EQ(TextOf(replies[3]).rfind("XP 0", 0), 0u) << TextOf(replies[3]);
  EXPECT_EQ(TextOf(replies[4]), "No active missions.");
  EXPECT_EQ(TextOf(replies[5]), "You have no mission to fire right now.");

  const auto in_group = WaitForBotMessages(emu_, -100777, 1);
  ASSERT_EQ(in_group.size(), 1u);
  EXPECT_EQ(TextOf(in_group[0]), CoreBotBackend::HelpText());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(emu_.BotMessages(kToken, -100777).empty());  // /stats in the group: no answer
}

TEST_F(TelegramBotTest, InviteLinksTheAccountOnceAndIsRefusedForAnother) {
  Start();
  std::string erin;
  {
    auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
    ASSERT_TRUE(db);
    auto users = store::ListUsers(**db);
    ASSERT_TRUE(users);
    for (const auto& u : *users) {
      if (u.name == "erin") erin = u.user_id;
    }
  }
  ASSERT_FALSE(erin.empty());
  const TimeMs now = clock_.NowMs();
  ASSERT_TRUE(server_->writer().SubmitAndWait([&](store::Txn& txn) {
    if (Status s = store::InsertInvite(txn, {"inv-good", erin, now, now + 3600000, 0, 0}); !s)
      return s;
    return store::InsertInvite(txn, {"inv-old", erin, now - 7200000, now - 3600000, 0, 0});
  }));

  emu_.UserCommand(kToken, {2002, "Erin", "erin"}, {2002, "private"}, "/start inv-good");
  auto r = WaitForBotMessages(emu_, 2002, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(TextOf(r[0]).rfind("✅ Linked. Welcome to BITTEN, erin.", 0), 0u) << TextOf(r[0]);

  emu_.UserCommand(kToken, {2003, "Mallory", "mallory"}, {2003, "private"}, "/start inv-good");
  emu_.UserCommand(kToken, {2004, "Late", "late"}, {2004, "private"}, "/start inv-old");
  emu_.UserCommand(kToken, {2005, "Guess", "guess"}, {2005, "private"}, "/start inv-nope");
  auto used = WaitForBotMessages(emu_, 2003, 1);
  auto old = WaitForBotMessages(emu_, 2004, 1);
  auto nope = WaitForBotMessages(emu_, 2005, 1);
  ASSERT_EQ(used.size(), 1u);
  ASSERT_EQ(old.size(), 1u);
  ASSERT_EQ(nope.size(), 1u);
  EXPECT_EQ(TextOf(used[0]),
            "Could not link this account: This invite was already used by another account.");
  EXPECT_EQ(TextOf(old[0]), "Could not link this account: This invite has expired.");
  EXPECT_EQ(TextOf(nope[0]), "Could not link this account: This invite code is not known.");

  // Durable: erin is linked to 2002, and the invite records who used it.
  auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
  ASSERT_TRUE(db);
  auto u = store::GetUser(**db, erin);
  ASSERT_TRUE(u && *u);
  EXPECT_EQ((*u)->telegram_id, 2002);
  auto inv = store::GetInvite(**db, "inv-good");
  ASSERT_TRUE(inv && *inv);
  EXPECT_EQ((*inv)->used_by, 2002);
}

// The group alert's life through the emulator (issue 6): a SimClock server with a group, a signal
// with two pending missions of alice and its queued group alert put into the store as
// Core::OnSignal leaves them, and the server restarted on them (the core loads the live missions
// and their signal). Mission transitions are the store changes the core makes in its fire/result
// works, with the same QueueGroupAlertEdit call (the HTTP fire and terminal report path itself is
// covered by core_server_test).
class TelegramAlertTest : public TelegramBotTest {
 protected:
  static constexpr TimeMs kT0 = 1722261000000;  // 2024-07-29 13:50 UTC
  static constexpr std::int64_t kGroup = -100500;

  TelegramAlertTest() : sim_(kT0) {}

  // Starts the server, seeds the signal, missions and alert (sendable from `alert_not_before`),
  // restarts it.
  void StartWithAlert(TimeMs alert_not_before) {
    config_.telegram.group_chat_id = kGroup;
    config_.telegram.alert_delete_after_s = 60;
    config_.telegram.alert_countdown_s = countdown_s_;
    StartSim();
    std::string alice;
    {
      auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
      ASSERT_TRUE(db);
      auto users = store::ListUsers(**db);
      ASSERT_TRUE(users);
      for (const auto& u : *users) {
        if (u.name == "alice") alice = u.user_id;
      }
    }
    ASSERT_FALSE(alice.empty());
    sig_.signal_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
    sig_.symbol = "EURUSD";
    sig_.side = market::Side::kBuy;
    sig_.setup = "test";
    sig_.bar_time = kT0 - 60'000;
    sig_.entry = 1.08500;
    sig_.sl = 1.08250;
    sig_.tp = 1.08875;
    sig_.digits = 5;
    sig_.sl_pips = 25;
    sig_.tp_pips = 37.5;
    sig_.confidence = 75;
    sig_.created_at = kT0;
    sig_.expires_at = kT0 + 15 * 60'000;
    for (const char* id :
         {"0190f3b2-0000-7000-8000-000000000001", "0190f3b2-0000-7000-8000-000000000002"}) {
      missions::Mission m;
      m.mission_id = id;
      m.signal_id = sig_.signal_id;
      m.user_id = alice;
      m.symbol = sig_.symbol;
      m.side = sig_.side;
      m.entry = sig_.entry;
      m.sl = sig_.sl;
      m.tp = sig_.tp;
      m.sl_pips = sig_.sl_pips;
      m.tp_pips = sig_.tp_pips;
      m.lots = 0.10;
      m.risk_money = 25;
      m.reward_money = 37.5;
      m.account_ccy = "USD";
      m.created_at = kT0;
      m.expires_at = sig_.expires_at;
      ms_.push_back(m);
    }
    view_.signal_id = sig_.signal_id;
    view_.symbol = "EURUSD";
    view_.side = "BUY";
    view_.signal_class = "RAPID_ASSAULT";
    view_.confidence = 75;
    view_.shield_band = "UNVERIFIED";  // the stored signal carries no shield score
    view_.entry = "1.08500";
    view_.sl = "1.08250";
    view_.tp = "1.08875";
    view_.sl_pips = 25;
    view_.tp_pips = 37.5;
    view_.expires_at = sig_.expires_at;
    target_ = {kGroup, config_.telegram.bot_username, config_.telegram.webapp_short_name};
    ASSERT_TRUE(server_->writer().SubmitAndWait([&](store::Txn& txn) -> Status {
      auto r = store::InsertSignal(txn, sig_);
      if (!r) return tl::unexpected(r.error());
      if (Status m = store::InsertMissions(txn, ms_); !m) return m;
      const telegram::OutMessage alert = telegram::GroupAlert(view_, target_);
      store::OutboxMessage row;
      row.priority = kOutboxPriorityBase - telegram::kPriorityAlert;
      row.chat_id = kGroup;
      row.method = alert.method;
      row.payload = alert.params.dump();
      row.dedup_key = "alert:" + sig_.signal_id;
      row.created_at = kT0;
      row.not_before = alert_not_before;
      auto e = store::EnqueueOutbox(txn, row);
      if (!e) return tl::unexpected(e.error());
      return Ok();
    }));
    server_->Stop();
    StartSim();
  }
  void StartSim() {
    auto s = Server::Start(config_, sim_);
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
  }

  // The bot's messages in the group (edits applied, deleted ones gone).
  std::vector<json> GroupMessages() {
    std::vector<json> out;
    for (const json& h : emu_.History(kToken)) {
      const json& m = h.value("message", json::object());
      if (m.contains("chat_id") && m["chat_id"].dump() == std::to_string(kGroup)) {
        out.push_back(m);
      }
    }
    return out;
  }
  // Polls, the SimClock moving `step_ms` per round (for the rate limiter and the housekeeping),
  // until pred holds on the group's messages or 20 s passed.
  std::vector<json> WaitGroup(const std::function<bool(const std::vector<json>&)>& pred,
                              TimeMs step_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::vector<json> got = GroupMessages();
    while (!pred(got) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sim_.Advance(step_ms);
      got = GroupMessages();
    }
    return got;
  }
  // The single group message's text equals the alert with these counts.
  std::function<bool(const std::vector<json>&)> Shows(int fired, int filled, bool expired) {
    telegram::AlertView v = view_;
    v.fired = fired;
    v.filled = filled;
    v.expired = expired;
    const std::string text = telegram::GroupAlertText(v);
    return [text](const std::vector<json>& g) { return g.size() == 1 && TextOf(g[0]) == text; };
  }
  void WaitAlertMessageId() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
      ASSERT_TRUE(db);
      auto v = store::KvGet(**db, "alert_msg:" + sig_.signal_id);
      ASSERT_TRUE(v);
      if (*v) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "alert message id not recorded";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  void Transition(const std::string& mission, missions::MissionStatus from,
                  missions::MissionStatus to) {
    ASSERT_TRUE(server_->writer().SubmitAndWait([&](store::Txn& txn) -> Status {
      auto cas = store::CompareAndSetMissionStatus(txn, mission, from, to);
      if (!cas) return tl::unexpected(cas.error());
      if (!*cas) return Fail("test", "mission not in the expected state");
      return QueueGroupAlertEdit(txn, config_.telegram, sig_.signal_id, sim_.NowMs());
    }));
  }
  std::int64_t SentDeletes() {
    auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
    EXPECT_TRUE(db);
    if (!db) return -1;
    auto st = store::Statement::Prepare(
        (*db)->handle(),
        "SELECT COUNT(*) FROM outbox WHERE method = 'deleteMessage' AND status = 'sent'");
    EXPECT_TRUE(st);
    if (!st) return -1;
    auto row = st->Step();
    EXPECT_TRUE(row && *row);
    return st->Int(0);
  }
  // Still in the group at `not_yet` (before the deletion is due), deleted by `due`.
  void ExpectDeletedOnlyWhenDue(TimeMs not_yet, TimeMs due) {
    sim_.Set(not_yet);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_EQ(GroupMessages().size(), 1u) << "deleted before telegram.alert_delete_after_s";
    EXPECT_EQ(SentDeletes(), 0);
    sim_.Set(due);
    auto g = WaitGroup([](const std::vector<json>& g) { return g.empty(); }, 0);
    EXPECT_TRUE(g.empty()) << "the expired alert was not deleted";
    EXPECT_EQ(SentDeletes(), 1);
  }

  // Counts the outbox's edit rows in `status` (and with `key_part` in their dedup key).
  std::int64_t EditRows(const std::string& status, const std::string& key_part = "") {
    auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
    EXPECT_TRUE(db);
    if (!db) return -1;
    auto st = store::Statement::Prepare(
        (*db)->handle(),
        "SELECT COUNT(*) FROM outbox WHERE method = 'editMessageText' AND status = ?1 AND "
        "instr(dedup_key, ?2) > 0");
    EXPECT_TRUE(st);
    if (!st) return -1;
    st->Bind(1, status).Bind(2, key_part);
    auto row = st->Step();
    EXPECT_TRUE(row && *row);
    return st->Int(0);
  }
  // The single group message shows the alert with this countdown.
  std::function<bool(const std::vector<json>&)> ShowsLeft(int minutes) {
    telegram::AlertView v = view_;
    v.minutes_left = minutes;
    const std::string text = telegram::GroupAlertText(v);
    return [text](const std::vector<json>& g) { return g.size() == 1 && TextOf(g[0]) == text; };
  }

  // The bot's next message to `chat`, the SimClock moving 1 s per round (the per-chat limit),
  // or null after 20 s.
  json NextDm(std::int64_t chat) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const json& m : emu_.BotMessages(kToken, chat))
        pending_dms_[chat].push_back(m["message"]);
      if (!pending_dms_[chat].empty()) {
        json m = pending_dms_[chat].front();
        pending_dms_[chat].erase(pending_dms_[chat].begin());
        return m;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sim_.Advance(1000);
    }
    return nullptr;
  }

  std::map<std::int64_t, std::vector<json>> pending_dms_;
  std::int64_t countdown_s_ = 0;  // telegram.alert_countdown_s (off unless a test turns it on)
  SimClock sim_;
  venom::Signal sig_;
  std::vector<missions::Mission> ms_;
  telegram::AlertView view_;
  telegram::AlertTarget target_;
};

TEST_F(TelegramAlertTest, EditedInPlaceAsMissionsFireAndFillThenExpiredThenDeleted) {
  StartWithAlert(0);
  auto g = WaitGroup([](const std::vector<json>& g) { return !g.empty(); }, 1000);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(TextOf(g[0]), telegram::GroupAlertText(view_));
  EXPECT_EQ(g[0]["reply_markup"], telegram::GroupAlert(view_, target_).params["reply_markup"]);
  WaitAlertMessageId();

  Transition(ms_[0].mission_id, missions::MissionStatus::kPending, missions::MissionStatus::kFired);
  g = WaitGroup(Shows(1, 0, false), 1000);
  ASSERT_EQ(g.size(), 1u) << "edited in place, never a second message";
  EXPECT_NE(TextOf(g[0]).find("🔥 1 fired"), std::string::npos) << TextOf(g[0]);
  EXPECT_TRUE(Shows(1, 0, false)(g));

  Transition(ms_[0].mission_id, missions::MissionStatus::kFired, missions::MissionStatus::kFilled);
  g = WaitGroup(Shows(1, 1, false), 1000);
  EXPECT_TRUE(Shows(1, 1, false)(g)) << (g.empty() ? "no message" : TextOf(g[0]));
  EXPECT_NE(TextOf(g.at(0)).find("🔥 1 fired · ✅ 1 filled"), std::string::npos);

  // The expiry passes: the housekeeping expires the other mission and marks the alert.
  sim_.Set(sig_.expires_at + 1000);
  g = WaitGroup(Shows(1, 1, true), 0);
  ASSERT_TRUE(Shows(1, 1, true)(g)) << (g.empty() ? "no message" : TextOf(g[0]));
  EXPECT_NE(TextOf(g[0]).find("⌛ expired"), std::string::npos);
  EXPECT_EQ(g[0]["reply_markup"], telegram::GroupAlert(view_, target_).params["reply_markup"]);
  // alert_delete_after_s = 60 after the expiry.
  ExpectDeletedOnlyWhenDue(sig_.expires_at + 59'000, sig_.expires_at + 61'000);
}

// The countdown (telegram.alert_countdown_s = 60): the alert is edited in place to the whole
// minutes left each time a minute passes; edits queued faster than they can be sent coalesce into
// one pending edit (the newest), so the group's 20/min is spent on the current state only.
TEST_F(TelegramAlertTest, CountdownEditedInPlaceEachMinuteAndPendingEditsCoalesce) {
  countdown_s_ = 60;
  StartWithAlert(0);
  auto g = WaitGroup([](const std::vector<json>& g) { return !g.empty(); }, 1000);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(TextOf(g[0]), telegram::GroupAlertText(view_));  // sent without a countdown
  WaitAlertMessageId();
  ASSERT_LT(sim_.NowMs(), kT0 + 60'000);

  sim_.Set(kT0 + 60'500);  // 13 min 59.5 s left: shown as 14
  g = WaitGroup(ShowsLeft(14), 0);
  ASSERT_TRUE(ShowsLeft(14)(g)) << (g.empty() ? "no message" : TextOf(g[0]));
  EXPECT_NE(TextOf(g[0]).find("Expires 14:05 UTC\n⏳ 14 min left"), std::string::npos)
      << TextOf(g[0]);
  EXPECT_EQ(g[0]["reply_markup"], telegram::GroupAlert(view_, target_).params["reply_markup"]);

  // Three states queued in one work (as a backlog would): one pending edit, the newest.
  std::int64_t pending_in_work = -1;
  ASSERT_TRUE(server_->writer().SubmitAndWait([&](store::Txn& txn) -> Status {
    for (TimeMs t : {kT0 + 120'500, kT0 + 180'500, kT0 + 240'500}) {
      if (Status s = QueueGroupAlertEdit(txn, config_.telegram, sig_.signal_id, t); !s) return s;
    }
    auto st = store::Statement::Prepare(
        txn.handle(),
        "SELECT COUNT(*) FROM outbox WHERE method = 'editMessageText' AND status = 'pending'");
    if (!st) return tl::unexpected(st.error());
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    pending_in_work = st->Int(0);
    return Ok();
  }));
  EXPECT_EQ(pending_in_work, 1);
  sim_.Set(kT0 + 240'500);  // the housekeeping's own t11 edit is the one already queued
  g = WaitGroup(ShowsLeft(11), 0);
  ASSERT_TRUE(ShowsLeft(11)(g)) << (g.empty() ? "no message" : TextOf(g[0]));
  ASSERT_TRUE(
      WaitGroup([&](const std::vector<json>&) { return EditRows("pending") == 0; }, 0).size() ==
      1u);
  EXPECT_EQ(EditRows("sent", ":t13"), 0);
  EXPECT_EQ(EditRows("sent", ":t12"), 0);
  EXPECT_EQ(EditRows("sent", ":t11"), 1);
  EXPECT_EQ(EditRows("sent"), 2);  // t14 and t11, nothing else

  // The expiry replaces the countdown with "expired".
  sim_.Set(sig_.expires_at + 1000);
  g = WaitGroup(Shows(0, 0, true), 0);
  ASSERT_TRUE(Shows(0, 0, true)(g)) << (g.empty() ? "no message" : TextOf(g[0]));
  EXPECT_EQ(TextOf(g[0]).find("⏳"), std::string::npos);
}

// The bot with live missions, typed and pressed in the emulator: /start with a startapp payload
// (the alert's signal id) and with a link payload, /missions, /fire <id>, the "🔥 Fire" button
// asking for confirmation, Confirm and Cancel, a refusal in words, and the presser (not the chat)
// authorizing a button.
TEST_F(TelegramAlertTest, MissionCommandsAndFireButtonsThroughTheEmulator) {
  StartWithAlert(0);
  const EmuUser alice{1001, "Alice", "alice"};
  const EmuChat dm{1001, "private"};
  const std::string m0 = ms_[0].mission_id, m1 = ms_[1].mission_id;

  emu_.UserCommand(kToken, alice, dm, "/start " + sig_.signal_id);  // the alert's startapp link
  json r = NextDm(1001);
  ASSERT_TRUE(r.is_object()) << "no answer to /start <signal_id>";
  EXPECT_EQ(TextOf(r).rfind("Your mission:\nEURUSD BUY · RAPID_ASSAULT · pending", 0), 0u)
      << TextOf(r);
  EXPECT_TRUE(TextOf(r).find(m0) != std::string::npos || TextOf(r).find(m1) != std::string::npos)
      << TextOf(r);

  emu_.UserCommand(kToken, alice, dm, "/missions");
  r = NextDm(1001);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r).rfind("Active missions:\n", 0), 0u) << TextOf(r);
  EXPECT_NE(TextOf(r).find(m0), std::string::npos);
  EXPECT_NE(TextOf(r).find(m1), std::string::npos);

  // "🔥 Fire" asks for confirmation first.
  emu_.UserCallback(kToken, alice, dm, 77, "fire:" + m0);
  r = NextDm(1001);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r), "Fire EURUSD BUY 0.10 lots?");
  const json& row = r["reply_markup"]["inline_keyboard"][0];
  ASSERT_EQ(row.size(), 2u) << r.dump();
  EXPECT_EQ(row[0]["text"], "✅ Confirm");
  EXPECT_EQ(row[0]["callback_data"], "confirm:" + m0);
  EXPECT_EQ(row[1]["text"], "✖ Cancel");
  EXPECT_EQ(row[1]["callback_data"], "cancel:" + m0);

  // Confirm goes through the core's fire path: alice has no terminal, so it is refused, in words.
  emu_.UserCallback(kToken, alice, dm, 78, "confirm:" + m0);
  r = NextDm(1001);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r).rfind("⛔ Fire " + m0.substr(0, 8) + " refused: ", 0), 0u) << TextOf(r);
  EXPECT_NE(TextOf(r).find("terminal"), std::string::npos) << "the reason, in words: " << TextOf(r);
  // /fire <id> takes the same path.
  emu_.UserCommand(kToken, alice, dm, "/fire " + m1);
  r = NextDm(1001);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r).rfind("⛔ Fire " + m1.substr(0, 8) + " refused: ", 0), 0u) << TextOf(r);
  emu_.UserCommand(kToken, alice, dm, "/fire not-an-id");
  r = NextDm(1001);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r), "That is not a mission id. Send /missions to see yours.");

  // The presser authorizes, never the chat: mallory presses alice's button in a group.
  const EmuUser mallory{2003, "Mallory", "mallory"};
  emu_.UserCallback(kToken, mallory, {-100777, "group"}, 79, "fire:" + m0);
  r = NextDm(-100777);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r), "This identity is not linked to a BITTEN user.")
      << "a confirmation for someone else's mission";
  EXPECT_FALSE(r.contains("reply_markup")) << r.dump();

  // /start link-...: dev login is off on this server, so it says so.
  emu_.UserCommand(kToken, alice, dm, "/start link-abc");
  r = NextDm(1001);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r), "Invite links are not enabled on this server. Ask your operator.");

  // Cancel changes nothing: no message, no fire (answered with "Cancelled." in the callback).
  emu_.UserCallback(kToken, alice, dm, 80, "cancel:" + m0);
  emu_.UserCommand(kToken, alice, dm, "/missions");
  r = NextDm(1001);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(TextOf(r).rfind("Active missions:", 0), 0u) << TextOf(r);
  EXPECT_NE(TextOf(r).find("pending"), std::string::npos) << TextOf(r);
  auto db = store::Database::Open(config_.store.path, store::OpenMode::kReadOnly);
  ASSERT_TRUE(db);
  auto st = store::Statement::Prepare((*db)->handle(), "SELECT COUNT(*) FROM fires");
  ASSERT_TRUE(st);
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Int(0), 0);
}

// An alert still in the outbox when its signal expires (a backlog) is marked expired and deleted
// once it has been sent, not forgotten.
TEST_F(TelegramAlertTest, AlertSentOnlyAfterItsExpiryIsStillMarkedAndDeleted) {
  StartWithAlert(kT0 + 15 * 60'000 + 5000);  // held back until 5 s after the expiry
  sim_.Set(sig_.expires_at + 1000);  // the housekeeping sees the expiry before the alert is out
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_TRUE(GroupMessages().empty());
  sim_.Set(sig_.expires_at + 6000);
  auto g = WaitGroup(Shows(0, 0, true), 200);  // the clock moves for the per-chat limit
  ASSERT_TRUE(Shows(0, 0, true)(g)) << (g.empty() ? "no message" : TextOf(g[0]));
  // The deletion is due alert_delete_after_s after the later of the expiry and the edit.
  const TimeMs edited_by = sim_.NowMs();
  ExpectDeletedOnlyWhenDue(sig_.expires_at + 59'000, edited_by + 61'000);
}

TEST(TelegramWebhook, SecretHeaderCheckedUpdatesDispatchedOnceAndAnswered) {
  TempDir tmp;
  FaultServer api({FaultServer::Json(
      200, R"({"ok":true,"result":{"message_id":9,"chat":{"id":1001},"text":"x"}})")});
  Config config = BaseConfig(tmp.path());
  config.telegram.api_base = api.url();
  config.telegram.webhook_url = "https://bot.example.org/telegram/webhook";
  config.telegram.webhook_secret = "s3cret_Token-1";
  ASSERT_TRUE(config.Validate());
  RealClock clock;
  auto server = Server::Start(config, clock);
  ASSERT_TRUE(server) << server.error().message;

  // setWebhook was called with the URL and the secret.
  auto reqs = api.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_NE(reqs[0].path.find("/setWebhook"), std::string::npos);
  const json set = json::parse(reqs[0].body);
  EXPECT_EQ(set["url"], config.telegram.webhook_url);
  EXPECT_EQ(set["secret_token"], config.telegram.webhook_secret);

  HttpClient http({"http://127.0.0.1:" + std::to_string((*server)->port()), 2000, 10000});
  const json update = {{"update_id", 500},
                       {"message",
                        {{"message_id", 1},
                         {"from", {{"id", 1001}, {"first_name", "Alice"}}},
                         {"chat", {{"id", 1001}, {"type", "private"}}},
                         {"text", "/help"}}}};
  auto no_secret = http.Send("POST", "/telegram/webhook", update.dump(), {});
  ASSERT_TRUE(no_secret);
  EXPECT_EQ(no_secret->status, 401);
  auto wrong = http.Send("POST", "/telegram/webhook", update.dump(),
                         {{"X-Telegram-Bot-Api-Secret-Token", "s3cret_Token-2"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  const HttpHeaders ok_header{{"X-Telegram-Bot-Api-Secret-Token", "s3cret_Token-1"},
                              {"Content-Type", "application/json"}};
  auto bad = http.Send("POST", "/telegram/webhook", "[1,2]", ok_header);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto good = http.Send("POST", "/telegram/webhook", update.dump(), ok_header);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  auto again = http.Send("POST", "/telegram/webhook", update.dump(), ok_header);  // redelivery
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);

  // Exactly one /help answer went out through the outbox.
  auto help_sends = [&] {
    int n = 0;
    for (const auto& r : api.requests()) {
      if (r.path.find("/sendMessage") == std::string::npos) continue;
      const json b = json::parse(r.body, nullptr, false);
      if (b.value("chat_id", 0) == 1001 && b.value("text", "") == CoreBotBackend::HelpText()) ++n;
    }
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (help_sends() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // a duplicate would follow
  EXPECT_EQ(help_sends(), 1);
  for (const auto& r : api.requests()) {
    EXPECT_EQ(r.path.find("/getUpdates"), std::string::npos) << "polling while on a webhook";
  }
  (*server)->Stop();
}

TEST(TelegramAlertConfig, CountdownIsOffOrAtLeastThreeSeconds) {
  TempDir tmp;
  Config config = BaseConfig(tmp.path());
  EXPECT_EQ(config.telegram.alert_countdown_s, 60);
  EXPECT_TRUE(config.Validate());
  for (std::int64_t bad : {-1, 1, 2, 3601}) {
    config.telegram.alert_countdown_s = bad;
    auto v = config.Validate();
    ASSERT_FALSE(v) << bad;
    EXPECT_NE(v.error().message.find("telegram.alert_countdown_s"), std::string::npos);
  }
  for (std::int64_t ok : {0, 3, 60, 3600}) {
    config.telegram.alert_countdown_s = ok;
    EXPECT_TRUE(config.Validate()) << ok;
  }
}

TEST(TelegramWebhook, ConfigRequiresAWellFormedSecret) {
  TempDir tmp;
  Config config = BaseConfig(tmp.path());
  config.telegram.webhook_url = "https://bot.example.org/telegram/webhook";
  auto v = config.Validate();
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("telegram.webhook_secret"), std::string::npos);
  config.telegram.webhook_secret = "has space";
  EXPECT_FALSE(config.Validate());
  config.telegram.webhook_secret = "ok_secret-1";
  EXPECT_TRUE(config.Validate());
}

}  // namespace
}  // namespace bitten::app
