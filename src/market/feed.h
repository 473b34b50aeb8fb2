// A source of quotes in time order: a replayed data file, the seeded generator, or (in the server)
// the ticks streamed by terminals. Pull-based; not thread-safe (one consumer).
#pragma once

#include <optional>

#include "market/types.h"

namespace bitten::market {

class TickSource {
 public:
  virtual ~TickSource() = default;
  // The next tick, or nullopt at the end of the data. Times never decrease.
  virtual std::optional<Tick> Next() = 0;
};

}  // namespace bitten::market
