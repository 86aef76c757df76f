#pragma once
// ES256: ECDSA on P-256 with SHA-256 as JOSE uses it (RFC 7518 §3.4): the signature is the
// 64-byte concatenation of r and s, each a 32-byte big-endian integer, not the DER
// ECDSA-Sig-Value that OpenSSL produces (this file converts both ways).
//
// EcPrivateKey / EcPublicKey are shared, immutable handles on an OpenSSL key; copying one copies
// the handle. Only P-256 keys are accepted anywhere here.
// Thread-safety: a key may be used from several threads at once (OpenSSL keys are read-only
// once built); the functions keep no state.
// Errors (base::Errc): InvalidArgument for text that holds no key, a key that is not P-256, or
// coordinates that are not a point on the curve; Crypto when OpenSSL fails otherwise.
// es256_verify() reports every failure, malformed input included, as `false`.

#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept opaque so its headers stay inside crypto/

namespace warden::crypto {

class EcPublicKey {
 public:
  // From the JWK "x" and "y" coordinates (RFC 7518 §6.2.1.2-3): 32 raw bytes each.
  static base::Result<EcPublicKey> from_coordinates(std::string_view x, std::string_view y);
  // From a PEM "PUBLIC KEY" (SubjectPublicKeyInfo).
  static base::Result<EcPublicKey> from_pem(std::string_view pem);

  evp_pkey_st* native() const noexcept { return key_.get(); }

 private:
  friend class EcPrivateKey;
  friend class Certificate;
  explicit EcPublicKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

class EcPrivateKey {
 public:
  // A new random P-256 key.
  static base::Result<EcPrivateKey> generate();
  // From a PEM private key ("PRIVATE KEY" or "EC PRIVATE KEY", unencrypted).
  static base::Result<EcPrivateKey> from_pem(std::string_view pem);

  // PKCS#8 PEM of the key (unencrypted).
  std::string to_pem() const;
  EcPublicKey public_key() const { return EcPublicKey(key_); }
  evp_pkey_st* native() const noexcept { return key_.get(); }

 private:
  explicit EcPrivateKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// The 64-byte r||s signature of `data`. Each call draws a fresh nonce (OpenSSL's generator).
base::Result<std::string> es256_sign(const EcPrivateKey& key, std::string_view data);
// True only when `signature` is 64 bytes and is a valid r||s signature of `data` under `key`.
bool es256_verify(const EcPublicKey& key, std::string_view data, std::string_view signature) noexcept;

}  // namespace warden::crypto
