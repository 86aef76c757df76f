#pragma once
// SrtpSession: SRTP and SRTCP protection (RFC 3711, AEAD suites of RFC 7714) through libsrtp2,
// for one call leg. It owns two libsrtp contexts: an outbound one that protects every SSRC we
// send and an inbound one that unprotects every SSRC the peer sends, each under its own master
// key (the two directions never share a key). Packets are processed in place; replay
// protection is always on, for RTP and RTCP, in both directions.
//
// The suites are the four the phone offers, named as SDP names them (RFC 4568 §6.2, RFC 7714
// §14.2) and as DTLS-SRTP names them (RFC 5764 §4.1.2, RFC 7714 §14.2):
//
//   suite                 SDES name                DTLS profile (id)                    key salt tag
//   AesCm128HmacSha1_80   AES_CM_128_HMAC_SHA1_80  SRTP_AES128_CM_HMAC_SHA1_80 (0x0001)  16  14  10
//   AesCm128HmacSha1_32   AES_CM_128_HMAC_SHA1_32  SRTP_AES128_CM_HMAC_SHA1_32 (0x0002)  16  14   4
//   AeadAes128Gcm         AEAD_AES_128_GCM         SRTP_AEAD_AES_128_GCM (0x0007)        16  12  16
//   AeadAes256Gcm         AEAD_AES_256_GCM         SRTP_AEAD_AES_256_GCM (0x0008)        32  12  16
//
// (AES_CM_128_HMAC_SHA1_32 shortens the tag of SRTP only; SRTCP keeps the 80-bit tag, RFC 4568
// §6.2.2 and RFC 5764 §4.1.2.)
//
// Errors (SrtpErrc, category "media.srtp"): create() returns BadKey for a master key whose
// suite or length is wrong, Unsupported when libsrtp was built without the suite (and
// base::Errc::InvalidArgument for a replay window outside 64-32768); the
// packet functions return BadLength, NotRtp, AuthFailure, Replayed, TooOld, KeyExpired or
// Internal as documented on each. No function throws; a failed call leaves the buffer's bytes
// unspecified but the session usable.
// Thread-safety: one session is used by one thread at a time (libsrtp contexts are not
// thread-safe); different sessions may be used from different threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace warden::media {

enum class SrtpErrc {
  Ok = 0,
  BadKey,        // master key or salt of the wrong length for its suite, or suites that differ
  Unsupported,   // libsrtp lacks the suite (AES-GCM needs libsrtp built with OpenSSL)
  BadLength,     // packet shorter than its headers and tag, longer than kMaxPacketBytes, or
                 // (protect) the buffer has less than kProtectHeadroom bytes after the packet
  NotRtp,        // version field is not 2
  AuthFailure,   // the authentication tag (HMAC or GCM) does not verify: forged or damaged;
                 // also an SRTCP packet whose E flag says it is not encrypted
  Replayed,      // this packet index was already accepted (RFC 3711 §3.3.2)
  TooOld,        // the packet index is behind the replay window
  KeyExpired,    // the master key reached its packet limit (2^48 SRTP, 2^31 SRTCP): rekey
  Internal,      // libsrtp failed in a way that input cannot cause
};
std::string_view describe(SrtpErrc e) noexcept;
const std::error_category& srtp_category() noexcept;
inline std::error_code make_error_code(SrtpErrc e) noexcept {
  return {static_cast<int>(e), srtp_category()};
}

enum class SrtpSuite : std::uint8_t { AesCm128HmacSha1_80, AesCm128HmacSha1_32, AeadAes128Gcm, AeadAes256Gcm };

// Strongest first: the order we offer in and prefer when choosing.
inline constexpr std::array<SrtpSuite, 4> kSrtpSuitesByPreference = {
    SrtpSuite::AeadAes256Gcm, SrtpSuite::AeadAes128Gcm, SrtpSuite::AesCm128HmacSha1_80,
    SrtpSuite::AesCm128HmacSha1_32};

std::string_view sdes_name(SrtpSuite s) noexcept;            // "AES_CM_128_HMAC_SHA1_80", ...
std::optional<SrtpSuite> suite_from_sdes_name(std::string_view name) noexcept;  // exact match
std::string_view dtls_profile_name(SrtpSuite s) noexcept;    // "SRTP_AES128_CM_HMAC_SHA1_80", ...
std::uint16_t dtls_profile_id(SrtpSuite s) noexcept;         // 0x0001, 0x0002, 0x0007, 0x0008
std::optional<SrtpSuite> suite_from_dtls_profile_id(std::uint16_t id) noexcept;
std::size_t master_key_length(SrtpSuite s) noexcept;   // 16 or 32
std::size_t master_salt_length(SrtpSuite s) noexcept;  // 14 (AES-CM) or 12 (GCM)
std::size_t rtp_tag_length(SrtpSuite s) noexcept;      // 10, 4, 16, 16
// Bytes protect_rtp() / protect_rtcp() add to a packet (tag; for RTCP also the E+index word).
std::size_t rtp_overhead(SrtpSuite s) noexcept;
std::size_t rtcp_overhead(SrtpSuite s) noexcept;

