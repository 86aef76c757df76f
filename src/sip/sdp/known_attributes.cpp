#include "sip/sdp/known_attributes.hpp"

#include "sip/sdp/candidate.hpp"
#include "sip/sdp/crypto_attribute.hpp"
#include "sip/sdp/direction.hpp"
#include "sip/sdp/fingerprint.hpp"
#include "sip/sdp/fmtp.hpp"
#include "sip/sdp/ice_attributes.hpp"
#include "sip/sdp/media_attributes.hpp"
#include "sip/sdp/rtcp_attribute.hpp"
#include "sip/sdp/rtpmap.hpp"
#include "sip/sdp/setup_role.hpp"

namespace warden::sip::sdp {
namespace {

template <class R>
std::error_code error_of(const R& r) {
  return r.error();
}

std::error_code check_one(const Attribute& a) {
  const std::string_view n = a.name;
  const std::string_view v = a.value;
  if (n == "rtpmap") return error_of(parse_rtpmap(v));
  if (n == "fmtp") return error_of(parse_fmtp(v));
  if (n == "crypto") return error_of(parse_crypto(v));
  if (n == "fingerprint") return error_of(parse_fingerprint(v));
  if (n == "setup") return error_of(parse_setup(v));
  if (n == "candidate") return error_of(parse_candidate(v));
  if (n == "ice-ufrag") return error_of(parse_ice_ufrag(v));
  if (n == "ice-pwd") return error_of(parse_ice_pwd(v));
  if (n == "ice-options") return error_of(parse_ice_options(v));
  if (n == "rtcp") return error_of(parse_rtcp(v));
  if (n == "ptime") return error_of(parse_ptime(v));
  if (n == "maxptime") return error_of(parse_maxptime(v));
  if (n == "mid") return error_of(parse_mid(v));
  return {};
}

}  // namespace

base::Result<void> check_known_attributes(std::span<const Attribute> attrs) {
  for (const Attribute& a : attrs) {
    if (const std::error_code ec = check_one(a)) return ec;
  }
  if (auto d = find_direction(attrs); !d) return d.error();
  return {};
}

base::Result<void> check_known_attributes(const SessionDescription& sd) {
  if (auto r = check_known_attributes(sd.attributes); !r) return r;
  for (const MediaDescription& m : sd.media) {
    if (auto r = check_known_attributes(m.attributes); !r) return r;
  }
  return {};
}

}  // namespace warden::sip::sdp
