#include <gtest/gtest.h>

#include <string>

#include "sip/sdp/sdp.hpp"
#include "test_util.hpp"

using namespace warden::sip::sdp;
using warden::sip::sdp::test::crlf;

namespace {

template <class R>
SdpErrc code(const R& r) {
  return r ? SdpErrc::Ok : static_cast<SdpErrc>(r.error().value());
}

}  // namespace

TEST(Rtpmap, Parses) {
  auto opus = parse_rtpmap("111 opus/48000/2");
  ASSERT_TRUE(opus);
  EXPECT_EQ(opus->payload_type, 111);
  EXPECT_EQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clock_rate, 48000u);
  EXPECT_EQ(opus->channels, 2);
  auto pcmu = parse_rtpmap("0 PCMU/8000");
  ASSERT_TRUE(pcmu);
  EXPECT_EQ(pcmu->channels, std::nullopt);
  auto te = parse_rtpmap("101 telephone-event/8000");
  ASSERT_TRUE(te);
  EXPECT_EQ(te->encoding, "telephone-event");
  EXPECT_EQ(format_value(*opus), "111 opus/48000/2");
  EXPECT_EQ(format_value(*pcmu), "0 PCMU/8000");
  EXPECT_TRUE(parse_rtpmap("107 H263-1998/90000"));
}

TEST(Rtpmap, Rejects) {
  for (const char* bad : {"128 x/8000", "1000 x/8000", "-1 x/8000", "0 PCMU", "0 PCMU/", "0 PCMU/0",
                          "0 PCMU/8000/0", "0 PCMU/8000/2/1", "0 PC MU/8000", "0", "", "x PCMU/8000",
                          "0 /8000", "0 PCMU/99999999999", "0 PCMU/8000 extra"}) {
    EXPECT_EQ(code(parse_rtpmap(bad)), SdpErrc::BadRtpmap) << bad;
  }
}

TEST(Fmtp, ParsesAndReadsParams) {
  auto f = parse_fmtp("111 minptime=10; useinbandfec=1;stereo");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload_type, 111);
  EXPECT_EQ(f->params, "minptime=10; useinbandfec=1;stereo");
  EXPECT_EQ(f->param("minptime"), "10");
  EXPECT_EQ(f->param("USEINBANDFEC"), "1");
  EXPECT_EQ(f->param("stereo"), "");
  EXPECT_EQ(f->param("maxplaybackrate"), std::nullopt);
  auto te = parse_fmtp("101 0-16");
  ASSERT_TRUE(te);
  EXPECT_EQ(te->params, "0-16");
  EXPECT_EQ(format_value(*te), "101 0-16");
  EXPECT_EQ(code(parse_fmtp("101")), SdpErrc::BadFmtp);
  EXPECT_EQ(code(parse_fmtp("101 ")), SdpErrc::BadFmtp);
  EXPECT_EQ(code(parse_fmtp("200 x=1")), SdpErrc::BadFmtp);
  EXPECT_EQ(code(parse_fmtp("webrtc x=1")), SdpErrc::BadFmtp);
}

TEST(Rtpmap, FindInMedia) {
  const std::string text = crlf(
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 111 101\n"
      "a=rtpmap:111 opus/48000/2\na=fmtp:111 minptime=10\na=rtpmap:101 telephone-event/8000\n"
      "a=fmtp:101 0-15\na=rtpmap:bad\n");
  auto sd = parse(text);
  ASSERT_TRUE(sd);
  const MediaDescription& m = sd->media[0];
  EXPECT_EQ(find_rtpmap(m, 101)->encoding, "telephone-event");
  EXPECT_EQ(find_rtpmap(m, 0), std::nullopt);
  EXPECT_EQ(find_fmtp(m, 101)->params, "0-15");
  EXPECT_EQ(find_fmtp(m, 111)->param("minptime"), "10");
  EXPECT_EQ(parse_payload_type(m.formats[0]), 111);
  EXPECT_EQ(parse_payload_type("128"), std::nullopt);
  EXPECT_EQ(parse_payload_type("0000"), std::nullopt);
}

