#include <gtest/gtest.h>

#include <string>

#include "sip/sdp/parser.hpp"
#include "sip/sdp/serializer.hpp"
#include "test_util.hpp"

using namespace warden::sip::sdp;
using warden::sip::sdp::test::crlf;

namespace {

constexpr std::string_view kHead = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n";

// Parses kHead + `rest` (LF line ends turned into CRLF) and returns the error code.
SdpErrc error_of(std::string_view rest) {
  const std::string text = crlf(std::string(kHead) + std::string(rest));
  auto r = parse(text);
  if (r) return SdpErrc::Ok;
  EXPECT_EQ(r.error().category(), sdp_category());
  return static_cast<SdpErrc>(r.error().value());
}

// Parses a string held for the duration of the call (the result is only inspected, never kept).
warden::base::Result<SessionDescription> parse_with(const std::string& text,
                                                    const warden::base::Limits::Sdp& limits) {
  return parse(text, limits);
}

SdpErrc error_of_whole(std::string_view text) {
  auto r = parse(text);
  return r ? SdpErrc::Ok : static_cast<SdpErrc>(r.error().value());
}

}  // namespace

TEST(Parser, MinimalSession) {
  const std::string text = crlf(kHead);
  auto r = parse(text);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->origin.username, "-");
  EXPECT_EQ(r->origin.session_id, "1");
  EXPECT_EQ(r->origin.version_number(), 1u);
  EXPECT_EQ(r->origin.addr_kind(), AddrType::Ip4);
  EXPECT_EQ(r->origin.address, "192.0.2.1");
  EXPECT_EQ(r->session_name, "-");
  ASSERT_EQ(r->timings.size(), 1u);
  EXPECT_EQ(r->timings[0].start, 0u);
  EXPECT_TRUE(r->media.empty());
  EXPECT_EQ(serialize(*r), text);
}

TEST(Parser, ViewsPointIntoInput) {
  const std::string text = crlf(std::string(kHead) + "m=audio 4000 RTP/AVP 0\na=sendrecv\n");
  auto r = parse(text);
  ASSERT_TRUE(r);
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  EXPECT_GE(r->media[0].proto.data(), begin);
  EXPECT_LE(r->media[0].proto.data() + r->media[0].proto.size(), end);
  EXPECT_GE(r->media[0].attributes[0].name.data(), begin);
}

TEST(Parser, LineEndings) {
  const std::string lf = std::string(kHead) + "m=audio 4000 RTP/AVP 0\na=sendrecv\n";
  const std::string crlf_text = crlf(lf);
  auto a = parse(lf);
  auto b = parse(crlf_text);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, *b);
  // No line ending on the last line.
  auto c = parse(std::string_view(crlf_text).substr(0, crlf_text.size() - 2));
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, *b);
  // Empty lines after the last line are tolerated, in the middle they are not.
  const std::string trailing = crlf_text + "\r\n\r\n\n";
  EXPECT_TRUE(parse(trailing));
  EXPECT_EQ(error_of("\nm=audio 4000 RTP/AVP 0\n"), SdpErrc::BadLine);
  // Mixed endings.
  EXPECT_TRUE(parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\nt=0 0\n"));
}

TEST(Parser, BadCharacters) {
  EXPECT_EQ(error_of("a=x\ry\n"), SdpErrc::BadCharacter);
  EXPECT_EQ(error_of("a=x\r\r\n"), SdpErrc::BadCharacter);
  EXPECT_EQ(error_of(std::string_view("a=x\0y\n", 6)), SdpErrc::BadCharacter);
  EXPECT_EQ(error_of("a=caf\xc3\xa9:ok\n"), SdpErrc::BadAttribute);  // names are tokens
  EXPECT_EQ(error_of("a=tool:caf\xc3\xa9\n"), SdpErrc::Ok);          // values are bytes
  EXPECT_EQ(error_of("i=tab\there\n"), SdpErrc::Ok);
}

