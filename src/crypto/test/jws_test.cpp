// base64url, ES256 (with the RFC 7515 Appendix A.3 known answer) and certificate handling for
// signed identities: chains against trust anchors at a given time, subjectAltName, TNAuthList.
#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "crypto/base64url.hpp"
#include "crypto/certificate.hpp"
#include "crypto/dev_pki.hpp"
#include "crypto/es256.hpp"

namespace warden::crypto {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

base::WallTime wall(std::chrono::system_clock::time_point t) {
  return std::chrono::time_point_cast<base::Duration>(t);
}

// ---- base64url ----

TEST(Base64Url, Rfc4648Vectors) {
  // RFC 4648 §10 vectors, without the padding base64url leaves out in JWS.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_decode("Zm9vYmE").value(), "fooba");
  // The URL-safe characters: 0xfb 0xff encodes to "-_8" (standard base64 would be "+/8").
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8").value(), "\xfb\xff");
  // RFC 7515 §A.3: the protected header {"alg":"ES256"}.
  EXPECT_EQ(base64url_encode(R"({"alg":"ES256"})"), "eyJhbGciOiJFUzI1NiJ9");
}

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes += static_cast<char>(i * 37 + 11);
    auto back = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(back.has_value()) << i;
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base64Url, StrictDecoding) {
  EXPECT_FALSE(base64url_decode("Zm9v=").has_value());   // padding
  EXPECT_FALSE(base64url_decode("Zg==").has_value());
  EXPECT_FALSE(base64url_decode("+/8").has_value());     // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm 9v").has_value());   // white space
  EXPECT_FALSE(base64url_decode("Z").has_value());       // 1 mod 4
  EXPECT_FALSE(base64url_decode("Zh").has_value());      // non-zero leftover bits ("Zg" is canonical)
  EXPECT_FALSE(base64url_decode("Zm9=").has_value());
  EXPECT_TRUE(base64url_decode("").has_value());
  EXPECT_TRUE(is_base64url_alphabet("abcXYZ019-_"));
  EXPECT_FALSE(is_base64url_alphabet("ab.c"));
}

// ---- ES256 ----

// RFC 7515 Appendix A.3: the example JWS using ECDSA P-256 SHA-256, and the key's x and y.
constexpr const char* kA3SigningInput =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr const char* kA3Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr const char* kA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr const char* kA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

EcPublicKey a3_key() {
  auto key = EcPublicKey::from_coordinates(base64url_decode(kA3X).value(), base64url_decode(kA3Y).value());
  EXPECT_TRUE(key.ok());
  return *key;
}

TEST(Es256, Rfc7515AppendixA3Verifies) {
  const EcPublicKey key = a3_key();
  const std::string sig = base64url_decode(kA3Signature).value();
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(es256_verify(key, kA3SigningInput, sig));
  // One changed byte of the input, of r, or of s: refused.
  std::string input = kA3SigningInput;
  input[5] ^= 1;
  EXPECT_FALSE(es256_verify(key, input, sig));
  for (std::size_t i : {0u, 31u, 32u, 63u}) {
    std::string bad = sig;
    bad[i] ^= 0x40;
    EXPECT_FALSE(es256_verify(key, kA3SigningInput, bad)) << i;
  }
  // The DER form of the same signature is not an ES256 signature.
  EXPECT_FALSE(es256_verify(key, kA3SigningInput, sig.substr(0, 63)));
  EXPECT_FALSE(es256_verify(key, kA3SigningInput, sig + '\0'));
  EXPECT_FALSE(es256_verify(key, kA3SigningInput, std::string(64, '\0')));
}

TEST(Es256, CoordinatesOffTheCurveAreRefused) {
  std::string x = base64url_decode(kA3X).value();
  const std::string y = base64url_decode(kA3Y).value();
  x[31] ^= 1;
  EXPECT_FALSE(EcPublicKey::from_coordinates(x, y).ok());
  EXPECT_FALSE(EcPublicKey::from_coordinates(x.substr(1), y).ok());
}

TEST(Es256, SignVerifyWithGeneratedKeys) {
  auto key = EcPrivateKey::generate();
  auto other = EcPrivateKey::generate();
  ASSERT_TRUE(key.ok() && other.ok());
  const std::string data = "header.payload";
  auto sig = es256_sign(*key, data);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(es256_verify(key->public_key(), data, *sig));
  EXPECT_FALSE(es256_verify(other->public_key(), data, *sig));
  EXPECT_FALSE(es256_verify(key->public_key(), "header.payloaD", *sig));
  // ECDSA draws a fresh nonce: two signatures differ, both verify.
  auto sig2 = es256_sign(*key, data);
  ASSERT_TRUE(sig2.ok());
  EXPECT_NE(*sig, *sig2);
  EXPECT_TRUE(es256_verify(key->public_key(), data, *sig2));
}

