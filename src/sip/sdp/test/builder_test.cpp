#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "sip/sdp/sdp.hpp"

using namespace warden::sip::sdp;

TEST(SessionBuilder, BuildsAnOffer) {
  SessionBuilder b;
  {
    // Values from short-lived strings: the builder keeps its own copies.
    std::string user = "alice";
    std::string addr = "192.0.2.10";
    b.origin(user, 4611731400430051336ull, 2, AddrType::Ip4, addr)
        .session_name("call")
        .connection(AddrType::Ip4, addr)
        .attribute("ice-lite")
        .media("audio", 49170, "RTP/SAVP", {"111", "0", "101"})
        .media_attribute("rtpmap", format_value(Rtpmap{111, "opus", 48000, 2}))
        .media_attribute("fmtp", format_value(Fmtp{111, "minptime=10;useinbandfec=1"}))
        .media_attribute("rtpmap", format_value(Rtpmap{0, "PCMU", 8000, std::nullopt}))
        .media_attribute("rtpmap", format_value(Rtpmap{101, "telephone-event", 8000, std::nullopt}))
        .media_attribute("fmtp", "101 0-16")
        .media_attribute("ptime", "20")
        .media_attribute(to_string(Direction::SendOnly));
    user.assign(64, 'x');
    addr.assign(64, 'y');
  }
  CryptoAttribute crypto;
  crypto.tag = 1;
  crypto.suite = "AES_CM_128_HMAC_SHA1_80";
  CryptoKeyParam key;
  key.method = "inline";
  key.key_salt = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
  key.lifetime = "2^31";
  crypto.keys.push_back(key);
  b.media_attribute("crypto", format_value(crypto));

  auto built = b.build();
  ASSERT_TRUE(built) << built.error().message();
  const SessionDescription& sd = built->description();
  EXPECT_EQ(built->text(),
            "v=0\r\n"
            "o=alice 4611731400430051336 2 IN IP4 192.0.2.10\r\n"
            "s=call\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "a=ice-lite\r\n"
            "m=audio 49170 RTP/SAVP 111 0 101\r\n"
            "a=rtpmap:111 opus/48000/2\r\n"
            "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=sendonly\r\n"
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31\r\n");
  EXPECT_EQ(sd.origin.version_number(), 2u);
  EXPECT_EQ(*effective_direction(sd, sd.media[0]), Direction::SendOnly);
  EXPECT_TRUE(check_known_attributes(sd));
  EXPECT_EQ(sd, b.draft());  // same meaning as the draft
}

TEST(SessionBuilder, DefaultsAndTiming) {
  SessionBuilder b;
  auto plain = b.build();
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->text(), "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
  b.timing(3034423619u, 3042462419u).timing(0, 0);
  b.information("i").uri("http://example.com/").email("a@example.com").phone("+1 555 0100");
  b.bandwidth("AS", 64).media("video", 0, "RTP/AVP", std::vector<std::string>{"31"});
  b.media_information("mi").media_connection(AddrType::Ip6, "2001:db8::1").media_bandwidth("TIAS", 1);
  b.media_attribute("inactive");
  auto built = b.build();
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_EQ(built->description().timings.size(), 2u);
  EXPECT_EQ(built->description().media[0].connections[0].addr_kind(), AddrType::Ip6);
  EXPECT_EQ(built->description(), b.draft());
}

TEST(SessionBuilder, InvalidFieldFailsBuild) {
  SessionBuilder b;
  b.media("audio", 1, "RTP/AVP", {"0"}).media_connection(AddrType::Ip4, "2001:db8::1");
  EXPECT_EQ(b.build().error(), SdpErrc::BadConnection);
  SessionBuilder c;
  c.attribute("two words");
  EXPECT_EQ(c.build().error(), SdpErrc::BadAttribute);
  SessionBuilder d;
  d.media("audio", 1, "RTP/AVP", std::initializer_list<std::string_view>{});
  EXPECT_EQ(d.build().error(), SdpErrc::BadMedia);
  SessionBuilder e;
  e.session_name("line\r\nbreak");
  EXPECT_FALSE(e.build());
}

TEST(SessionBuilder, SurvivesMoves) {
  SessionBuilder b;
  b.session_name(std::string(100, 's')).media("audio", 1, "RTP/AVP", {"0"});
  b.keep("short");
  SessionBuilder moved = std::move(b);
  moved.draft().information = moved.keep("kept");
  auto built = moved.build();
  ASSERT_TRUE(built);
  EXPECT_EQ(built->description().session_name, std::string(100, 's'));
  EXPECT_EQ(built->description().information, "kept");
}

TEST(OwnedSessionDescription, OwnsItsText) {
  std::string wire = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\nm=audio 4 RTP/AVP 0\r\n";
  auto owned = OwnedSessionDescription::parse(wire);
  ASSERT_TRUE(owned);
  wire.assign(wire.size(), '#');  // the caller's buffer goes away
  EXPECT_EQ(owned->description().session_name, "x");
  EXPECT_EQ((*owned)->media[0].port, 4);

  OwnedSessionDescription moved = std::move(*owned);
  EXPECT_EQ(moved->media[0].proto, "RTP/AVP");
  OwnedSessionDescription copy = moved.clone();
  EXPECT_NE(copy.text().data(), moved.text().data());
  EXPECT_EQ(*copy, *moved);

  auto canonical = OwnedSessionDescription::copy_of(*moved);
  ASSERT_TRUE(canonical);
  EXPECT_EQ(canonical->description(), *moved);

  EXPECT_EQ(OwnedSessionDescription::parse("v=1\r\n").error(), SdpErrc::BadVersionLine);
  warden::base::Limits::Sdp tight;
  tight.max_bytes = 10;
  EXPECT_EQ(OwnedSessionDescription::parse(moved.text(), tight).error(), SdpErrc::TooLarge);
}
