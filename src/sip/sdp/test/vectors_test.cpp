// Vectors: the RFC 5118 IPv6 SDP bodies (from the sip/msg vector set), the examples of RFC 8866,
// RFC 3264, RFC 4568, RFC 8839 and RFC 3605, and every file of the fuzz seed corpus.
#include <gtest/gtest.h>

#include "sip/sdp/sdp.hpp"
#include "test_util.hpp"

using namespace warden::sip::sdp;
namespace t = warden::sip::sdp::test;

namespace {

// Parses `text`, checks the canonical round trip, and returns the description.
SessionDescription parse_checked(std::string&&) = delete;  // the result views the text
SessionDescription parse_checked(const std::string& text) {
  auto r = parse(text);
  EXPECT_TRUE(r) << r.error().message() << "\n" << text;
  if (!r) return {};
  const std::string out = serialize(*r);
  auto again = parse(out);
  EXPECT_TRUE(again);
  if (again) {
    EXPECT_EQ(*again, *r);
  }
  return std::move(*r);
}

}  // namespace

TEST(Vectors, Rfc5118IPv6InSdp) {
  const std::string body = t::rfc5118_body("ipv6-in-sdp.dat");
  ASSERT_FALSE(body.empty());
  const SessionDescription sd = parse_checked(body);
  EXPECT_EQ(sd.origin.username, "assistant");
  EXPECT_EQ(sd.origin.session_id, "971731711378798081");
  EXPECT_EQ(sd.origin.addr_kind(), AddrType::Ip6);
  EXPECT_EQ(sd.origin.address, "2001:db8::20");
  EXPECT_EQ(sd.session_name, "Live video feed for today's meeting");
  ASSERT_TRUE(sd.connection);
  EXPECT_EQ(sd.connection->address, "2001:db8::20");
  EXPECT_EQ(sd.timings[0].start, 3338481189u);
  EXPECT_EQ(sd.timings[0].stop, 3370017201u);
  ASSERT_EQ(sd.media.size(), 2u);
  EXPECT_EQ(sd.media[0].port, 6000);
  EXPECT_EQ(find_rtpmap(sd.media[0], 2)->encoding, "G726-32");
  EXPECT_EQ(find_rtpmap(sd.media[1], 107)->clock_rate, 90000u);
  EXPECT_EQ(sd.connection_for(sd.media[1])->address, "2001:db8::20");
  EXPECT_EQ(serialize(sd), body);  // already canonical
}

TEST(Vectors, Rfc5118MultipleAddressesInSdp) {
  const std::string body = t::rfc5118_body("mult-ip-in-sdp.dat");
  const SessionDescription sd = parse_checked(body);
  EXPECT_EQ(sd.session_name, "");  // an empty s= is tolerated
  EXPECT_FALSE(sd.connection);
  ASSERT_EQ(sd.media.size(), 2u);
  EXPECT_EQ(sd.connection_for(sd.media[0])->addr_kind(), AddrType::Ip4);
  EXPECT_EQ(sd.connection_for(sd.media[0])->address, "192.0.2.1");
  EXPECT_EQ(sd.connection_for(sd.media[1])->addr_kind(), AddrType::Ip6);
  EXPECT_EQ(sd.connection_for(sd.media[1])->address, "2001:db8::1");
  EXPECT_EQ(serialize(sd), body);
}

TEST(Vectors, Rfc5118Ipv4MappedIpv6) {
  const std::string body = t::rfc5118_body("ipv4-mapped-ipv6.dat");
  const SessionDescription sd = parse_checked(body);
  EXPECT_EQ(sd.origin.address, "::ffff:192.0.2.2");
  EXPECT_EQ(sd.connection->address, "::ffff:192.0.2.2");
  EXPECT_EQ(sd.connection->addr_kind(), AddrType::Ip6);
  EXPECT_EQ(serialize(sd), body);
}

TEST(Vectors, Rfc5118OriginalLfArchive) {
  // The archive copies use bare LF line ends; the bodies must parse the same.
  for (const char* name : {"ipv6-in-sdp.dat", "mult-ip-in-sdp.dat", "ipv4-mapped-ipv6.dat"}) {
    const std::string msg = t::read_file(t::source_path(std::string("src/sip/msg/vectors/rfc5118/") + name));
    const auto pos = msg.find("\n\n");
    ASSERT_NE(pos, std::string::npos) << name;
    auto lf = parse(std::string_view(msg).substr(pos + 2));
    const std::string body = t::rfc5118_body(name);
    auto wire = parse(body);
    ASSERT_TRUE(lf) << name << ": " << lf.error().message();
    ASSERT_TRUE(wire);
    EXPECT_EQ(*lf, *wire) << name;
  }
}

