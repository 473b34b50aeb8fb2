// `bitten ta --data FILE [--side bid|ask|mid] --indicator NAME[:ARGS] ...` (CONTRACTS §6,
// docs/cli.md): reads a bar file with the market readers, runs the streaming indicators of
// venom/indicators.h over it and prints CSV to stdout: a header `time,<column>...`, then one row
// per bar with the bar's open time in Unix ms and an empty cell for every output still in warm-up.
// Values are printed in the shortest form that reads back to the same double.
//
// Indicators (TA-Lib's definitions; missing trailing arguments take TA-Lib's defaults):
//   sma:N (30)  ema:N (30)  rsi:N (14)  atr:N (14)  adx:N (14)  cci:N (14)
//   bbands:N,K (5,2)     -> bb_upper,bb_middle,bb_lower
//   macd:F,S,SIG (12,26,9) -> macd,macd_signal,macd_hist
//   stoch:K,SK,D (5,3,3)   -> stoch_k,stoch_d
// A single-output indicator's column is its name (`sma`). When one indicator name is given more
// than once, each of its columns is suffixed with its arguments (`sma_20,sma_50`,
// `bb_upper_20_2,...`); the same name with the same arguments twice is a usage error.
//
// --side: bid (default for two-sided files), ask, or mid ((bid + ask) / 2 for high, low and
// close). A one-side file (one of a bid/ask pair) defaults to its own side; asking it for the other
// side or mid is a runtime error. `--data BIDFILE,ASKFILE` reads a pair (market::ReadBarsSpec).
//
// Exit codes: 2 for an unknown indicator, bad arguments or a bad --side (one line); 1 when the data
// cannot be read (the reader's message names the file and line). Called from main only.
#pragma once

#include "app/cli.h"

namespace bitten::app {

void AddTaCommand(CLI::App& root, CliAction* action);

}  // namespace bitten::app
