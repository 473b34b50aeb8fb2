#include "bridge/codec.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/crypto.h"

namespace bitten::bridge {
namespace {

const std::string kSecret =
    *FromHex("6b1f0c8e4a2d9b7310fe55aa0c3d2e1f8a9b7c6d5e4f30211203f4e5d6c7b8a9");

FireCommand ContractExample() {
  FireCommand c;
  c.fire_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  c.mission_id = "0190f3b2-6c1d-7000-8000-00000000abcd";
  c.action = FireAction::kOpen;
  c.symbol = "EURUSD";
  c.side = market::Side::kBuy;
  c.volume = 0.12;
  c.sl = 1.0825;
  c.tp = 1.0875;
  c.max_slippage_points = 20;
  c.expires_at = 1722290000000;
  c.magic = 20250729;
  c.comment = "BITTEN 0190f3b2";
  return c;
}

// Signs arbitrary fire.txt body bytes the way the contract says, independently of the encoder.
std::string SignFireBody(const std::string& body) {
  return body + "sig=" + HmacSha256Hex(kSecret, body) + "\n";
}

TEST(FireCodec, EncodesTheContractTextExactly) {
  const std::string text = EncodeFireCommand(ContractExample(), kSecret, 5, 2);
  const std::string body =
      "BITTEN-FIRE 1\n"
      "fire_id=0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d\n"
      "mission_id=0190f3b2-6c1d-7000-8000-00000000abcd\n"
      "action=open\n"
      "symbol=EURUSD\n"
      "side=BUY\n"
      "volume=0.12\n"
      "sl=1.08250\n"
      "tp=1.08750\n"
      "max_slippage_points=20\n"
      "expires_at=1722290000000\n"
      "magic=20250729\n"
      "comment=BITTEN 0190f3b2\n";
  EXPECT_EQ(text, body + "sig=" + HmacSha256Hex(kSecret, body) + "\n");
}

TEST(FireCodec, RoundTrips) {
  const FireCommand in = ContractExample();
  auto out = ParseFireCommand(EncodeFireCommand(in, kSecret, 5, 2), kSecret);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->fire_id, in.fire_id);
  EXPECT_EQ(out->mission_id, in.mission_id);
  EXPECT_EQ(out->action, FireAction::kOpen);
  EXPECT_EQ(out->symbol, "EURUSD");
  EXPECT_EQ(out->side, market::Side::kBuy);
  EXPECT_DOUBLE_EQ(out->volume, 0.12);
  EXPECT_DOUBLE_EQ(out->sl, 1.0825);
  EXPECT_DOUBLE_EQ(out->tp, 1.0875);
  EXPECT_EQ(out->max_slippage_points, 20);
  EXPECT_EQ(out->expires_at, 1722290000000);
  EXPECT_EQ(out->magic, 20250729);
  EXPECT_EQ(out->comment, "BITTEN 0190f3b2");
}

TEST(FireCodec, CloseOmitsTradeKeysAndRoundTrips) {
  FireCommand in = ContractExample();
  in.action = FireAction::kClose;
  in.symbol = "";
  const std::string text = EncodeFireCommand(in, kSecret, 5, 2);
  EXPECT_EQ(text.find("side="), std::string::npos);
  EXPECT_EQ(text.find("volume="), std::string::npos);
  EXPECT_EQ(text.find("symbol="), std::string::npos);
  auto out = ParseFireCommand(text, kSecret);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, FireAction::kClose);
}

TEST(FireCodec, TamperedTextIsBadSignature) {
  std::string text = EncodeFireCommand(ContractExample(), kSecret, 5, 2);
  text.replace(text.find("volume=0.12"), 11, "volume=9.12");
  auto out = ParseFireCommand(text, kSecret);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, "bad_signature");
  // The right text with another secret is refused the same way.
  auto other = ParseFireCommand(EncodeFireCommand(ContractExample(), kSecret, 5, 2),
                                std::string(32, '\x01'));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "bad_signature");
}

TEST(FireCodec, HexTextOfTheSecretIsNotTheKey) {
  // The HMAC key is the 32 raw bytes; signing with the 64 hex characters must not verify.
  const std::string text = EncodeFireCommand(ContractExample(), ToHex(kSecret), 5, 2);
  auto out = ParseFireCommand(text, kSecret);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, "bad_signature");
}

