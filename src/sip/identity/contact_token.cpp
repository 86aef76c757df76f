#include "sip/identity/contact_token.hpp"

#include <array>

#include "crypto/aead.hpp"
#include "crypto/base64url.hpp"
#include "crypto/hash.hpp"

namespace warden::sip::identity {

namespace {

constexpr char kVersion = 0x01;
constexpr std::string_view kAad = "warden contact token v1";

std::string as_string(const std::array<std::uint8_t, 32>& a) {
  return std::string(reinterpret_cast<const char*>(a.data()), a.size());
}

struct Keys {
  std::string enc;    // AES-256 key
  std::string nonce;  // HMAC key of the synthetic nonce
};

Keys derive(std::string_view secret) {
  return Keys{as_string(crypto::hmac_sha256(secret, "warden contact token v1: encryption")),
              as_string(crypto::hmac_sha256(secret, "warden contact token v1: nonce"))};
}

std::string nonce_for(const Keys& k, std::string_view uri) {
  return as_string(crypto::hmac_sha256(k.nonce, uri)).substr(0, crypto::kAes256GcmNonceBytes);
}

}  // namespace

std::optional<std::string> make_contact_token(std::string_view key, std::string_view original_contact) {
  if (key.empty() || original_contact.empty() || original_contact.size() > kMaxContactUriBytes) return std::nullopt;
  const Keys k = derive(key);
  const std::string nonce = nonce_for(k, original_contact);
  std::string raw(1, kVersion);
  raw += nonce;
  raw += crypto::aes256gcm_seal(k.enc, nonce, kAad, original_contact);
  return crypto::base64url_encode(raw);
}

std::optional<std::string> read_contact_token(std::string_view key, std::string_view token) {
  if (key.empty() || token.empty() || token.size() > kMaxContactTokenBytes) return std::nullopt;
  auto raw = crypto::base64url_decode(token);
  constexpr std::size_t kHead = 1 + crypto::kAes256GcmNonceBytes;
  if (!raw || raw->size() < kHead + crypto::kAes256GcmTagBytes + 1 || (*raw)[0] != kVersion) return std::nullopt;
  const Keys k = derive(key);
  const std::string_view nonce = std::string_view(*raw).substr(1, crypto::kAes256GcmNonceBytes);
  auto uri = crypto::aes256gcm_open(k.enc, nonce, kAad, std::string_view(*raw).substr(kHead));
  if (!uri || uri->size() > kMaxContactUriBytes) return std::nullopt;
  // The nonce must be the one this URI gives: one URI, one token.
  if (!crypto::constant_time_equal(nonce, nonce_for(k, *uri))) return std::nullopt;
  return uri;
}

std::string anonymous_contact_uri(std::string_view token, std::string_view host_port, std::string_view params) {
  std::string out = "sip:";
  out += token;
  out += '@';
  out += host_port;
  out += params;
  return out;
}

}  // namespace warden::sip::identity
