#pragma once
// Fingerprint: a=fingerprint:<hash-func> <fingerprint> (RFC 8122 §5), the certificate hash a
// DTLS-SRTP peer must present. <fingerprint> is pairs of hex digits joined by ':'. RFC 8122
// asks for upper case; lower case is accepted. The hash function name is case-insensitive.
// Thread-safety: plain value and pure functions. Errors: SdpErrc::BadFingerprint for a hash
// name that is not a token, a malformed digest, or a digest whose length does not match a
// known hash (16 md5, 20 sha-1, 28 sha-224, 32 sha-256, 48 sha-384, 64 sha-512; unknown hashes
// up to 64 bytes). Views point into the value given to parse_fingerprint().

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// Hash functions of the IANA "Hash Function Textual Names" registry (RFC 8122 §5).
enum class HashFunction : std::uint8_t { Other, Md2, Md5, Sha1, Sha224, Sha256, Sha384, Sha512 };
HashFunction hash_function_from_text(std::string_view text) noexcept;
// Digest length in bytes of a known hash, nullopt for Other.
std::optional<std::size_t> digest_length(HashFunction h) noexcept;

// One parsed a=fingerprint value.
struct Fingerprint {
  std::string_view hash_name;       // as written, e.g. "sha-256"
  std::string_view value;           // as written, e.g. "4A:AD:..."
  std::vector<std::byte> digest;    // the decoded value

  HashFunction hash() const noexcept { return hash_function_from_text(hash_name); }
  // Same hash name and digest; the case of the hex text does not matter.
  bool operator==(const Fingerprint& o) const noexcept {
    return hash_name == o.hash_name && digest == o.digest;
  }
};

base::Result<Fingerprint> parse_fingerprint(std::string_view value);
template <TemporaryString S>
base::Result<Fingerprint> parse_fingerprint(S&&) = delete;
// "<hash name> <upper-case hex with colons>" from the digest (the `value` field is not used).
std::string format_value(const Fingerprint& f);
// Upper-case hex pairs joined by ':' for `digest`.
std::string format_fingerprint_digest(const std::vector<std::byte>& digest);

}  // namespace warden::sip::sdp
