#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace warden::io::test {
namespace {

struct KeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct CertFree { void operator()(X509* c) const { X509_free(c); } };
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key new_key() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// issuer == nullptr: self-signed CA.
Cert new_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, long serial, const char* san) {
  Cert cert(X509_new());
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : x;
  X509_set_issuer_name(x, X509_get_subject_name(signer));
  bool ok = add_ext(x, signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    ok = ok && add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(x, signer, NID_authority_key_identifier, "keyid") &&
         add_ext(x, signer, NID_key_usage, "critical,digitalSignature") &&
         add_ext(x, signer, NID_ext_key_usage, "serverAuth,clientAuth") &&
         (san == nullptr || add_ext(x, signer, NID_subject_alt_name, san));
  }
  if (!ok || X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) return nullptr;
  return cert;
}

bool write_cert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = PEM_write_X509(f, cert) == 1;
  std::fclose(f);
  return ok;
}

bool write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  return ok;
}

}  // namespace

TestPki make_test_pki() {
  TestPki pki;
  std::string tmpl = (std::filesystem::temp_directory_path() / "warden-io-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return pki;
  const std::string dir = tmpl;

  Key ca_key = new_key(), server_key = new_key(), client_key = new_key(), other_key = new_key();
  if (!ca_key || !server_key || !client_key || !other_key) return pki;
  Cert ca = new_cert(ca_key.get(), "Warden Test CA", nullptr, nullptr, 1, nullptr);
  Cert other = new_cert(other_key.get(), "Someone Else's CA", nullptr, nullptr, 2, nullptr);
  if (!ca || !other) return pki;
  Cert server = new_cert(server_key.get(), "warden.test", ca.get(), ca_key.get(), 3, "DNS:warden.test,IP:127.0.0.1");
  Cert client = new_cert(client_key.get(), "alice.warden.test", ca.get(), ca_key.get(), 4, "DNS:alice.warden.test");
  if (!server || !client) return pki;

  TestPki out;
  out.dir = dir;
  out.ca_cert = dir + "/ca.pem";
  out.server_cert = dir + "/server.pem";
  out.server_key = dir + "/server.key";
  out.client_cert = dir + "/client.pem";
  out.client_key = dir + "/client.key";
  out.other_ca_cert = dir + "/other-ca.pem";
  if (!write_cert(out.ca_cert, ca.get()) || !write_cert(out.other_ca_cert, other.get()) ||
      !write_cert(out.server_cert, server.get()) || !write_key(out.server_key, server_key.get()) ||
      !write_cert(out.client_cert, client.get()) || !write_key(out.client_key, client_key.get())) {
    return pki;
  }

  Key peer_key = new_key(), stranger_key = new_key(), cn_only_key = new_key();
  if (!peer_key || !stranger_key || !cn_only_key) return pki;
  Cert peer = new_cert(peer_key.get(), "b.test", ca.get(), ca_key.get(), 5,
                       "DNS:b.test,DNS:Edge.B.Test,URI:sip:sip.b.test,DNS:*.b.test,IP:127.0.0.2");
  Cert stranger = new_cert(stranger_key.get(), "b.test", other.get(), other_key.get(), 6, "DNS:b.test");
  Cert cn_only = new_cert(cn_only_key.get(), "cn-only.test", ca.get(), ca_key.get(), 7, nullptr);
  if (!peer || !stranger || !cn_only) return pki;
  out.peer_cert = dir + "/peer.pem";
  out.peer_key = dir + "/peer.key";
  out.stranger_cert = dir + "/stranger.pem";
  out.stranger_key = dir + "/stranger.key";
  out.cn_only_cert = dir + "/cn-only.pem";
  out.cn_only_key = dir + "/cn-only.key";
  if (!write_cert(out.peer_cert, peer.get()) || !write_key(out.peer_key, peer_key.get()) ||
      !write_cert(out.stranger_cert, stranger.get()) || !write_key(out.stranger_key, stranger_key.get()) ||
      !write_cert(out.cn_only_cert, cn_only.get()) || !write_key(out.cn_only_key, cn_only_key.get())) {
    return pki;
  }
  return out;
}

void remove_test_pki(const TestPki& pki) {
  if (pki.dir.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(pki.dir, ignored);
}

}  // namespace warden::io::test
