#include "sip/sdp/owned_session_description.hpp"

#include <utility>

#include "sip/sdp/parser.hpp"
#include "sip/sdp/serializer.hpp"

namespace warden::sip::sdp {

base::Result<OwnedSessionDescription> OwnedSessionDescription::parse(
    std::string_view text, const base::Limits::Sdp& limits) {
  base::Buffer buffer(text);
  auto sd = sdp::parse(buffer.view(), limits);
  if (!sd) return sd.error();
  return OwnedSessionDescription(std::move(buffer), std::move(*sd));
}

base::Result<OwnedSessionDescription> OwnedSessionDescription::copy_of(
    const SessionDescription& sd, const base::Limits::Sdp& limits) {
  return parse(serialize(sd), limits);
}

OwnedSessionDescription OwnedSessionDescription::clone() const {
  base::Buffer buffer(text_.view());
  // The same bytes parsed before with some limits; parse without limits so it cannot fail.
  base::Limits::Sdp unlimited;
  unlimited.max_bytes = unlimited.max_lines = unlimited.max_media = unlimited.max_attributes =
      unlimited.max_formats = static_cast<std::size_t>(-1);
  auto sd = sdp::parse(buffer.view(), unlimited);
  return OwnedSessionDescription(std::move(buffer), sd ? std::move(*sd) : SessionDescription{});
}

}  // namespace warden::sip::sdp
