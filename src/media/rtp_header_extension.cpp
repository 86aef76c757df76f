#include "media/rtp_header_extension.hpp"

#include <algorithm>

namespace warden::media {

namespace {

std::uint8_t byte_at(base::ByteView v, std::size_t i) noexcept {
  return std::to_integer<std::uint8_t>(v[i]);
}

bool fits_one_byte(const ExtensionElement& e) noexcept {
  return e.id >= 1 && e.id <= 14 && !e.data.empty() && e.data.size() <= 16;
}

}  // namespace

bool ExtensionElement::operator==(const ExtensionElement& o) const noexcept {
  return id == o.id && data.size() == o.data.size() &&
         std::equal(data.begin(), data.end(), o.data.begin());
}

base::Result<std::vector<ExtensionElement>> parse_extension_elements(const RtpHeaderExtension& ext,
                                                                     std::size_t max_elements) {
  const bool one_byte = ext.is_one_byte_form();
  if (!one_byte && !ext.is_two_byte_form()) return RtpErrc::BadExtension;
  const base::ByteView d = ext.data;
  std::vector<ExtensionElement> out;
  std::size_t pos = 0;
  while (pos < d.size()) {
    const std::uint8_t first = byte_at(d, pos);
    // Padding between or after elements. In the one-byte form any byte with ID 0 is taken as
    // one padding byte, its length nibble ignored (ID 0 is never an element).
    if (first == 0 || (one_byte && (first >> 4) == 0)) {
      ++pos;
      continue;
    }
    std::size_t id, len;
    if (one_byte) {
      id = first >> 4;
      len = (first & 0x0Fu) + 1u;
      if (id == 15) break;  // reserved: stop here, keep what came before
      ++pos;
    } else {
      if (d.size() - pos < 2) return RtpErrc::BadExtension;
      id = first;
      len = byte_at(d, pos + 1);
      pos += 2;
    }
    if (d.size() - pos < len) return RtpErrc::BadExtension;
    if (out.size() >= max_elements) return RtpErrc::TooManyItems;
    out.push_back({static_cast<std::uint8_t>(id), d.subspan(pos, len)});
    pos += len;
  }
  return out;
}

base::Result<RtpHeaderExtension> build_extension(std::span<const ExtensionElement> elements,
                                                 std::vector<std::byte>& storage) {
  bool one_byte = true;
  for (const ExtensionElement& e : elements) {
    if (e.id == 0 || e.data.size() > 255) return RtpErrc::BadField;
    one_byte = one_byte && fits_one_byte(e);
  }
  storage.clear();
  for (const ExtensionElement& e : elements) {
    if (one_byte) {
      storage.push_back(static_cast<std::byte>(e.id << 4 | (e.data.size() - 1)));
    } else {
      storage.push_back(static_cast<std::byte>(e.id));
      storage.push_back(static_cast<std::byte>(e.data.size()));
    }
    storage.insert(storage.end(), e.data.begin(), e.data.end());
  }
  storage.resize((storage.size() + 3) & ~std::size_t{3}, std::byte{0});
  if (storage.size() / 4 > 0xFFFF) return RtpErrc::BadField;
  return RtpHeaderExtension{one_byte ? kOneByteExtensionProfile : std::uint16_t{0x1000}, storage};
}

}  // namespace warden::media