TEST(Parser, LineSyntax) {
  EXPECT_EQ(error_of("x=unknown\n"), SdpErrc::UnknownLineType);
  EXPECT_EQ(error_of("A=upper\n"), SdpErrc::BadLine);
  EXPECT_EQ(error_of("a\n"), SdpErrc::BadLine);
  EXPECT_EQ(error_of("a =x\n"), SdpErrc::BadLine);
  EXPECT_EQ(error_of("=x\n"), SdpErrc::BadLine);
  EXPECT_EQ(error_of_whole(""), SdpErrc::MissingRequiredLine);
  EXPECT_EQ(error_of_whole("\r\n"), SdpErrc::MissingRequiredLine);
}

TEST(Parser, Order) {
  EXPECT_EQ(error_of_whole("o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n"), SdpErrc::BadLineOrder);
  EXPECT_EQ(error_of_whole("v=0\r\ns=-\r\n"), SdpErrc::BadLineOrder);
  EXPECT_EQ(error_of_whole("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n"), SdpErrc::BadLineOrder);
  EXPECT_EQ(error_of_whole("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"), SdpErrc::MissingRequiredLine);
  EXPECT_EQ(error_of_whole("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=x\r\n"), SdpErrc::MissingRequiredLine);
  EXPECT_EQ(error_of_whole("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=x\r\nm=audio 1 RTP/AVP 0\r\n"),
            SdpErrc::MissingRequiredLine);
  EXPECT_EQ(error_of_whole("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=x\r\nr=1 1 0\r\nt=0 0\r\n"),
            SdpErrc::BadLineOrder);
  EXPECT_EQ(error_of("v=0\n"), SdpErrc::BadLineOrder);
  EXPECT_EQ(error_of("o=- 1 1 IN IP4 192.0.2.1\n"), SdpErrc::BadLineOrder);
  EXPECT_EQ(error_of("s=again\n"), SdpErrc::BadLineOrder);
  // Session-only lines inside a media section.
  for (const char* line : {"t=0 0\n", "r=1d 1h 0\n", "z=1 0\n", "u=http://x\n", "e=a@b\n",
                           "p=+1 555\n", "s=x\n"}) {
    EXPECT_EQ(error_of(std::string("m=audio 1 RTP/AVP 0\n") + line), SdpErrc::BadLineOrder) << line;
  }
  // r= after z=, t= after z=.
  EXPECT_EQ(error_of("z=1 0\nr=1d 1h 0\n"), SdpErrc::BadLineOrder);
  EXPECT_EQ(error_of("z=1 0\nt=1 2\n"), SdpErrc::BadLineOrder);
  // Session lines other than r= and z= may come in any order.
  EXPECT_EQ(error_of("a=x\nc=IN IP4 192.0.2.1\nb=AS:1\ni=late\ne=a@b\n"), SdpErrc::Ok);
}

TEST(Parser, Duplicates) {
  EXPECT_EQ(error_of("i=a\ni=b\n"), SdpErrc::DuplicateLine);
  EXPECT_EQ(error_of("u=a\nu=b\n"), SdpErrc::DuplicateLine);
  EXPECT_EQ(error_of("c=IN IP4 192.0.2.1\nc=IN IP4 192.0.2.2\n"), SdpErrc::DuplicateLine);
  EXPECT_EQ(error_of("k=prompt\nk=prompt\n"), SdpErrc::DuplicateLine);
  EXPECT_EQ(error_of("z=1 0\nz=2 0\n"), SdpErrc::DuplicateLine);
  EXPECT_EQ(error_of("m=audio 1 RTP/AVP 0\ni=a\ni=b\n"), SdpErrc::DuplicateLine);
  EXPECT_EQ(error_of("m=audio 1 RTP/AVP 0\nk=clear:x\nk=clear:y\n"), SdpErrc::DuplicateLine);
  // Several c= in one media section are allowed (multicast layers, RFC 8866 §5.7).
  EXPECT_EQ(error_of("m=audio 1 RTP/AVP 0\nc=IN IP4 224.2.1.1/127\nc=IN IP4 224.2.1.2/127\n"),
            SdpErrc::Ok);
}

