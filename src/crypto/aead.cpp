#include "crypto/aead.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace warden::crypto {

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "warden: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Ctx start(bool encrypt, std::string_view key, std::string_view nonce) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) fail("EVP_CIPHER_CTX_new");
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1)
    fail("EVP_CipherInit_ex");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1)
    fail("EVP_CTRL_GCM_SET_IVLEN");
  if (EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, u8(key), u8(nonce), -1) != 1) fail("EVP_CipherInit_ex (key)");
  return ctx;
}

bool sizes_ok(std::string_view key, std::string_view nonce, std::size_t a, std::size_t b) {
  return key.size() == kAes256GcmKeyBytes && nonce.size() == kAes256GcmNonceBytes && a < INT_MAX / 2 &&
         b < INT_MAX / 2;
}

void add_aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
  int n = 0;
  if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &n, u8(aad), static_cast<int>(aad.size())) != 1)
    fail("EVP_CipherUpdate (aad)");
}

}  // namespace

std::string aes256gcm_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                           std::string_view plaintext) {
  if (!sizes_ok(key, nonce, aad.size(), plaintext.size())) return {};
  Ctx ctx = start(true, key, nonce);
  add_aad(ctx.get(), aad);
  std::string out(plaintext.size() + kAes256GcmTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  if (!plaintext.empty() && EVP_CipherUpdate(ctx.get(), o, &n, u8(plaintext), static_cast<int>(plaintext.size())) != 1)
    fail("EVP_CipherUpdate");
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), o + n, &tail) != 1) fail("EVP_CipherFinal_ex");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAes256GcmTagBytes),
                          o + plaintext.size()) != 1)
    fail("EVP_CTRL_GCM_GET_TAG");
  return out;
}

std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view nonce, std::string_view aad,
                                          std::string_view sealed) {
  if (!sizes_ok(key, nonce, aad.size(), sealed.size()) || sealed.size() < kAes256GcmTagBytes) return std::nullopt;
  const std::string_view body = sealed.substr(0, sealed.size() - kAes256GcmTagBytes);
  std::string tag(sealed.substr(body.size()));
  Ctx ctx = start(false, key, nonce);
  add_aad(ctx.get(), aad);
  std::string out(body.size(), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  if (!body.empty() && EVP_CipherUpdate(ctx.get(), o, &n, u8(body), static_cast<int>(body.size())) != 1)
    fail("EVP_CipherUpdate");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAes256GcmTagBytes), tag.data()) != 1)
    fail("EVP_CTRL_GCM_SET_TAG");
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), o + n, &tail) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;  // the tag did not match
  }
  return out;
}

}  // namespace warden::crypto
