#include "crypto/hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace warden::crypto {

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "warden: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

// Digests are fetched from the provider once (OpenSSL 3 otherwise looks them up by name on
// every EVP_DigestInit_ex, which costs more than hashing a short string).
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) fail("EVP_MD_fetch");
  return md;  // kept for the life of the process
}

const EVP_MD* md_of(HashAlgorithm alg) {
  static const EVP_MD* const md5 = fetched("MD5");
  static const EVP_MD* const sha256 = fetched("SHA256");
  static const EVP_MD* const sha512_256 = fetched("SHA512-256");
  switch (alg) {
    case HashAlgorithm::Md5: return md5;
    case HashAlgorithm::Sha256: return sha256;
    case HashAlgorithm::Sha512_256: return sha512_256;
  }
  fail("digest selection");
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}

}  // namespace

namespace {

// One digest context per thread, re-initialised for each short hash instead of allocated, set
// up and freed every time (OpenSSL 3 keeps the provider's state behind the context).
EVP_MD_CTX* thread_context() {
  struct Owned {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Owned() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Owned owned;
  if (owned.ctx == nullptr) fail("EVP_MD_CTX_new");
  return owned.ctx;
}

}  // namespace

Hasher::~Hasher() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
  OPENSSL_cleanse(buffer_.data(), used_);  // HA1 and passwords pass through here
}

void Hasher::spill() {
  auto* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, md_of(alg_), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    fail("EVP_DigestInit_ex");
  }
  ctx_ = ctx;
  if (used_ > 0 && EVP_DigestUpdate(ctx, buffer_.data(), used_) != 1) fail("EVP_DigestUpdate");
  OPENSSL_cleanse(buffer_.data(), used_);
  used_ = 0;
}

Hasher& Hasher::update(std::string_view data) {
  if (ctx_ == nullptr && data.size() <= buffer_.size() - used_) {
    std::copy(data.begin(), data.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(used_));
    used_ += data.size();
    return *this;
  }
  if (ctx_ == nullptr) spill();
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1) fail("EVP_DigestUpdate");
  return *this;
}

std::string Hasher::hex_final() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (ctx_ != nullptr) {
    if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len) != 1) fail("EVP_DigestFinal_ex");
  } else {
    EVP_MD_CTX* ctx = thread_context();
    if (EVP_DigestInit_ex2(ctx, md_of(alg_), nullptr) != 1 || EVP_DigestUpdate(ctx, buffer_.data(), used_) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &len) != 1)
      fail("digest");
  }
  return to_hex(md, len);
}

std::string hex_digest(HashAlgorithm alg, std::string_view data) { return Hasher(alg).update(data).hex_final(); }

namespace {

// HMAC-SHA-256 contexts, one per thread, each remembering the key it was last keyed with.
// HMAC() (EVP_Q_mac) fetches the MAC and the digest by name and builds a context on every
// call, which costs several times the hashing of a nonce; here the fetch happens once per
// thread, and a call under the same key as the last one only rewinds the keyed context
// (EVP_MAC_init without a key keeps the key's inner and outer pads).
class HmacSha256 {
 public:
  HmacSha256() {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) fail("EVP_MAC_fetch");
    ctx_ = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    if (ctx_ == nullptr) fail("EVP_MAC_CTX_new");
  }
  ~HmacSha256() {
    EVP_MAC_CTX_free(ctx_);
    OPENSSL_cleanse(key_.data(), key_.size());
  }
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  std::array<std::uint8_t, 32> mac(std::string_view key, std::string_view data) {
    int ok;
    if (keyed_ && key.size() == key_.size() && CRYPTO_memcmp(key.data(), key_.data(), key.size()) == 0) {
      ok = EVP_MAC_init(ctx_, nullptr, 0, nullptr);
    } else {
      char digest[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
      OPENSSL_cleanse(key_.data(), key_.size());
      key_.assign(key);
      keyed_ = false;
      // An empty key is valid HMAC; OpenSSL wants a non-null pointer for it.
      static const unsigned char kNoKey = 0;
      const auto* k = key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
      ok = EVP_MAC_init(ctx_, k, key.size(), params);
      keyed_ = ok == 1;
    }
    std::array<std::uint8_t, 32> out{};
    std::size_t len = 0;
    if (ok != 1 || EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(ctx_, out.data(), &len, out.size()) != 1 || len != out.size())
      fail("HMAC");
    return out;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string key_;
  bool keyed_ = false;
};

}  // namespace

std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view data) {
  thread_local HmacSha256 hmac;
  return hmac.mac(key, data);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace warden::crypto
