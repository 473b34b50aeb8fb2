// Layering probe (ARCHITECTURE.md, "Modules"): market/ may not depend on venom/. Built only by the
// ctest case of the same name, through bitten_market's real link graph; it must fail to compile
// because "venom/signal.h" is unreachable.
#include "venom/signal.h"
