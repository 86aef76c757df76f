#pragma once
// RTP header extension elements (RFC 8285): the one-byte form (profile 0xBEDE: 4-bit ID 1-14,
// 1-16 data bytes) and the two-byte form (profile 0x100X: 8-bit ID 1-255, 0-255 data bytes)
// carried in the opaque extension of an RtpPacket (RFC 3550 §5.3.1). Zero bytes between
// elements are padding (in the one-byte form any byte with ID 0, whatever its length nibble:
// ID 0 is reserved for padding); in the one-byte form ID 15 ends the list (RFC 8285 §4.2).
// parse_extension_elements() is zero-copy: element data views the packet.
// Thread-safety: pure functions.
// Errors (RtpErrc): BadExtension (an element runs past the extension, or the profile is neither
// form), TooManyItems (above the limit); building: BadField (ID 0, or ID/length that neither
// form can carry, or a total above 65535 words), BufferTooSmall.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "media/rtp_errc.hpp"
#include "media/rtp_packet.hpp"

namespace warden::media {

struct ExtensionElement {
  std::uint8_t id = 0;    // 1-14 (one-byte form) or 1-255 (two-byte form)
  base::ByteView data;
  bool operator==(const ExtensionElement& o) const noexcept;
};

base::Result<std::vector<ExtensionElement>> parse_extension_elements(const RtpHeaderExtension& ext,
                                                                     std::size_t max_elements = 32);

// Builds the extension for `elements` in the one-byte form when every element fits it, else
// in the two-byte form; pads with zeros to whole words. `storage` receives the bytes, and the
// returned extension views it.
base::Result<RtpHeaderExtension> build_extension(std::span<const ExtensionElement> elements,
                                                 std::vector<std::byte>& storage);

}  // namespace warden::media