TEST(Crypto, Rfc4568Examples) {
  auto c = parse_crypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 "
      "FEC_ORDER=FEC_SRTP");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->tag, 1u);
  EXPECT_EQ(c->suite_kind(), CryptoSuite::AesCm128HmacSha1_80);
  ASSERT_EQ(c->keys.size(), 1u);
  const CryptoKeyParam& k = c->keys[0];
  EXPECT_TRUE(k.is_inline());
  EXPECT_EQ(k.key_salt, "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz");
  EXPECT_EQ(k.lifetime, "2^20");
  EXPECT_EQ(k.lifetime_packets(), 1048576u);
  EXPECT_EQ(k.mki, "1");
  EXPECT_EQ(k.mki_length, 4);
  EXPECT_EQ(k.decode_key_salt()->size(), 30u);
  EXPECT_EQ(c->session_params, (std::vector<std::string_view>{"FEC_ORDER=FEC_SRTP"}));
  EXPECT_EQ(format_value(*c),
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 "
            "FEC_ORDER=FEC_SRTP");

  // MKI without a lifetime; a plain-number lifetime; several keys; tabs as separators.
  auto mki = parse_crypto("1 AES_CM_128_HMAC_SHA1_32 inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|1066:4");
  ASSERT_TRUE(mki);
  EXPECT_EQ(mki->keys[0].lifetime, "");
  EXPECT_EQ(mki->keys[0].lifetime_packets(), std::nullopt);
  EXPECT_EQ(mki->keys[0].mki, "1066");
  auto plain = parse_crypto("2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->keys[0].lifetime_packets(), 1048576u);
  EXPECT_EQ(plain->keys[0].mki, "");
  auto two = parse_crypto(
      "1\tAES_CM_128_HMAC_SHA1_80\tinline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;"
      "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|2:4 KDR=1 UNENCRYPTED_SRTCP");
  ASSERT_TRUE(two) << two.error().message();
  ASSERT_EQ(two->keys.size(), 2u);
  EXPECT_EQ(two->keys[1].mki, "2");
  EXPECT_EQ(two->session_params.size(), 2u);
  const std::string two_text = format_value(*two);
  auto reparsed = parse_crypto(two_text);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(*reparsed, *two);
  // AES-256 and GCM key lengths (RFC 6188, RFC 7714).
  EXPECT_TRUE(parse_crypto("1 AEAD_AES_256_GCM inline:e166KFlKzJsGW0d5apX+rrI05vxbrvMJEzFI14aTDCa63IRTlLK4iH66uOI="));
  // A suite this code does not know: only the base64 is checked.
  EXPECT_TRUE(parse_crypto("9 FUTURE_SUITE inline:QUJD"));
  // Another key method is kept as text.
  auto other = parse_crypto("3 AES_CM_128_HMAC_SHA1_80 uri:https://kms.example/key");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->keys[0].is_inline());
  EXPECT_EQ(other->keys[0].info, "https://kms.example/key");
  EXPECT_EQ(format_value(*other), "3 AES_CM_128_HMAC_SHA1_80 uri:https://kms.example/key");
}

TEST(Crypto, Rejects) {
  const std::string key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
  for (const std::string& bad : std::vector<std::string>{
           "1 AES_CM_128_HMAC_SHA1_80",                        // no key
           "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key,              // tag > 9 digits
           "x AES_CM_128_HMAC_SHA1_80 inline:" + key,                       // tag not a number
           "1 AES-CM inline:" + key,                                        // suite chars
           "1 AES_CM_128_HMAC_SHA1_80 " + key,                              // no method
           "1 AES_CM_128_HMAC_SHA1_80 inline:",                             // empty key
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key.substr(0, 36),         // 27 bytes
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "QUJD",              // 33 bytes
           "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubG*z",  // bad char
           "1 AES_CM_128_HMAC_SHA1_80 inline:=VNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",  // '=' first
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^64",             // lifetime too big
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^",               // lifetime no digits
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|x",                // lifetime not digits
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:0",         // MKI length 0
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:129",       // MKI length > 128
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1",           // MKI without length
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4|x",       // too many parts
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "||1:4",             // empty lifetime
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + ";",                 // empty second key
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + " \x01",             // control octet
       }) {
    EXPECT_EQ(code(parse_crypto(bad)), SdpErrc::BadCrypto) << bad;
  }
}

