#pragma once
// CryptoAttribute: SDES keying, a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]
// (RFC 4568 §9.1, SRTP key parameters §6.1). key-params is one or more "method:info" separated
// by ';'; for the "inline" method info is <base64 key||salt>["|"<lifetime>]["|"<MKI>:<length>].
//
// Thread-safety: plain value and pure functions. Views point into the value given to
// parse_crypto(). Errors: SdpErrc::BadCrypto for a tag of more than 9 digits, a suite that is
// not 1*(ALPHA/DIGIT/"_"), a key without "method:", bad base64, a key||salt whose length does
// not fit a known suite (30 bytes for AES_CM_128, 38 for AES_192_CM, 46 for AES_256_CM,
// 28/44 for AEAD_AES_128/256_GCM), a lifetime that is not digits or "2^"digits (up to 2^63),
// an MKI length outside 1-128, too many '|' parts, or a session parameter with control octets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// SRTP crypto suites registered for SDES (RFC 4568 §6.2, RFC 6188, RFC 7714).
enum class CryptoSuite : std::uint8_t {
  Other,
  AesCm128HmacSha1_80,
  AesCm128HmacSha1_32,
  F8_128HmacSha1_80,
  Aes192CmHmacSha1_80,
  Aes192CmHmacSha1_32,
  Aes256CmHmacSha1_80,
  Aes256CmHmacSha1_32,
  AeadAes128Gcm,
  AeadAes256Gcm,
};
CryptoSuite crypto_suite_from_text(std::string_view text) noexcept;
// Length in bytes of master key + master salt for a known suite, nullopt for Other.
std::optional<std::size_t> key_salt_length(CryptoSuite suite) noexcept;

// One "method:info" of key-params.
struct CryptoKeyParam {
  std::string_view method;    // "inline" (any case) or another key method
  std::string_view info;      // the key-info as written
  std::string_view key_salt;  // inline only: base64 of master key || master salt
  std::string_view lifetime;  // inline only: "2^31", "1048576" or "" if absent
  std::string_view mki;       // inline only: decimal MKI value or "" if absent
  std::uint8_t mki_length = 0;  // bytes of MKI on the wire, 1-128 when `mki` is set

  bool is_inline() const noexcept;
  // The lifetime in packets; nullopt if absent.
  std::optional<std::uint64_t> lifetime_packets() const noexcept;
  // The decoded master key || master salt (inline keys).
  std::optional<std::vector<std::byte>> decode_key_salt() const;
  // For inline keys `info` is ignored: it is derived from the other fields.
  bool operator==(const CryptoKeyParam& o) const noexcept;
};

// One parsed a=crypto value.
struct CryptoAttribute {
  std::uint32_t tag = 0;   // 0-999999999
  std::string_view suite;  // "AES_CM_128_HMAC_SHA1_80", ...
  std::vector<CryptoKeyParam> keys;              // at least one
  std::vector<std::string_view> session_params;  // "KDR=1", "UNENCRYPTED_SRTCP", ...

  CryptoSuite suite_kind() const noexcept { return crypto_suite_from_text(suite); }
  bool operator==(const CryptoAttribute&) const = default;
};

base::Result<CryptoAttribute> parse_crypto(std::string_view value);
template <TemporaryString S>
base::Result<CryptoAttribute> parse_crypto(S&&) = delete;
std::string format_value(const CryptoAttribute& c);

}  // namespace warden::sip::sdp