TEST(Es256, PemRoundTrip) {
  auto key = EcPrivateKey::generate();
  ASSERT_TRUE(key.ok());
  const std::string pem = key->to_pem();
  EXPECT_NE(pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  auto back = EcPrivateKey::from_pem(pem);
  ASSERT_TRUE(back.ok());
  auto sig = es256_sign(*back, "x");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(es256_verify(key->public_key(), "x", *sig));
  EXPECT_FALSE(EcPrivateKey::from_pem("not a key").ok());
  EXPECT_FALSE(EcPrivateKey::from_pem(pem.substr(0, pem.size() / 2)).ok());
  // An RSA key is not an ES256 key.
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  ASSERT_NE(rsa, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, rsa, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  const std::string rsa_pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(rsa);
  auto r = EcPrivateKey::from_pem(rsa_pem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), base::Errc::InvalidArgument);
}

// ---- certificates ----

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("warden-cert-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    auto a = ensure_dev_pki(base_ / "a", {"a.test", "*.wild.test"});
    auto b = ensure_dev_pki(base_ / "b", {"b.test"});
    ASSERT_TRUE(a.ok() && b.ok());
    a_ = *a;
    b_ = *b;
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_;
  DevPki a_, b_;
};

TEST_F(CertificateTest, ChainVerifiesAgainstItsAnchorOnly) {
  auto chain = Certificate::chain_from_pem(slurp(a_.server_certificate) + slurp(a_.ca_certificate));
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 2u);
  TrustStore a_root, b_root, none;
  ASSERT_EQ(a_root.add_pem(slurp(a_.ca_certificate)).value(), 1u);
  ASSERT_EQ(b_root.add_pem(slurp(b_.ca_certificate)).value(), 1u);
  const auto now = wall(std::chrono::system_clock::now());
  std::string error;
  EXPECT_TRUE(verify_certificate_chain(a_root, *chain, now, error).ok()) << error;
  EXPECT_TRUE(error.empty());
  // The leaf alone chains too (the anchor is in the store).
  EXPECT_TRUE(verify_certificate_chain(a_root, std::span(chain->data(), 1), now, error).ok()) << error;
  // Another CA, or none at all: refused, with OpenSSL's reason.
  EXPECT_FALSE(verify_certificate_chain(b_root, *chain, now, error).ok());
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(verify_certificate_chain(none, *chain, now, error).ok());
  // Time matters: after the leaf's 825 days, and before its notBefore.
  EXPECT_FALSE(verify_certificate_chain(a_root, *chain, now + std::chrono::hours(24 * 900), error).ok());
  EXPECT_NE(error.find("expired"), std::string::npos) << error;
  EXPECT_FALSE(verify_certificate_chain(a_root, *chain, now - std::chrono::hours(24), error).ok());
  EXPECT_NE(error.find("not yet valid"), std::string::npos) << error;
  EXPECT_FALSE(verify_certificate_chain(a_root, {}, now, error).ok());
}

