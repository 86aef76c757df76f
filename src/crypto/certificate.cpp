#include "crypto/certificate.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>

#include "base/error.hpp"

namespace warden::crypto {

namespace {

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

constexpr const char* kTnAuthListOid = "1.3.6.1.5.5.7.1.26";

std::shared_ptr<x509_st> share(X509* cert) { return {cert, [](X509* p) { X509_free(p); }}; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return s;
}

std::string text_of(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// ---- a small DER reader for TNAuthList (RFC 8226 §9 module; X.690 DER) ----

struct Tlv {
  unsigned char tag = 0;
  std::string_view content;
};

// Reads one definite-length TLV from the front of `in`; false on anything malformed.
bool read_tlv(std::string_view& in, Tlv& out) {
  if (in.size() < 2) return false;
  const auto tag = static_cast<unsigned char>(in[0]);
  if ((tag & 0x1f) == 0x1f) return false;  // multi-byte tags never occur here
  auto first = static_cast<unsigned char>(in[1]);
  std::size_t pos = 2;
  std::size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else {
    const std::size_t n = first & 0x7f;
    if (n == 0 || n > 3 || in.size() < pos + n) return false;  // indefinite or absurd lengths
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(in[pos + i]);
    pos += n;
  }
  if (in.size() - pos < len) return false;
  out.tag = tag;
  out.content = in.substr(pos, len);
  in.remove_prefix(pos + len);
  return true;
}

bool read_ia5(std::string_view& in, std::string& out, std::size_t max) {
  Tlv t;
  if (!read_tlv(in, t) || t.tag != 0x16 || t.content.empty() || t.content.size() > max) return false;
  out.assign(t.content);
  return true;
}

bool read_count(std::string_view& in, std::uint64_t& out) {
  Tlv t;
  if (!read_tlv(in, t) || t.tag != 0x02 || t.content.empty() || t.content.size() > 8) return false;
  if (static_cast<unsigned char>(t.content[0]) & 0x80) return false;  // negative
  out = 0;
  for (char c : t.content) out = (out << 8) | static_cast<unsigned char>(c);
  return out >= 1;
}

// TNEntry ::= CHOICE { spc [0] ServiceProviderCode, range [1] TelephoneNumberRange,
// one [2] TelephoneNumber }. The module uses explicit tags; implicit encodings are read too.
bool parse_tn_auth_list(std::string_view der, TnAuthList& out) {
  constexpr std::size_t kMaxEntries = 256;
  constexpr std::size_t kMaxText = 64;
  Tlv seq;
  if (!read_tlv(der, seq) || seq.tag != 0x30 || !der.empty()) return false;
  std::string_view entries = seq.content;
  std::size_t count = 0;
  while (!entries.empty()) {
    if (++count > kMaxEntries) return false;
    Tlv e;
    if (!read_tlv(entries, e)) return false;
    std::string_view body = e.content;
    std::string text;
    switch (e.tag) {
      case 0xa0:  // [0] EXPLICIT IA5String
      case 0xa2:
        if (!read_ia5(body, text, kMaxText) || !body.empty()) return false;
        (e.tag == 0xa0 ? out.spcs : out.numbers).push_back(std::move(text));
        break;
      case 0x80:  // [0] IMPLICIT IA5String
      case 0x82:
        if (e.content.empty() || e.content.size() > kMaxText) return false;
        (e.tag == 0x80 ? out.spcs : out.numbers).emplace_back(e.content);
        break;
      case 0xa1: {  // [1] range: EXPLICIT SEQUENCE { start, count } or IMPLICIT { start, count }
        TnAuthList::Range r;
        Tlv inner;
        std::string_view probe = body;
        if (read_tlv(probe, inner) && inner.tag == 0x30) {
          if (!probe.empty()) return false;
          body = inner.content;
        }
        if (!read_ia5(body, r.start, kMaxText) || !read_count(body, r.count) || !body.empty()) return false;
        out.ranges.push_back(std::move(r));
        break;
      }
      default:
        return false;
    }
  }
  return count > 0;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `digits` - `start` when both are digit strings of the same length and digits >= start.
bool offset_of(std::string_view digits, std::string_view start, std::uint64_t& offset) {
  if (digits.size() != start.size() || !all_digits(digits) || !all_digits(start) || digits < start) return false;
  // Subtract digit by digit; stop when the difference no longer fits (it is then out of range).
  offset = 0;
  int borrow = 0;
  std::string diff(digits.size(), '0');
  for (std::size_t i = digits.size(); i-- > 0;) {
    int d = (digits[i] - '0') - (start[i] - '0') - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 10;
    diff[i] = static_cast<char>('0' + d);
  }
  for (char c : diff) {
    if (offset > (UINT64_MAX - 9) / 10) return false;
    offset = offset * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

bool TnAuthList::covers(std::string_view digits) const noexcept {
  if (!all_digits(digits)) return false;
  for (const auto& n : numbers)
    if (n == digits) return true;
  for (const auto& r : ranges) {
    std::uint64_t offset = 0;
    if (offset_of(digits, r.start, offset) && offset < r.count) return true;
  }
  return false;
}

base::Result<std::vector<Certificate>> Certificate::chain_from_pem(std::string_view pem, const PemLimits& limits) {
  if (pem.size() > limits.max_pem_bytes) return base::Errc::LimitExceeded;
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return base::Errc::Crypto;
  std::vector<Certificate> out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.push_back(Certificate(share(x)));
    if (out.size() > limits.max_certificates) {
      ERR_clear_error();
      return base::Errc::InvalidArgument;
    }
  }
  ERR_clear_error();  // the end of the text reads as "no start line"
  if (out.empty()) return base::Errc::InvalidArgument;
  return out;
}

base::Result<Certificate> Certificate::from_pem(std::string_view pem, const PemLimits& limits) {
  auto chain = chain_from_pem(pem, limits);
  if (!chain) return chain.error();
  return std::move(chain->front());
}

std::string Certificate::to_pem() const {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

base::Result<EcPublicKey> Certificate::ec_public_key() const {
  EVP_PKEY* key = X509_get_pubkey(cert_.get());  // a new reference
  if (key == nullptr) {
    ERR_clear_error();
    return base::Errc::InvalidArgument;
  }
  std::shared_ptr<evp_pkey_st> shared(key, [](EVP_PKEY* p) { EVP_PKEY_free(p); });
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_is_a(key, "EC") != 1 || EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 ||
      std::string_view(group) != "prime256v1") {
    ERR_clear_error();
    return base::Errc::InvalidArgument;
  }
  return EcPublicKey(std::move(shared));
}

std::vector<SubjectAltName> Certificate::subject_alt_names() const {
  std::vector<SubjectAltName> out;
  Owned<GENERAL_NAMES> gens(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert_.get(), NID_subject_alt_name, nullptr, nullptr)));
  ERR_clear_error();
  if (!gens) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens.get(), i);
    switch (g->type) {
      case GEN_DNS:
        out.push_back({SubjectAltName::Kind::Dns, lower(text_of(g->d.dNSName))});
        break;
      case GEN_URI:
        out.push_back({SubjectAltName::Kind::Uri, text_of(g->d.uniformResourceIdentifier)});
        break;
      case GEN_EMAIL:
        out.push_back({SubjectAltName::Kind::Email, text_of(g->d.rfc822Name)});
        break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* s = g->d.iPAddress;
        char buf[INET6_ADDRSTRLEN] = {};
        const int len = ASN1_STRING_length(s);
        const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
        if (family != 0 && inet_ntop(family, ASN1_STRING_get0_data(s), buf, sizeof buf) != nullptr) {
          out.push_back({SubjectAltName::Kind::Ip, buf});
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

base::Result<std::optional<TnAuthList>> Certificate::tn_auth_list() const {
  Owned<ASN1_OBJECT> oid(OBJ_txt2obj(kTnAuthListOid, 1));
  if (!oid) {
    ERR_clear_error();
    return base::Errc::Crypto;
  }
  const int index = X509_get_ext_by_OBJ(cert_.get(), oid.get(), -1);
  if (index < 0) return std::optional<TnAuthList>{};
  const X509_EXTENSION* ext = X509_get_ext(cert_.get(), index);
  const ASN1_OCTET_STRING* data = ext ? X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(ext)) : nullptr;
  if (data == nullptr) return base::Errc::InvalidArgument;
  TnAuthList list;
  if (!parse_tn_auth_list(text_of(data), list)) return base::Errc::InvalidArgument;
  return std::optional<TnAuthList>(std::move(list));
}

bool Certificate::matches_dns_name(std::string_view host) const {
  if (host.empty()) return false;
  const std::string want = lower(std::string(host));
  for (const auto& san : subject_alt_names()) {
    if (san.kind != SubjectAltName::Kind::Dns) continue;
    if (san.value == want) return true;
    if (san.value.starts_with("*.")) {
      const auto dot = want.find('.');
      if (dot != std::string::npos && dot > 0 && std::string_view(want).substr(dot + 1) == san.value.substr(2)) {
        return true;
      }
    }
  }
  return false;
}

TrustStore::TrustStore() : store_(X509_STORE_new(), [](X509_STORE* p) { X509_STORE_free(p); }) {}

void TrustStore::add(const Certificate& anchor) {
  if (X509_STORE_add_cert(store_.get(), anchor.native()) == 1) ++count_;
  ERR_clear_error();  // adding the same anchor twice is not an error worth reporting
}

base::Result<std::size_t> TrustStore::add_pem(std::string_view pem, const PemLimits& limits) {
  auto certs = Certificate::chain_from_pem(pem, limits);
  if (!certs) return certs.error();
  for (const auto& c : *certs) add(c);
  return certs->size();
}

base::Result<void> verify_certificate_chain(const TrustStore& anchors, std::span<const Certificate> chain,
                                            base::WallTime at, std::string& error) {
  error.clear();
  if (chain.empty()) {
    error = "no certificate";
    return base::Errc::InvalidArgument;
  }
  Owned<STACK_OF(X509)> untrusted(sk_X509_new_null());
  Owned<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return base::Errc::Crypto;
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].native()) == 0) return base::Errc::Crypto;
  }
  if (X509_STORE_CTX_init(ctx.get(), anchors.native(), chain[0].native(), untrusted.get()) != 1) {
    ERR_clear_error();
    return base::Errc::Crypto;
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(seconds));
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_X509_STRICT);
  const int ok = X509_verify_cert(ctx.get());
  if (ok != 1) {
    error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    ERR_clear_error();
    return base::Errc::Crypto;
  }
  return {};
}

}  // namespace warden::crypto
