// Fuzz target: a passive (server) DtlsSrtpEndpoint fed hostile datagrams. The input is a
// sequence of datagrams, each a 2-byte big-endian length and that many bytes (a short tail is
// one last datagram); after each, the endpoint's timer is fired if due. Must never crash, leak
// or reach Connected (the peer cannot present a certificate matching the pinned fingerprint).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "media/dtls_srtp.hpp"

using namespace warden::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const warden::crypto::DtlsIdentity ours = warden::crypto::DtlsIdentity::generate("fuzz").value();
  DtlsSrtpConfig config;
  config.role = warden::crypto::DtlsRole::Server;
  config.peer_fingerprints = {{warden::crypto::CertificateDigest::Sha256, std::vector<std::byte>(32, std::byte{0x5a})}};
  auto endpoint = DtlsSrtpEndpoint::create(ours, config);
  if (!endpoint) std::abort();
  warden::base::TimePoint now{};
  endpoint->start(now);
  std::size_t at = 0;
  while (at < size) {
    std::size_t length = size - at;
    if (length >= 2) {
      length = std::min<std::size_t>(std::size_t{data[at]} << 8 | data[at + 1], size - at - 2);
      at += 2;
    }
    const auto* p = reinterpret_cast<const std::byte*>(data + at);
    endpoint->feed(std::span(p, length), now);
    at += length;
    now += std::chrono::milliseconds(500);
    endpoint->on_timeout(now);
  }
  if (endpoint->state() == DtlsSrtpEndpoint::State::Connected || endpoint->keys()) std::abort();
  return 0;
}