TEST(Base64, DecodeEncode) {
  EXPECT_TRUE(is_base64("QUJD"));
  EXPECT_TRUE(is_base64("QUI="));
  EXPECT_TRUE(is_base64("QUI"));  // unpadded
  EXPECT_TRUE(is_base64("QQ=="));
  EXPECT_FALSE(is_base64("Q"));
  EXPECT_FALSE(is_base64("Q==="));
  EXPECT_FALSE(is_base64("QU=I"));
  EXPECT_FALSE(is_base64("QUI=="));
  EXPECT_FALSE(is_base64(""));
  EXPECT_FALSE(is_base64("QU I"));
  auto bytes = decode_base64("QUJDRA==");
  ASSERT_TRUE(bytes);
  ASSERT_EQ(bytes->size(), 4u);
  EXPECT_EQ(std::to_integer<int>((*bytes)[3]), 'D');
  EXPECT_EQ(encode_base64(*bytes), "QUJDRA==");
  EXPECT_EQ(base64_decoded_size("QUJDRA"), 4u);
  const std::vector<std::byte> three{std::byte{0xfb}, std::byte{0xff}, std::byte{0x00}};
  EXPECT_EQ(encode_base64(three), "+/8A");
  EXPECT_EQ(decode_base64("+/8A"), three);
}

TEST(Fingerprint, Parses) {
  auto f = parse_fingerprint("SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->hash(), HashFunction::Sha1);
  EXPECT_EQ(f->digest.size(), 20u);
  EXPECT_EQ(std::to_integer<int>(f->digest[0]), 0x4A);
  EXPECT_EQ(format_value(*f), "SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
  const std::string sha256 =
      "sha-256 19:e2:1c:3b:4b:9f:81:e6:b8:5c:f4:a5:a8:d8:73:04:bb:05:2f:70:9f:04:a9:0e:05:e9:26:33:e8:70:88:a2";
  auto g = parse_fingerprint(sha256);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->hash(), HashFunction::Sha256);
  const std::string upper_text = format_value(*g);
  auto upper = parse_fingerprint(upper_text);
  ASSERT_TRUE(upper);
  EXPECT_EQ(*upper, *g);  // case of the hex does not matter
  EXPECT_TRUE(parse_fingerprint("x-hash 01:02"));  // unknown hash, any length up to 64
}

TEST(Fingerprint, Rejects) {
  for (const char* bad : {"sha-256", "sha-256 ", "sha-1 4A:AD", "sha-256 4A:AD:",
                          "sha-1 4AAD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB",
                          "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AG",
                          "sha-1 4A-AD-B9-B1-3F-82-18-3B-54-02-12-DF-3E-5D-49-6B-19-E5-7C-AB",
                          "sha(1) 4A", "md5 4A:AD:B9 extra", " 4A", "x 4"}) {
    EXPECT_EQ(code(parse_fingerprint(bad)), SdpErrc::BadFingerprint) << bad;
  }
}

TEST(Setup, Roles) {
  EXPECT_EQ(*parse_setup("active"), SetupRole::Active);
  EXPECT_EQ(*parse_setup("passive"), SetupRole::Passive);
  EXPECT_EQ(*parse_setup("actpass"), SetupRole::ActPass);
  EXPECT_EQ(*parse_setup("holdconn"), SetupRole::HoldConn);
  EXPECT_EQ(code(parse_setup("ACTIVE")), SdpErrc::BadSetup);
  EXPECT_EQ(code(parse_setup("")), SdpErrc::BadSetup);
  EXPECT_EQ(code(parse_setup("active ")), SdpErrc::BadSetup);
  EXPECT_EQ(to_string(SetupRole::ActPass), "actpass");
}

TEST(Candidate, Rfc8839Examples) {
  auto host = parse_candidate("1 1 UDP 2130706431 203.0.113.141 8998 typ host");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->foundation, "1");
  EXPECT_EQ(host->component, 1);
  EXPECT_EQ(host->transport_kind(), CandidateTransport::Udp);
  EXPECT_EQ(host->priority, 2130706431u);
  EXPECT_EQ(host->address, "203.0.113.141");
  EXPECT_EQ(host->port, 8998);
  EXPECT_EQ(host->type_kind(), CandidateType::Host);
  EXPECT_EQ(host->related_address, std::nullopt);
  EXPECT_EQ(format_value(*host), "1 1 UDP 2130706431 203.0.113.141 8998 typ host");

  auto srflx = parse_candidate(
      "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 2001:db8:a0b:12f0::1 rport 8998");
  ASSERT_TRUE(srflx);
  EXPECT_EQ(srflx->type_kind(), CandidateType::ServerReflexive);
  EXPECT_EQ(srflx->related_address, "2001:db8:a0b:12f0::1");
  EXPECT_EQ(srflx->related_port, 8998);

  auto tcp = parse_candidate(
      "2157334355 1 tcp 1518280447 192.0.2.3 9 typ host tcptype active generation 0 network-id 1");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->transport_kind(), CandidateTransport::Tcp);
  EXPECT_EQ(tcp->extension("tcptype"), "active");
  EXPECT_EQ(tcp->extension("network-id"), "1");
  EXPECT_EQ(tcp->extensions.size(), 3u);
  const std::string tcp_text = format_value(*tcp);
  EXPECT_EQ(*parse_candidate(tcp_text), *tcp);

  auto mdns = parse_candidate(
      "3 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host");
  ASSERT_TRUE(mdns);
  auto relay = parse_candidate("4 2 UDP 16777215 198.51.100.9 3478 typ relay raddr 0.0.0.0 rport 0");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->component, 2);
  EXPECT_EQ(relay->type_kind(), CandidateType::Relayed);
  // rport without raddr, then an extension named like a keyword after other extensions.
  auto odd = parse_candidate("5 1 UDP 1 192.0.2.1 1 typ prflx rport 7 x y raddr 192.0.2.9");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->related_address, std::nullopt);
  EXPECT_EQ(odd->related_port, 7);
  EXPECT_EQ(odd->extension("raddr"), "192.0.2.9");
  const std::string odd_text = format_value(*odd);
  EXPECT_EQ(*parse_candidate(odd_text), *odd);
}

