// Runs the built `bitten` binary as a child process for CLI tests: exit code and captured output.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bitten::testing {

struct BittenRun {
  int code = -1;    // exit status; 128 + signal when killed
  std::string out;  // stdout
  std::string err;  // stderr
};

// $BITTEN_BINARY (set by ctest), else <build dir>/bitten.
std::string BittenBinary();
// `s` quoted for /bin/sh.
std::string ShellQuote(const std::string& s);
// The whole file, "" when it cannot be read.
std::string ReadFileText(const std::filesystem::path& path);
// Runs `bitten <args>` with stdin from /dev/null and stdout/stderr captured via files in `dir`.
BittenRun RunBitten(const std::filesystem::path& dir, const std::vector<std::string>& args);

}  // namespace bitten::testing
