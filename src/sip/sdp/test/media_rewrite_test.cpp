// media_targets() and rewrite_media(): a relay put in place of a party in its SDP.
#include "sip/sdp/media_rewrite.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/error.hpp"
#include "sip/sdp/sdp.hpp"
#include "test_util.hpp"

using namespace warden::sip::sdp;
using warden::sip::sdp::test::corpus;
using warden::sip::sdp::test::crlf;

namespace {

// A desk phone's offer: session c=, an explicit a=rtcp with its address, ICE with host and
// server-reflexive candidates, SDES keys, and a video line.
const std::string kOffer = crlf(
    "v=0\n"
    "o=alice 2890844526 2890844527 IN IP4 192.0.2.10\n"
    "s=-\n"
    "c=IN IP4 192.0.2.10\n"
    "t=0 0\n"
    "a=ice-ufrag:F7gI\n"
    "a=ice-pwd:x9cml/YzichV2+XlhiMu8g\n"
    "m=audio 49170 RTP/SAVP 0 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=rtcp:53020 IN IP4 192.0.2.10\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31\n"
    "a=candidate:1 1 UDP 2130706431 192.0.2.10 49170 typ host\n"
    "a=candidate:2 1 UDP 1694498815 198.51.100.33 61665 typ srflx raddr 192.0.2.10 rport 49170\n"
    "a=remote-candidates:1 198.51.100.44 5000\n"
    "a=sendrecv\n"
    "m=video 51372 RTP/AVP 96\n"
    "c=IN IP4 192.0.2.11\n"
    "a=rtpmap:96 H264/90000\n");

MediaRewrite relay_v4(std::vector<std::optional<RelayedPorts>> media) {
  MediaRewrite rw;
  rw.relay_addr_type = AddrType::Ip4;
  rw.relay_address = "203.0.113.5";
  rw.media = std::move(media);
  return rw;
}

TEST(MediaTargets, ReadsWhereEachSectionWantsItsMedia) {
  auto t = media_targets(kOffer);
  ASSERT_TRUE(t.ok()) << t.error().message();
  ASSERT_EQ(t->size(), 2u);
  const MediaTarget& audio = (*t)[0];
  EXPECT_EQ(audio.index, 0u);
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.proto, "RTP/SAVP");
  EXPECT_TRUE(audio.relayable);
  EXPECT_EQ(audio.addr_type, AddrType::Ip4);
  EXPECT_EQ(audio.address, "192.0.2.10");  // from the session c=
  EXPECT_EQ(audio.port, 49170);
  EXPECT_EQ(audio.rtcp_address, "192.0.2.10");
  EXPECT_EQ(audio.rtcp_port, 53020);  // a=rtcp
  EXPECT_FALSE(audio.rtcp_mux);
  const MediaTarget& video = (*t)[1];
  EXPECT_TRUE(video.relayable);
  EXPECT_EQ(video.address, "192.0.2.11");  // its own c=
  EXPECT_EQ(video.port, 51372);
  EXPECT_EQ(video.rtcp_port, 51373);  // port + 1
}

TEST(MediaRewrite, PutsTheRelayInPlaceOfTheParty) {
  auto out = rewrite_media(kOffer, relay_v4({RelayedPorts{40000, 40001}, RelayedPorts{40010, 40013}}));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, crlf("v=0\n"
                       "o=alice 2890844526 2890844527 IN IP4 203.0.113.5\n"
                       "s=-\n"
                       "c=IN IP4 203.0.113.5\n"
                       "t=0 0\n"
                       "a=ice-ufrag:F7gI\n"
                       "a=ice-pwd:x9cml/YzichV2+XlhiMu8g\n"
                       "m=audio 40000 RTP/SAVP 0 101\n"
                       "a=rtpmap:0 PCMU/8000\n"
                       "a=rtpmap:101 telephone-event/8000\n"
                       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                       "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31\n"
                       "a=sendrecv\n"
                       "m=video 40010 RTP/AVP 96\n"
                       "c=IN IP4 203.0.113.5\n"
                       "a=rtpmap:96 H264/90000\n"
                       "a=rtcp:40013 IN IP4 203.0.113.5\n"));
  for (const char* old : {"192.0.2.10", "192.0.2.11", "198.51.100.33", "198.51.100.44", "candidate"}) {
    EXPECT_EQ(out->find(old), std::string::npos) << old;
  }
  // What the other party will read back: the relay, and nothing else changed.
  auto back = media_targets(*out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].address, "203.0.113.5");
  EXPECT_EQ((*back)[0].port, 40000);
  EXPECT_EQ((*back)[0].rtcp_port, 40001);
  EXPECT_EQ((*back)[1].rtcp_port, 40013);
  auto before = parse(kOffer);
  auto after = parse(*out);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(before->media[0].formats, after->media[0].formats);
  EXPECT_EQ(before->origin.session_version, after->origin.session_version);
}

