// Shared test fixtures: where the repository, the build and the real market data are.
#pragma once

#include <filesystem>
#include <string>

namespace bitten::testing {

std::filesystem::path SourceDir();
std::filesystem::path BuildDir();
// ../shared/data/market next to the repository (or $BITTEN_MARKET_DATA).
std::filesystem::path MarketDataDir();
// True when running under CI (CI=true in the environment).
bool InCi();

// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bitten::testing

// Declares `var` as the path of a real market data file. Under CI a missing file fails the test
// loudly; on a developer machine without ../shared the test is skipped with a visible message.
#define BITTEN_REQUIRE_MARKET_FILE(var, name)                                    \
  const std::filesystem::path var = ::bitten::testing::MarketDataDir() / (name); \
  if (!std::filesystem::exists(var)) {                                           \
    if (::bitten::testing::InCi()) {                                             \
      FAIL() << "market data file missing in CI: " << var;                       \
    } else {                                                                     \
      GTEST_SKIP() << "market data not present on this machine: " << var;        \
    }                                                                            \
  }