TEST(Parser, Version) {
  EXPECT_EQ(error_of_whole("v=1\r\n"), SdpErrc::BadVersionLine);
  EXPECT_EQ(error_of_whole("v=00\r\n"), SdpErrc::BadVersionLine);
  EXPECT_EQ(error_of_whole("v=\r\n"), SdpErrc::BadVersionLine);
}

TEST(Parser, Origin) {
  auto with_origin = [](std::string_view o) {
    return error_of_whole(crlf("v=0\no=" + std::string(o) + "\ns=-\nt=0 0\n"));
  };
  EXPECT_EQ(with_origin("jdoe 3724394400 3724394405 IN IP4 198.51.100.1"), SdpErrc::Ok);
  EXPECT_EQ(with_origin("jdoe  1   2 IN IP4 198.51.100.1 "), SdpErrc::Ok);  // extra spaces
  EXPECT_EQ(with_origin("- 971731711378798081 0 IN IP6 ::ffff:192.0.2.2"), SdpErrc::Ok);
  EXPECT_EQ(with_origin("- 1 1 IN IP4 host.example.com"), SdpErrc::Ok);
  EXPECT_EQ(with_origin("- 1 1 ATM NSAP 47.0005.80.ffe100"), SdpErrc::Ok);  // unknown types
  EXPECT_EQ(with_origin("- 123456789012345678901234567890 1 IN IP4 192.0.2.1"), SdpErrc::Ok);
  EXPECT_EQ(with_origin("- 1 1 IN IP4"), SdpErrc::BadOrigin);
  EXPECT_EQ(with_origin("- 1 1 IN IP4 192.0.2.1 extra"), SdpErrc::BadOrigin);
  EXPECT_EQ(with_origin("- x 1 IN IP4 192.0.2.1"), SdpErrc::BadOrigin);
  EXPECT_EQ(with_origin("- 1 -1 IN IP4 192.0.2.1"), SdpErrc::BadOrigin);
  EXPECT_EQ(with_origin("- 1 1 IN IP4 2001:db8::1"), SdpErrc::BadOrigin);
  EXPECT_EQ(with_origin("- 1 1 IN IP6 [2001:db8::1]"), SdpErrc::BadOrigin);
  EXPECT_EQ(with_origin("- 1 1 IN IP4 300.1.1.1"), SdpErrc::BadOrigin);
  EXPECT_EQ(with_origin(""), SdpErrc::BadOrigin);
}

TEST(Parser, Connection) {
  const std::string text = crlf(std::string(kHead) +
                                "m=audio 1 RTP/AVP 0\nc=IN IP4 233.252.0.1/127/3\n"
                                "m=video 2 RTP/AVP 0\nc=IN IP6 ff00::db8:0:101/3\n"
                                "m=text 3 RTP/AVP 0\nc=IN IP4 224.2.36.42/127\n"
                                "m=image 4 udptl t38\nc=IN IP6 2001:db8::20\n");
  auto r = parse(text);
  ASSERT_TRUE(r) << r.error().message();
  const Connection& a = r->media[0].connections[0];
  EXPECT_EQ(a.address, "233.252.0.1");
  EXPECT_EQ(a.ttl, 127);
  EXPECT_EQ(a.count, 3u);
  const Connection& v = r->media[1].connections[0];
  EXPECT_EQ(v.address, "ff00::db8:0:101");
  EXPECT_EQ(v.ttl, std::nullopt);
  EXPECT_EQ(v.count, 3u);
  EXPECT_EQ(r->media[2].connections[0].ttl, 127);
  EXPECT_EQ(r->media[2].connections[0].count, std::nullopt);
  EXPECT_EQ(r->media[3].connections[0].addr_kind(), AddrType::Ip6);
  EXPECT_EQ(r->connection_for(r->media[3])->address, "2001:db8::20");
  EXPECT_EQ(serialize(*r), text);

  EXPECT_EQ(error_of("c=IN IP4 224.2.1.1/256\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP4 224.2.1.1/127/0\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP4 224.2.1.1/127/3/4\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP4 224.2.1.1/\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP6 ff15::1/1/2\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP6 [2001:db8::1]\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP4 2001:db8::1\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP4\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP4 1.2.3.4 5\n"), SdpErrc::BadConnection);
  EXPECT_EQ(error_of("c=IN IP4 host.example.com\n"), SdpErrc::Ok);
  EXPECT_EQ(error_of("c=TN RFC2543 +1-617-555-0100\n"), SdpErrc::Ok);
}