TEST(MediaRewrite, SectionsNotRelayedAreDisabled) {
  const std::string offer = crlf(
      "v=0\n"
      "o=- 1 1 IN IP4 10.0.0.7\n"
      "s=-\n"
      "t=0 0\n"
      "m=audio 4000 RTP/AVP 0\n"
      "c=IN IP4 10.0.0.7\n"
      "m=application 5000 TCP/BFCP *\n"
      "c=IN IP4 10.0.0.7\n"
      "a=setup:actpass\n"
      "m=image 6000 udptl t38\n"
      "c=IN IP4 10.0.0.7\n");
  auto t = media_targets(offer);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE((*t)[0].relayable);
  EXPECT_FALSE((*t)[1].relayable);  // over TCP
  EXPECT_TRUE((*t)[2].relayable);   // T.38 over UDPTL: datagrams too
  // Only the audio is relayed; the table is shorter than the body.
  auto out = rewrite_media(offer, relay_v4({RelayedPorts{40000, 40001}}));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->find("10.0.0.7"), std::string::npos);
  auto sd = parse(*out);
  ASSERT_TRUE(sd.ok());
  ASSERT_EQ(sd->media.size(), 3u);
  EXPECT_EQ(sd->media[0].port, 40000);
  EXPECT_EQ(sd->media[1].port, 0);
  EXPECT_EQ(sd->media[2].port, 0);
  EXPECT_EQ(sd->media[1].connections[0].address, "203.0.113.5");
  EXPECT_TRUE(sd->media[1].has_attribute("setup"));  // the rest stays
}

TEST(MediaRewrite, WebRtcOfferKeepsIceCredentialsAndFingerprintButNoCandidate) {
  std::string webrtc;
  for (const auto& [name, text] : corpus()) {
    if (name == "dtls-webrtc-offer.sdp") webrtc = text;
  }
  ASSERT_FALSE(webrtc.empty());
  auto t = media_targets(webrtc);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 1u);
  EXPECT_TRUE((*t)[0].relayable);  // 0.0.0.0: the relay learns the address by latching
  EXPECT_EQ((*t)[0].address, "0.0.0.0");
  EXPECT_EQ((*t)[0].port, 9);
  EXPECT_EQ((*t)[0].rtcp_port, 9);  // a=rtcp:9 IN IP4 0.0.0.0
  EXPECT_TRUE((*t)[0].rtcp_mux);

  // With RTCP at port + 1 on the relay, a=rtcp goes.
  auto out = rewrite_media(webrtc, relay_v4({RelayedPorts{40002, 40003}}));
  ASSERT_TRUE(out.ok()) << out.error().message();
  auto sd = parse(*out);
  ASSERT_TRUE(sd.ok());
  const MediaDescription& m = sd->media[0];
  EXPECT_FALSE(m.has_attribute("candidate"));
  EXPECT_FALSE(m.has_attribute("rtcp"));
  EXPECT_TRUE(m.has_attribute("end-of-candidates"));
  EXPECT_TRUE(m.has_attribute("rtcp-mux"));
  auto creds = find_ice_credentials(*sd, m);
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->ufrag, "EsAw");
  EXPECT_EQ(creds->pwd, "P2uYro0UCOQ4zxjKXaWCBui1");
  auto original = parse(webrtc);
  ASSERT_TRUE(original.ok());
  EXPECT_EQ(*sd->find_attribute("fingerprint"), *original->find_attribute("fingerprint"));
  for (const char* old : {"192.0.2.3", "198.51.100.7"}) EXPECT_EQ(out->find(old), std::string::npos) << old;

  // With rtcp-mux only on the relay, the party's a=rtcp names the relay's RTP port.
  out = rewrite_media(webrtc, relay_v4({RelayedPorts{40002, std::nullopt}}));
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find("a=rtcp:40002 IN IP4 203.0.113.5\r\n"), std::string::npos);
}

