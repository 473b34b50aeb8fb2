// Layering probe (ARCHITECTURE.md, "Modules"): telegram/ may not depend on store/. Built only by
// the ctest case of the same name, through bitten_telegram's real link graph; it must fail to
// compile because "store/db.h" is unreachable.
#include "store/db.h"
