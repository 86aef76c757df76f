#include "media/packet_demux.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace warden::media;

namespace {
PacketKind kind(std::vector<unsigned> bytes) {
  std::vector<std::byte> b;
  for (unsigned v : bytes) b.push_back(static_cast<std::byte>(v));
  return classify_packet(b);
}
}  // namespace

TEST(DtlsDemux, FirstByteRangesOfRfc7983) {
  EXPECT_EQ(kind({}), PacketKind::Unknown);
  EXPECT_EQ(kind({0x00, 0x01}), PacketKind::Stun);  // Binding request
  EXPECT_EQ(kind({0x01, 0x01}), PacketKind::Stun);  // Binding success
  EXPECT_EQ(kind({3}), PacketKind::Stun);
  EXPECT_EQ(kind({4}), PacketKind::Unknown);
  EXPECT_EQ(kind({15}), PacketKind::Unknown);
  EXPECT_EQ(kind({16}), PacketKind::Zrtp);
  EXPECT_EQ(kind({19}), PacketKind::Zrtp);
  EXPECT_EQ(kind({20}), PacketKind::Dtls);  // change_cipher_spec
  EXPECT_EQ(kind({22, 0xfe, 0xfd}), PacketKind::Dtls);  // handshake, DTLS 1.2
  EXPECT_EQ(kind({23}), PacketKind::Dtls);  // application data
  EXPECT_EQ(kind({63}), PacketKind::Dtls);
  EXPECT_EQ(kind({64}), PacketKind::TurnChannel);
  EXPECT_EQ(kind({79}), PacketKind::TurnChannel);
  EXPECT_EQ(kind({80, 0}), PacketKind::Unknown);
  EXPECT_EQ(kind({127, 0}), PacketKind::Unknown);
  EXPECT_EQ(kind({192, 0}), PacketKind::Unknown);
  EXPECT_EQ(kind({255, 0}), PacketKind::Unknown);
  EXPECT_EQ(kind({0x80}), PacketKind::Unknown);  // RTP/RTCP needs its second byte
}

TEST(DtlsDemux, RtpVersusRtcpByPayloadType) {
  EXPECT_EQ(kind({0x80, 0}), PacketKind::Rtp);      // PCMU
  EXPECT_EQ(kind({0x80, 0x80 | 8}), PacketKind::Rtp);  // PCMA with marker
  EXPECT_EQ(kind({0x80, 111}), PacketKind::Rtp);    // dynamic (Opus)
  EXPECT_EQ(kind({0x80, 191}), PacketKind::Rtp);    // PT 63 with marker
  EXPECT_EQ(kind({0x80, 192}), PacketKind::Rtcp);   // FIR (RFC 2032), first of the RTCP range
  EXPECT_EQ(kind({0x80, 200}), PacketKind::Rtcp);   // SR
  EXPECT_EQ(kind({0x81, 201}), PacketKind::Rtcp);   // RR
  EXPECT_EQ(kind({0x81, 203}), PacketKind::Rtcp);   // BYE
  EXPECT_EQ(kind({0x8f, 206}), PacketKind::Rtcp);   // PSFB
  EXPECT_EQ(kind({0x80, 223}), PacketKind::Rtcp);
  EXPECT_EQ(kind({0x80, 224}), PacketKind::Rtp);    // PT 96 with marker
  EXPECT_EQ(kind({0xbf, 0x7f}), PacketKind::Rtp);   // V=2, P, X, CC=15
}

TEST(DtlsDemux, EveryFirstByteIsClassified) {
  unsigned counts[7] = {};
  for (unsigned b = 0; b < 256; ++b) ++counts[static_cast<unsigned>(kind({b, 0}))];
  EXPECT_EQ(counts[static_cast<unsigned>(PacketKind::Stun)], 4u);
  EXPECT_EQ(counts[static_cast<unsigned>(PacketKind::Zrtp)], 4u);
  EXPECT_EQ(counts[static_cast<unsigned>(PacketKind::Dtls)], 44u);
  EXPECT_EQ(counts[static_cast<unsigned>(PacketKind::TurnChannel)], 16u);
  EXPECT_EQ(counts[static_cast<unsigned>(PacketKind::Rtp)], 64u);
  EXPECT_EQ(counts[static_cast<unsigned>(PacketKind::Unknown)], 256u - 4 - 4 - 44 - 16 - 64);
}