TEST(FireCodec, UnknownKeysAreIgnoredButSigned) {
  const std::string text = EncodeFireCommand(ContractExample(), kSecret, 5, 2);
  std::string body = text.substr(0, text.find("sig="));
  body += "future_key=whatever=with=equals\n";
  auto out = ParseFireCommand(SignFireBody(body), kSecret);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->symbol, "EURUSD");
}

TEST(FireCodec, MalformedTextsNameTheirFault) {
  const std::string good = EncodeFireCommand(ContractExample(), kSecret, 5, 2);
  const std::string body = good.substr(0, good.find("sig="));
  struct Case {
    std::string text;
    std::string in_message;
  };
  auto without = [&body](const std::string& key) {
    const std::size_t at = body.find(key + "=");
    const std::size_t nl = body.find('\n', at);
    return body.substr(0, at) + body.substr(nl + 1);
  };
  auto replaced = [&body](const std::string& from, const std::string& to) {
    std::string b = body;
    b.replace(b.find(from), from.size(), to);
    return b;
  };
  const std::vector<Case> cases = {
      {"BITTEN-FIRE 2\n" + body.substr(14), "first line"},
      {body, "no sig line"},
      {body + "sig=zz\n", "64 lowercase hex"},
      {SignFireBody(without("expires_at")), "expires_at"},
      {SignFireBody(without("side")), "side"},
      {SignFireBody(replaced("volume=0.12", "volume=abc")), "volume"},
      {SignFireBody(replaced("volume=0.12", "volume=0")), "volume"},
      {SignFireBody(replaced("sl=1.08250", "sl=-1")), "sl"},
      {SignFireBody(replaced("action=open", "action=modify")), "action"},
      {SignFireBody(replaced("fire_id=0190f3b2", "fire_id=0190F3B2")), "fire_id"},
      {SignFireBody(replaced("comment=BITTEN 0190f3b2", "comment=" + std::string(32, 'x'))),
       "comment"},
      {SignFireBody(body + "side=SELL\n"), "duplicate key"},
      {SignFireBody(body) + "extra\n", "after the sig line"},
  };
  for (const Case& c : cases) {
    auto out = ParseFireCommand(c.text, kSecret);
    ASSERT_FALSE(out) << c.in_message;
    EXPECT_EQ(out.error().code, "malformed") << c.in_message << ": " << out.error().message;
    EXPECT_NE(out.error().message.find(c.in_message), std::string::npos) << out.error().message;
  }
}

TEST(FireCodec, CommentIsTruncatedAtAUtf8Boundary) {
  FireCommand c = ContractExample();
  c.comment = std::string(30, 'a') + "\xc3\xa9" + "tail";  // é straddles byte 31
  auto out = ParseFireCommand(EncodeFireCommand(c, kSecret, 5, 2), kSecret);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->comment, std::string(30, 'a'));
}

TEST(FireCodec, PeekFireIdReadsUnverifiedText) {
  EXPECT_EQ(PeekFireId("BITTEN-FIRE 1\nfire_id=abc\nsig=00\n"), "abc");
  EXPECT_EQ(PeekFireId("garbage"), "");
}

ResultRecord Fill() {
  ResultRecord r;
  r.seq = 17;
  r.type = ResultType::kFill;
  r.terminal = "t1";
  r.fire_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
  r.mission_id = "0190f3b2-6c1d-7000-8000-00000000abcd";
  r.retcode = 10009;
  r.order = 512331;
  r.deal = 498812;
  r.position = 512331;
  r.symbol = "EURUSD";
  r.side = market::Side::kBuy;
  r.volume = 0.12;
  r.price = 1.08501;
  r.sl = 1.0825;
  r.tp = 1.0875;
  r.time = 1722289995123;
  return r;
}

