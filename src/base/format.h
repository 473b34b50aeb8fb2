// Text forms that must be identical everywhere they appear (hashes, signatures, fire.txt, the EA):
// prices at an instrument's digits, money at 2 decimals, volumes at the volume step's decimals, and
// times as ISO 8601 / "HH:MM UTC". Locale-independent.
#pragma once

#include <string>

#include "base/clock.h"

namespace bitten {

// Fixed-point text with exactly `digits` decimals, rounded half away from zero ("1.08250" for 5).
std::string FormatFixed(double value, int digits);

// Rounds to `digits` decimals, half away from zero.
double RoundTo(double value, int digits);

// "2024-07-29T21:53:15.123Z"
std::string FormatIsoMs(TimeMs t);
// "14:05 UTC"
std::string FormatHhMmUtc(TimeMs t);
// Unix ms of 00:00 UTC of the day containing t.
TimeMs UtcDayStart(TimeMs t);

}  // namespace bitten
