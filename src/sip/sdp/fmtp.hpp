#pragma once
// Fmtp: a=fmtp:<format> <format specific parameters> (RFC 8866 §6.15), for RTP formats whose
// <format> is a payload type. The parameters stay as text; param() reads the common
// "key=value;key=value" form (RFC 7587 Opus, RFC 4733 events use "0-15" without a key).
// Thread-safety: plain value and pure functions. Errors: SdpErrc::BadFmtp for a payload type
// that is not 0-127 or missing parameters. `params` views the value given to parse_fmtp().

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// One parsed a=fmtp value.
struct Fmtp {
  std::uint8_t payload_type = 0;
  std::string_view params;  // e.g. "minptime=10;useinbandfec=1"

  // The value of parameter `key` (case-insensitive) with surrounding spaces removed; "" for a
  // parameter without '='; nullopt if absent.
  std::optional<std::string_view> param(std::string_view key) const noexcept;
  bool operator==(const Fmtp&) const = default;
};

base::Result<Fmtp> parse_fmtp(std::string_view value) noexcept;
template <TemporaryString S>
base::Result<Fmtp> parse_fmtp(S&&) = delete;
std::string format_value(const Fmtp& f);
// The first well-formed fmtp of `m` for `payload_type`, or nullopt.
std::optional<Fmtp> find_fmtp(const MediaDescription& m, std::uint8_t payload_type) noexcept;

}  // namespace warden::sip::sdp