// The master key and master salt of one direction (RFC 3711 §3.2.1, §8.2). The bytes are wiped
// when the object dies. Errors: SrtpErrc::BadKey from the factories for wrong lengths.
class SrtpMasterKey {
 public:
  static constexpr std::size_t kMaxBytes = 44;  // AES-256 key + GCM salt

  // `key_salt` is the key followed by the salt, as SDES inline keys carry them.
  static base::Result<SrtpMasterKey> from_key_salt(SrtpSuite suite, base::ByteView key_salt);
  static base::Result<SrtpMasterKey> from_parts(SrtpSuite suite, base::ByteView key, base::ByteView salt);

  SrtpMasterKey(const SrtpMasterKey& o) noexcept;
  SrtpMasterKey& operator=(const SrtpMasterKey& o) noexcept;
  ~SrtpMasterKey();

  SrtpSuite suite() const noexcept { return suite_; }
  base::ByteView key_salt() const noexcept { return {bytes_.data(), size_}; }
  base::ByteView key() const noexcept { return key_salt().first(master_key_length(suite_)); }
  base::ByteView salt() const noexcept { return key_salt().subspan(master_key_length(suite_)); }
  // Constant-time over the key bytes.
  bool operator==(const SrtpMasterKey& o) const noexcept;

 private:
  SrtpMasterKey(SrtpSuite suite, base::ByteView key, base::ByteView salt) noexcept;
  SrtpSuite suite_;
  std::uint8_t size_ = 0;
  std::array<std::byte, kMaxBytes> bytes_{};
};

struct SrtpOptions {
  // Packets remembered behind the highest index received (RFC 3711 §3.3.2 asks for >= 64).
  // libsrtp accepts 64 to 32768. Audio at 50 packets/s: 1024 covers 20 s of reordering.
  std::uint16_t replay_window = 1024;
};

class SrtpSession {
 public:
  // Largest packet handled, protected or not (an IPv4 UDP payload).
  static constexpr std::size_t kMaxPacketBytes = 65507;
  // Room protect_rtp()/protect_rtcp() need after the packet: libsrtp's documented worst case
  // (largest tag + largest MKI + the SRTCP index), more than any suite here uses.
  static constexpr std::size_t kProtectHeadroom = 148;

  // `send` protects what we transmit, `receive` unprotects what the peer transmits.
  static base::Result<SrtpSession> create(const SrtpMasterKey& send, const SrtpMasterKey& receive,
                                          const SrtpOptions& options = {});

  SrtpSession(SrtpSession&&) noexcept;
  SrtpSession& operator=(SrtpSession&&) noexcept;
  ~SrtpSession();

  SrtpSuite send_suite() const noexcept;
  SrtpSuite receive_suite() const noexcept;

  // Protects the RTP packet in buffer[0, length) in place and returns the SRTP length
  // (length + rtp_overhead()). `buffer` must extend at least kProtectHeadroom bytes past the
  // packet. Errors: BadLength (fewer than 12 bytes, headers longer than the packet, too long,
  // no headroom), NotRtp, Replayed (this SSRC already sent this sequence number: a fresh
  // packet needs a fresh sequence number), KeyExpired, Internal.
  base::Result<std::size_t> protect_rtp(std::span<std::byte> buffer, std::size_t length);
  // Same for an RTCP compound packet; returns length + rtcp_overhead(). Errors: BadLength
  // (fewer than 8 bytes, too long, no headroom), NotRtp, KeyExpired, Internal.
  base::Result<std::size_t> protect_rtcp(std::span<std::byte> buffer, std::size_t length);

  // Verifies and decrypts the SRTP packet that fills `packet`; returns the RTP length.
  // Errors: BadLength (shorter than its header and tag, or too long), NotRtp, AuthFailure,
  // Replayed, TooOld, KeyExpired, Internal. Nothing of a failed packet may be used.
  base::Result<std::size_t> unprotect_rtp(std::span<std::byte> packet);
  // Same for an SRTCP packet; returns the RTCP length. Same errors.
  base::Result<std::size_t> unprotect_rtcp(std::span<std::byte> packet);

 private:
  struct Contexts;
  explicit SrtpSession(std::unique_ptr<Contexts> c) noexcept;
  std::unique_ptr<Contexts> c_;
};

}  // namespace warden::media

template <>
struct std::is_error_code_enum<warden::media::SrtpErrc> : std::true_type {};
