#include "media/srtp_session.hpp"

#include <srtp2/srtp.h>
#include <string.h>  // explicit_bzero

#include <climits>
#include <cstring>
#include <mutex>

#include "base/error.hpp"
#include "crypto/hash.hpp"

namespace warden::media {
namespace {

static_assert(SrtpSession::kProtectHeadroom >= SRTP_MAX_TRAILER_LEN + 4);
static_assert(SrtpSession::kMaxPacketBytes + SrtpSession::kProtectHeadroom < INT_MAX);
static_assert(SrtpMasterKey::kMaxBytes >= SRTP_AES_GCM_256_KEY_LEN_WSALT);

constexpr std::size_t kRtpFixedHeader = 12;   // RFC 3550 §5.1
constexpr std::size_t kRtcpFixedHeader = 8;   // RFC 3550 §6.4.1: V/P/RC, PT, length, SSRC
constexpr std::size_t kSrtcpIndexBytes = 4;   // RFC 3711 §3.4: E flag + 31-bit index

// srtp_init() once per process, whoever gets there first (std::call_once is thread-safe).
srtp_err_status_t library_status() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  return status;
}

void wipe(void* p, std::size_t n) noexcept { explicit_bzero(p, n); }

std::uint16_t load_be16(std::span<const std::byte> b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(b[at]) << 8) | std::to_integer<unsigned>(b[at + 1]));
}

unsigned version_of(std::span<const std::byte> b) noexcept { return std::to_integer<unsigned>(b[0]) >> 6; }

// Length of the RTP header (fixed part, CSRCs, extension) or 0 if it does not fit in `b`.
std::size_t rtp_header_length(std::span<const std::byte> b) noexcept {
  if (b.size() < kRtpFixedHeader) return 0;
  const unsigned first = std::to_integer<unsigned>(b[0]);
  std::size_t length = kRtpFixedHeader + 4 * (first & 0x0fu);
  if ((first & 0x10u) != 0) {  // X: a 4-byte extension header and its 32-bit words (RFC 3550 §5.3.1)
    if (b.size() < length + 4) return 0;
    length += 4 + 4 * std::size_t{load_be16(b, length + 2)};
  }
  return length <= b.size() ? length : 0;
}

void set_policies(SrtpSuite suite, srtp_policy_t& p) {
  switch (suite) {
    case SrtpSuite::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case SrtpSuite::AesCm128HmacSha1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);  // SRTCP keeps the 80-bit tag
      break;
    case SrtpSuite::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      break;
    case SrtpSuite::AeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
      break;
  }
}

SrtpErrc map_packet_status(srtp_err_status_t s) noexcept {
  switch (s) {
    case srtp_err_status_ok: return SrtpErrc::Ok;
    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail:  // GCM reports a bad tag here
    case srtp_err_status_cant_check:   // SRTCP whose E flag says "not encrypted" (RFC 3711 §3.4)
      return SrtpErrc::AuthFailure;
    case srtp_err_status_replay_fail: return SrtpErrc::Replayed;
    case srtp_err_status_replay_old: return SrtpErrc::TooOld;
    case srtp_err_status_key_expired: return SrtpErrc::KeyExpired;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err: return SrtpErrc::BadLength;
    default: return SrtpErrc::Internal;
  }
}

base::Result<srtp_t> create_context(const SrtpMasterKey& key, srtp_ssrc_type_t direction,
                                    const SrtpOptions& options) {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  set_policies(key.suite(), policy);
  policy.ssrc.type = direction;
  std::array<unsigned char, SrtpMasterKey::kMaxBytes> material{};
  std::memcpy(material.data(), key.key_salt().data(), key.key_salt().size());
  policy.key = material.data();
  policy.window_size = options.replay_window;
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;
  srtp_t ctx = nullptr;
  const srtp_err_status_t status = srtp_create(&ctx, &policy);
  wipe(material.data(), material.size());
  if (status == srtp_err_status_ok) return ctx;
  if (ctx != nullptr) srtp_dealloc(ctx);
  if (status == srtp_err_status_cipher_fail || status == srtp_err_status_bad_param) return SrtpErrc::Unsupported;
  return SrtpErrc::Internal;
}

}  // namespace

std::string_view describe(SrtpErrc e) noexcept {
  switch (e) {
    case SrtpErrc::Ok: return "ok";
    case SrtpErrc::BadKey: return "SRTP master key or salt of the wrong length for its suite";
    case SrtpErrc::Unsupported: return "SRTP crypto suite not available in libsrtp";
    case SrtpErrc::BadLength: return "SRTP/SRTCP packet too short, too long or without headroom";
    case SrtpErrc::NotRtp: return "not an RTP/RTCP packet (version is not 2)";
    case SrtpErrc::AuthFailure: return "SRTP/SRTCP authentication failed";
    case SrtpErrc::Replayed: return "SRTP/SRTCP packet replayed";
    case SrtpErrc::TooOld: return "SRTP/SRTCP packet older than the replay window";
    case SrtpErrc::KeyExpired: return "SRTP master key used up: rekey";
    case SrtpErrc::Internal: return "libsrtp internal failure";
  }
  return "unknown SRTP error";
}

