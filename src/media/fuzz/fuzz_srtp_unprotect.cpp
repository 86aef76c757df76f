// Fuzz target: SrtpSession on hostile bytes. The first byte picks the suite (bits 0-1:
// AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM, AEAD_AES_256_GCM) and the operation
// (bits 2-3); the rest is the packet:
//   0  unprotect as SRTP          1  unprotect as SRTCP
//   2  protect as RTP, unprotect with the peer session, and require the original back
//   3  the same for RTCP
// Keys are fixed (libsrtp's known-answer keys for AES-CM-128 and AES-GCM-128), so seeds built
// from those vectors authenticate and reach decryption. Round trips use fresh sessions per
// input; the unprotect-only operations share one receiver per suite (see below). Must never crash, leak or read out of bounds.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "media/srtp_session.hpp"

using namespace warden::media;

namespace {

const std::uint8_t kAesCmKey[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                                    0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                                    0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
const std::uint8_t kGcmKey[44] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                  0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0x10, 0x11, 0x12, 0x13, 0x14,
                                  0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

SrtpMasterKey fixed_key(SrtpSuite suite) {
  const std::size_t n = master_key_length(suite) + master_salt_length(suite);
  const std::uint8_t* src = n == 30 ? kAesCmKey : kGcmKey;
  auto key = SrtpMasterKey::from_key_salt(suite, std::as_bytes(std::span(src, n)));
  if (!key) std::abort();
  return *key;
}

constexpr SrtpSuite kSuites[4] = {SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32,
                                  SrtpSuite::AeadAes128Gcm, SrtpSuite::AeadAes256Gcm};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const SrtpSuite suite = kSuites[data[0] & 3u];
  const unsigned op = (data[0] >> 2) & 3u;
  const std::vector<std::byte> packet(reinterpret_cast<const std::byte*>(data + 1),
                                      reinterpret_cast<const std::byte*>(data + size));
  const SrtpMasterKey key = fixed_key(suite);

  if (op < 2) {
    // One long-lived receiver per suite, as in a call (creating sessions dominates the cost
    // otherwise). Its replay state changes only when a packet authenticates.
    static std::vector<SrtpSession> receivers = [] {
      std::vector<SrtpSession> v;
      for (SrtpSuite s : kSuites) v.push_back(SrtpSession::create(fixed_key(s), fixed_key(s)).value());
      return v;
    }();
    std::vector<std::byte> buf = packet;  // exactly the packet: no slack to hide overreads
    SrtpSession& receiver = receivers[data[0] & 3u];
    auto r = op == 0 ? receiver.unprotect_rtp(buf) : receiver.unprotect_rtcp(buf);
    if (r && *r > packet.size()) std::abort();
    return 0;
  }

  auto receiver = SrtpSession::create(key, key);
  auto sender = SrtpSession::create(key, key);
  if (!receiver) std::abort();
  if (!sender) std::abort();
  std::vector<std::byte> buf = packet;
  buf.resize(packet.size() + SrtpSession::kProtectHeadroom);
  auto protected_length = op == 2 ? sender->protect_rtp(buf, packet.size()) : sender->protect_rtcp(buf, packet.size());
  if (!protected_length) return 0;
  buf.resize(*protected_length);
  auto plain_length = op == 2 ? receiver->unprotect_rtp(buf) : receiver->unprotect_rtcp(buf);
  if (!plain_length || *plain_length != packet.size() ||
      std::memcmp(buf.data(), packet.data(), packet.size()) != 0)
    std::abort();  // what we protect, our peer must accept unchanged
  return 0;
}