TEST(Candidate, Rejects) {
  for (const char* bad : {
           "1 1 UDP 2130706431 203.0.113.141 8998 host",                 // no "typ"
           "1 1 UDP 2130706431 203.0.113.141 8998 typ",                  // no type
           "1 0 UDP 2130706431 203.0.113.141 8998 typ host",             // component 0
           "1 257 UDP 2130706431 203.0.113.141 8998 typ host",           // component > 256
           "1 1 UDP 4294967296 203.0.113.141 8998 typ host",             // priority > 2^32-1
           "1 1 UDP 2130706431 203.0.113.141 65536 typ host",            // port
           "1 1 UDP 2130706431 [2001:db8::1] 8998 typ host",             // brackets
           "1 1 UDP 2130706431 300.1.1.1 8998 typ host",                 // bad IPv4
           "f_o 1 UDP 1 192.0.2.1 1 typ host",                           // foundation char
           "123456789012345678901234567890123 1 UDP 1 192.0.2.1 1 typ host",  // foundation > 32
           "1 1 UDP 1 192.0.2.1 1 typ host raddr",                       // raddr without value
           "1 1 UDP 1 192.0.2.1 1 typ srflx raddr x_y rport 1",          // bad raddr
           "1 1 UDP 1 192.0.2.1 1 typ srflx raddr 192.0.2.2 rport 70000",
           "1 1 UDP 1 192.0.2.1 1 typ host generation",                  // odd extension
           "",
       }) {
    EXPECT_EQ(code(parse_candidate(bad)), SdpErrc::BadCandidate) << bad;
  }
}

