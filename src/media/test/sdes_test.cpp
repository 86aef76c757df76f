#include "media/sdes.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "crypto/csprng.hpp"
#include "sip/sdp/base64.hpp"
#include "sip/sdp/crypto_attribute.hpp"

using namespace warden::media;
namespace sdp = warden::sip::sdp;
namespace base = warden::base;

namespace {

// The inline key of the RFC 4568 §4 example (30 bytes: AES-CM-128 key + salt).
constexpr std::string_view kRfcKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

std::string line(std::uint32_t tag, std::string_view suite, std::string_view key_params,
                 std::string_view session_params = "") {
  std::string s = std::to_string(tag) + " " + std::string(suite) + " " + std::string(key_params);
  if (!session_params.empty()) s += " " + std::string(session_params);
  return s;
}

std::string inline_key(std::size_t bytes, std::uint8_t fill = 0x42) {
  return "inline:" + sdp::encode_base64(std::vector<std::byte>(bytes, std::byte{fill}));
}

base::Result<SdesAnswer> answer(const std::vector<std::string>& lines) {
  static warden::crypto::Csprng rng;
  std::vector<std::string_view> views(lines.begin(), lines.end());
  return answer_sdes_offer(rng, views);
}

std::vector<std::byte> rtp(std::uint16_t seq) {
  std::vector<std::byte> p(12 + 20 + SrtpSession::kProtectHeadroom, std::byte{0x33});
  p[0] = std::byte{0x80};
  p[2] = std::byte(seq >> 8);
  p[3] = std::byte(seq & 0xff);
  return p;
}

// a's packet reaches b intact.
bool talks_to(SrtpSession& a, SrtpSession& b, std::uint16_t seq) {
  auto p = rtp(seq);
  auto n = a.protect_rtp(p, 32);
  if (!n) return false;
  p.resize(*n);
  auto m = b.unprotect_rtp(p);
  return m.ok() && *m == 32;
}

}  // namespace

TEST(SdesOffer, OneFreshLinePerSuiteStrongestFirst) {
  warden::crypto::Csprng rng;
  const auto offer = make_sdes_offer(rng);
  ASSERT_EQ(offer.size(), 4u);
  std::set<std::string> keys;
  for (std::size_t i = 0; i < offer.size(); ++i) {
    EXPECT_EQ(offer[i].tag, i + 1);
    EXPECT_EQ(offer[i].key.suite(), kSrtpSuitesByPreference[i]);
    const std::string value = offer[i].attribute_value();
    auto parsed = sdp::parse_crypto(value);
    ASSERT_TRUE(parsed.ok()) << value;
    EXPECT_EQ(parsed->tag, i + 1);
    EXPECT_EQ(parsed->suite, sdes_name(kSrtpSuitesByPreference[i]));
    ASSERT_EQ(parsed->keys.size(), 1u);
    EXPECT_TRUE(parsed->keys[0].is_inline());
    EXPECT_TRUE(parsed->keys[0].lifetime.empty());
    EXPECT_TRUE(parsed->keys[0].mki.empty());
    auto decoded = parsed->keys[0].decode_key_salt();
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(std::equal(decoded->begin(), decoded->end(), offer[i].key.key_salt().begin(),
                           offer[i].key.key_salt().end()));
    keys.insert(std::string(parsed->keys[0].key_salt));
  }
  EXPECT_EQ(keys.size(), 4u);
  EXPECT_EQ(offer[0].attribute_value().substr(0, 19), "1 AEAD_AES_256_GCM ");
}

TEST(SdesOffer, ChosenSuites) {
  warden::crypto::Csprng rng;
  const SrtpSuite only[] = {SrtpSuite::AesCm128HmacSha1_80};
  const auto offer = make_sdes_offer(rng, only);
  ASSERT_EQ(offer.size(), 1u);
  EXPECT_EQ(offer[0].attribute_value().size(), std::string_view("1 AES_CM_128_HMAC_SHA1_80 inline:").size() + 40);
}

