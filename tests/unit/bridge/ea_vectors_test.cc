// The MQL5 EA cannot be compiled here, so its built-in self-test (InpSelfTest, docs/ea.md) carries
// copies of the shared vectors. This test keeps those copies honest: the signatures, the secret and
// the signed texts embedded in mql5/BITTENBridge.mq5 must be the ones in tests/data/bridge/, which
// the codec tests generate and openssl cross-checks. It also checks that the EA has every input the
// issue asks for and calls the MT5 APIs the protocol depends on.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "bridge_fixtures.h"
#include "common/paths.h"

namespace bitten::bridge {
namespace {

using testing::Slurp;

std::filesystem::path Root() { return BITTEN_SOURCE_DIR; }

std::string ValueAfter(const std::string& text, const std::string& key) {
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return "";
  const std::size_t from = at + key.size();
  return text.substr(from, text.find('\n', from) - from);
}

TEST(EaVectors, TheEaSelfTestCarriesTheSharedVectors) {
  const std::string ea = Slurp(Root() / "mql5/BITTENBridge.mq5");
  ASSERT_FALSE(ea.empty());
  const std::string data = (Root() / "tests/data/bridge").string();
  const std::string secret = Slurp(data + "/secret.hex").substr(0, 64);
  EXPECT_NE(ea.find("\"" + secret + "\""), std::string::npos) << "secret.hex";

  const std::string fire = Slurp(data + "/fire.txt");
  const std::string fire_sig = ValueAfter(fire, "sig=");
  ASSERT_EQ(fire_sig.size(), 64u);
  EXPECT_NE(ea.find("\"" + fire_sig + "\""), std::string::npos) << "fire.txt sig";
  // The signed fire text, as the EA spells it in its string literal (\n for each LF).
  std::string literal;
  for (char c : fire.substr(0, fire.find("sig=")))
    literal += c == '\n' ? std::string("\\n") : std::string(1, c);
  std::string ea_joined;  // the EA splits the literal over lines: join adjacent literals
  for (std::size_t i = 0; i < ea.size(); ++i) {
    if (ea[i] == '"' && i + 1 < ea.size()) {
      const std::size_t next = ea.find_first_not_of(" \n", i + 1);
      if (next != std::string::npos && next > i + 1 && ea[next] == '"' && ea[i - 1] != '\\' &&
          ea.find('\n', i + 1) < next) {
        i = next;  // skip `"<newline><spaces>"`
        continue;
      }
    }
    ea_joined += ea[i];
  }
  EXPECT_NE(ea_joined.find(literal), std::string::npos) << "signed bytes of fire.txt";

  const std::string fill = Slurp(data + "/trade_result.txt");
  const std::string fill_sig = fill.substr(fill.find(",\"sig\":\"") + 8, 64);
  EXPECT_NE(ea.find("\"" + fill_sig + "\""), std::string::npos) << "fill line sig";
  const std::string http = Slurp(data + "/http_request.txt");
  EXPECT_NE(ea.find("\"" + ValueAfter(http, "signature=") + "\""), std::string::npos)
      << "HTTP request signature";
  EXPECT_NE(ea.find(ValueAfter(http, "timestamp=")), std::string::npos) << "HTTP timestamp";
}

TEST(EaVectors, TheEaHasTheInputsAndApisTheProtocolNeeds) {
  const std::string ea = Slurp(Root() / "mql5/BITTENBridge.mq5");
  for (const char* input :
       {"InpFolder", "InpTerminalId", "InpSecretHex", "InpServerUrl", "InpSymbolSuffix",
        "InpSymbolMap", "InpMagic", "InpMaxSlippagePoints", "InpTimerMs", "InpSelfTest"}) {
    EXPECT_NE(ea.find(std::string(" ") + input + " "), std::string::npos) << input;
  }
  EXPECT_NE(ea.find("InpTimerMs           = 100;"), std::string::npos) << "timer default 100 ms";
  for (const char* api :
       {"CryptEncode(CRYPT_HASH_SHA256", "FileMove(PathOf(\"fire.txt\"), 0, PathOf(claimed), 0)",
        "SYMBOL_FILLING_MODE", "SYMBOL_TRADE_STOPS_LEVEL", "SYMBOL_VOLUME_STEP",
        "SetDeviationInPoints", "PositionOpen(", "void OnTradeTransaction(", "DEAL_REASON_SO",
        "WebRequest(\"POST\"", "X-Bitten-Signature", "executed_ids.txt", "heartbeat.txt",
        "/api/ticks", "/api/report", "/api/heartbeat", "EventSetMillisecondTimer"}) {
    EXPECT_NE(ea.find(api), std::string::npos) << api;
  }
  // The record types of CONTRACTS §3.2 are all written.
  for (const char* type : {"\"fill\"", "\"reject\"", "\"expired\"", "\"duplicate\"",
                           "\"bad_signature\"", "\"close\""}) {
    EXPECT_NE(ea.find(type), std::string::npos) << type;
  }
}

}  // namespace
}  // namespace bitten::bridge
