#include "sip/sdp/fingerprint.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {

HashFunction hash_function_from_text(std::string_view text) noexcept {
  using detail::iequals;
  if (iequals(text, "sha-256")) return HashFunction::Sha256;
  if (iequals(text, "sha-1")) return HashFunction::Sha1;
  if (iequals(text, "sha-384")) return HashFunction::Sha384;
  if (iequals(text, "sha-512")) return HashFunction::Sha512;
  if (iequals(text, "sha-224")) return HashFunction::Sha224;
  if (iequals(text, "md5")) return HashFunction::Md5;
  if (iequals(text, "md2")) return HashFunction::Md2;
  return HashFunction::Other;
}

std::optional<std::size_t> digest_length(HashFunction h) noexcept {
  switch (h) {
    case HashFunction::Md2:
    case HashFunction::Md5: return 16;
    case HashFunction::Sha1: return 20;
    case HashFunction::Sha224: return 28;
    case HashFunction::Sha256: return 32;
    case HashFunction::Sha384: return 48;
    case HashFunction::Sha512: return 64;
    case HashFunction::Other: break;
  }
  return std::nullopt;
}

base::Result<Fingerprint> parse_fingerprint(std::string_view value) {
  constexpr std::size_t kMaxDigest = 64;
  detail::FieldCursor f(value);
  Fingerprint fp;
  fp.hash_name = f.next();
  fp.value = f.next();
  if (!f.done() || !detail::is_token(fp.hash_name)) return SdpErrc::BadFingerprint;
  // 2HEX *(":" 2HEX): length 3n-1.
  const std::string_view v = fp.value;
  if (v.size() < 2 || (v.size() + 1) % 3 != 0 || (v.size() + 1) / 3 > kMaxDigest) {
    return SdpErrc::BadFingerprint;
  }
  fp.digest.reserve((v.size() + 1) / 3);
  for (std::size_t i = 0; i < v.size(); i += 3) {
    const int hi = detail::hex_value(v[i]);
    const int lo = detail::hex_value(v[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < v.size() && v[i + 2] != ':')) return SdpErrc::BadFingerprint;
    fp.digest.push_back(static_cast<std::byte>(hi * 16 + lo));
  }
  const auto expected = digest_length(fp.hash());
  if (expected && fp.digest.size() != *expected) return SdpErrc::BadFingerprint;
  return fp;
}

std::string format_fingerprint_digest(const std::vector<std::byte>& digest) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.size() * 3);
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i != 0) out.push_back(':');
    const auto b = std::to_integer<unsigned>(digest[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string format_value(const Fingerprint& f) {
  std::string out(f.hash_name);
  out.push_back(' ');
  out.append(format_fingerprint_digest(f.digest));
  return out;
}

}  // namespace warden::sip::sdp