const std::error_category& srtp_category() noexcept {
  return base::ErrorCategory<SrtpErrc>::instance("media.srtp");
}

std::string_view sdes_name(SrtpSuite s) noexcept {
  switch (s) {
    case SrtpSuite::AesCm128HmacSha1_80: return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::AesCm128HmacSha1_32: return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::AeadAes128Gcm: return "AEAD_AES_128_GCM";
    case SrtpSuite::AeadAes256Gcm: return "AEAD_AES_256_GCM";
  }
  return "";
}

std::optional<SrtpSuite> suite_from_sdes_name(std::string_view name) noexcept {
  for (SrtpSuite s : kSrtpSuitesByPreference)
    if (sdes_name(s) == name) return s;
  return std::nullopt;
}

std::string_view dtls_profile_name(SrtpSuite s) noexcept {
  switch (s) {
    case SrtpSuite::AesCm128HmacSha1_80: return "SRTP_AES128_CM_HMAC_SHA1_80";
    case SrtpSuite::AesCm128HmacSha1_32: return "SRTP_AES128_CM_HMAC_SHA1_32";
    case SrtpSuite::AeadAes128Gcm: return "SRTP_AEAD_AES_128_GCM";
    case SrtpSuite::AeadAes256Gcm: return "SRTP_AEAD_AES_256_GCM";
  }
  return "";
}

std::uint16_t dtls_profile_id(SrtpSuite s) noexcept {
  switch (s) {
    case SrtpSuite::AesCm128HmacSha1_80: return 0x0001;
    case SrtpSuite::AesCm128HmacSha1_32: return 0x0002;
    case SrtpSuite::AeadAes128Gcm: return 0x0007;
    case SrtpSuite::AeadAes256Gcm: return 0x0008;
  }
  return 0;
}

std::optional<SrtpSuite> suite_from_dtls_profile_id(std::uint16_t id) noexcept {
  for (SrtpSuite s : kSrtpSuitesByPreference)
    if (dtls_profile_id(s) == id) return s;
  return std::nullopt;
}

std::size_t master_key_length(SrtpSuite s) noexcept { return s == SrtpSuite::AeadAes256Gcm ? 32 : 16; }

std::size_t master_salt_length(SrtpSuite s) noexcept {
  return s == SrtpSuite::AeadAes128Gcm || s == SrtpSuite::AeadAes256Gcm ? 12 : 14;
}

std::size_t rtp_tag_length(SrtpSuite s) noexcept {
  switch (s) {
    case SrtpSuite::AesCm128HmacSha1_80: return 10;
    case SrtpSuite::AesCm128HmacSha1_32: return 4;
    case SrtpSuite::AeadAes128Gcm:
    case SrtpSuite::AeadAes256Gcm: return 16;
  }
  return 16;
}

std::size_t rtp_overhead(SrtpSuite s) noexcept { return rtp_tag_length(s); }

std::size_t rtcp_overhead(SrtpSuite s) noexcept {
  const std::size_t tag = s == SrtpSuite::AesCm128HmacSha1_32 ? 10 : rtp_tag_length(s);
  return kSrtcpIndexBytes + tag;
}

// --- SrtpMasterKey ---------------------------------------------------------------------------

SrtpMasterKey::SrtpMasterKey(SrtpSuite suite, base::ByteView key, base::ByteView salt) noexcept
    : suite_(suite), size_(static_cast<std::uint8_t>(key.size() + salt.size())) {
  std::memcpy(bytes_.data(), key.data(), key.size());
  std::memcpy(bytes_.data() + key.size(), salt.data(), salt.size());
}

base::Result<SrtpMasterKey> SrtpMasterKey::from_key_salt(SrtpSuite suite, base::ByteView key_salt) {
  const std::size_t key_length = master_key_length(suite);
  if (key_salt.size() != key_length + master_salt_length(suite)) return SrtpErrc::BadKey;
  return SrtpMasterKey(suite, key_salt.first(key_length), key_salt.subspan(key_length));
}

base::Result<SrtpMasterKey> SrtpMasterKey::from_parts(SrtpSuite suite, base::ByteView key, base::ByteView salt) {
  if (key.size() != master_key_length(suite) || salt.size() != master_salt_length(suite)) return SrtpErrc::BadKey;
  return SrtpMasterKey(suite, key, salt);
}

SrtpMasterKey::SrtpMasterKey(const SrtpMasterKey& o) noexcept : suite_(o.suite_), size_(o.size_), bytes_(o.bytes_) {}

SrtpMasterKey& SrtpMasterKey::operator=(const SrtpMasterKey& o) noexcept {
  suite_ = o.suite_;
  size_ = o.size_;
  bytes_ = o.bytes_;
  return *this;
}

SrtpMasterKey::~SrtpMasterKey() { wipe(bytes_.data(), bytes_.size()); }