TEST(Vectors, Rfc8866Example) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/rfc8866-example.sdp"));
  const SessionDescription sd = parse_checked(text);
  EXPECT_EQ(sd.information, "SDP Offer #1");
  EXPECT_EQ(sd.uri, "http://www.jdoe.example.com/home.html");
  EXPECT_EQ(sd.emails, (std::vector<std::string_view>{"Jane Doe <jane@jdoe.example.com>"}));
  EXPECT_EQ(sd.phones, (std::vector<std::string_view>{"+1 617 555-6011"}));
  ASSERT_EQ(sd.media.size(), 3u);
  EXPECT_EQ(sd.media[2].connections[0].address, "2001:db8::2");
  EXPECT_EQ(sd.connection_for(sd.media[0])->address, "198.51.100.1");
  EXPECT_EQ(find_rtpmap(sd.media[2], 99)->encoding, "h263-1998");
}

TEST(Vectors, MulticastRepeatZone) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/multicast-repeat-zone.sdp"));
  const SessionDescription sd = parse_checked(text);
  EXPECT_EQ(sd.connection->address, "224.2.17.12");
  EXPECT_EQ(sd.connection->ttl, 127);
  EXPECT_EQ(sd.connection->count, 3u);
  EXPECT_TRUE(is_multicast(AddrType::Ip4, sd.connection->address));
  ASSERT_EQ(sd.timings[0].repeats.size(), 2u);
  EXPECT_EQ(typed_time_seconds(sd.timings[0].repeats[0].interval), 604800);
  EXPECT_EQ(typed_time_seconds(sd.timings[0].repeats[1].offsets[1]), 90000);
  EXPECT_EQ(sd.zone_adjustments.size(), 2u);
  EXPECT_EQ(sd.key, "prompt");
  EXPECT_EQ(sd.media[0].port_count, 2u);
  EXPECT_EQ(sd.media[1].connections[0].count, 3u);
  EXPECT_EQ(*effective_direction(sd, sd.media[1]), Direction::RecvOnly);
}

TEST(Vectors, Rfc3264AudioVideoOffer) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/rfc3264-g711-offer.sdp"));
  const SessionDescription sd = parse_checked(text);
  EXPECT_EQ(sd.origin.address, "host.atlanta.example.com");
  EXPECT_EQ(sd.connection->address, "host.atlanta.example.com");
  EXPECT_EQ(sd.media[0].formats, (std::vector<std::string_view>{"0", "8", "97"}));
  EXPECT_EQ(find_rtpmap(sd.media[0], 8)->encoding, "PCMA");
  EXPECT_EQ(find_rtpmap(sd.media[0], 97)->encoding, "iLBC");
  EXPECT_EQ(sd.media[1].media_kind(), MediaType::Video);
}

TEST(Vectors, OpusTelephoneEvent) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/opus-telephone-event.sdp"));
  const SessionDescription sd = parse_checked(text);
  const MediaDescription& m = sd.media[0];
  EXPECT_EQ(find_rtpmap(m, 111)->channels, 2);
  EXPECT_EQ(find_fmtp(m, 111)->param("useinbandfec"), "1");
  EXPECT_EQ(find_rtpmap(m, 101)->encoding, "telephone-event");
  EXPECT_EQ(find_fmtp(m, 101)->params, "0-16");
  EXPECT_DOUBLE_EQ(*find_ptime(sd, m), 20.0);
  EXPECT_EQ(m.bandwidths[0].type, "AS");
  EXPECT_EQ(m.bandwidths[0].value, 64u);
  EXPECT_EQ(*effective_direction(sd, m), Direction::SendRecv);
}

TEST(Vectors, Rfc4568SdesOffer) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/rfc4568-sdes-offer.sdp"));
  const SessionDescription sd = parse_checked(text);
  ASSERT_EQ(sd.media.size(), 3u);
  EXPECT_EQ(sd.media[0].proto_kind(), TransportProto::RtpSavp);
  auto audio = parse_crypto(sd.media[0].find_attribute("crypto")->value);
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->keys[0].mki_length, 4);
  EXPECT_EQ(audio->session_params[0], "FEC_ORDER=FEC_SRTP");
  auto video = parse_crypto(sd.media[1].find_attribute("crypto")->value);
  ASSERT_TRUE(video);
  EXPECT_EQ(video->keys[0].mki_length, 32);
  EXPECT_EQ(sd.media[2].proto_kind(), TransportProto::Udp);
  EXPECT_EQ(sd.media[2].find_attribute("orient")->value, "portrait");
}

