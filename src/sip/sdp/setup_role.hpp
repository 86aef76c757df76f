#pragma once
// SetupRole: a=setup:<role> (RFC 4145 §4, used for DTLS by RFC 5763 §5 and RFC 8842): which
// side opens the connection. The offerer says actpass; the answerer picks active or passive.
// Thread-safety: pure functions. Errors: SdpErrc::BadSetup for any value other than active,
// passive, actpass or holdconn.

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// The four roles of RFC 4145 §4.
enum class SetupRole : std::uint8_t { Active, Passive, ActPass, HoldConn };

base::Result<SetupRole> parse_setup(std::string_view value) noexcept;
std::string_view to_string(SetupRole r) noexcept;  // "active", "passive", "actpass", "holdconn"
// The well-formed a=setup of `m`, else of the session; nullopt if neither has one.
std::optional<SetupRole> find_setup(const SessionDescription& sd, const MediaDescription& m) noexcept;

}  // namespace warden::sip::sdp
