#pragma once
// X.509 certificates for signed identities (RFC 8224 §7, RFC 8226): loading a PEM chain,
// verifying it against configured trust anchors at a given moment (RFC 5280 path validation,
// done by OpenSSL), and reading what a certificate vouches for: its subjectAltName entries and
// its TNAuthList extension (RFC 8226 §9, OID 1.3.6.1.5.5.7.1.26).
//
// Certificate and TrustStore are shared, immutable handles; copying one copies the handle.
// Thread-safety: reading and verifying from several threads at once is safe; TrustStore::add_pem
// must not run while the store is used.
// Errors (base::Errc): InvalidArgument for PEM text that holds no certificate, more
// certificates than allowed, or a key that is not P-256; LimitExceeded for PEM text over the
// size limit; Crypto when OpenSSL fails otherwise. verify_certificate_chain() returns Crypto with
// OpenSSL's reason ("certificate has expired", "unable to get local issuer certificate", ...)
// in `error`.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/es256.hpp"

struct x509_st;        // OpenSSL's X509
struct x509_store_st;  // OpenSSL's X509_STORE

namespace warden::crypto {

// One subjectAltName entry (RFC 5280 §4.2.1.6). Dns values are lower-cased; Ip values are the
// text form ("192.0.2.1", "2001:db8::1").
struct SubjectAltName {
  enum class Kind : std::uint8_t { Dns, Uri, Ip, Email };
  Kind kind = Kind::Dns;
  std::string value;
  friend bool operator==(const SubjectAltName&, const SubjectAltName&) = default;
};

// The TNAuthList extension (RFC 8226 §9): service provider codes, telephone number ranges and
// single numbers the certificate's holder may sign for. Numbers are kept as written (digits).
struct TnAuthList {
  struct Range {
    std::string start;
    std::uint64_t count = 0;
  };
  std::vector<std::string> spcs;
  std::vector<Range> ranges;
  std::vector<std::string> numbers;

  // True when `digits` (a canonical number: digits only) is one of the numbers or in a range
  // (same length as the range's start, numerically within start .. start+count-1).
  bool covers(std::string_view digits) const noexcept;
};

struct PemLimits {
  std::size_t max_pem_bytes = 64 * 1024;
  std::size_t max_certificates = 8;
};

class Certificate {
 public:
  static base::Result<Certificate> from_pem(std::string_view pem, const PemLimits& limits = {});
  // Every certificate in `pem`, in order (a chain: the end entity first). Empty text, or text
  // with no certificate, is InvalidArgument.
  static base::Result<std::vector<Certificate>> chain_from_pem(std::string_view pem, const PemLimits& limits = {});

  std::string to_pem() const;
  // The certificate's public key when it is a P-256 key (the only kind ES256 uses).
  base::Result<EcPublicKey> ec_public_key() const;
  std::vector<SubjectAltName> subject_alt_names() const;
  // nullopt when the extension is absent; InvalidArgument when it is present but malformed.
  base::Result<std::optional<TnAuthList>> tn_auth_list() const;
  // True when a DNS subjectAltName matches `host` (case-insensitive; a "*." entry matches one
  // leftmost label, RFC 6125 §6.4.3).
  bool matches_dns_name(std::string_view host) const;

  x509_st* native() const noexcept { return cert_.get(); }

 private:
  explicit Certificate(std::shared_ptr<x509_st> cert) : cert_(std::move(cert)) {}
  std::shared_ptr<x509_st> cert_;
};

// The certificates a verifier trusts as roots of chains.
class TrustStore {
 public:
  TrustStore();
  // Adds every certificate in `pem` as a trust anchor; returns how many were added.
  base::Result<std::size_t> add_pem(std::string_view pem, const PemLimits& limits = {});
  void add(const Certificate& anchor);
  std::size_t size() const noexcept { return count_; }
  x509_store_st* native() const noexcept { return store_.get(); }

 private:
  std::shared_ptr<x509_store_st> store_;
  std::size_t count_ = 0;
};

// Verifies that chain[0] (the end entity) chains, through the other certificates of `chain` as
// untrusted intermediates, to an anchor of `anchors`, with every certificate valid at `at`.
base::Result<void> verify_certificate_chain(const TrustStore& anchors, std::span<const Certificate> chain,
                                            base::WallTime at, std::string& error);

}  // namespace warden::crypto