TEST(Vectors, DtlsOffer) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/dtls-webrtc-offer.sdp"));
  const SessionDescription sd = parse_checked(text);
  const MediaDescription& m = sd.media[0];
  auto fp = parse_fingerprint(*find_attribute_value(sd, m, "fingerprint"));
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->hash(), HashFunction::Sha256);
  EXPECT_EQ(fp->digest.size(), 32u);
  EXPECT_EQ(find_setup(sd, m), SetupRole::ActPass);
  EXPECT_EQ(*parse_ice_options(sd.find_attribute("ice-options")->value),
            (std::vector<std::string_view>{"trickle"}));
  EXPECT_EQ(find_ice_credentials(sd, m)->ufrag, "EsAw");
  EXPECT_EQ(find_mid(m), "0");
  EXPECT_TRUE(has_rtcp_mux(m));
  EXPECT_EQ(find_rtcp(m)->address, "0.0.0.0");
  const auto cands = find_candidates(m);
  ASSERT_EQ(cands.size(), 3u);
  EXPECT_EQ(cands[1].related_address, "192.0.2.3");
  EXPECT_EQ(cands[2].extension("tcptype"), "active");
  EXPECT_TRUE(m.has_attribute("end-of-candidates"));
  EXPECT_EQ(m.proto_kind(), TransportProto::UdpTlsRtpSavpf);
}

TEST(Vectors, Rfc8839IceIpv6) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/rfc8839-ice-ipv6.sdp"));
  const SessionDescription sd = parse_checked(text);
  const auto creds = find_ice_credentials(sd, sd.media[0]);
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->ufrag, "8hhY");
  EXPECT_EQ(creds->pwd, "asd88fgpdd777uzjYhagZg");
  const auto cands = find_candidates(sd.media[0]);
  ASSERT_EQ(cands.size(), 2u);
  EXPECT_EQ(cands[0].address, "2001:db8:a0b:12f0::1");
  EXPECT_EQ(cands[1].related_port, 8998);
  EXPECT_EQ(sd.media[0].bandwidths.size(), 2u);
}

TEST(Vectors, Rfc3605RtcpAndHold) {
  const std::string text = t::read_file(t::source_path("src/sip/sdp/fuzz/corpus/rfc3605-rtcp-hold.sdp"));
  const SessionDescription sd = parse_checked(text);
  EXPECT_EQ(sd.session_name, " ");
  EXPECT_EQ(sd.connection->address, "0.0.0.0");
  auto rtcp = find_rtcp(sd.media[0]);
  ASSERT_TRUE(rtcp);
  EXPECT_EQ(rtcp->port, 53020);
  EXPECT_EQ(rtcp->addr_type, "IP6");
  auto crypto = parse_crypto(sd.media[0].find_attribute("crypto")->value);
  ASSERT_TRUE(crypto);
  EXPECT_EQ(crypto->suite_kind(), CryptoSuite::AeadAes256Gcm);
  EXPECT_EQ(crypto->keys[0].decode_key_salt()->size(), 44u);
  EXPECT_EQ(*effective_direction(sd, sd.media[0]), Direction::SendOnly);
  EXPECT_EQ(sd.media[1].port, 0);  // a rejected or disabled stream
  EXPECT_EQ(*effective_direction(sd, sd.media[1]), Direction::Inactive);
}

TEST(Vectors, WholeCorpusIsValidAndCanonical) {
  const auto files = t::corpus();
  ASSERT_GE(files.size(), 12u);
  for (const auto& [name, text] : files) {
    SCOPED_TRACE(name);
    ASSERT_NE(text.find("\r\n"), std::string::npos);
    const SessionDescription sd = parse_checked(text);
    EXPECT_TRUE(check_known_attributes(sd));
    EXPECT_EQ(serialize(sd), text);  // the seeds are written canonically
    auto owned = OwnedSessionDescription::parse(text);
    ASSERT_TRUE(owned);
    EXPECT_EQ(owned->description(), sd);
  }
}
