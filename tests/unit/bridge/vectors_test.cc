// Shared test vectors for the EA and other implementations (tests/data/bridge/, see its README.md).
// The files are generated from the codec (BITTEN_WRITE_VECTORS=1 rewrites them); this test checks
// that the committed files still match the codec byte for byte, and re-verifies every signature in
// them with an independent HMAC implementation: the openssl command line tool.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "base/crypto.h"
#include "bridge/codec.h"
#include "common/paths.h"

namespace bitten::bridge {
namespace {

constexpr const char* kSecretHex =
    "6b1f0c8e4a2d9b7310fe55aa0c3d2e1f8a9b7c6d5e4f30211203f4e5d6c7b8a9";
constexpr const char* kFireId = "0190f3b2-6c1e-7a3b-9c1d-2e4f5a6b7c8d";
constexpr const char* kMissionId = "0190f3b2-6c1d-7000-8000-00000000abcd";

std::filesystem::path VectorDir() { return testing::SourceDir() / "tests" / "data" / "bridge"; }

std::map<std::string, std::string> BuildVectors() {
  const std::string secret = *FromHex(kSecretHex);
  std::map<std::string, std::string> files;
  files["secret.hex"] = std::string(kSecretHex) + "\n";

  FireCommand fire;
  fire.fire_id = kFireId;
  fire.mission_id = kMissionId;
  fire.symbol = "EURUSD";
  fire.side = market::Side::kBuy;
  fire.volume = 0.12;
  fire.sl = 1.0825;
  fire.tp = 1.0875;
  fire.max_slippage_points = 20;
  fire.expires_at = 1722290000000;
  fire.magic = 20250729;
  fire.comment = "BITTEN 0190f3b2";
  files["fire.txt"] = EncodeFireCommand(fire, secret, 5, 2);

  std::string journal;
  ResultRecord r;
  r.terminal = "t1";
  r.fire_id = kFireId;
  r.mission_id = kMissionId;
  r.time = 1722289995123;
  r.seq = 17;
  r.type = ResultType::kFill;
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
  journal += EncodeResultLine(r, secret);
  ResultRecord reject{.seq = 18,
                      .type = ResultType::kReject,
                      .terminal = "t1",
                      .fire_id = kFireId,
                      .retcode = 10016,
                      .reason = "invalid stops",
                      .time = 1722289995200};
  journal += EncodeResultLine(reject, secret);
  ResultRecord expired{.seq = 19,
                       .type = ResultType::kExpired,
                       .terminal = "t1",
                       .fire_id = kFireId,
                       .mission_id = kMissionId,
                       .reason = "expired at 2024-07-29T21:53:20.000Z",
                       .time = 1722290001000};
  journal += EncodeResultLine(expired, secret);
  ResultRecord dup{.seq = 20,
                   .type = ResultType::kDuplicate,
                   .terminal = "t1",
                   .fire_id = kFireId,
                   .mission_id = kMissionId,
                   .reason = "fire already executed",
                   .time = 1722290002000};
  journal += EncodeResultLine(dup, secret);
  ResultRecord bad{.seq = 21,
                   .type = ResultType::kBadSignature,
                   .terminal = "t1",
                   .fire_id = kFireId,
                   .reason = "bad signature",
                   .time = 1722290003000};
  journal += EncodeResultLine(bad, secret);
  ResultRecord close{.seq = 22,
                     .type = ResultType::kClose,
                     .terminal = "t1",
                     .fire_id = kFireId,
                     .position = 512331,
                     .volume = 0.12,
                     .price = 1.0875,
                     .profit = 30.0,
                     .swap = 0,
                     .commission = -0.84,
                     .reason = "tp",
                     .time = 1722293595123};
  journal += EncodeResultLine(close, secret);
  files["trade_result.txt"] = journal;

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
  SymbolSpec eurusd{.name = "EURUSD", .broker_name = "EURUSD.m"};
  SymbolSpec usdjpy{.name = "USDJPY",
                    .broker_name = "USDJPY.m",
                    .digits = 3,
                    .point = 0.001,
                    .tick_value = 0.66667,
                    .tick_size = 0.001,
                    .stops_level = 10,
                    .filling = "FOK"};
  hb.symbols = std::vector<SymbolSpec>{eurusd, usdjpy};
  files["heartbeat.txt"] = EncodeHeartbeat(hb, secret);

  const std::string body = journal.substr(0, journal.find('\n'));
  const TimeMs ts = 1722289995500;
  files["http_request.txt"] =
      "method=POST\npath=/api/report\ntimestamp=" + std::to_string(ts) + "\nbody=" + body +
      "\nsignature=" + SignRequest(secret, ts, "POST", "/api/report", body) + "\n";
  return files;
}

std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// hex HMAC-SHA256 by the openssl CLI, key given as hex: independent of our code.
std::string OpensslHmac(const std::string& key_hex, const std::string& data) {
  const testing::TempDir tmp;
  const auto path = tmp.path() / "data";
  std::ofstream(path, std::ios::binary) << data;
  const std::string cmd = "openssl dgst -sha256 -mac HMAC -macopt hexkey:" + key_hex + " < '" +
                          path.string() + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  ::pclose(pipe);
  const std::size_t eq = out.rfind("= ");
  if (eq == std::string::npos) return "unexpected openssl output: " + out;
  std::string hex = out.substr(eq + 2);
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  return hex;
}

TEST(Vectors, CommittedFilesMatchTheCodec) {
  const auto files = BuildVectors();
  if (std::getenv("BITTEN_WRITE_VECTORS") != nullptr) {
    std::filesystem::create_directories(VectorDir());
    for (const auto& [name, content] : files) {
      std::ofstream(VectorDir() / name, std::ios::binary) << content;
    }
  }
  for (const auto& [name, content] : files) {
    ASSERT_TRUE(std::filesystem::exists(VectorDir() / name))
        << name << " missing; run bridge_tests with BITTEN_WRITE_VECTORS=1";
    EXPECT_EQ(ReadText(VectorDir() / name), content) << name;
  }
}

TEST(Vectors, OpensslAgreesWithEverySignature) {
  const std::string key_hex = kSecretHex;
  ASSERT_EQ(OpensslHmac(key_hex, "abc"), HmacSha256Hex(*FromHex(key_hex), "abc"))
      << "is the openssl CLI installed?";
  int checked = 0;

  // fire.txt: every byte before the sig= line.
  const std::string fire = ReadText(VectorDir() / "fire.txt");
  const std::size_t sig_at = fire.find("\nsig=") + 1;
  ASSERT_GT(sig_at, 0u);
  EXPECT_EQ(OpensslHmac(key_hex, fire.substr(0, sig_at)), fire.substr(sig_at + 4, 64));
  ++checked;

  // JSON lines and the heartbeat: bytes before ,"sig":
  auto check_json = [&](const std::string& line) {
    const std::size_t at = line.rfind(",\"sig\":\"");
    ASSERT_NE(at, std::string::npos) << line;
    EXPECT_EQ(OpensslHmac(key_hex, line.substr(0, at)), line.substr(at + 8, 64)) << line;
    ++checked;
  };
  std::istringstream journal(ReadText(VectorDir() / "trade_result.txt"));
  for (std::string line; std::getline(journal, line);) check_json(line);
  check_json(ReadText(VectorDir() / "heartbeat.txt"));

  // HTTP: timestamp \n METHOD \n path \n body.
  std::map<std::string, std::string> req;
  std::istringstream http(ReadText(VectorDir() / "http_request.txt"));
  for (std::string line; std::getline(http, line);) {
    req[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
  }
  EXPECT_EQ(OpensslHmac(key_hex, req["timestamp"] + "\n" + req["method"] + "\n" + req["path"] +
                                     "\n" + req["body"]),
            req["signature"]);
  ++checked;
  EXPECT_EQ(checked, 1 + 6 + 1 + 1);
}

TEST(Vectors, CodecParsesEveryVector) {
  const std::string secret = *FromHex(kSecretHex);
  auto fire = ParseFireCommand(ReadText(VectorDir() / "fire.txt"), secret);
  ASSERT_TRUE(fire) << fire.error().message;
  EXPECT_EQ(fire->fire_id, kFireId);
  std::istringstream journal(ReadText(VectorDir() / "trade_result.txt"));
  std::int64_t seq = 17;
  for (std::string line; std::getline(journal, line);) {
    auto r = ParseResultLine(line, secret);
    ASSERT_TRUE(r) << line << ": " << r.error().message;
    EXPECT_EQ(r->seq, seq++);
  }
  EXPECT_EQ(seq, 23);
  auto hb = ParseHeartbeat(ReadText(VectorDir() / "heartbeat.txt"), secret);
  ASSERT_TRUE(hb) << hb.error().message;
  ASSERT_TRUE(hb->symbols);
  EXPECT_EQ(hb->symbols->size(), 2u);
}

}  // namespace
}  // namespace bitten::bridge
