// AES-256-GCM: the published test vectors (McGrew and Viega, "The Galois/Counter Mode of
// Operation", test cases 13 and 14), round trips with associated data, and every kind of
// tampering refused.
#include <gtest/gtest.h>

#include <string>

#include "crypto/aead.hpp"

namespace warden::crypto {
namespace {

std::string hex(std::string_view s) {
  static constexpr char k[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

TEST(Aes256Gcm, KnownAnswers) {
  const std::string key(32, '\0'), nonce(12, '\0');
  EXPECT_EQ(hex(aes256gcm_seal(key, nonce, "", "")), "530f8afbc74536b9a963b4f1c4cb738b");
  EXPECT_EQ(hex(aes256gcm_seal(key, nonce, "", std::string(16, '\0'))),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(Aes256Gcm, RoundTripAndTampering) {
  const std::string key(32, 'k'), nonce(12, 'n');
  const std::string sealed = aes256gcm_seal(key, nonce, "aad", "sip:alice@192.0.2.1:5060");
  ASSERT_EQ(sealed.size(), 24u + 16u);
  EXPECT_EQ(sealed.find("alice"), std::string::npos);
  auto opened = aes256gcm_open(key, nonce, "aad", sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "sip:alice@192.0.2.1:5060");

  EXPECT_FALSE(aes256gcm_open(key, nonce, "aaD", sealed));                   // other aad
  EXPECT_FALSE(aes256gcm_open(std::string(32, 'K'), nonce, "aad", sealed));  // other key
  EXPECT_FALSE(aes256gcm_open(key, std::string(12, 'N'), "aad", sealed));    // other nonce
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string t = sealed;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    EXPECT_FALSE(aes256gcm_open(key, nonce, "aad", t)) << i;
  }
  for (std::size_t n = 0; n < sealed.size(); ++n) EXPECT_FALSE(aes256gcm_open(key, nonce, "aad", sealed.substr(0, n)));
  EXPECT_EQ(aes256gcm_seal(std::string(31, 'k'), nonce, "", "x"), "");
  EXPECT_FALSE(aes256gcm_open(key, std::string(8, 'n'), "aad", sealed));
}

}  // namespace
}  // namespace warden::crypto