TEST(Ice, UfragPwdOptions) {
  EXPECT_EQ(*parse_ice_ufrag("8hhY"), "8hhY");
  EXPECT_EQ(code(parse_ice_ufrag("abc")), SdpErrc::BadIceAttribute);
  EXPECT_EQ(code(parse_ice_ufrag("ab-cd")), SdpErrc::BadIceAttribute);
  const std::string long_ufrag(257, 'a');
  EXPECT_EQ(code(parse_ice_ufrag(long_ufrag)), SdpErrc::BadIceAttribute);
  EXPECT_TRUE(parse_ice_ufrag(std::string_view(long_ufrag).substr(1)));
  EXPECT_EQ(*parse_ice_pwd("asd88fgpdd777uzjYhagZg"), "asd88fgpdd777uzjYhagZg");
  EXPECT_EQ(code(parse_ice_pwd("asd88fgpdd777uzjYhagZ")), SdpErrc::BadIceAttribute);  // 21 chars
  auto opts = parse_ice_options("trickle ice2");
  ASSERT_TRUE(opts);
  EXPECT_EQ(*opts, (std::vector<std::string_view>{"trickle", "ice2"}));
  EXPECT_EQ(code(parse_ice_options("")), SdpErrc::BadIceAttribute);
  EXPECT_EQ(code(parse_ice_options("a-b")), SdpErrc::BadIceAttribute);

  const std::string text = crlf(
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\na=ice-lite\na=ice-ufrag:sessUfrag\n"
      "a=ice-pwd:asd88fgpdd777uzjYhagZg\nm=audio 1 RTP/AVP 0\na=ice-ufrag:medUfrag\n"
      "m=audio 2 RTP/AVP 0\n");
  auto sd = parse(text);
  ASSERT_TRUE(sd);
  EXPECT_TRUE(is_ice_lite(*sd));
  auto first = find_ice_credentials(*sd, sd->media[0]);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->ufrag, "medUfrag");
  EXPECT_EQ(first->pwd, "asd88fgpdd777uzjYhagZg");
  EXPECT_EQ(find_ice_credentials(*sd, sd->media[1])->ufrag, "sessUfrag");
}

TEST(Rtcp, Rfc3605Examples) {
  auto port_only = parse_rtcp("53020");
  ASSERT_TRUE(port_only);
  EXPECT_EQ(port_only->port, 53020);
  EXPECT_FALSE(port_only->has_address());
  auto v4 = parse_rtcp("53020 IN IP4 126.16.64.4");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->address, "126.16.64.4");
  auto v6 = parse_rtcp("53020 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->addr_type, "IP6");
  EXPECT_EQ(format_value(*v6), "53020 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD");
  for (const char* bad : {"", "65536", "x", "53020 IN IP4", "53020 IN IP4 1.2.3.4 5",
                          "53020 IN IP6 1.2.3.4", "53020 IN IP4 [::1]"}) {
    EXPECT_EQ(code(parse_rtcp(bad)), SdpErrc::BadRtcp) << bad;
  }
}

TEST(Direction, EffectiveDirection) {
  const std::string text = crlf(
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\na=recvonly\n"
      "m=audio 1 RTP/AVP 0\n"
      "m=audio 2 RTP/AVP 0\na=sendonly\n"
      "m=audio 3 RTP/AVP 0\na=inactive\na=inactive\n"
      "m=audio 4 RTP/AVP 0\na=sendonly\na=recvonly\n"
      "m=audio 5 RTP/AVP 0\na=sendrecv:x\n");
  auto sd = parse(text);
  ASSERT_TRUE(sd);
  EXPECT_EQ(*effective_direction(*sd, sd->media[0]), Direction::RecvOnly);  // from the session
  EXPECT_EQ(*effective_direction(*sd, sd->media[1]), Direction::SendOnly);  // media overrides
  EXPECT_EQ(*effective_direction(*sd, sd->media[2]), Direction::Inactive);  // repeated, same
  EXPECT_EQ(effective_direction(*sd, sd->media[3]).error(), SdpErrc::ConflictingDirection);
  EXPECT_EQ(effective_direction(*sd, sd->media[4]).error(), SdpErrc::BadDirection);

  const std::string bare_text = crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\n");
  auto bare = parse(bare_text);
  ASSERT_TRUE(bare);
  EXPECT_EQ(*effective_direction(*bare, bare->media[0]), Direction::SendRecv);  // the default
  EXPECT_EQ(reverse(Direction::SendOnly), Direction::RecvOnly);
  EXPECT_EQ(reverse(Direction::Inactive), Direction::Inactive);
  EXPECT_EQ(direction_attribute(Direction::RecvOnly), (Attribute{"recvonly", "", false}));
  EXPECT_EQ(direction_from_name("sendonly"), Direction::SendOnly);
  EXPECT_EQ(direction_from_name("send"), std::nullopt);
}

