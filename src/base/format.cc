#include "base/format.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

namespace bitten {

double RoundTo(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

std::string FormatFixed(double value, int digits) {
  // Round once in integer space so that 1.082499999 and 1.0825 both print "1.08250".
  const double scale = std::pow(10.0, digits);
  const double scaled = std::round(value * scale);
  return fmt::format("{:.{}f}", scaled / scale, digits);
}

std::string FormatIsoMs(TimeMs t) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{t}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                     hms.subseconds().count());
}

std::string FormatHhMmUtc(TimeMs t) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{t}};
  const hh_mm_ss hms{tp - floor<days>(tp)};
  return fmt::format("{:02}:{:02} UTC", hms.hours().count(), hms.minutes().count());
}

TimeMs UtcDayStart(TimeMs t) {
  constexpr TimeMs kDay = 86'400'000;
  return t - ((t % kDay) + kDay) % kDay;
}

}  // namespace bitten