TEST(SdesNegotiation, OfferAnswerAcceptGiveMatchingSessions) {
  warden::crypto::Csprng rng;
  const auto offer = make_sdes_offer(rng);
  std::vector<std::string> values;
  for (const auto& c : offer) values.push_back(c.attribute_value());
  std::vector<std::string_view> views(values.begin(), values.end());

  auto ans = answer_sdes_offer(rng, views);
  ASSERT_TRUE(ans.ok()) << ans.error().message();
  EXPECT_EQ(ans->crypto.tag, 1u);
  EXPECT_EQ(ans->crypto.key.suite(), SrtpSuite::AeadAes256Gcm);
  EXPECT_TRUE(ans->keys.receive == offer[0].key);  // the answerer receives with the offerer's key
  EXPECT_FALSE(ans->keys.send == offer[0].key);    // and sends with a fresh one

  auto keys = accept_sdes_answer(offer, ans->crypto.attribute_value());
  ASSERT_TRUE(keys.ok()) << keys.error().message();
  EXPECT_EQ(keys->tag, 1u);
  EXPECT_TRUE(keys->send == offer[0].key);
  EXPECT_TRUE(keys->receive == ans->crypto.key);

  auto offerer = keys->make_session();
  auto answerer = ans->keys.make_session();
  ASSERT_TRUE(offerer.ok() && answerer.ok());
  EXPECT_TRUE(talks_to(*offerer, *answerer, 1));
  EXPECT_TRUE(talks_to(*answerer, *offerer, 1));
}

TEST(SdesNegotiation, AnswererPicksTheStrongestSupportedLine) {
  // The offerer lists its weakest first; we still take the 80-bit tag, under its tag 2.
  auto a = answer({line(1, "AES_CM_128_HMAC_SHA1_32", inline_key(30)), line(2, "AES_CM_128_HMAC_SHA1_80", inline_key(30)),
                   line(3, "F8_128_HMAC_SHA1_80", inline_key(30))});
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->crypto.tag, 2u);
  EXPECT_EQ(a->crypto.key.suite(), SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(a->crypto.attribute_value().substr(0, 26), "2 AES_CM_128_HMAC_SHA1_80 ");

  a = answer({line(7, "AEAD_AES_128_GCM", inline_key(28)), line(8, "AES_CM_128_HMAC_SHA1_80", inline_key(30))});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->crypto.tag, 7u);
  EXPECT_EQ(a->keys.receive.key_salt().size(), 28u);
}

TEST(SdesNegotiation, Rfc4568ExampleLine) {
  // RFC 4568 §4: lifetime 2^20 and MKI 1:4. Both are refused, each with its own reason.
  EXPECT_EQ(answer({line(1, "AES_CM_128_HMAC_SHA1_80", "inline:" + std::string(kRfcKey) + "|2^20|1:4")}).error(),
            SdesErrc::UnsupportedMki);
  EXPECT_EQ(answer({line(1, "AES_CM_128_HMAC_SHA1_80", "inline:" + std::string(kRfcKey) + "|2^20")}).error(),
            SdesErrc::UnsupportedLifetime);
  EXPECT_EQ(answer({line(1, "AES_CM_128_HMAC_SHA1_80", "inline:" + std::string(kRfcKey) + "|1048576")}).error(),
            SdesErrc::UnsupportedLifetime);
  auto ok = answer({line(1, "AES_CM_128_HMAC_SHA1_80", "inline:" + std::string(kRfcKey) + "|2^31")});
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(sdp::encode_base64(std::vector<std::byte>(ok->keys.receive.key_salt().begin(),
                                                      ok->keys.receive.key_salt().end())),
            kRfcKey);
}