TEST(MediaAttributes, PtimeMidRtcpMux) {
  EXPECT_DOUBLE_EQ(*parse_ptime("20"), 20.0);
  EXPECT_DOUBLE_EQ(*parse_ptime("22.5"), 22.5);
  EXPECT_DOUBLE_EQ(*parse_maxptime("120"), 120.0);
  for (const char* bad : {"", "0", "0.0", "-20", "20.", ".5", "20.1234", "1e3", "1234567890", "20 "}) {
    EXPECT_EQ(code(parse_ptime(bad)), SdpErrc::BadPacketTime) << bad;
  }
  EXPECT_EQ(*parse_mid("audio0"), "audio0");
  EXPECT_EQ(code(parse_mid("")), SdpErrc::BadMid);
  EXPECT_EQ(code(parse_mid("a b")), SdpErrc::BadMid);

  const std::string text = crlf(
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\na=ptime:30\n"
      "m=audio 1 RTP/AVP 0\na=ptime:20\na=mid:a\na=rtcp-mux\na=rtcp:9\n"
      "m=audio 2 RTP/AVP 0\na=mid:bad mid\n");
  auto sd = parse(text);
  ASSERT_TRUE(sd);
  EXPECT_DOUBLE_EQ(*find_ptime(*sd, sd->media[0]), 20.0);
  EXPECT_DOUBLE_EQ(*find_ptime(*sd, sd->media[1]), 30.0);
  EXPECT_EQ(find_mid(sd->media[0]), "a");
  EXPECT_EQ(find_mid(sd->media[1]), std::nullopt);
  EXPECT_TRUE(has_rtcp_mux(sd->media[0]));
  EXPECT_FALSE(has_rtcp_mux(sd->media[1]));
  EXPECT_EQ(find_rtcp(sd->media[0])->port, 9);
  EXPECT_EQ(find_setup(*sd, sd->media[0]), std::nullopt);
}

TEST(KnownAttributes, ChecksEverySection) {
  const std::string head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n";
  auto check = [&](const std::string& rest) {
    const std::string text = crlf(head + rest);
    auto sd = parse(text);
    EXPECT_TRUE(sd) << rest;
    if (!sd) return SdpErrc::BadLine;
    auto r = check_known_attributes(*sd);
    return r ? SdpErrc::Ok : static_cast<SdpErrc>(r.error().value());
  };
  EXPECT_EQ(check("a=x-unknown:anything goes\nm=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"),
            SdpErrc::Ok);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU\n"), SdpErrc::BadRtpmap);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=fmtp:300 x\n"), SdpErrc::BadFmtp);
  EXPECT_EQ(check("m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUJD\n"),
            SdpErrc::BadCrypto);
  EXPECT_EQ(check("a=fingerprint:sha-256 00\n"), SdpErrc::BadFingerprint);
  EXPECT_EQ(check("a=setup:both\n"), SdpErrc::BadSetup);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=candidate:1 1 UDP 1 x_y 1 typ host\n"), SdpErrc::BadCandidate);
  EXPECT_EQ(check("a=ice-ufrag:a\n"), SdpErrc::BadIceAttribute);
  EXPECT_EQ(check("a=ice-pwd:short\n"), SdpErrc::BadIceAttribute);
  EXPECT_EQ(check("a=ice-options:\n"), SdpErrc::BadIceAttribute);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=rtcp:99999\n"), SdpErrc::BadRtcp);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=ptime:0\n"), SdpErrc::BadPacketTime);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=maxptime:x\n"), SdpErrc::BadPacketTime);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=mid:\n"), SdpErrc::BadMid);
  EXPECT_EQ(check("a=sendonly\na=recvonly\n"), SdpErrc::ConflictingDirection);
  EXPECT_EQ(check("m=audio 1 RTP/AVP 0\na=inactive:now\n"), SdpErrc::BadDirection);
}
