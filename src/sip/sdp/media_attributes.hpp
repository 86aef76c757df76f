#pragma once
// Small media-level attributes: a=ptime and a=maxptime (RFC 8866 §6.4, §6.5, milliseconds,
// fractions allowed), a=mid (RFC 5888 §4: identification-tag = token) and a=rtcp-mux
// (RFC 5761 §5.1.1, property form).
// Thread-safety: pure functions. Errors: SdpErrc::BadPacketTime for a zero, negative or
// non-numeric ptime/maxptime (more than 9 digits before or 3 after the point included),
// SdpErrc::BadMid for a mid that is not a token. Returned views point into the value.

#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// Milliseconds, > 0, e.g. "20" -> 20.0, "22.5" -> 22.5.
base::Result<double> parse_ptime(std::string_view value) noexcept;
base::Result<double> parse_maxptime(std::string_view value) noexcept;
base::Result<std::string_view> parse_mid(std::string_view value) noexcept;
template <TemporaryString S>
base::Result<std::string_view> parse_mid(S&&) = delete;

// The well-formed a=ptime of `m`, else of the session; nullopt if neither has one.
std::optional<double> find_ptime(const SessionDescription& sd, const MediaDescription& m) noexcept;
// The well-formed a=mid of `m`, or nullopt.
std::optional<std::string_view> find_mid(const MediaDescription& m) noexcept;
// True if `m` carries a=rtcp-mux.
bool has_rtcp_mux(const MediaDescription& m) noexcept;

}  // namespace warden::sip::sdp
