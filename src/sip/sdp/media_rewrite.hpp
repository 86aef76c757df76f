#pragma once
// Media rewriting for a relay in the media path (RFC 3323 §4.2 "session" privacy; NAT
// traversal): what a middle box needs to put a media relay between two parties.
//
//  - media_targets() reads, per m= section, where the party wants its media (the effective c=
//    address, the m= port, the RTCP address and port of a=rtcp or port + 1, rtcp-mux) and
//    whether the section can be relayed at all. The proxy gives these to
//    runtime::MediaRelay::set_peer().
//  - rewrite_media() returns the body with the relay put in place of the party: o= and every
//    c= (session and media level) name the relay address, each relayed m= line carries the
//    relay port, a=rtcp names the relay's RTCP port (or goes when that is port + 1), and every
//    a=candidate and a=remote-candidates is removed (ICE checks still pass through the relay
//    end to end: ice-ufrag, ice-pwd, fingerprints, setup, crypto and codecs are kept). A section
//    that is not relayed is disabled (port 0, RFC 3264 §5.1/§6): keeping its port would send the
//    other party straight to the hidden address. As a last guard, any remaining line whose text
//    still holds one of the party's addresses (a vendor attribute, i=, u=, e=, p=, k=) is
//    dropped, and s= becomes "-".
//
// The result is canonical text (serializer.hpp) that parse() accepts within the same limits.
// Payload formats, directions and keys are untouched, so the offer/answer between the parties
// is unchanged apart from the transport addresses.
//
// Limits: those of parse() (base::Limits::Sdp). A section is relayable when its port is not 0,
// it has no port count above 1, its protocol runs over UDP (RTP/AVP and its secure and
// feedback profiles, UDP/TLS/RTP/*, udptl, udp, UDP/DTLS/SCTP; not TCP), and its connection
// is one unicast IN IP4 or IN IP6 address literal (an FQDN would need DNS; multicast is not
// relayed). Unspecified addresses (0.0.0.0 or ::, for hold, or in an ICE offer that puts its
// real addresses in candidates) are relayable; the relay learns the party's address by latching.
// Thread-safety: pure functions. Errors: those of parse() (SdpErrc) for the input and for the
// rewritten text (TooLarge if the relay address made it grow over max_bytes);
// base::Errc::InvalidArgument if `relay_address` is not an address literal of `relay_addr_type`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "base/result.hpp"
#include "sip/sdp/address.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// Where one m= section asks for its media; owning strings (the body may go away).
struct MediaTarget {
  std::size_t index = 0;  // position of the m= section, from 0
  std::string media;      // "audio", "video", "image", ...
  std::string proto;      // "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...
  bool relayable = false; // see the header comment
  AddrType addr_type = AddrType::Other;
  std::string address;                  // effective c= address ("" if there is none)
  std::uint16_t port = 0;               // m= port; 0 for a disabled section
  std::string rtcp_address;             // a=rtcp address, else `address`
  std::uint16_t rtcp_port = 0;          // a=rtcp port, else port + 1 (0 if port is 0 or 65535)
  bool rtcp_mux = false;                // a=rtcp-mux (RFC 5761)
  bool rtcp_mux_only = false;           // a=rtcp-mux-only (RFC 8858)
};

// One MediaTarget per m= section, in order.
base::Result<std::vector<MediaTarget>> media_targets(std::string_view body,
                                                     const base::Limits::Sdp& limits = {});

// The relay's ports for one m= section.
struct RelayedPorts {
  std::uint16_t rtp = 0;
  std::optional<std::uint16_t> rtcp;  // nullopt: the relay has no RTCP socket (rtcp-mux only)
};

struct MediaRewrite {
  AddrType relay_addr_type = AddrType::Ip4;
  std::string relay_address;  // IPv4 or IPv6 literal (no brackets), announced in o= and c=
  // Indexed like the m= sections; a missing entry or nullopt disables that section.
  std::vector<std::optional<RelayedPorts>> media;
};

// The body with the relay in place of the party (see the header comment).
base::Result<std::string> rewrite_media(std::string_view body, const MediaRewrite& rewrite,
                                        const base::Limits::Sdp& limits = {});

}  // namespace warden::sip::sdp
