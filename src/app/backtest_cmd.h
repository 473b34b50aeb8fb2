// `bitten backtest` (CONTRACTS §6, docs/backtest.md): replays market data files through the live
// VENOM engine and the paper broker (app/backtest/), then prints the report: text by default,
// JSON with --json; --trades writes one CSV row per trade, --chart an SVG equity curve. The same
// input gives the same bytes. Usage errors (bad option, bad date, --from not before --to) exit 2;
// runtime failures (missing or malformed file, no data left, unwritable output) exit 1 naming the
// file and line.
#pragma once

#include "app/cli.h"

namespace bitten::app {

void AddBacktestCommand(CLI::App& root, CliAction* action);

}  // namespace bitten::app
