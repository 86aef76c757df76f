#include "media/packet_demux.hpp"

namespace warden::media {

PacketKind classify_packet(base::ByteView datagram) noexcept {
  if (datagram.empty()) return PacketKind::Unknown;
  const unsigned first = std::to_integer<unsigned>(datagram[0]);
  if (first <= 3) return PacketKind::Stun;
  if (first >= 16 && first <= 19) return PacketKind::Zrtp;
  if (first >= 20 && first <= 63) return PacketKind::Dtls;
  if (first >= 64 && first <= 79) return PacketKind::TurnChannel;
  if (first >= 128 && first <= 191) {
    if (datagram.size() < 2) return PacketKind::Unknown;
    const unsigned second = std::to_integer<unsigned>(datagram[1]);
    return second >= 192 && second <= 223 ? PacketKind::Rtcp : PacketKind::Rtp;
  }
  return PacketKind::Unknown;
}

}  // namespace warden::media
