#include "base/clock.h"

#include <chrono>

namespace bitten {

TimeMs RealClock::NowMs() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace bitten
