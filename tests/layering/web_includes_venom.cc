// Layering probe (ARCHITECTURE.md, "Modules"): web/ may not depend on venom/. Built only by the
// ctest case of the same name, through bitten_web's real link graph; it must fail to compile
// because "venom/engine.h" is unreachable.
#include "venom/engine.h"