TEST(ResultCodec, FillHasTheContractMemberOrderAndSignsItsPrefix) {
  const std::string line = EncodeResultLine(Fill(), kSecret);
  ASSERT_EQ(line.back(), '\n');
  const std::string prefix =
      R"({"v":1,"seq":17,"type":"fill","terminal":"t1",)"
      R"("fire_id":"0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d",)"
      R"("mission_id":"0190f3b2-6c1d-7000-8000-00000000abcd","retcode":10009,"order":512331,)"
      R"("deal":498812,"position":512331,"symbol":"EURUSD","side":"BUY","volume":0.12,)"
      R"("price":1.08501,"sl":1.0825,"tp":1.0875,"time":1722289995123)";
  EXPECT_EQ(line, prefix + R"(,"sig":")" + HmacSha256Hex(kSecret, prefix) + "\"}\n");
}

TEST(ResultCodec, EveryTypeRoundTrips) {
  std::vector<ResultRecord> records;
  records.push_back(Fill());
  ResultRecord reject;
  reject.type = ResultType::kReject;
  reject.retcode = 10016;
  reject.reason = "invalid stops";
  ResultRecord close;
  close.type = ResultType::kClose;
  close.position = 512331;
  close.price = 1.0875;
  close.volume = 0.12;
  close.profit = 30;
  close.commission = -0.84;
  close.reason = "tp";
  records.push_back(reject);
  records.push_back(close);
  for (ResultType t : {ResultType::kExpired, ResultType::kDuplicate, ResultType::kBadSignature}) {
    ResultRecord r;
    r.type = t;
    r.reason = "why";
    records.push_back(r);
  }
  std::int64_t seq = 1;
  for (ResultRecord r : records) {
    r.seq = seq++;
    r.terminal = "t1";
    if (r.fire_id.empty()) r.fire_id = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
    r.time = 1722289995123;
    const std::string line = EncodeResultLine(r, kSecret);
    auto back = ParseResultLine(line, kSecret);
    ASSERT_TRUE(back) << line << " " << back.error().message;
    EXPECT_EQ(back->type, r.type);
    EXPECT_EQ(back->seq, r.seq);
    EXPECT_EQ(back->fire_id, r.fire_id);
    EXPECT_EQ(back->retcode, r.retcode);
    EXPECT_EQ(back->reason, r.reason);
    EXPECT_DOUBLE_EQ(back->price, r.price);
    EXPECT_DOUBLE_EQ(back->profit, r.profit);
    EXPECT_DOUBLE_EQ(back->commission, r.commission);
    EXPECT_EQ(EncodeResultLine(*back, kSecret), line);  // nothing lost, order stable
  }
}

TEST(ResultCodec, VerifiesRawBytesSoTheEasFormattingIsAccepted) {
  // The EA writes prices at the symbol's digits ("1.08250"); the signature covers those bytes.
  const std::string prefix =
      R"({"v":1,"seq":18,"type":"reject","terminal":"t1","fire_id":"f","retcode":10016,)"
      R"("reason":"invalid stops","time":1722289995123)";
  const std::string line = prefix + R"(,"sig":")" + HmacSha256Hex(kSecret, prefix) + "\"}\r\n";
  auto r = ParseResultLine(line, kSecret);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->type, ResultType::kReject);
  EXPECT_EQ(r->retcode, 10016);
}

TEST(ResultCodec, TamperedOrBrokenLinesAreRefused) {
  std::string line = EncodeResultLine(Fill(), kSecret);
  std::string tampered = line;
  tampered.replace(tampered.find("\"volume\":0.12"), 13, "\"volume\":9.12");
  auto bad = ParseResultLine(tampered, kSecret);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "bad_signature");

  EXPECT_EQ(ParseResultLine("not json\n", kSecret).error().code, "malformed");
  EXPECT_EQ(ParseResultLine(line.substr(0, line.size() - 10), kSecret).error().code, "malformed");
  // A signed line with a missing member is malformed, naming the member.
  const std::string prefix = R"({"v":1,"seq":3,"type":"fill","terminal":"t1","fire_id":"f")";
  auto missing =
      ParseResultLine(prefix + R"(,"sig":")" + HmacSha256Hex(kSecret, prefix) + "\"}", kSecret);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "malformed");
  EXPECT_NE(missing.error().message.find("time"), std::string::npos) << missing.error().message;
}

