#include "sip/identity/sip_date.hpp"

#include <chrono>
#include <cstdio>

namespace warden::sip::identity {

namespace {
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool number(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::string format_sip_date(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds t{seconds{unix_seconds}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  const weekday wd{day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT", kDays[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<long>(hms.hours().count()),
                static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()));
  return buf;
}

std::optional<std::int64_t> parse_sip_date(std::string_view s) {
  using namespace std::chrono;
  // "Sat, 13 Nov 2010 23:29:00 GMT": 29 characters, fixed positions.
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  int d = 0, y = 0, hh = 0, mm = 0, ss = 0;
  if (!number(s, 5, 2, d) || !number(s, 12, 4, y) || !number(s, 17, 2, hh) || !number(s, 20, 2, mm) ||
      !number(s, 23, 2, ss) || hh > 23 || mm > 59 || ss > 60) {
    return std::nullopt;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (s.substr(8, 3) == kMonths[i]) month = i + 1;
  const year_month_day ymd{year{y}, std::chrono::month{month}, day{static_cast<unsigned>(d)}};
  if (month == 0 || !ymd.ok()) return std::nullopt;
  const sys_days date{ymd};
  if (s.substr(0, 3) != kDays[weekday{date}.c_encoding()]) return std::nullopt;
  return static_cast<std::int64_t>(date.time_since_epoch().count()) * 86400 + hh * 3600 + mm * 60 + ss;
}

}  // namespace warden::sip::identity
