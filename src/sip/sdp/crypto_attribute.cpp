#include "sip/sdp/crypto_attribute.hpp"

#include "sip/sdp/base64.hpp"
#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {
namespace {

bool is_suite(std::string_view s) noexcept {
  return !s.empty() && detail::all_of(s, [](char c) { return detail::is_alnum(c) || c == '_'; });
}

// lifetime = ["2^"] 1*(DIGIT), bounded to 64 bits.
std::optional<std::uint64_t> lifetime_value(std::string_view s) noexcept {
  if (s.size() > 2 && s[0] == '2' && s[1] == '^') {
    const auto exponent = detail::parse_uint<std::uint8_t>(s.substr(2), 63);
    if (!exponent) return std::nullopt;
    return std::uint64_t{1} << *exponent;
  }
  return detail::parse_uint<std::uint64_t>(s);
}

bool parse_mki(std::string_view s, CryptoKeyParam& k) noexcept {
  bool found = false;
  k.mki = detail::split_first(s, ':', found);
  const auto len = detail::parse_uint<std::uint8_t>(s, 128);
  if (!found || !detail::is_digits(k.mki) || !len || *len == 0) return false;
  k.mki_length = *len;
  return true;
}

bool parse_inline(std::string_view info, CryptoKeyParam& k) noexcept {
  bool more = false;
  k.key_salt = detail::split_first(info, '|', more);
  if (!is_base64(k.key_salt)) return false;
  if (!more) return true;
  std::string_view second = detail::split_first(info, '|', more);
  if (!more) {
    // One optional part: an MKI has a ':', a lifetime does not.
    if (second.find(':') != std::string_view::npos) return parse_mki(second, k);
    k.lifetime = second;
    return lifetime_value(second).has_value();
  }
  k.lifetime = second;
  return lifetime_value(second).has_value() && parse_mki(info, k);
}

}  // namespace

CryptoSuite crypto_suite_from_text(std::string_view text) noexcept {
  if (text == "AES_CM_128_HMAC_SHA1_80") return CryptoSuite::AesCm128HmacSha1_80;
  if (text == "AES_CM_128_HMAC_SHA1_32") return CryptoSuite::AesCm128HmacSha1_32;
  if (text == "F8_128_HMAC_SHA1_80") return CryptoSuite::F8_128HmacSha1_80;
  if (text == "AES_192_CM_HMAC_SHA1_80") return CryptoSuite::Aes192CmHmacSha1_80;
  if (text == "AES_192_CM_HMAC_SHA1_32") return CryptoSuite::Aes192CmHmacSha1_32;
  if (text == "AES_256_CM_HMAC_SHA1_80") return CryptoSuite::Aes256CmHmacSha1_80;
  if (text == "AES_256_CM_HMAC_SHA1_32") return CryptoSuite::Aes256CmHmacSha1_32;
  if (text == "AEAD_AES_128_GCM") return CryptoSuite::AeadAes128Gcm;
  if (text == "AEAD_AES_256_GCM") return CryptoSuite::AeadAes256Gcm;
  return CryptoSuite::Other;
}

std::optional<std::size_t> key_salt_length(CryptoSuite suite) noexcept {
  switch (suite) {
    case CryptoSuite::AesCm128HmacSha1_80:
    case CryptoSuite::AesCm128HmacSha1_32:
    case CryptoSuite::F8_128HmacSha1_80: return 30;
    case CryptoSuite::Aes192CmHmacSha1_80:
    case CryptoSuite::Aes192CmHmacSha1_32: return 38;
    case CryptoSuite::Aes256CmHmacSha1_80:
    case CryptoSuite::Aes256CmHmacSha1_32: return 46;
    case CryptoSuite::AeadAes128Gcm: return 28;
    case CryptoSuite::AeadAes256Gcm: return 44;
    case CryptoSuite::Other: break;
  }
  return std::nullopt;
}

bool CryptoKeyParam::is_inline() const noexcept { return detail::iequals(method, "inline"); }

std::optional<std::uint64_t> CryptoKeyParam::lifetime_packets() const noexcept {
  if (lifetime.empty()) return std::nullopt;
  return lifetime_value(lifetime);
}

std::optional<std::vector<std::byte>> CryptoKeyParam::decode_key_salt() const {
  return decode_base64(key_salt);
}

bool CryptoKeyParam::operator==(const CryptoKeyParam& o) const noexcept {
  if (method != o.method) return false;
  if (!is_inline()) return info == o.info;
  return key_salt == o.key_salt && lifetime == o.lifetime && mki == o.mki &&
         mki_length == o.mki_length;
}

base::Result<CryptoAttribute> parse_crypto(std::string_view value) {
  detail::FieldCursor f(value, /*tabs_too=*/true);
  const std::string_view tag = f.next();
  CryptoAttribute c;
  c.suite = f.next();
  std::string_view keys = f.next();
  if (tag.size() > 9 || !is_suite(c.suite) || keys.empty()) return SdpErrc::BadCrypto;
  const auto tag_value = detail::parse_uint<std::uint32_t>(tag);
  if (!tag_value) return SdpErrc::BadCrypto;
  c.tag = *tag_value;
  const auto expected = key_salt_length(c.suite_kind());
  bool more = true;
  while (more) {
    std::string_view param = detail::split_first(keys, ';', more);
    CryptoKeyParam k;
    bool has_colon = false;
    k.method = detail::split_first(param, ':', has_colon);
    k.info = param;
    if (!has_colon || !detail::is_token(k.method) || k.info.empty()) return SdpErrc::BadCrypto;
    if (k.is_inline()) {
      if (!parse_inline(k.info, k)) return SdpErrc::BadCrypto;
      if (expected && base64_decoded_size(k.key_salt) != expected) return SdpErrc::BadCrypto;
    }
    c.keys.push_back(k);
  }
  while (!f.done()) {
    const std::string_view sp = f.next();
    if (!detail::is_non_ws_string(sp)) return SdpErrc::BadCrypto;
    c.session_params.push_back(sp);
  }
  return c;
}

std::string format_value(const CryptoAttribute& c) {
  std::string out = std::to_string(c.tag);
  out.push_back(' ');
  out.append(c.suite);
  out.push_back(' ');
  bool first = true;
  for (const CryptoKeyParam& k : c.keys) {
    if (!first) out.push_back(';');
    first = false;
    out.append(k.method);
    out.push_back(':');
    if (!k.is_inline()) {
      out.append(k.info);
      continue;
    }
    out.append(k.key_salt);
    if (!k.lifetime.empty()) {
      out.push_back('|');
      out.append(k.lifetime);
    }
    if (!k.mki.empty()) {
      out.push_back('|');
      out.append(k.mki);
      out.push_back(':');
      out.append(std::to_string(k.mki_length));
    }
  }
  for (std::string_view sp : c.session_params) {
    out.push_back(' ');
    out.append(sp);
  }
  return out;
}

}  // namespace warden::sip::sdp