Heartbeat SampleHeartbeat() {
  Heartbeat hb;
  hb.terminal = "t1";
  hb.time = 1722289995123;
  hb.login = 51234567;
  hb.server = "Broker-Demo";
  hb.currency = "USD";
  hb.balance = 10000;
  hb.equity = 10012.5;
  hb.margin_free = 9800;
  hb.leverage = 100;
  hb.connected = true;
  hb.trade_allowed = true;
  hb.positions = 2;
  hb.ea_version = "1.0.0";
  SymbolSpec s;
  s.name = "EURUSD";
  s.broker_name = "EURUSD.m";
  hb.symbols = std::vector<SymbolSpec>{s};
  return hb;
}

TEST(HeartbeatCodec, RoundTripsWithSymbolsInContractOrder) {
  const std::string text = EncodeHeartbeat(SampleHeartbeat(), kSecret);
  EXPECT_EQ(text.rfind(R"({"v":1,"terminal":"t1","time":1722289995123,"login":51234567,)", 0), 0u);
  EXPECT_NE(text.find(R"("symbols":[{"name":"EURUSD","broker_name":"EURUSD.m","digits":5,)"),
            std::string::npos)
      << text;
  auto hb = ParseHeartbeat(text, kSecret);
  ASSERT_TRUE(hb) << hb.error().message;
  EXPECT_EQ(hb->login, 51234567);
  EXPECT_DOUBLE_EQ(hb->equity, 10012.5);
  EXPECT_TRUE(hb->connected);
  ASSERT_TRUE(hb->symbols);
  ASSERT_EQ(hb->symbols->size(), 1u);
  EXPECT_EQ((*hb->symbols)[0].broker_name, "EURUSD.m");
  EXPECT_EQ((*hb->symbols)[0].filling, "IOC");

  Heartbeat without = SampleHeartbeat();
  without.symbols.reset();
  auto back = ParseHeartbeat(EncodeHeartbeat(without, kSecret), kSecret);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->symbols);

  std::string tampered = text;
  tampered.replace(tampered.find("\"connected\":true"), 16, "\"connected\":fals");
  EXPECT_EQ(ParseHeartbeat(tampered, kSecret).error().code, "bad_signature");
}

TEST(TickBatchCodec, RoundTripsAndRefusesBadQuotes) {
  TickBatch in{
      "t1",
      {{"EURUSD", 1722289995123, 1.08501, 1.08512}, {"USDJPY", 1722289995124, 150.101, 150.113}}};
  const std::string body = EncodeTickBatch(in);
  EXPECT_EQ(
      body.rfind(R"({"terminal":"t1","ticks":[{"s":"EURUSD","t":1722289995123,"b":1.08501,)", 0),
      0u)
      << body;
  auto out = ParseTickBatch(body);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->ticks.size(), 2u);
  EXPECT_EQ(out->ticks[1].symbol, "USDJPY");
  EXPECT_DOUBLE_EQ(out->ticks[1].ask, 150.113);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"terminal":"t1","ticks":[{"s":"EURUSD","t":1,"b":1.1,"a":1.0}]})", "crossed"},
      {R"({"terminal":"t1","ticks":[{"s":"","t":1,"b":1.0,"a":1.1}]})", "empty symbol"},
      {R"({"terminal":"t1","ticks":[{"s":"EURUSD","t":1,"b":0,"a":1.1}]})", "not positive"},
      {R"({"terminal":"t1","ticks":[{"s":"EURUSD","t":1,"b":-1,"a":1.1}]})", "not positive"},
      {R"({"terminal":"t1","ticks":[{"s":"EURUSD","t":1,"b":"1","a":1.1}]})", "\"b\""},
      {R"({"terminal":"","ticks":[]})", "empty terminal"},
      {R"({"terminal":"t1"})", "ticks"},
      {R"([1,2])", "not a JSON object"},
  };
  for (const auto& [text, why] : bad) {
    auto r = ParseTickBatch(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, "malformed");
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  }
  TickBatch big{"t1", std::vector<market::Tick>(3, {"EURUSD", 1, 1.0, 1.1})};
  EXPECT_FALSE(ParseTickBatch(EncodeTickBatch(big), 2));
}

TEST(RequestSigning, SignsTheContractString) {
  EXPECT_EQ(SignRequest(kSecret, 1722289995123, "POST", "/api/report", "{}"),
            HmacSha256Hex(kSecret, "1722289995123\nPOST\n/api/report\n{}"));
}

