// The `bitten` command line (CONTRACTS §6). Usage errors exit 2 with a one-line reason; runtime
// failures exit 1 with a message naming the file, line or setting at fault.
#pragma once

namespace bitten::app {

int RunCli(int argc, char** argv);

}  // namespace bitten::app