TEST(Parser, Media) {
  const std::string text = crlf(std::string(kHead) +
                                "m=audio 49170/2 RTP/AVP 0 8\n"
                                "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n"
                                "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
                                "m=audio 0 RTP/SAVP 0\n");
  auto r = parse(text);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->media.size(), 4u);
  EXPECT_EQ(r->media[0].media_kind(), MediaType::Audio);
  EXPECT_EQ(r->media[0].port, 49170);
  EXPECT_EQ(r->media[0].port_count, 2u);
  EXPECT_EQ(r->media[0].proto_kind(), TransportProto::RtpAvp);
  EXPECT_EQ(r->media[0].formats, (std::vector<std::string_view>{"0", "8"}));
  EXPECT_EQ(r->media[1].proto_kind(), TransportProto::UdpTlsRtpSavpf);
  EXPECT_TRUE(is_secure_rtp(r->media[1].proto_kind()));
  EXPECT_EQ(r->media[2].media_kind(), MediaType::Application);
  EXPECT_EQ(r->media[2].proto_kind(), TransportProto::UdpDtlsSctp);
  EXPECT_EQ(r->media[2].formats[0], "webrtc-datachannel");
  EXPECT_EQ(r->media[3].port, 0);
  EXPECT_EQ(r->media[3].proto_kind(), TransportProto::RtpSavp);
  EXPECT_EQ(serialize(*r), text);

  EXPECT_EQ(error_of("m=audio 65536 RTP/AVP 0\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=audio 1/0 RTP/AVP 0\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=audio 1/ RTP/AVP 0\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=audio -1 RTP/AVP 0\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=audio 1 RTP/AVP\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=audio 1 RTP//AVP 0\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=audio 1 /AVP 0\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=\n"), SdpErrc::BadMedia);
  EXPECT_EQ(error_of("m=au(dio 1 RTP/AVP 0\n"), SdpErrc::BadMedia);
}