TEST(RequestVerifier, AcceptsOnceAndRefusesSkewForgeryAndReplay) {
  RequestVerifier v;
  const TimeMs now = 1722289995123;
  const std::string body = R"({"x":1})";
  const std::string sig = SignRequest(kSecret, now - 1000, "POST", "/api/report", body);
  const std::string ts = std::to_string(now - 1000);
  ASSERT_TRUE(v.Verify(kSecret, ts, sig, "POST", "/api/report", body, now));

  auto replay = v.Verify(kSecret, ts, sig, "POST", "/api/report", body, now + 5);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, "unauthorized");
  EXPECT_EQ(replay.error().message, "replayed request signature");

  auto other_body = v.Verify(kSecret, ts, sig, "POST", "/api/report", R"({"x":2})", now);
  ASSERT_FALSE(other_body);
  EXPECT_EQ(other_body.error().message, "bad request signature");

  auto other_path = v.Verify(kSecret, ts, sig, "POST", "/api/heartbeat", body, now);
  ASSERT_FALSE(other_path);
  EXPECT_EQ(other_path.error().message, "bad request signature");

  const TimeMs old = now - 30'001;
  auto stale =
      v.Verify(kSecret, std::to_string(old), SignRequest(kSecret, old, "POST", "/api/report", body),
               "POST", "/api/report", body, now);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("30001 ms away"), std::string::npos)
      << stale.error().message;
  const TimeMs future = now + 30'001;
  EXPECT_FALSE(v.Verify(kSecret, std::to_string(future),
                        SignRequest(kSecret, future, "POST", "/api/report", body), "POST",
                        "/api/report", body, now));
  // Exactly 30 s away is still inside the window.
  const TimeMs edge = now - 30'000;
  EXPECT_TRUE(v.Verify(kSecret, std::to_string(edge),
                       SignRequest(kSecret, edge, "POST", "/api/report", body), "POST",
                       "/api/report", body, now));

  for (const char* ts_text : {"", "abc", "+1722289995123", "01722289995123", "-5"}) {
    auto r = v.Verify(kSecret, ts_text, sig, "POST", "/api/report", body, now);
    ASSERT_FALSE(r) << ts_text;
    EXPECT_EQ(r.error().message, "missing or malformed X-Bitten-Timestamp");
  }
}

TEST(RequestVerifier, ForgetsSignaturesOnlyAfterTheWindow) {
  RequestVerifier v;
  const TimeMs t0 = 1722289995123;
  for (int i = 0; i < 10; ++i) {
    const TimeMs ts = t0 + i;
    ASSERT_TRUE(v.Verify(kSecret, std::to_string(ts),
                         SignRequest(kSecret, ts, "POST", "/api/ticks", "{}"), "POST", "/api/ticks",
                         "{}", t0 + 10));
  }
  EXPECT_EQ(v.cached(), 10u);
  const TimeMs late = t0 + 30'005;  // t0..t0+4 have left the window
  ASSERT_TRUE(v.Verify(kSecret, std::to_string(late),
                       SignRequest(kSecret, late, "POST", "/api/ticks", "{}"), "POST", "/api/ticks",
                       "{}", late));
  EXPECT_EQ(v.cached(), 6u);
}

TEST(RequestVerifier, FullCacheRefusesInsteadOfForgetting) {
  RequestVerifier v(kRequestWindowMs, 2);
  const TimeMs now = 1722289995123;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(v.Verify(kSecret, std::to_string(now + i),
                         SignRequest(kSecret, now + i, "GET", "/p", ""), "GET", "/p", "", now));
  }
  auto full = v.Verify(kSecret, std::to_string(now + 2),
                       SignRequest(kSecret, now + 2, "GET", "/p", ""), "GET", "/p", "", now);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().message, "replay cache full");
}

TEST(RequestVerifier, ConcurrentReplaysAcceptExactlyOne) {
  RequestVerifier v;
  const TimeMs now = 1722289995123;
  const std::string sig = SignRequest(kSecret, now, "POST", "/api/report", "{}");
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 200; ++k) {
        if (v.Verify(kSecret, std::to_string(now), sig, "POST", "/api/report", "{}", now)) {
          ++accepted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
}

}  // namespace
}  // namespace bitten::bridge