TEST(MediaRewrite, Ipv6PartyBehindAnIpv4Relay) {
  const std::string offer = crlf(
      "v=0\n"
      "o=bob 1 1 IN IP6 2001:db8::20\n"
      "s=-\n"
      "c=IN IP6 2001:db8::20\n"
      "t=0 0\n"
      "m=audio 6000 RTP/AVP 0\n");
  auto out = rewrite_media(offer, relay_v4({RelayedPorts{40000, 40001}}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, crlf("v=0\n"
                       "o=bob 1 1 IN IP4 203.0.113.5\n"
                       "s=-\n"
                       "c=IN IP4 203.0.113.5\n"
                       "t=0 0\n"
                       "m=audio 40000 RTP/AVP 0\n"));
  // And the other way round.
  MediaRewrite v6;
  v6.relay_addr_type = AddrType::Ip6;
  v6.relay_address = "2001:db8::5";
  v6.media = {RelayedPorts{40000, 40001}};
  out = rewrite_media(kOffer, v6);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find("c=IN IP6 2001:db8::5\r\n"), std::string::npos);
  EXPECT_EQ(out->find("IP4"), std::string::npos);
  EXPECT_NE(out->find("m=video 0 RTP/AVP 96\r\n"), std::string::npos);
}

TEST(MediaRewrite, AnythingElseNamingThePartysAddressIsDropped) {
  const std::string offer = crlf(
      "v=0\n"
      "o=- 1 1 IN IP4 192.0.2.99\n"
      "s=call from 192.0.2.99\n"
      "i=desk phone at 192.0.2.99\n"
      "u=http://192.0.2.99/info\n"
      "e=admin@192.0.2.99\n"
      "e=ops@example.com\n"
      "c=IN IP4 192.0.2.99\n"
      "t=0 0\n"
      "a=x-local-address:192.0.2.99\n"
      "a=tool:phone 1.0\n"
      "m=audio 4000 RTP/AVP 0\n"
      "i=line 1 on 192.0.2.99\n"
      "a=x-nat:192.0.2.99:4000\n"
      "a=ptime:20\n");
  auto out = rewrite_media(offer, relay_v4({RelayedPorts{40000, 40001}}));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, crlf("v=0\n"
                       "o=- 1 1 IN IP4 203.0.113.5\n"
                       "s=-\n"
                       "e=ops@example.com\n"
                       "c=IN IP4 203.0.113.5\n"
                       "t=0 0\n"
                       "a=tool:phone 1.0\n"
                       "m=audio 40000 RTP/AVP 0\n"
                       "a=ptime:20\n"));
}

TEST(MediaRewrite, RelayabilityOfUnusualSections) {
  const std::string offer = crlf(
      "v=0\n"
      "o=- 1 1 IN IP4 host.example.com\n"
      "s=-\n"
      "t=0 0\n"
      "m=audio 4000 RTP/AVP 0\n"
      "c=IN IP4 host.example.com\n"
      "m=audio 0 RTP/AVP 0\n"
      "c=IN IP4 192.0.2.1\n"
      "m=audio 4002 RTP/AVP 0\n"
      "c=IN IP4 233.252.0.1/127\n"
      "m=video 4004/2 RTP/AVP 96\n"
      "c=IN IP4 192.0.2.1\n"
      "m=audio 4008 TCP/RTP/AVP 0\n"
      "c=IN IP4 192.0.2.1\n"
      "m=audio 4010 RTP/AVP 0\n"
      "c=IN IP6 ::\n");
  auto t = media_targets(offer);
  ASSERT_TRUE(t.ok()) << t.error().message();
  ASSERT_EQ(t->size(), 6u);
  EXPECT_FALSE((*t)[0].relayable);  // an FQDN needs DNS
  EXPECT_FALSE((*t)[1].relayable);  // disabled
  EXPECT_FALSE((*t)[2].relayable);  // multicast
  EXPECT_FALSE((*t)[3].relayable);  // hierarchical port count
  EXPECT_FALSE((*t)[4].relayable);  // TCP
  EXPECT_TRUE((*t)[5].relayable);   // unspecified: latching will tell
  EXPECT_EQ((*t)[1].rtcp_port, 0);
  auto out = rewrite_media(offer, relay_v4({}));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->find("host.example.com"), std::string::npos);
  EXPECT_EQ(out->find("233.252.0.1"), std::string::npos);
  auto sd = parse(*out);
  ASSERT_TRUE(sd.ok());
  for (const MediaDescription& m : sd->media) {
    EXPECT_EQ(m.port, 0);
    EXPECT_FALSE(m.port_count.has_value());
  }
}

