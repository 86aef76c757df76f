#include "sip/identity/passport.hpp"

#include "sip/identity/jws.hpp"

#include <nlohmann/json.hpp>

#include "crypto/base64url.hpp"

namespace warden::sip::identity {

namespace {

using Json = nlohmann::json;  // std::map members: dump() writes them in lexicographic order

std::string dump(const Json& j) { return canonical_json(j); }

const char* kind_name(Party::Kind k) { return k == Party::Kind::Tn ? "tn" : "uri"; }

std::size_t nesting_depth(std::string_view text) { return json_nesting_depth(text); }

base::Result<Json> decode_object(std::string_view part, const IdentityLimits& limits) {
  if (part.size() > (limits.max_json_bytes * 4 + 2) / 3) return IdentityErrc::TooLarge;
  auto bytes = crypto::base64url_decode(part);
  if (!bytes) return IdentityErrc::BadEncoding;
  if (nesting_depth(*bytes) > limits.max_json_depth) return IdentityErrc::BadJson;
  Json j = Json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return IdentityErrc::BadJson;
  return j;
}

// A string member: absent, wrong type and too long are told apart.
base::Result<std::string> string_member(const Json& obj, const char* name, const IdentityLimits& limits) {
  const auto it = obj.find(name);
  if (it == obj.end()) return IdentityErrc::MissingClaim;
  if (!it->is_string()) return IdentityErrc::BadClaim;
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > limits.max_claim_string_bytes) return IdentityErrc::BadClaim;
  return s;
}

// A tn or uri claim value as a comparable Party.
base::Result<Party> claim_party(bool tn, const std::string& text) {
  if (tn) {
    auto digits = canonical_tn(text);
    if (!digits) return IdentityErrc::BadClaim;
    return Party{Party::Kind::Tn, std::move(*digits), text};
  }
  auto p = uri_claim_party(text);
  if (!p) return IdentityErrc::BadClaim;
  p->claim = text;
  return std::move(*p);
}

base::Result<void> decode_header(const Json& h, Passport& out, const IdentityLimits& limits) {
  auto alg = string_member(h, "alg", limits);
  if (!alg) return alg.error() == IdentityErrc::MissingClaim ? IdentityErrc::UnsupportedAlg : alg.error();
  if (*alg != "ES256") return IdentityErrc::UnsupportedAlg;
  auto typ = string_member(h, "typ", limits);
  if (!typ || *typ != "passport") return IdentityErrc::UnsupportedType;
  if (h.contains("ppt")) return IdentityErrc::UnsupportedPpt;
  IdentityLimits url_limits = limits;  // the URL has its own limit, the same as info's
  url_limits.max_claim_string_bytes = limits.max_info_bytes;
  auto x5u = string_member(h, "x5u", url_limits);
  if (!x5u) return x5u.error();
  out.x5u = std::move(*x5u);
  return {};
}

base::Result<void> decode_claims(const Json& c, Passport& out, const IdentityLimits& limits) {
  // iat
  const auto iat = c.find("iat");
  if (iat == c.end()) return IdentityErrc::MissingClaim;
  if (iat->is_number_unsigned()) {
    const auto v = iat->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return IdentityErrc::BadClaim;
    out.iat = static_cast<std::int64_t>(v);
  } else if (iat->is_number_integer()) {
    out.iat = iat->get<std::int64_t>();
  } else {
    return IdentityErrc::BadClaim;
  }
  // orig: exactly one of tn and uri
  const auto orig = c.find("orig");
  if (orig == c.end()) return IdentityErrc::MissingClaim;
  if (!orig->is_object() || orig->size() != 1) return IdentityErrc::BadClaim;
  const bool orig_tn = orig->contains("tn");
  if (!orig_tn && !orig->contains("uri")) return IdentityErrc::BadClaim;
  auto orig_text = string_member(*orig, orig_tn ? "tn" : "uri", limits);
  if (!orig_text) return IdentityErrc::BadClaim;
  auto orig_party = claim_party(orig_tn, *orig_text);
  if (!orig_party) return orig_party.error();
  out.orig = std::move(*orig_party);
  // dest: tn and/or uri arrays, nothing else
  const auto dest = c.find("dest");
  if (dest == c.end()) return IdentityErrc::MissingClaim;
  if (!dest->is_object() || dest->empty()) return IdentityErrc::BadClaim;
  out.dest.clear();
  for (const auto& [name, list] : dest->items()) {
    const bool tn = name == "tn";
    if ((!tn && name != "uri") || !list.is_array()) return IdentityErrc::BadClaim;
    for (const auto& entry : list) {
      if (out.dest.size() == limits.max_dest) return IdentityErrc::TooLarge;
      if (!entry.is_string()) return IdentityErrc::BadClaim;
      const auto& text = entry.get_ref<const std::string&>();
      if (text.size() > limits.max_claim_string_bytes) return IdentityErrc::BadClaim;
      auto party = claim_party(tn, text);
      if (!party) return party.error();
      out.dest.push_back(std::move(*party));
    }
  }
  if (out.dest.empty()) return IdentityErrc::BadClaim;
  // origid: optional
  if (c.contains("origid")) {
    auto origid = string_member(c, "origid", limits);
    if (!origid) return IdentityErrc::BadClaim;
    out.origid = std::move(*origid);
  }
  return {};
}

}  // namespace

std::string passport_header_json(const Passport& p) {
  Json h = Json::object();
  h["alg"] = "ES256";
  h["typ"] = "passport";
  h["x5u"] = p.x5u;
  return dump(h);
}

std::string passport_claims_json(const Passport& p) {
  Json c = Json::object();
  Json dest = Json::object();
  for (const auto& d : p.dest) dest[kind_name(d.kind)].push_back(d.claim);
  c["dest"] = std::move(dest);
  c["iat"] = p.iat;
  c["orig"] = Json::object({{kind_name(p.orig.kind), p.orig.claim}});
  if (!p.origid.empty()) c["origid"] = p.origid;
  return dump(c);
}

base::Result<std::string> sign_passport(const Passport& p, const crypto::EcPrivateKey& key) {
  return sign_compact_jws(passport_header_json(p), passport_claims_json(p), key);
}

base::Result<DecodedPassport> decode_passport(std::string_view jws, const IdentityLimits& limits) {
  if (jws.size() > limits.max_header_bytes) return IdentityErrc::TooLarge;
  // The compact form of RFC 8224 §4.1.1 (empty claims) needs the claims rebuilt from the
  // request; only the full form (three non-empty parts) is accepted.
  const auto parts = split_compact_jws(jws);
  if (!parts) return IdentityErrc::MalformedHeader;
  const std::string_view header = parts->header, claims = parts->claims, signature = parts->signature;

  DecodedPassport out;
  auto h = decode_object(header, limits);
  if (!h) return h.error();
  if (auto r = decode_header(*h, out.passport, limits); !r) return r.error();
  auto c = decode_object(claims, limits);
  if (!c) return c.error();
  if (auto r = decode_claims(*c, out.passport, limits); !r) return r.error();
  auto sig = crypto::base64url_decode(signature);
  if (!sig || sig->size() != 64) return IdentityErrc::BadEncoding;
  out.signing_input.assign(parts->signing_input);
  out.signature = std::move(*sig);
  return out;
}

}  // namespace warden::sip::identity