TEST(Parser, BandwidthTimingRepeatZone) {
  const std::string text =
      crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nb=CT:128\nb=TIAS:64000\n"
           "t=3034423619 3042462419\nr=604800 3600 0 90000\nr=7d 1h 0 25h\nt=0 0\n"
           "z=2882844526 -1h 2898848070 0\n");
  auto r = parse(text);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->bandwidths.size(), 2u);
  EXPECT_EQ(r->bandwidths[1].type, "TIAS");
  EXPECT_EQ(r->bandwidths[1].value, 64000u);
  ASSERT_EQ(r->timings.size(), 2u);
  ASSERT_EQ(r->timings[0].repeats.size(), 2u);
  EXPECT_EQ(r->timings[0].repeats[1].interval, "7d");
  EXPECT_EQ(r->timings[0].repeats[1].offsets, (std::vector<std::string_view>{"0", "25h"}));
  EXPECT_EQ(typed_time_seconds(r->timings[0].repeats[1].interval), 604800);
  ASSERT_EQ(r->zone_adjustments.size(), 2u);
  EXPECT_EQ(r->zone_adjustments[0].offset, "-1h");
  EXPECT_EQ(typed_time_seconds("-1h"), -3600);
  EXPECT_EQ(typed_time_seconds("x"), std::nullopt);
  EXPECT_EQ(serialize(*r), text);

  EXPECT_EQ(error_of("b=AS\n"), SdpErrc::BadBandwidth);
  EXPECT_EQ(error_of("b=AS:\n"), SdpErrc::BadBandwidth);
  EXPECT_EQ(error_of("b=:64\n"), SdpErrc::BadBandwidth);
  EXPECT_EQ(error_of("b=AS:1k\n"), SdpErrc::BadBandwidth);
  EXPECT_EQ(error_of("b=AS:99999999999999999999999\n"), SdpErrc::BadBandwidth);
  EXPECT_EQ(error_of("t=1\n"), SdpErrc::BadTiming);
  EXPECT_EQ(error_of("t=1 2 3\n"), SdpErrc::BadTiming);
  EXPECT_EQ(error_of("t=a b\n"), SdpErrc::BadTiming);
  EXPECT_EQ(error_of("r=7d 1h\n"), SdpErrc::BadRepeat);
  EXPECT_EQ(error_of("r=0 1h 0\n"), SdpErrc::BadRepeat);
  EXPECT_EQ(error_of("r=7w 1h 0\n"), SdpErrc::BadRepeat);
  EXPECT_EQ(error_of("r=7d 1h -1\n"), SdpErrc::BadRepeat);
  EXPECT_EQ(error_of("z=1\n"), SdpErrc::BadZone);
  EXPECT_EQ(error_of("z=\n"), SdpErrc::BadZone);
  EXPECT_EQ(error_of("z=-1 0\n"), SdpErrc::BadZone);
  EXPECT_EQ(error_of("z=1 --1h\n"), SdpErrc::BadZone);
}

TEST(Parser, TextFields) {
  const std::string text = crlf(
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns= \ni=\nu=http://www.example.com/seminars/sdp.pdf\n"
      "e=j.doe@example.com (Jane Doe)\ne=Jane Doe <j.doe@example.com>\np=+1 617 555-6011\n"
      "t=0 0\nk=clear:secret \nm=audio 1 RTP/AVP 0\ni=media title  \nk=prompt\n");
  auto r = parse(text);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->session_name, " ");
  EXPECT_EQ(r->information, "");
  EXPECT_EQ(r->emails.size(), 2u);
  EXPECT_EQ(r->phones[0], "+1 617 555-6011");
  EXPECT_EQ(r->key, "clear:secret ");
  EXPECT_EQ(r->media[0].information, "media title  ");
  EXPECT_EQ(r->media[0].key, "prompt");
  EXPECT_EQ(serialize(*r), text);
}

TEST(Parser, Attributes) {
  const std::string text = crlf(std::string(kHead) +
                                "a=recvonly\na=tool:x:y z\na=empty:\n"
                                "m=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/8000\na=rtcp-mux\n");
  auto r = parse(text);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->attributes.size(), 3u);
  EXPECT_EQ(r->attributes[0], (Attribute{"recvonly", "", false}));
  EXPECT_EQ(r->attributes[1], (Attribute{"tool", "x:y z", true}));
  EXPECT_EQ(r->attributes[2], (Attribute{"empty", "", true}));
  EXPECT_TRUE(r->has_attribute("recvonly"));
  EXPECT_FALSE(r->has_attribute("RECVONLY"));
  EXPECT_EQ(r->media[0].find_attribute("rtpmap")->value, "0 PCMU/8000");
  EXPECT_TRUE(r->media[0].has_attribute("rtcp-mux"));
  EXPECT_EQ(find_attribute_value(*r, r->media[0], "tool"), "x:y z");
  EXPECT_EQ(find_attribute_value(*r, r->media[0], "rtcp-mux"), "");
  EXPECT_EQ(find_attribute_value(*r, r->media[0], "absent"), std::nullopt);
  EXPECT_EQ(serialize(*r), text);

  EXPECT_EQ(error_of("a=\n"), SdpErrc::BadAttribute);
  EXPECT_EQ(error_of("a=:value\n"), SdpErrc::BadAttribute);
  EXPECT_EQ(error_of("a=two words\n"), SdpErrc::BadAttribute);
}

