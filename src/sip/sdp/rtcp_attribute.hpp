#pragma once
// RtcpAttribute: a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1),
// the RTCP port (and address) when it is not the RTP port + 1.
// Thread-safety: plain value and pure functions. Errors: SdpErrc::BadRtcp for a port above
// 65535, an address part that is not exactly three fields, or an address invalid for its type.
// Views point into the value given to parse_rtcp().

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// One parsed a=rtcp value.
struct RtcpAttribute {
  std::uint16_t port = 0;
  std::string_view net_type;   // empty when the attribute gives only a port
  std::string_view addr_type;
  std::string_view address;

  bool has_address() const noexcept { return !address.empty(); }
  bool operator==(const RtcpAttribute&) const = default;
};

base::Result<RtcpAttribute> parse_rtcp(std::string_view value) noexcept;
template <TemporaryString S>
base::Result<RtcpAttribute> parse_rtcp(S&&) = delete;
std::string format_value(const RtcpAttribute& r);
// The well-formed a=rtcp of `m`, or nullopt.
std::optional<RtcpAttribute> find_rtcp(const MediaDescription& m) noexcept;

}  // namespace warden::sip::sdp
