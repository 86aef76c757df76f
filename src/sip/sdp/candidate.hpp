#pragma once
// Candidate: a=candidate:<foundation> <component-id> <transport> <priority> <address> <port>
// typ <type> [raddr <address>] [rport <port>] *(<extension name> <extension value>)
// (RFC 8839 §5.1). The address is IPv4, IPv6 (no brackets) or an FQDN (e.g. an mDNS name).
// Extensions such as "generation 0", "tcptype passive" (RFC 6544) and "network-cost 10" are
// kept in order as name/value pairs.
// Thread-safety: plain value and pure functions. Errors: SdpErrc::BadCandidate for a
// foundation not 1-32 ice-chars, a component outside 1-256, a priority above 2^32-1, a port
// above 65535, a bad address, a missing "typ", or an extension name without a value.
// Views point into the value given to parse_candidate().

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// RFC 8839 §5.1 cand-type (RFC 8445 §5.1.1); unknown types stay as text in Candidate::type.
enum class CandidateType : std::uint8_t { Other, Host, ServerReflexive, PeerReflexive, Relayed };
// The transport token, compared case-insensitively (UDP; TCP from RFC 6544).
enum class CandidateTransport : std::uint8_t { Other, Udp, Tcp };

// One "<name> <value>" pair after the standard candidate fields.
struct CandidateExtension {
  std::string_view name;
  std::string_view value;
  bool operator==(const CandidateExtension&) const = default;
};

// One parsed a=candidate value; views into the text given to parse_candidate().
struct Candidate {
  std::string_view foundation;
  std::uint16_t component = 0;   // 1 = RTP, 2 = RTCP
  std::string_view transport;    // "UDP" (any case), "TCP", or another token
  std::uint32_t priority = 0;
  std::string_view address;
  std::uint16_t port = 0;
  std::string_view type;         // "host", "srflx", "prflx", "relay" or another token
  std::optional<std::string_view> related_address;  // raddr
  std::optional<std::uint16_t> related_port;        // rport
  std::vector<CandidateExtension> extensions;

  CandidateType type_kind() const noexcept;
  CandidateTransport transport_kind() const noexcept;
  // The value of extension `name`, or nullopt.
  std::optional<std::string_view> extension(std::string_view name) const noexcept;
  bool operator==(const Candidate&) const = default;
};

base::Result<Candidate> parse_candidate(std::string_view value);
template <TemporaryString S>
base::Result<Candidate> parse_candidate(S&&) = delete;
std::string format_value(const Candidate& c);
// The well-formed candidates of `m`, in order.
std::vector<Candidate> find_candidates(const MediaDescription& m);

}  // namespace warden::sip::sdp
