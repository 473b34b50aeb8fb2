#include "app/cli.h"

#include <CLI/CLI.hpp>

namespace bitten::app {

int RunCli(int argc, char** argv) {
  CLI::App cli{"BITTEN: trading signals to missions to MT5 orders"};
  cli.require_subcommand(1);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace bitten::app