TEST(Parser, Limits) {
  warden::base::Limits::Sdp limits;
  const std::string base = crlf(std::string(kHead));
  limits.max_bytes = base.size() - 1;
  EXPECT_EQ(parse(base, limits).error(), SdpErrc::TooLarge);
  limits.max_bytes = base.size();
  EXPECT_TRUE(parse(base, limits));

  limits = {};
  limits.max_lines = 4;
  EXPECT_TRUE(parse(base, limits));
  EXPECT_EQ(parse_with(base + "a=x\r\n", limits).error(), SdpErrc::TooManyLines);

  limits = {};
  limits.max_media = 2;
  const std::string two = base + "m=audio 1 RTP/AVP 0\r\nm=video 2 RTP/AVP 0\r\n";
  EXPECT_TRUE(parse(two, limits));
  EXPECT_EQ(parse_with(two + "m=text 3 RTP/AVP 0\r\n", limits).error(), SdpErrc::TooManyMedia);

  limits = {};
  limits.max_attributes = 2;
  EXPECT_TRUE(parse_with(base + "a=x\r\nm=audio 1 RTP/AVP 0\r\na=y\r\n", limits));
  EXPECT_EQ(parse_with(base + "a=x\r\nm=audio 1 RTP/AVP 0\r\na=y\r\na=z\r\n", limits).error(),
            SdpErrc::TooManyAttributes);

  limits = {};
  limits.max_formats = 3;
  EXPECT_TRUE(parse_with(base + "m=audio 1 RTP/AVP 0 8 9\r\n", limits));
  EXPECT_EQ(parse_with(base + "m=audio 1 RTP/AVP 0 8 9 18\r\n", limits).error(), SdpErrc::TooManyFormats);

  // The defaults hold a large but legitimate body and refuse a flood of lines.
  std::string flood = base;
  for (int i = 0; i < 600; ++i) flood += "e=x\r\n";
  EXPECT_EQ(parse(flood).error(), SdpErrc::TooManyLines);
}

TEST(Parser, CanonicalSerialization) {
  // Extra spaces and bare LF in, single spaces and CRLF out.
  const std::string sloppy =
      "v=0\no=alice  2890844526 2890844526   IN IP4 192.0.2.1 \ns=Talk\nc=IN  IP4 192.0.2.1\n"
      "t=0  0\nm=audio  49170 RTP/AVP  0   8 \na=rtpmap:0 PCMU/8000\n";
  auto r = parse(sloppy);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(serialize(*r),
            "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\ns=Talk\r\n"
            "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n");
  // Lines given out of canonical order come back in RFC 8866 order.
  const std::string mixed_text = crlf(std::string(kHead) + "a=x\nb=AS:1\nc=IN IP4 192.0.2.1\ni=info\n");
  auto mixed = parse(mixed_text);
  ASSERT_TRUE(mixed);
  EXPECT_EQ(serialize(*mixed), crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\ni=info\nc=IN IP4 192.0.2.1\n"
                                    "b=AS:1\nt=0 0\na=x\n"));
  std::string appended = "prefix|";
  serialize_into(*mixed, appended);
  EXPECT_EQ(appended.rfind("prefix|v=0\r\n", 0), 0u);
}

TEST(Parser, ErrorCategory) {
  const std::error_code ec = SdpErrc::BadOrigin;
  EXPECT_STREQ(ec.category().name(), "sip.sdp");
  EXPECT_EQ(ec.message(), "malformed o= line");
  // Every code has its own description.
  for (int i = 1; i <= static_cast<int>(SdpErrc::BadMid); ++i) {
    EXPECT_NE(describe(static_cast<SdpErrc>(i)), "unknown SDP error") << i;
  }
}