bool SrtpMasterKey::operator==(const SrtpMasterKey& o) const noexcept {
  return suite_ == o.suite_ && crypto::constant_time_equal(base::as_chars(key_salt()), base::as_chars(o.key_salt()));
}

// --- SrtpSession -----------------------------------------------------------------------------

struct SrtpSession::Contexts {
  srtp_t outbound = nullptr;
  srtp_t inbound = nullptr;
  SrtpSuite send_suite = SrtpSuite::AesCm128HmacSha1_80;
  SrtpSuite receive_suite = SrtpSuite::AesCm128HmacSha1_80;

  Contexts() = default;
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;
  ~Contexts() {
    if (outbound != nullptr) srtp_dealloc(outbound);
    if (inbound != nullptr) srtp_dealloc(inbound);
  }
};

SrtpSession::SrtpSession(std::unique_ptr<Contexts> c) noexcept : c_(std::move(c)) {}
SrtpSession::SrtpSession(SrtpSession&&) noexcept = default;
SrtpSession& SrtpSession::operator=(SrtpSession&&) noexcept = default;
SrtpSession::~SrtpSession() = default;

base::Result<SrtpSession> SrtpSession::create(const SrtpMasterKey& send, const SrtpMasterKey& receive,
                                              const SrtpOptions& options) {
  if (options.replay_window < 64 || options.replay_window > 0x8000) return base::Errc::InvalidArgument;
  if (library_status() != srtp_err_status_ok) return SrtpErrc::Internal;
  auto c = std::make_unique<Contexts>();
  c->send_suite = send.suite();
  c->receive_suite = receive.suite();
  auto out = create_context(send, ssrc_any_outbound, options);
  if (!out) return out.error();
  c->outbound = *out;
  auto in = create_context(receive, ssrc_any_inbound, options);
  if (!in) return in.error();
  c->inbound = *in;
  return SrtpSession(std::move(c));
}

SrtpSuite SrtpSession::send_suite() const noexcept { return c_->send_suite; }
SrtpSuite SrtpSession::receive_suite() const noexcept { return c_->receive_suite; }

base::Result<std::size_t> SrtpSession::protect_rtp(std::span<std::byte> buffer, std::size_t length) {
  if (length > buffer.size() || buffer.size() - length < kProtectHeadroom) return SrtpErrc::BadLength;
  if (length > kMaxPacketBytes - rtp_overhead(c_->send_suite)) return SrtpErrc::BadLength;
  const auto packet = buffer.first(length);
  if (rtp_header_length(packet) == 0) return SrtpErrc::BadLength;
  if (version_of(packet) != 2) return SrtpErrc::NotRtp;
  int len = static_cast<int>(length);
  const SrtpErrc e = map_packet_status(srtp_protect(c_->outbound, buffer.data(), &len));
  if (e != SrtpErrc::Ok) return e == SrtpErrc::AuthFailure ? SrtpErrc::Internal : e;
  return static_cast<std::size_t>(len);
}

base::Result<std::size_t> SrtpSession::protect_rtcp(std::span<std::byte> buffer, std::size_t length) {
  if (length > buffer.size() || buffer.size() - length < kProtectHeadroom) return SrtpErrc::BadLength;
  if (length < kRtcpFixedHeader || length > kMaxPacketBytes - rtcp_overhead(c_->send_suite))
    return SrtpErrc::BadLength;
  if (version_of(buffer) != 2) return SrtpErrc::NotRtp;
  int len = static_cast<int>(length);
  const SrtpErrc e = map_packet_status(srtp_protect_rtcp(c_->outbound, buffer.data(), &len));
  if (e != SrtpErrc::Ok) return e == SrtpErrc::AuthFailure ? SrtpErrc::Internal : e;
  return static_cast<std::size_t>(len);
}

base::Result<std::size_t> SrtpSession::unprotect_rtp(std::span<std::byte> packet) {
  if (packet.size() > kMaxPacketBytes) return SrtpErrc::BadLength;
  const std::size_t header = rtp_header_length(packet);
  if (header == 0 || packet.size() < header + rtp_tag_length(c_->receive_suite)) return SrtpErrc::BadLength;
  if (version_of(packet) != 2) return SrtpErrc::NotRtp;
  int len = static_cast<int>(packet.size());
  const SrtpErrc e = map_packet_status(srtp_unprotect(c_->inbound, packet.data(), &len));
  if (e != SrtpErrc::Ok) return e;
  return static_cast<std::size_t>(len);
}

base::Result<std::size_t> SrtpSession::unprotect_rtcp(std::span<std::byte> packet) {
  if (packet.size() > kMaxPacketBytes) return SrtpErrc::BadLength;
  if (packet.size() < kRtcpFixedHeader + rtcp_overhead(c_->receive_suite)) return SrtpErrc::BadLength;
  if (version_of(packet) != 2) return SrtpErrc::NotRtp;
  int len = static_cast<int>(packet.size());
  const SrtpErrc e = map_packet_status(srtp_unprotect_rtcp(c_->inbound, packet.data(), &len));
  if (e != SrtpErrc::Ok) return e;
  return static_cast<std::size_t>(len);
}

}  // namespace warden::media