TEST(SdesNegotiation, RefusalsAndFallback) {
  EXPECT_EQ(answer({}).error(), SdesErrc::NoCryptoLine);
  EXPECT_EQ(answer({line(1, "F8_128_HMAC_SHA1_80", inline_key(30)), line(2, "AES_256_CM_HMAC_SHA1_80", inline_key(46))})
                .error(),
            SdesErrc::NoCommonSuite);
  EXPECT_EQ(answer({"not a crypto line"}).error(), SdesErrc::BadCrypto);
  EXPECT_EQ(answer({line(1, "AES_CM_128_HMAC_SHA1_80", "uri:https://example.test/key")}).error(),
            SdesErrc::UnsupportedKeyMethod);
  EXPECT_EQ(answer({line(1, "AES_CM_128_HMAC_SHA1_80", inline_key(30) + "|2^31|1:4;" + inline_key(30) + "|2^31|2:4")})
                .error(),
            SdesErrc::MultipleKeys);
  for (std::string_view p : {"UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP", "KDR=1", "FEC_ORDER=FEC_SRTP",
                             "WSH=32"}) {
    EXPECT_EQ(answer({line(1, "AES_CM_128_HMAC_SHA1_80", inline_key(30), p)}).error(), SdesErrc::UnsupportedSessionParam)
        << p;
  }
  for (std::string_view p : {"KDR=0", "WSH=128", "-FUTURE_PARAM=1"})
    EXPECT_TRUE(answer({line(1, "AES_CM_128_HMAC_SHA1_80", inline_key(30), p)}).ok()) << p;

  // The strongest line is refused (unencrypted SRTCP); the next acceptable one is taken.
  auto a = answer({line(1, "AEAD_AES_256_GCM", inline_key(44), "UNENCRYPTED_SRTCP"),
                   line(2, "AES_CM_128_HMAC_SHA1_80", inline_key(30))});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->crypto.tag, 2u);
  // A line that does not parse is skipped, not fatal.
  a = answer({"1 AES_CM_128_HMAC_SHA1_80 inline:short", line(2, "AES_CM_128_HMAC_SHA1_32", inline_key(30))});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->crypto.key.suite(), SrtpSuite::AesCm128HmacSha1_32);
}

TEST(SdesNegotiation, FromAMediaSection) {
  warden::crypto::Csprng rng;
  const std::string value = line(5, "AEAD_AES_128_GCM", inline_key(28));
  sdp::MediaDescription m;
  m.attributes.push_back(sdp::Attribute{"rtpmap", "0 PCMU/8000", true});
  m.attributes.push_back(sdp::Attribute{"crypto", value, true});
  auto a = answer_sdes_offer(rng, m);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->crypto.tag, 5u);
  EXPECT_EQ(answer_sdes_offer(rng, sdp::MediaDescription{}).error(), SdesErrc::NoCryptoLine);
}

TEST(SdesAccept, AnswerMustMatchTheOffer) {
  warden::crypto::Csprng rng;
  const auto offer = make_sdes_offer(rng);
  EXPECT_EQ(accept_sdes_answer(offer, line(9, "AEAD_AES_256_GCM", inline_key(44))).error(), SdesErrc::TagNotOffered);
  EXPECT_EQ(accept_sdes_answer(offer, line(1, "AEAD_AES_128_GCM", inline_key(28))).error(), SdesErrc::SuiteMismatch);
  EXPECT_EQ(accept_sdes_answer(offer, "1 AEAD_AES_256_GCM").error(), SdesErrc::BadCrypto);
  EXPECT_EQ(accept_sdes_answer(offer, line(3, "AES_CM_128_HMAC_SHA1_80", inline_key(30) + "|2^10")).error(),
            SdesErrc::UnsupportedLifetime);
  auto keys = accept_sdes_answer(offer, line(4, "AES_CM_128_HMAC_SHA1_32", inline_key(30, 7)));
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->send == offer[3].key);
  EXPECT_EQ(keys->receive.key_salt()[0], std::byte{7});
}

TEST(SdesErrors, HaveMessagesAndCategory) {
  const std::error_code ec = SdesErrc::UnsupportedMki;
  EXPECT_STREQ(ec.category().name(), "media.sdes");
  EXPECT_NE(ec.message().find("MKI"), std::string::npos);
}
