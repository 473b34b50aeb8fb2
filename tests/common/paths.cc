#include "common/paths.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/crypto.h"

namespace bitten::testing {

std::filesystem::path SourceDir() { return BITTEN_SOURCE_DIR; }
std::filesystem::path BuildDir() { return BITTEN_BUILD_DIR; }

std::filesystem::path MarketDataDir() {
  if (const char* env = std::getenv("BITTEN_MARKET_DATA")) return env;
  return SourceDir().parent_path() / "shared" / "data" / "market";
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

TempDir::TempDir() {
  path_ = std::filesystem::temp_directory_path() / ("bitten-test-" + ToHex(RandomBytes(8)));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace bitten::testing
