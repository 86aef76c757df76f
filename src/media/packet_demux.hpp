#pragma once
// Which protocol a datagram on the media port belongs to, by its first byte (RFC 7983 §7,
// updating RFC 5764 §5.1.2), and RTP versus RTCP when both share the port (RFC 5761 §4).
//
//   first byte   0-3 STUN   16-19 ZRTP   20-63 DTLS   64-79 TURN channel   128-191 RTP/RTCP
//
// Among RTP/RTCP, a second byte of 192-223 (RTCP packet types; the same as an RTP payload type
// of 64-95 with the marker bit set, which RFC 5761 §4 forbids for RTP) is RTCP.
// Thread-safety: pure function. Errors: none; an empty or unassigned datagram is Unknown.

#include <cstdint>

#include "base/bytes.hpp"

namespace warden::media {

enum class PacketKind : std::uint8_t { Unknown, Stun, Zrtp, Dtls, TurnChannel, Rtp, Rtcp };

PacketKind classify_packet(base::ByteView datagram) noexcept;

}  // namespace warden::media
