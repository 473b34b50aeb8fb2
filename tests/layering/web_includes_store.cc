// Layering probe (ARCHITECTURE.md, "Modules"): web/ may not depend on store/. Built only by the
// ctest case of the same name, through bitten_web's real link graph; it must fail to compile
// because "store/db.h" is unreachable.
#include "store/db.h"
