// Layering probe (ARCHITECTURE.md, "Modules"): bridge/ may not depend on missions/. Built only by
// the ctest case of the same name, through bitten_bridge's real link graph; it must fail to compile
// because "missions/types.h" is unreachable.
#include "missions/types.h"
