#include "common/run_bitten.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/paths.h"

namespace bitten::testing {

std::string BittenBinary() {
  if (const char* env = std::getenv("BITTEN_BINARY")) return env;
  return (BuildDir() / "bitten").string();
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

BittenRun RunBitten(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  std::string cmd = ShellQuote(BittenBinary());
  for (const std::string& a : args) cmd += " " + ShellQuote(a);
  const std::filesystem::path out = dir / "stdout.txt";
  const std::filesystem::path err = dir / "stderr.txt";
  cmd += " >" + ShellQuote(out.string()) + " 2>" + ShellQuote(err.string()) + " </dev/null";
  const int status = std::system(cmd.c_str());
  BittenRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFileText(out);
  r.err = ReadFileText(err);
  return r;
}

}  // namespace bitten::testing
