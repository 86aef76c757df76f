#pragma once
// The authentication service of RFC 8224 §6.1 (steps 3-5), for a proxy that has already
// authenticated the caller and checked its authority over the From identity (step 1 and 2 are
// the proxy's: digest authentication and its own domains/numbers).
//
// identity_for(request, now) builds the PASSporT over the request (orig from From, dest from To,
// iat = now in whole seconds, origid a fresh random UUID), signs it with ES256 and returns the
// Identity header value in the full form, with info = the URL where our certificate is served.
// The request must carry a Date header with the same instant (format_sip_date(iat)): the caller
// adds or rewrites it; date_for(now) gives the value.
// Errors (IdentityErrc): OrigMismatch (From is not a tn/sip/sips identity), DestMismatch (To is
// not one); base::Errc::Crypto when signing fails.
// Thread-safety: none (the Random is shared); the key may be shared.

#include <string>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "crypto/es256.hpp"
#include "sip/identity/passport.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::identity {

class IdentitySigner {
 public:
  IdentitySigner(crypto::EcPrivateKey key, std::string info_url, base::Random& rng)
      : key_(std::move(key)), info_url_(std::move(info_url)), rng_(rng) {}

  base::Result<std::string> identity_for(const msg::Message& request, base::WallTime now);
  // The Identity header value for a PASSporT built by the caller (its x5u is set to info_url).
  base::Result<std::string> identity_for(Passport passport);
  // The Date header value matching the iat identity_for(request, now) writes.
  static std::string date_for(base::WallTime now);

  const std::string& info_url() const noexcept { return info_url_; }

 private:
  std::string origid();

  crypto::EcPrivateKey key_;
  std::string info_url_;
  base::Random& rng_;
};

}  // namespace warden::sip::identity
