// Renders a backtest: the text report (default), the JSON report (--json), the trades CSV
// (--trades) and the SVG equity curve (--chart). Every output is a pure function of its inputs with
// fixed number formats (no locale, no wall clock), so the same run gives the same bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "app/backtest/data.h"
#include "app/backtest/runner.h"
#include "app/backtest/stats.h"

namespace bitten::app::backtest {

// What the report says about how the run was made.
struct ReportContext {
  const LoadedData* data = nullptr;
  const RunOptions* options = nullptr;
};

std::string TextReport(const ReportContext& ctx, const RunResult& run, const Summary& s);
nlohmann::json JsonReport(const ReportContext& ctx, const RunResult& run, const Summary& s);

// Header line and one row per trade, in exit order (columns in docs/backtest.md).
std::string TradesCsv(const RunResult& run);

// The realised balance after each close against the close's number, as a standalone SVG.
std::string EquitySvg(const RunResult& run, const std::string& title);

}  // namespace bitten::app::backtest
