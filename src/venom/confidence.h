// VENOM's confidence, 0–100, from five deterministic sub-scores in [0, 1] (weights 30, 25, 20, 15,
// 10; the rule of each is in engine.h and docs/venom.md). Pure functions; thread-safe.
#pragma once

#include "market/types.h"
#include "venom/context.h"

namespace bitten::venom {

struct ConfidenceParts {
  double alignment = 0, quality = 0, momentum = 0, cost = 0, session = 0;
  int Total() const;  // rounded weighted sum, clamped to 0..100
};

// Sub-scores of a candidate on `side` with `quality` from its setup, given the spread and the
// stop in pips and the spread gate's fraction.
ConfidenceParts ScoreConfidence(const SymbolContext& c, market::Side side, double quality,
                                double spread_pips, double stop_pips, double max_spread_to_stop,
                                TimeMs bar_time);

}  // namespace bitten::venom
