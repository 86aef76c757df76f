#include "crypto/dev_pki.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/error.hpp"

namespace warden::crypto {

namespace {

namespace fs = std::filesystem;

constexpr long kCaDays = 3650;
constexpr long kServerDays = 825;
constexpr long kRenewDays = 30;  // re-issue the server certificate this close to its end
constexpr long kBackdateSeconds = 3600;  // notBefore an hour back: peers' clocks drift
constexpr const char* kCaName = "Warden development CA";
constexpr const char* kAlwaysNames[] = {"localhost", "127.0.0.1", "::1"};

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;
using Bio = std::unique_ptr<BIO, Free>;
using Bignum = std::unique_ptr<BIGNUM, Free>;
using Extension = std::unique_ptr<X509_EXTENSION, Free>;
using GeneralNames = std::unique_ptr<GENERAL_NAMES, Free>;

// One subjectAltName entry: a DNS name (lower case) or an IP address (network-order bytes).
struct SanName {
  bool ip = false;
  std::string dns;
  std::vector<unsigned char> address;
  friend bool operator==(const SanName&, const SanName&) = default;
};

// The reason OpenSSL gave for its last failure; empties its error queue.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

// Carries the failure out of the helpers: the code for the Result, the text for the caller.
struct Failure {
  base::Errc code = base::Errc::Ok;
  std::string message;
  explicit operator bool() const { return code != base::Errc::Ok; }
};
Failure fail(base::Errc code, std::string message) { return {code, std::move(message)}; }
Failure crypto_fail(const std::string& what) { return fail(base::Errc::Crypto, what + ": " + openssl_reason()); }

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.starts_with("*.")) name.remove_prefix(2);  // a wildcard, leftmost label only
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

Failure parse_name(const std::string& text, SanName& out) {
  std::string_view name = text;
  const bool bracketed = name.size() >= 2 && name.front() == '[' && name.back() == ']';
  if (bracketed) name = name.substr(1, name.size() - 2);
  const std::string bare(name);
  unsigned char bytes[16];
  if (!bracketed && inet_pton(AF_INET, bare.c_str(), bytes) == 1) {
    out = SanName{true, {}, {bytes, bytes + 4}};
    return {};
  }
  if (inet_pton(AF_INET6, bare.c_str(), bytes) == 1) {
    out = SanName{true, {}, {bytes, bytes + 16}};
    return {};
  }
  if (bracketed || !valid_dns_name(name)) {
    return fail(base::Errc::InvalidArgument, "'" + text + "' is neither a DNS name nor an IP address literal");
  }
  std::string lower = bare;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  out = SanName{false, std::move(lower), {}};
  return {};
}

// Every requested name plus the loopback names, without repeats, in the order given.
Failure wanted_names(const std::vector<std::string>& names, std::vector<SanName>& out) {
  out.clear();
  std::vector<std::string> all(names);
  all.insert(all.end(), std::begin(kAlwaysNames), std::end(kAlwaysNames));
  for (const auto& text : all) {
    SanName n;
    if (auto f = parse_name(text, n)) return f;
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
  }
  return {};
}

// The subjectAltName entries of a certificate.
std::vector<SanName> san_of(X509* cert) {
  std::vector<SanName> out;
  GeneralNames gens(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!gens) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens.get(), i);
    if (g->type == GEN_DNS) {
      const auto* s = g->d.dNSName;
      std::string dns(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
      std::transform(dns.begin(), dns.end(), dns.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      });
      out.push_back(SanName{false, std::move(dns), {}});
    } else if (g->type == GEN_IPADD) {
      const auto* s = g->d.iPAddress;
      const unsigned char* p = ASN1_STRING_get0_data(s);
      out.push_back(SanName{true, {}, {p, p + ASN1_STRING_length(s)}});
    }
  }
  return out;
}

// ---- files ----

Failure read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(base::Errc::Io, "cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return {};
}

// Writes `data` beside `path`, then renames it over `path`: a reader sees the old file or the
// new one, never half of one. The mode is set explicitly, whatever the umask.
Failure write_file(const fs::path& path, const std::string& data, mode_t mode) {
  const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return fail(base::Errc::Io, "cannot create " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = ok ? errno : saved;
    ::unlink(tmp.c_str());
    return fail(base::Errc::Io, "cannot write " + path.string() + ": " + std::strerror(err));
  }
  return {};
}

// A key file that was made readable by others is closed again.
Failure tighten(const fs::path& key_file) {
  struct stat st{};
  if (::stat(key_file.c_str(), &st) != 0) return fail(base::Errc::Io, "cannot stat " + key_file.string());
  if ((st.st_mode & 0777) != 0600 && ::chmod(key_file.c_str(), 0600) != 0) {
    return fail(base::Errc::Io, "cannot chmod 0600 " + key_file.string() + ": " + std::strerror(errno));
  }
  return {};
}