TEST_F(CertificateTest, KeyAndNames) {
  auto leaf = Certificate::from_pem(slurp(a_.server_certificate));
  ASSERT_TRUE(leaf.ok());
  auto pub = leaf->ec_public_key();
  ASSERT_TRUE(pub.ok());
  auto key = EcPrivateKey::from_pem(slurp(a_.server_key));
  ASSERT_TRUE(key.ok());
  auto sig = es256_sign(*key, "signed by a.test");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(es256_verify(*pub, "signed by a.test", *sig));
  auto b_leaf = Certificate::from_pem(slurp(b_.server_certificate));
  ASSERT_TRUE(b_leaf.ok());
  EXPECT_FALSE(es256_verify(b_leaf->ec_public_key().value(), "signed by a.test", *sig));

  const auto sans = leaf->subject_alt_names();
  EXPECT_NE(std::find(sans.begin(), sans.end(), SubjectAltName{SubjectAltName::Kind::Dns, "a.test"}), sans.end());
  EXPECT_NE(std::find(sans.begin(), sans.end(), SubjectAltName{SubjectAltName::Kind::Ip, "127.0.0.1"}), sans.end());
  EXPECT_NE(std::find(sans.begin(), sans.end(), SubjectAltName{SubjectAltName::Kind::Ip, "::1"}), sans.end());
  EXPECT_TRUE(leaf->matches_dns_name("a.test"));
  EXPECT_TRUE(leaf->matches_dns_name("A.TEST"));
  EXPECT_TRUE(leaf->matches_dns_name("x.wild.test"));
  EXPECT_FALSE(leaf->matches_dns_name("y.x.wild.test"));  // one label only
  EXPECT_FALSE(leaf->matches_dns_name("wild.test"));
  EXPECT_FALSE(leaf->matches_dns_name("b.test"));
  EXPECT_FALSE(leaf->matches_dns_name(""));
  auto tn = leaf->tn_auth_list();
  ASSERT_TRUE(tn.ok());
  EXPECT_FALSE(tn->has_value());
  // PEM limits and garbage.
  EXPECT_FALSE(Certificate::from_pem("").ok());
  EXPECT_FALSE(Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
  PemLimits one;
  one.max_certificates = 1;
  EXPECT_FALSE(Certificate::chain_from_pem(slurp(a_.server_certificate) + slurp(a_.ca_certificate), one).ok());
  PemLimits tiny;
  tiny.max_pem_bytes = 100;
  EXPECT_EQ(Certificate::from_pem(slurp(a_.server_certificate), tiny).error(), base::Errc::LimitExceeded);
  // A round trip through PEM keeps the certificate.
  EXPECT_EQ(Certificate::from_pem(leaf->to_pem())->to_pem(), leaf->to_pem());
}

// A self-signed P-256 certificate carrying `tn_der` as its TNAuthList extension.
Certificate with_tn_auth_list(const std::string& tn_der) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tn"), -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
  ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(tn_der.data()), static_cast<int>(tn_der.size()));
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
  X509_add_ext(x, ext, -1);
  X509_sign(x, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  const std::string pem(p, static_cast<std::size_t>(n));
  BIO_free(bio);
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(data);
  ASN1_OBJECT_free(oid);
  X509_free(x);
  EVP_PKEY_free(key);
  return Certificate::from_pem(pem).value();
}

std::string tlv(unsigned char tag, const std::string& content) {
  std::string out(1, static_cast<char>(tag));
  out += static_cast<char>(content.size());  // short form: the tests stay under 128 bytes
  return out + content;
}

TEST(TnAuthList, ReadsEntriesAndCoversNumbers) {
  // SEQUENCE { [0] spc "1234", [1] { "12025550100", 100 }, [2] "447700900123" } (explicit tags)
  const std::string der =
      tlv(0x30, tlv(0xa0, tlv(0x16, "1234")) +
                    tlv(0xa1, tlv(0x30, tlv(0x16, "12025550100") + tlv(0x02, std::string(1, '\x64')))) +
                    tlv(0xa2, tlv(0x16, "447700900123")));
  auto list = with_tn_auth_list(der).tn_auth_list();
  ASSERT_TRUE(list.ok());
  ASSERT_TRUE(list->has_value());
  const TnAuthList& tn = **list;
  ASSERT_EQ(tn.spcs.size(), 1u);
  EXPECT_EQ(tn.spcs[0], "1234");
  ASSERT_EQ(tn.ranges.size(), 1u);
  EXPECT_EQ(tn.ranges[0].start, "12025550100");
  EXPECT_EQ(tn.ranges[0].count, 100u);
  EXPECT_TRUE(tn.covers("447700900123"));
  EXPECT_TRUE(tn.covers("12025550100"));
  EXPECT_TRUE(tn.covers("12025550199"));
  EXPECT_FALSE(tn.covers("12025550200"));
  EXPECT_FALSE(tn.covers("12025550099"));
  EXPECT_FALSE(tn.covers("120255501000"));  // another length
  EXPECT_FALSE(tn.covers("+12025550100"));
  EXPECT_FALSE(tn.covers(""));
}

TEST(TnAuthList, MalformedExtensionIsAnError) {
  for (const std::string der : {std::string("\x30\x05\xa2\x03\x16\x05x", 7),  // inner length past the end
                                tlv(0x30, ""),                                  // no entry
                                tlv(0x30, tlv(0xa3, tlv(0x16, "1"))),           // unknown choice
                                tlv(0x30, tlv(0xa1, tlv(0x30, tlv(0x16, "1") + tlv(0x02, std::string(1, '\x80')))))}) {
    auto list = with_tn_auth_list(der).tn_auth_list();
    EXPECT_FALSE(list.ok());
  }
}

}  // namespace
}  // namespace warden::crypto
