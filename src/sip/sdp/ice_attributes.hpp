#pragma once
// ICE session and media attributes (RFC 8839 §5.3 - §5.6): a=ice-ufrag (4-256 ice-chars),
// a=ice-pwd (22-256 ice-chars), a=ice-options (ice-option-tags separated by spaces), and the
// properties a=ice-lite and a=end-of-candidates. Media-level values override session-level ones.
// Thread-safety: plain value and pure functions. Errors: SdpErrc::BadIceAttribute for a
// length out of range or a character outside ALPHA / DIGIT / "+" / "/".
// Views point into the value given to the parser.

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

base::Result<std::string_view> parse_ice_ufrag(std::string_view value) noexcept;
template <TemporaryString S>
base::Result<std::string_view> parse_ice_ufrag(S&&) = delete;
base::Result<std::string_view> parse_ice_pwd(std::string_view value) noexcept;
template <TemporaryString S>
base::Result<std::string_view> parse_ice_pwd(S&&) = delete;
base::Result<std::vector<std::string_view>> parse_ice_options(std::string_view value);
template <TemporaryString S>
base::Result<std::vector<std::string_view>> parse_ice_options(S&&) = delete;

// The ICE user fragment and password that apply to one media section.
struct IceCredentials {
  std::string_view ufrag;
  std::string_view pwd;
  bool operator==(const IceCredentials&) const = default;
};
// ice-ufrag and ice-pwd for `m` (each from the media level, else the session level); nullopt
// unless both are present and well formed.
std::optional<IceCredentials> find_ice_credentials(const SessionDescription& sd,
                                                   const MediaDescription& m) noexcept;
// True if the session declares a=ice-lite.
bool is_ice_lite(const SessionDescription& sd) noexcept;

}  // namespace warden::sip::sdp