std::string pem_of_cert(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of_key(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Failure load_cert(const fs::path& path, Cert& out) {
  std::string pem;
  if (auto f = read_file(path, pem)) return f;
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  out.reset(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!out) return crypto_fail(path.string() + " holds no PEM certificate");
  return {};
}

Failure load_key(const fs::path& path, Key& out) {
  std::string pem;
  if (auto f = read_file(path, pem)) return f;
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  out.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!out) return crypto_fail(path.string() + " holds no PEM private key");
  return {};
}

// ---- certificates ----

Key new_p256_key() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

// A positive 127-bit random serial number (RFC 5280 §4.1.2.2: at most 20 octets).
bool set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  Bignum bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

// An extension written in OpenSSL's configuration syntax (fixed strings only, never input).
bool add_conf_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// subjectAltName built entry by entry, so no name is ever parsed as configuration syntax.
bool add_san(X509* cert, const std::vector<SanName>& names) {
  GeneralNames gens(sk_GENERAL_NAME_new_null());
  if (!gens) return false;
  for (const auto& n : names) {
    GENERAL_NAME* g = GENERAL_NAME_new();
    if (g == nullptr) return false;
    ASN1_STRING* value = n.ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    const bool set = value != nullptr &&
                     (n.ip ? ASN1_OCTET_STRING_set(value, n.address.data(), static_cast<int>(n.address.size()))
                           : ASN1_STRING_set(value, n.dns.data(), static_cast<int>(n.dns.size()))) == 1;
    if (!set) {
      ASN1_STRING_free(value);
      GENERAL_NAME_free(g);
      return false;
    }
    GENERAL_NAME_set0_value(g, n.ip ? GEN_IPADD : GEN_DNS, value);
    if (sk_GENERAL_NAME_push(gens.get(), g) == 0) {
      GENERAL_NAME_free(g);
      return false;
    }
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

// A version 3 certificate for `key`, named `cn`, valid from an hour before `now` for `days`.
Cert new_cert_body(EVP_PKEY* key, const std::string& cn, std::time_t now, long days) {
  Cert cert(X509_new());
  if (!cert) return nullptr;
  X509* x = cert.get();
  X509_NAME* subject = X509_get_subject_name(x);
  const bool ok = X509_set_version(x, X509_VERSION_3) == 1 && set_random_serial(x) &&
                  X509_time_adj_ex(X509_getm_notBefore(x), 0, -kBackdateSeconds, &now) != nullptr &&
                  X509_time_adj_ex(X509_getm_notAfter(x), static_cast<int>(days), 0, &now) != nullptr &&
                  X509_set_pubkey(x, key) == 1 &&
                  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) == 1;
  return ok ? std::move(cert) : nullptr;
}

Failure make_ca(std::time_t now, Key& key, Cert& cert) {
  key = new_p256_key();
  if (!key) return crypto_fail("cannot generate the CA key");
  cert = new_cert_body(key.get(), kCaName, now, kCaDays);
  X509* x = cert.get();
  const bool ok = x != nullptr && X509_set_issuer_name(x, X509_get_subject_name(x)) == 1 &&
                  add_conf_extension(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
                  add_conf_extension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
                  add_conf_extension(x, x, NID_subject_key_identifier, "hash") &&
                  X509_sign(x, key.get(), EVP_sha256()) > 0;
  if (!ok) return crypto_fail("cannot make the development CA certificate");
  return {};
}

Failure make_server(std::time_t now, const std::vector<SanName>& names, X509* ca, EVP_PKEY* ca_key, Key& key,
                    Cert& cert) {
  key = new_p256_key();
  if (!key) return crypto_fail("cannot generate the server key");
  std::string cn = "localhost";
  for (const auto& n : names) {
    if (!n.ip) {
      cn = n.dns;
      break;
    }
  }
  cert = new_cert_body(key.get(), cn, now, kServerDays);
  X509* x = cert.get();
  bool ok = x != nullptr && X509_set_issuer_name(x, X509_get_subject_name(ca)) == 1;
  // Never outlive the CA: a chain is only as valid as its shortest link.
  if (ok && ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(ca)) > 0) {
    ok = X509_set1_notAfter(x, X509_get0_notAfter(ca)) == 1;
  }
  ok = ok && add_conf_extension(x, ca, NID_basic_constraints, "critical,CA:FALSE") &&
       add_conf_extension(x, ca, NID_key_usage, "critical,digitalSignature") &&
       add_conf_extension(x, ca, NID_ext_key_usage, "serverAuth,clientAuth") &&
       add_conf_extension(x, ca, NID_subject_key_identifier, "hash") &&
       add_conf_extension(x, ca, NID_authority_key_identifier, "keyid:always") && add_san(x, names) &&
       X509_sign(x, ca_key, EVP_sha256()) > 0;
  if (!ok) return crypto_fail("cannot issue the server certificate");
  return {};
}

// True when the certificate ends before `when`.
bool ends_before(X509* cert, std::time_t when) { return X509_cmp_time(X509_get0_notAfter(cert), &when) < 0; }

// Why the existing server certificate cannot be kept; empty when it can.
std::string reason_to_reissue(const fs::path& cert_file, const fs::path& key_file, X509* ca, EVP_PKEY* ca_key,
                              const std::vector<SanName>& wanted, std::time_t now) {
  if (!fs::exists(cert_file) || !fs::exists(key_file)) return "missing";
  Cert cert;
  Key key;
  if (load_cert(cert_file, cert) || load_key(key_file, key)) {
    ERR_clear_error();
    return "unreadable";
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return "key does not match";
  }
  if (X509_check_issued(ca, cert.get()) != X509_V_OK || X509_verify(cert.get(), ca_key) != 1) {
    ERR_clear_error();
    return "not issued by this CA";
  }
  if (ends_before(cert.get(), now + kRenewDays * 24 * 3600)) return "expires within 30 days";
  const auto have = san_of(cert.get());
  for (const auto& n : wanted) {
    if (std::find(have.begin(), have.end(), n) == have.end()) return "a name is missing";
  }
  return {};
}

Failure ensure(const fs::path& dir, const std::vector<std::string>& names, std::time_t now, DevPki& out) {
  std::vector<SanName> wanted;
  if (auto f = wanted_names(names, wanted)) return f;

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(base::Errc::Io, "cannot create " + dir.string() + ": " + ec.message());
  out.ca_certificate = dir / "ca.pem";
  out.ca_key = dir / "ca.key";
  out.server_certificate = dir / "server.pem";
  out.server_key = dir / "server.key";

  Key ca_key;
  Cert ca;
  const bool have_ca_cert = fs::exists(out.ca_certificate);
  const bool have_ca_key = fs::exists(out.ca_key);
  if (have_ca_cert != have_ca_key) {
    const fs::path& present = have_ca_cert ? out.ca_certificate : out.ca_key;
    const fs::path& absent = have_ca_cert ? out.ca_key : out.ca_certificate;
    return fail(base::Errc::Io, "found " + present.string() + " but not " + absent.string() +
                                    "; remove it to create a new development CA");
  }
  if (have_ca_cert) {
    if (auto f = load_cert(out.ca_certificate, ca)) return f;
    if (auto f = load_key(out.ca_key, ca_key)) return f;
    if (X509_check_ca(ca.get()) == 0) {
      return fail(base::Errc::Crypto, out.ca_certificate.string() + " is not a CA certificate");
    }
    if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
      ERR_clear_error();
      return fail(base::Errc::Crypto, out.ca_key.string() + " is not the key of " + out.ca_certificate.string());
    }
    if (ends_before(ca.get(), now)) {
      return fail(base::Errc::Crypto, "the development CA " + out.ca_certificate.string() +
                                          " has expired; remove ca.pem and ca.key to create a new one");
    }
    if (auto f = tighten(out.ca_key)) return f;
  } else {
    if (auto f = make_ca(now, ca_key, ca)) return f;
    const std::string key_pem = pem_of_key(ca_key.get());
    const std::string cert_pem = pem_of_cert(ca.get());
    if (key_pem.empty() || cert_pem.empty()) return crypto_fail("cannot encode the development CA");
    // The key first: a crash in between leaves a key without a certificate, reported above.
    if (auto f = write_file(out.ca_key, key_pem, 0600)) return f;
    if (auto f = write_file(out.ca_certificate, cert_pem, 0644)) return f;
    out.created_ca = true;
  }

  if (reason_to_reissue(out.server_certificate, out.server_key, ca.get(), ca_key.get(), wanted, now).empty()) {
    return tighten(out.server_key);
  }
  Key key;
  Cert cert;
  if (auto f = make_server(now, wanted, ca.get(), ca_key.get(), key, cert)) return f;
  const std::string key_pem = pem_of_key(key.get());
  const std::string cert_pem = pem_of_cert(cert.get());
  if (key_pem.empty() || cert_pem.empty()) return crypto_fail("cannot encode the server certificate");
  // The key first: a crash in between leaves a mismatching pair, which the next run re-issues.
  if (auto f = write_file(out.server_key, key_pem, 0600)) return f;
  if (auto f = write_file(out.server_certificate, cert_pem, 0644)) return f;
  out.issued_server_certificate = true;
  return {};
}

}  // namespace

base::Result<DevPki> ensure_dev_pki(const fs::path& dir, const std::vector<std::string>& names, std::string& error,
                                    std::chrono::system_clock::time_point now) {
  error.clear();
  DevPki out;
  if (auto f = ensure(dir, names, std::chrono::system_clock::to_time_t(now), out)) {
    error = "development PKI in " + dir.string() + ": " + f.message;
    return f.code;
  }
  return out;
}

base::Result<DevPki> ensure_dev_pki(const fs::path& dir, const std::vector<std::string>& names, std::string& error) {
  return ensure_dev_pki(dir, names, error, std::chrono::system_clock::now());
}

base::Result<DevPki> ensure_dev_pki(const fs::path& dir, const std::vector<std::string>& names) {
  std::string ignored;
  return ensure_dev_pki(dir, names, ignored);
}

}  // namespace warden::crypto
