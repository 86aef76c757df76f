#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/error.hpp"
#include "crypto/dev_pki.hpp"

namespace warden::crypto {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
using Cert = std::unique_ptr<X509, Free>;
using Key = std::unique_ptr<EVP_PKEY, Free>;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Cert read_cert(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (f == nullptr) return nullptr;
  Cert c(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return c;
}

Key read_key(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (f == nullptr) return nullptr;
  Key k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return k;
}

unsigned mode_of(const fs::path& p) {
  struct stat st{};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

// X509_verify_cert of `leaf` against `ca` as the only trust anchor, for TLS server use.
int verify_chain(X509* ca, X509* leaf) {
  std::unique_ptr<X509_STORE, Free> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, Free> ctx(X509_STORE_CTX_new());
  X509_STORE_add_cert(store.get(), ca);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  const int ok = X509_verify_cert(ctx.get());
  if (ok != 1) ADD_FAILURE() << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  return ok;
}

// Whole days between notBefore and notAfter.
int validity_days(X509* c) {
  int days = 0, secs = 0;
  ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(c), X509_get0_notAfter(c));
  return days;
}

bool is_p256(EVP_PKEY* k) {
  char group[64] = {};
  std::size_t len = 0;
  return EVP_PKEY_is_a(k, "EC") &&
         EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &len) == 1 &&
         std::string(group) == "prime256v1";
}

class DevPkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("warden-dev-pki-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  DevPki make(const std::vector<std::string>& names, std::chrono::system_clock::time_point now =
                                                           std::chrono::system_clock::now()) {
    std::string error;
    auto r = ensure_dev_pki(dir_, names, error, now);
    EXPECT_TRUE(r.ok()) << error;
    EXPECT_TRUE(error.empty());
    return r.ok() ? *r : DevPki{};
  }

  fs::path dir_;
};