TEST(MediaRewrite, Errors) {
  auto bad_relay = relay_v4({});
  bad_relay.relay_address = "relay.example.com";
  EXPECT_EQ(rewrite_media(kOffer, bad_relay).error(), warden::base::Errc::InvalidArgument);
  bad_relay.relay_address = "2001:db8::1";  // not IP4
  EXPECT_EQ(rewrite_media(kOffer, bad_relay).error(), warden::base::Errc::InvalidArgument);
  EXPECT_EQ(rewrite_media("v=0\r\nbogus\r\n", relay_v4({})).error().category(), sdp_category());
  EXPECT_EQ(media_targets("").error().category(), sdp_category());

  // A longer relay address can push the body over the size limit: refused, not cut.
  const std::string small = crlf("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 4 RTP/AVP 0\n");
  warden::base::Limits::Sdp tight;
  tight.max_bytes = small.size();
  MediaRewrite longer;
  longer.relay_addr_type = AddrType::Ip6;
  longer.relay_address = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff";
  longer.media = {RelayedPorts{40000, 40001}};
  EXPECT_EQ(rewrite_media(small, longer, tight).error(), SdpErrc::TooLarge);
  EXPECT_TRUE(rewrite_media(small, longer).ok());
}

// Every body of the fuzz corpus: the output parses, names only the relay, carries none of the
// party's addresses, and rewriting it again changes nothing.
TEST(MediaRewrite, CorpusRoundTrips) {
  for (const auto& [name, text] : corpus()) {
    SCOPED_TRACE(name);
    auto targets = media_targets(text);
    ASSERT_TRUE(targets.ok()) << targets.error().message();
    MediaRewrite rw = relay_v4({});
    for (const MediaTarget& t : *targets) {
      rw.media.push_back(t.relayable ? std::optional<RelayedPorts>(RelayedPorts{
                                           static_cast<std::uint16_t>(40000 + 4 * t.index),
                                           static_cast<std::uint16_t>(40001 + 4 * t.index)})
                                     : std::nullopt);
    }
    auto out = rewrite_media(text, rw);
    ASSERT_TRUE(out.ok()) << out.error().message();
    auto sd = parse(*out);
    ASSERT_TRUE(sd.ok()) << sd.error().message();
    auto original = parse(text);
    ASSERT_TRUE(original.ok());
    ASSERT_EQ(sd->media.size(), original->media.size());
    EXPECT_EQ(sd->origin.address, "203.0.113.5");
    for (std::size_t i = 0; i < sd->media.size(); ++i) {
      const Connection* c = sd->connection_for(sd->media[i]);
      if (c) {
        EXPECT_EQ(c->address, "203.0.113.5");
      }
      EXPECT_FALSE(sd->media[i].has_attribute("candidate"));
      EXPECT_EQ(sd->media[i].port, rw.media[i] ? rw.media[i]->rtp : 0);
      EXPECT_EQ(sd->media[i].formats, original->media[i].formats);
    }
    for (const MediaTarget& t : *targets) {
      if (t.address != "0.0.0.0" && t.address != "::" && !t.address.empty()) {
        EXPECT_EQ(out->find(t.address), std::string::npos) << t.address;
      }
      for (const Candidate& c : find_candidates(original->media[t.index])) {
        EXPECT_EQ(out->find(c.address), std::string::npos) << c.address;
      }
    }
    auto again = rewrite_media(*out, rw);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *out);
  }
}

}  // namespace
