#include "sip/identity/signer.hpp"

#include <array>
#include <cstdio>

#include "sip/identity/identity_header.hpp"
#include "sip/identity/sip_date.hpp"

namespace warden::sip::identity {

namespace {
std::int64_t seconds_of(base::WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
}  // namespace

// A version 4 UUID (RFC 9562 §5.4) in its 8-4-4-4-12 text form, as RFC 8588 §4 asks for origid.
std::string IdentitySigner::origid() {
  std::array<std::byte, 16> b{};
  rng_.fill(b);
  b[6] = (b[6] & std::byte{0x0f}) | std::byte{0x40};
  b[8] = (b[8] & std::byte{0x3f}) | std::byte{0x80};
  std::string out;
  char hex[3];
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned>(b[i]));
    out += hex;
  }
  return out;
}

base::Result<std::string> IdentitySigner::identity_for(Passport passport) {
  passport.x5u = info_url_;
  auto jws = sign_passport(passport, key_);
  if (!jws) return jws.error();
  return format_identity_header(*jws, info_url_);
}

base::Result<std::string> IdentitySigner::identity_for(const msg::Message& request, base::WallTime now) {
  auto orig = party_of(request.from.uri);
  if (!orig) return IdentityErrc::OrigMismatch;
  auto dest = party_of(request.to.uri);
  if (!dest) return IdentityErrc::DestMismatch;
  Passport p;
  p.orig = std::move(*orig);
  p.dest.push_back(std::move(*dest));
  p.iat = seconds_of(now);
  p.origid = origid();
  return identity_for(std::move(p));
}

std::string IdentitySigner::date_for(base::WallTime now) { return format_sip_date(seconds_of(now)); }

}  // namespace warden::sip::identity