TEST_F(DevPkiTest, CreatesAVerifiableChain) {
  const DevPki p = make({"sip.example.test", "192.0.2.7", "2001:db8::5"});
  EXPECT_TRUE(p.created_ca);
  EXPECT_TRUE(p.issued_server_certificate);
  EXPECT_EQ(p.ca_certificate, dir_ / "ca.pem");
  EXPECT_EQ(p.ca_key, dir_ / "ca.key");
  EXPECT_EQ(p.server_certificate, dir_ / "server.pem");
  EXPECT_EQ(p.server_key, dir_ / "server.key");

  Cert ca = read_cert(p.ca_certificate);
  Cert server = read_cert(p.server_certificate);
  Key ca_key = read_key(p.ca_key);
  Key server_key = read_key(p.server_key);
  ASSERT_TRUE(ca && server && ca_key && server_key);
  EXPECT_EQ(verify_chain(ca.get(), server.get()), 1);
  EXPECT_EQ(X509_check_private_key(ca.get(), ca_key.get()), 1);
  EXPECT_EQ(X509_check_private_key(server.get(), server_key.get()), 1);
  EXPECT_TRUE(is_p256(ca_key.get()));
  EXPECT_TRUE(is_p256(server_key.get()));

  // The CA: its name, CA:TRUE critical, may sign certificates and CRLs, ten years.
  char cn[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(ca.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "Warden development CA");
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  int critical = -1;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(ca.get(), NID_basic_constraints, &critical, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_TRUE(bc->ca);
  EXPECT_EQ(critical, 1);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_EQ(X509_get_key_usage(ca.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NEAR(validity_days(ca.get()), 3650, 1);

  // The server certificate: not a CA, server and client authentication, 825 days.
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_EQ(X509_get_extended_key_usage(server.get()), static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_NEAR(validity_days(server.get()), 825, 1);
}

TEST_F(DevPkiTest, SubjectAltNamesCoverEveryNameAndLoopback) {
  const DevPki p = make({"sip.example.test", "192.0.2.7", "[2001:db8::5]"});
  Cert server = read_cert(p.server_certificate);
  ASSERT_TRUE(server);
  for (const char* host : {"sip.example.test", "SIP.Example.Test", "localhost"}) {
    EXPECT_EQ(X509_check_host(server.get(), host, 0, 0, nullptr), 1) << host;
  }
  for (const char* ip : {"192.0.2.7", "2001:db8::5", "127.0.0.1", "::1"}) {
    EXPECT_EQ(X509_check_ip_asc(server.get(), ip, 0), 1) << ip;
  }
  EXPECT_EQ(X509_check_host(server.get(), "other.example.test", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_host(server.get(), "192.0.2.7", 0, 0, nullptr), 0);  // an IP is not a DNS entry
  EXPECT_EQ(X509_check_ip_asc(server.get(), "192.0.2.8", 0), 0);
}

TEST_F(DevPkiTest, KeysAreReadableByTheOwnerOnly) {
  const DevPki p = make({});
  EXPECT_EQ(mode_of(p.ca_key), 0600u);
  EXPECT_EQ(mode_of(p.server_key), 0600u);
  EXPECT_EQ(mode_of(p.ca_certificate), 0644u);
  // Opened up by someone: closed again on the next run.
  fs::permissions(p.server_key, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  fs::permissions(p.ca_key, fs::perms::others_read, fs::perm_options::add);
  make({});
  EXPECT_EQ(mode_of(p.ca_key), 0600u);
  EXPECT_EQ(mode_of(p.server_key), 0600u);
}

TEST_F(DevPkiTest, ReuseKeepsEverything) {
  const DevPki first = make({"sip.example.test"});
  const std::string ca = slurp(first.ca_certificate);
  const std::string ca_key = slurp(first.ca_key);
  const std::string server = slurp(first.server_certificate);
  const DevPki again = make({"sip.example.test"});
  EXPECT_FALSE(again.created_ca);
  EXPECT_FALSE(again.issued_server_certificate);
  EXPECT_EQ(slurp(again.ca_certificate), ca);
  EXPECT_EQ(slurp(again.ca_key), ca_key);
  EXPECT_EQ(slurp(again.server_certificate), server);
  // Loopback names are always in; asking for them changes nothing.
  const DevPki loopback = make({"localhost", "127.0.0.1", "SIP.example.test"});
  EXPECT_FALSE(loopback.issued_server_certificate);
}

TEST_F(DevPkiTest, ANewNameReissuesTheServerCertificateUnderTheSameCa) {
  const DevPki first = make({"a.example.test"});
  const std::string ca = slurp(first.ca_certificate);
  const std::string server = slurp(first.server_certificate);
  const DevPki second = make({"a.example.test", "b.example.test"});
  EXPECT_FALSE(second.created_ca);
  EXPECT_TRUE(second.issued_server_certificate);
  EXPECT_EQ(slurp(second.ca_certificate), ca);
  EXPECT_NE(slurp(second.server_certificate), server);

  Cert ca_cert = read_cert(second.ca_certificate);
  Cert leaf = read_cert(second.server_certificate);
  Key leaf_key = read_key(second.server_key);
  ASSERT_TRUE(ca_cert && leaf && leaf_key);
  EXPECT_EQ(verify_chain(ca_cert.get(), leaf.get()), 1);
  EXPECT_EQ(X509_check_private_key(leaf.get(), leaf_key.get()), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "a.example.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "b.example.test", 0, 0, nullptr), 1);

  // An IP address that is new is a new name too.
  EXPECT_TRUE(make({"a.example.test", "b.example.test", "198.51.100.1"}).issued_server_certificate);
}

TEST_F(DevPkiTest, ServerCertificateNearItsEndIsReissued) {
  const auto now = std::chrono::system_clock::now();
  const DevPki first = make({}, now);
  const std::string ca = slurp(first.ca_certificate);
  EXPECT_FALSE(make({}, now + 24h * 790).issued_server_certificate);  // 35 days left
  const DevPki late = make({}, now + 24h * 800);                      // 25 days left
  EXPECT_TRUE(late.issued_server_certificate);
  EXPECT_FALSE(late.created_ca);
  EXPECT_EQ(slurp(late.ca_certificate), ca);
}

TEST_F(DevPkiTest, DamagedOrForeignServerFilesAreReplaced) {
  const DevPki p = make({});
  {
    std::ofstream(p.server_certificate) << "not a certificate\n";
  }
  EXPECT_TRUE(make({}).issued_server_certificate);

  fs::remove(p.server_key);
  EXPECT_TRUE(make({}).issued_server_certificate);

  // A server certificate from another CA.
  const fs::path other = dir_.string() + "-other";
  std::string error;
  auto foreign = ensure_dev_pki(other, {}, error);
  ASSERT_TRUE(foreign.ok()) << error;
  fs::copy_file(foreign->server_certificate, p.server_certificate, fs::copy_options::overwrite_existing);
  fs::copy_file(foreign->server_key, p.server_key, fs::copy_options::overwrite_existing);
  fs::remove_all(other);
  const DevPki fixed = make({});
  EXPECT_TRUE(fixed.issued_server_certificate);
  Cert ca = read_cert(fixed.ca_certificate);
  Cert leaf = read_cert(fixed.server_certificate);
  ASSERT_TRUE(ca && leaf);
  EXPECT_EQ(verify_chain(ca.get(), leaf.get()), 1);
}

TEST_F(DevPkiTest, BadNamesAreRefused) {
  for (const char* bad : {"", "exa mple.test", "a..b", "-a.test", "[192.0.2.1]", "x,DNS:evil.test", "a/b"}) {
    std::string error;
    auto r = ensure_dev_pki(dir_, {bad}, error);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), base::Errc::InvalidArgument) << bad;
    EXPECT_THAT(error, HasSubstr("'" + std::string(bad) + "' is neither a DNS name nor an IP address literal"));
  }
  EXPECT_FALSE(fs::exists(dir_ / "ca.pem"));  // nothing was made
}

TEST_F(DevPkiTest, AHalfCaIsAnErrorNotReplaced) {
  const DevPki p = make({});
  fs::remove(p.ca_key);
  const std::string ca = slurp(p.ca_certificate);
  std::string error;
  auto r = ensure_dev_pki(dir_, {}, error);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), base::Errc::Io);
  EXPECT_THAT(error, HasSubstr("ca.pem but not"));
  EXPECT_EQ(slurp(p.ca_certificate), ca);
}

TEST_F(DevPkiTest, ACaKeyThatDoesNotMatchIsAnError) {
  const DevPki p = make({});
  const fs::path other = dir_.string() + "-other";
  std::string error;
  auto foreign = ensure_dev_pki(other, {}, error);
  ASSERT_TRUE(foreign.ok()) << error;
  fs::copy_file(foreign->ca_key, p.ca_key, fs::copy_options::overwrite_existing);
  fs::remove_all(other);
  auto r = ensure_dev_pki(dir_, {}, error);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), base::Errc::Crypto);
  EXPECT_THAT(error, HasSubstr("is not the key of"));
}

TEST_F(DevPkiTest, AFolderThatCannotBeMadeIsAnIoError) {
  std::ofstream(dir_) << "a file where the folder should be\n";
  std::string error;
  auto r = ensure_dev_pki(dir_ / "pki", {}, error);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), base::Errc::Io);
  EXPECT_THAT(error, HasSubstr("cannot create"));
  fs::remove(dir_);
}

}  // namespace
}  // namespace warden::crypto
