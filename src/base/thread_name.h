// Names the calling thread for the operator's tools (`top -H`, `ps -L`, perf, gdb):
// "bitten-writer", "bitten-core", "bitten-io-1" and so on (docs/operations.md "Threads"). Linux
// keeps 15 bytes of a name; a longer one is cut. Never fails loudly: a thread without a name still
// works.
#pragma once

#include <string_view>

namespace bitten {

void SetThreadName(std::string_view name);

}  // namespace bitten
