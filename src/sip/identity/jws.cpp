#include "sip/identity/jws.hpp"

#include <algorithm>

#include "crypto/base64url.hpp"

namespace warden::sip::identity {

std::string canonical_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::size_t json_nesting_depth(std::string_view text) noexcept {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::optional<CompactJws> split_compact_jws(std::string_view jws) noexcept {
  const auto dot1 = jws.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : jws.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jws.find('.', dot2 + 1) != std::string_view::npos) return std::nullopt;
  CompactJws out;
  out.header = jws.substr(0, dot1);
  out.claims = jws.substr(dot1 + 1, dot2 - dot1 - 1);
  out.signature = jws.substr(dot2 + 1);
  out.signing_input = jws.substr(0, dot2);
  if (out.header.empty() || out.claims.empty() || out.signature.empty()) return std::nullopt;
  return out;
}

base::Result<std::string> sign_compact_jws(std::string_view header_json, std::string_view claims_json,
                                           const crypto::EcPrivateKey& key) {
  std::string jws = crypto::base64url_encode(header_json) + "." + crypto::base64url_encode(claims_json);
  auto sig = crypto::es256_sign(key, jws);
  if (!sig) return sig.error();
  jws += '.';
  jws += crypto::base64url_encode(*sig);
  return jws;
}

}  // namespace warden::sip::identity
