#pragma once
// Direction: the media direction attributes a=sendrecv, a=sendonly, a=recvonly, a=inactive
// (RFC 8866 §6.7; offer/answer use in RFC 3264 §5.1, §6.1). A media-level direction overrides
// the session-level one; with neither, the direction is sendrecv.
// Thread-safety: pure functions. Errors: SdpErrc::BadDirection when a direction attribute has
// a value ("a=sendonly:x"), SdpErrc::ConflictingDirection when one section names two different
// directions.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// The four directions of RFC 8866 §6.7.1 - §6.7.4.
enum class Direction : std::uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };

// The attribute name for `d`: "sendrecv", "sendonly", "recvonly", "inactive".
std::string_view to_string(Direction d) noexcept;
// The direction an attribute name stands for, or nullopt for any other name.
std::optional<Direction> direction_from_name(std::string_view name) noexcept;
// The direction the answerer mirrors (RFC 3264 §6.1): sendonly <-> recvonly.
Direction reverse(Direction d) noexcept;
// The attribute for `d` (property form) for building a description.
Attribute direction_attribute(Direction d) noexcept;

// The direction named in one section's attributes, nullopt if none is named.
base::Result<std::optional<Direction>> find_direction(std::span<const Attribute> attrs) noexcept;
// The direction that applies to `m`: its own, else the session's, else SendRecv.
base::Result<Direction> effective_direction(const SessionDescription& sd,
                                            const MediaDescription& m) noexcept;

}  // namespace warden::sip::sdp
