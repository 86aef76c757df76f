#include "sip/auth/digest.hpp"

#include "sip/msg/charset.hpp"

namespace warden::sip::auth {

namespace {
crypto::HashAlgorithm hash_of(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5: return crypto::HashAlgorithm::Md5;
    case Algorithm::Sha256: return crypto::HashAlgorithm::Sha256;
    case Algorithm::Sha512_256: return crypto::HashAlgorithm::Sha512_256;
  }
  return crypto::HashAlgorithm::Sha256;
}
}  // namespace

std::optional<Algorithm> algorithm_from_name(std::string_view n) noexcept {
  if (n.empty() || msg::cs::iequals(n, "MD5")) return Algorithm::Md5;
  if (msg::cs::iequals(n, "SHA-256")) return Algorithm::Sha256;
  if (msg::cs::iequals(n, "SHA-512-256")) return Algorithm::Sha512_256;
  return std::nullopt;
}

std::string_view name(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5: return "MD5";
    case Algorithm::Sha256: return "SHA-256";
    case Algorithm::Sha512_256: return "SHA-512-256";
  }
  return "MD5";
}

std::string compute_ha1(Algorithm a, std::string_view username, std::string_view realm, std::string_view password) {
  return crypto::Hasher(hash_of(a)).update(username).update(":").update(realm).update(":").update(password).hex_final();
}

std::string compute_response(Algorithm a, std::string_view ha1, const DigestInput& in) {
  crypto::Hasher ha2(hash_of(a));
  ha2.update(in.method).update(":").update(in.uri);
  if (in.qop == "auth-int") ha2.update(":").update(crypto::hex_digest(hash_of(a), in.body));
  const std::string ha2_hex = ha2.hex_final();
  crypto::Hasher r(hash_of(a));
  r.update(ha1).update(":").update(in.nonce).update(":");
  if (!in.qop.empty()) r.update(in.nc).update(":").update(in.cnonce).update(":").update(in.qop).update(":");
  r.update(ha2_hex);
  return r.hex_final();
}

}  // namespace warden::sip::auth
