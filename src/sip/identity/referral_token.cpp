#include "sip/identity/referral_token.hpp"

#include "sip/identity/jws.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "crypto/base64url.hpp"
#include "sip/msg/charset.hpp"

namespace warden::sip::identity {

std::string_view describe(ReferralErrc e) noexcept {
  switch (e) {
    case ReferralErrc::Ok: return "ok";
    case ReferralErrc::TooLarge: return "referral too large";
    case ReferralErrc::MalformedReferredBy: return "malformed Referred-By or Refer-To";
    case ReferralErrc::MalformedToken: return "malformed referral token";
    case ReferralErrc::BadEncoding: return "bad base64url in referral token";
    case ReferralErrc::BadJson: return "referral token part is not a JSON object";
    case ReferralErrc::UnsupportedAlg: return "unsupported signature algorithm";
    case ReferralErrc::UnsupportedType: return "not a referral token";
    case ReferralErrc::MissingClaim: return "missing referral claim";
    case ReferralErrc::BadClaim: return "bad referral claim";
    case ReferralErrc::ReferrerMismatch: return "Referred-By is not the token's referrer";
    case ReferralErrc::CertificateUnavailable: return "certificate unavailable";
    case ReferralErrc::CertificateUntrusted: return "certificate not trusted";
    case ReferralErrc::NotAuthorized: return "certificate does not cover the referrer";
    case ReferralErrc::BadSignature: return "bad signature";
    case ReferralErrc::Stale: return "stale referral";
    case ReferralErrc::Future: return "referral issued in the future";
    case ReferralErrc::UnauthenticatedCaller: return "caller not authenticated";
    case ReferralErrc::RefereeMismatch: return "caller is not the referee";
    case ReferralErrc::TargetMismatch: return "request is not for the referred target";
    case ReferralErrc::NotSigned: return "no identity to sign for";
  }
  return "unknown referral error";
}

const std::error_category& referral_category() noexcept {
  return base::ErrorCategory<ReferralErrc>::instance("sip.referral");
}

namespace {

using Json = nlohmann::json;  // object members in a std::map: dump() sorts them (RFC 8225 §9)
namespace cs = msg::cs;

constexpr std::string_view kTyp = "referral";

std::int64_t seconds_of(base::WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string dump(const Json& j) { return canonical_json(j); }

const char* kind_name(Party::Kind k) { return k == Party::Kind::Tn ? "tn" : "uri"; }

// ---- Referred-By / Refer-To: (name-addr / addr-spec) *(SEMI generic-param) (RFC 3892 §3,
// RFC 3515 §2.1). Written here because the message parser keeps its name-addr reader private.

struct AddressValue {
  std::string_view uri_text;
  std::optional<std::string_view> rtoken;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  void lws() {
    while (i_ < s_.size()) {
      if (cs::is_wsp(s_[i_])) {
        ++i_;
      } else if (s_[i_] == '\r' && i_ + 2 < s_.size() && s_[i_ + 1] == '\n' && cs::is_wsp(s_[i_ + 2])) {
        i_ += 3;
      } else {
        break;
      }
    }
  }
  std::string_view run(std::uint16_t cls, std::string_view extra = {}) {
    const std::size_t start = i_;
    while (i_ < s_.size() && (cs::is(s_[i_], cls) || extra.find(s_[i_]) != std::string_view::npos)) ++i_;
    return s_.substr(start, i_ - start);
  }
  // A quoted-string (RFC 3261 §25.1) at the cursor, quotes included; false when unterminated
  // or when it holds a CR or LF that is not folding white space.
  bool quoted(std::string_view& out) {
    const std::size_t start = i_;
    if (peek() != '"') return false;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') {
        if (i_ + 1 >= s_.size() || s_[i_ + 1] == '\r' || s_[i_ + 1] == '\n') return false;
        i_ += 2;
      } else if (s_[i_] == '\r' || s_[i_] == '\n') {
        const std::size_t before = i_;
        lws();
        if (i_ == before) return false;
      } else {
        ++i_;
      }
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    out = s_.substr(start, i_ - start);
    return true;
  }
  std::size_t pos() const { return i_; }
  void seek(std::size_t p) { i_ = p; }
  std::string_view rest_until(std::size_t end) const { return s_.substr(i_, end - i_); }
  std::size_t find(char c) const { return s_.find(c, i_); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

bool parse_address_value(std::string_view value, std::size_t max_params, AddressValue& out) {
  Scanner sc(value);
  sc.lws();
  const std::size_t start = sc.pos();
  bool bracketed = false;
  // display-name: a quoted string, or tokens separated by LWS, then "<".
  if (sc.peek() == '"') {
    std::string_view display;
    if (!sc.quoted(display)) return false;
    sc.lws();
    if (sc.peek() != '<') return false;
    bracketed = true;
  } else {
    for (;;) {
      if (sc.run(cs::kToken).empty()) break;
      sc.lws();
    }
    if (sc.peek() == '<') bracketed = true;
    else sc.seek(start);
  }
  if (bracketed) {
    sc.seek(sc.pos() + 1);
    const std::size_t gt = sc.find('>');
    if (gt == std::string_view::npos) return false;
    out.uri_text = sc.rest_until(gt);
    sc.seek(gt + 1);
  } else {
    const std::size_t s = sc.pos();
    while (!sc.at_end() && sc.peek() != ';' && !cs::is_wsp(sc.peek()) && sc.peek() != '\r') sc.seek(sc.pos() + 1);
    out.uri_text = value.substr(s, sc.pos() - s);
    // An addr-spec with '?' or ',' must be written in angle brackets (RFC 3261 §20.10).
    if (out.uri_text.find_first_of("?,") != std::string_view::npos) return false;
  }
  if (out.uri_text.empty()) return false;
  msg::Uri uri;
  if (!msg::parse_uri(out.uri_text, uri, max_params)) return false;
  // Header parameters.
  std::size_t count = 0;
  for (;;) {
    sc.lws();
    if (sc.at_end()) break;
    if (sc.peek() != ';') return false;
    sc.seek(sc.pos() + 1);
    sc.lws();
    const std::string_view name = sc.run(cs::kToken);
    if (name.empty() || ++count > max_params) return false;
    sc.lws();
    std::string_view val;
    bool has_value = false;
    if (sc.peek() == '=') {
      sc.seek(sc.pos() + 1);
      sc.lws();
      has_value = true;
      if (sc.peek() == '"') {
        if (!sc.quoted(val)) return false;
      } else {
        val = sc.run(cs::kToken, "[]:");  // token / host (an IPv6 reference)
        if (val.empty()) return false;
      }
    }
    if (cs::iequals(name, kReferralTokenParam)) {
      if (out.rtoken || !has_value || val.front() == '"') return false;
      out.rtoken = val;
    }
  }
  return true;
}

// Whether `value` has the parameter name anywhere (case-insensitive).
bool mentions_token(std::string_view value) {
  for (std::size_t i = 0; i + kReferralTokenParam.size() <= value.size(); ++i) {
    if (cs::iequals(value.substr(i, kReferralTokenParam.size()), kReferralTokenParam)) return true;
  }
  return false;
}

// ---- the JWS

std::size_t nesting_depth(std::string_view text) { return json_nesting_depth(text); }

base::Result<Json> json_object(std::string_view part, const ReferralLimits& limits) {
  if (part.size() > (limits.max_json_bytes * 4 + 2) / 3) return ReferralErrc::TooLarge;
  auto bytes = crypto::base64url_decode(part);
  if (!bytes) return ReferralErrc::BadEncoding;
  if (nesting_depth(*bytes) > limits.max_json_depth) return ReferralErrc::BadJson;
  Json j = Json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return ReferralErrc::BadJson;
  return j;
}

base::Result<std::string> string_member(const Json& obj, const char* name, std::size_t max) {
  const auto it = obj.find(name);
  if (it == obj.end()) return ReferralErrc::MissingClaim;
  if (!it->is_string()) return ReferralErrc::BadClaim;
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > max) return ReferralErrc::BadClaim;
  return s;
}

// {"uri":"..."} or {"tn":"..."} → a comparable Party.
base::Result<Party> party_member(const Json& claims, const char* name, const ReferralLimits& limits) {
  const auto it = claims.find(name);
  if (it == claims.end()) return ReferralErrc::MissingClaim;
  if (!it->is_object() || it->size() != 1) return ReferralErrc::BadClaim;
  const bool tn = it->contains("tn");
  if (!tn && !it->contains("uri")) return ReferralErrc::BadClaim;
  auto text = string_member(*it, tn ? "tn" : "uri", limits.max_claim_string_bytes);
  if (!text) return ReferralErrc::BadClaim;
  if (tn) {
    auto digits = canonical_tn(*text);
    if (!digits) return ReferralErrc::BadClaim;
    return Party{Party::Kind::Tn, std::move(*digits), std::move(*text)};
  }
  auto p = uri_claim_party(*text);
  if (!p) return ReferralErrc::BadClaim;
  p->claim = std::move(*text);
  return std::move(*p);
}

Json party_json(const Party& p) { return Json::object({{kind_name(p.kind), p.claim}}); }

bool is_party(const Party& p) { return !p.claim.empty() && !p.value.empty(); }

base::Result<void> covers(const crypto::Certificate& cert, const Party& referrer, bool require_tn_auth_list,
                          std::string& why) {
  if (referrer.kind == Party::Kind::Uri) {
    msg::Uri uri;
    if (!msg::parse_uri(referrer.claim, uri, 16) || !cert.matches_dns_name(uri.host)) {
      why = "host not in the certificate";
      return ReferralErrc::NotAuthorized;
    }
    return {};
  }
  auto tn = cert.tn_auth_list();
  if (!tn) {
    why = "malformed TNAuthList";
    return ReferralErrc::NotAuthorized;
  }
  if (tn->has_value() ? !(*tn)->covers(referrer.value) : require_tn_auth_list) {
    why = "number not in the certificate";
    return ReferralErrc::NotAuthorized;
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------- JSON and decoding

std::string referral_header_json(const ReferralClaims& c) {
  Json h = Json::object();
  h["alg"] = "ES256";
  h["typ"] = kTyp;
  h["x5u"] = c.x5u;
  return dump(h);
}

std::string referral_claims_json(const ReferralClaims& c) {
  Json j = Json::object();
  j["iat"] = c.iat;
  if (!c.jti.empty()) j["jti"] = c.jti;
  j["referee"] = party_json(c.referee);
  j["referrer"] = party_json(c.referrer);
  j["target"] = party_json(c.target);
  return dump(j);
}

base::Result<DecodedReferral> decode_referral_token(std::string_view jws, const ReferralLimits& limits) {
  if (jws.size() > limits.max_token_bytes) return ReferralErrc::TooLarge;
  const auto parts = split_compact_jws(jws);
  if (!parts) return ReferralErrc::MalformedToken;
  const std::string_view header = parts->header, claims = parts->claims, signature = parts->signature;
  for (auto part : {header, claims, signature}) {
    if (!crypto::is_base64url_alphabet(part)) return ReferralErrc::MalformedToken;
  }

  DecodedReferral out;
  auto h = json_object(header, limits);
  if (!h) return h.error();
  {
    auto alg = string_member(*h, "alg", limits.max_claim_string_bytes);
    if (!alg || *alg != "ES256") return ReferralErrc::UnsupportedAlg;
    auto typ = string_member(*h, "typ", limits.max_claim_string_bytes);
    if (!typ || *typ != kTyp) return ReferralErrc::UnsupportedType;
    if (h->contains("crit")) return ReferralErrc::BadClaim;  // no extension is understood (RFC 7515 §4.1.11)
    auto x5u = string_member(*h, "x5u", limits.max_info_bytes);
    if (!x5u) return x5u.error();
    out.claims.x5u = std::move(*x5u);
  }
  auto c = json_object(claims, limits);
  if (!c) return c.error();
  {
    const auto iat = c->find("iat");
    if (iat == c->end()) return ReferralErrc::MissingClaim;
    if (iat->is_number_unsigned()) {
      const auto v = iat->get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(INT64_MAX)) return ReferralErrc::BadClaim;
      out.claims.iat = static_cast<std::int64_t>(v);
    } else if (iat->is_number_integer()) {
      out.claims.iat = iat->get<std::int64_t>();
    } else {
      return ReferralErrc::BadClaim;
    }
    for (auto [name, party] : {std::pair{"referrer", &out.claims.referrer}, std::pair{"referee", &out.claims.referee},
                               std::pair{"target", &out.claims.target}}) {
      auto p = party_member(*c, name, limits);
      if (!p) return p.error();
      *party = std::move(*p);
    }
    if (c->contains("jti")) {
      auto jti = string_member(*c, "jti", limits.max_claim_string_bytes);
      if (!jti) return ReferralErrc::BadClaim;
      out.claims.jti = std::move(*jti);
    }
  }
  auto sig = crypto::base64url_decode(signature);
  if (!sig || sig->size() != 64) return ReferralErrc::BadEncoding;
  out.signing_input.assign(parts->signing_input);
  out.signature = std::move(*sig);
  return out;
}

// ---------------------------------------------------------------- signing

base::Result<std::string> ReferralSigner::token_for(const Party& referrer, const Party& referee, const Party& target,
                                                    base::WallTime now) {
  if (!is_party(referrer) || !is_party(referee) || !is_party(target)) return ReferralErrc::NotSigned;
  ReferralClaims c;
  c.x5u = info_url_;
  c.iat = seconds_of(now);
  std::array<std::byte, 16> id{};
  rng_.fill(id);
  c.jti = crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
  c.referrer = referrer;
  c.referee = referee;
  c.target = target;
  return sign_compact_jws(referral_header_json(c), referral_claims_json(c), key_);
}

base::Result<std::string> ReferralSigner::token_for(const msg::Uri& referrer, const msg::Uri& referee,
                                                    const msg::Uri& target, base::WallTime now) {
  auto a = party_of(referrer);
  auto b = party_of(referee);
  auto t = party_of(target);
  if (!a || !b || !t) return ReferralErrc::NotSigned;
  return token_for(*a, *b, *t, now);
}

base::Result<std::string> ReferralSigner::referred_by_for(const msg::Message& refer,
                                                          const msg::Uri& authenticated_referrer,
                                                          base::WallTime now, const ReferralLimits& limits) {
  const msg::Header* refer_to = nullptr;
  for (const auto& h : refer.headers) {
    if (h.id != msg::HeaderId::ReferTo) continue;
    if (refer_to != nullptr) return ReferralErrc::MalformedReferredBy;  // RFC 3515 §2.4.1: exactly one
    refer_to = &h;
  }
  if (refer_to == nullptr) return ReferralErrc::MalformedReferredBy;
  AddressValue target_value;
  if (refer_to->value.size() > limits.max_referred_by_bytes ||
      !parse_address_value(refer_to->value, limits.max_params, target_value)) {
    return ReferralErrc::MalformedReferredBy;
  }
  msg::Uri target;
  if (!msg::parse_uri(target_value.uri_text, target, limits.max_params)) return ReferralErrc::MalformedReferredBy;
  auto referrer = party_of(authenticated_referrer);
  if (!referrer) return ReferralErrc::NotSigned;
  auto token = token_for(authenticated_referrer, refer.to.uri, target, now);
  if (!token) return token.error();
  // The header names the referrer as the token does; a number keeps the URI it was written as.
  std::string value = "<";
  if (referrer->kind == Party::Kind::Uri) value += referrer->claim;
  else value.append(authenticated_referrer.raw);
  value += ">;";
  value.append(kReferralTokenParam);
  value += '=';
  value += *token;
  if (value.size() > limits.max_referred_by_bytes) return ReferralErrc::TooLarge;
  return value;
}

// ---------------------------------------------------------------- verifying

std::variant<ReferralVerdict, PendingReferral> read_referral(const msg::Message& invite, const ReferralLimits& limits) {
  AddressValue chosen;
  std::size_t headers = 0, tokens = 0;
  for (const auto& h : invite.headers) {
    if (h.id != msg::HeaderId::ReferredBy) continue;
    if (++headers > 4) return ReferralVerdict::failed(ReferralErrc::TooLarge, "Referred-By headers");
    if (h.value.size() > limits.max_referred_by_bytes) return ReferralVerdict::failed(ReferralErrc::TooLarge);
    AddressValue v;
    if (!parse_address_value(h.value, limits.max_params, v)) {
      // Unreadable: refused when it may hold a token, otherwise no token was offered.
      if (mentions_token(h.value)) return ReferralVerdict::failed(ReferralErrc::MalformedReferredBy);
      continue;
    }
    if (v.rtoken) {
      ++tokens;
      chosen = v;
    }
  }
  if (tokens == 0) return ReferralVerdict::no_token();
  if (headers > 1) return ReferralVerdict::failed(ReferralErrc::MalformedReferredBy, "more than one Referred-By");

  auto decoded = decode_referral_token(*chosen.rtoken, limits);
  if (!decoded) return ReferralVerdict::failed(static_cast<ReferralErrc>(decoded.error().value()));
  msg::Uri header_uri;
  if (!msg::parse_uri(chosen.uri_text, header_uri, limits.max_params)) {
    return ReferralVerdict::failed(ReferralErrc::MalformedReferredBy);
  }
  const auto named = party_of(header_uri);
  if (!named || !(*named == decoded->claims.referrer)) return ReferralVerdict::failed(ReferralErrc::ReferrerMismatch);
  PendingReferral out;
  out.info_url = decoded->claims.x5u;
  out.token = std::move(*decoded);
  return out;
}

ReferralVerifier::ReferralVerifier(crypto::TrustStore anchors, ReferralConfig config)
    : anchors_(std::move(anchors)), config_(std::move(config)) {}

ReferralVerdict ReferralVerifier::verify(const PendingReferral& pending, std::span<const crypto::Certificate> chain,
                                         const std::optional<Party>& authenticated_caller,
                                         const std::optional<Party>& target, base::WallTime now) const {
  const ReferralClaims& c = pending.token.claims;
  if (chain.empty()) return ReferralVerdict::failed(ReferralErrc::CertificateUnavailable);
  std::string why;
  if (!crypto::verify_certificate_chain(anchors_, chain, now, why)) {
    return ReferralVerdict::failed(ReferralErrc::CertificateUntrusted, why);
  }
  auto key = chain.front().ec_public_key();
  if (!key) return ReferralVerdict::failed(ReferralErrc::CertificateUntrusted, "not a P-256 key");
  if (!crypto::es256_verify(*key, pending.token.signing_input, pending.token.signature)) {
    return ReferralVerdict::failed(ReferralErrc::BadSignature);
  }
  const std::int64_t now_s = seconds_of(now);
  // Only trusted values are subtracted (iat is the peer's).
  if (c.iat < now_s - config_.max_age.count()) {
    return ReferralVerdict::failed(ReferralErrc::Stale, "iat " + std::to_string(c.iat) + ", now " + std::to_string(now_s));
  }
  if (c.iat > now_s + config_.max_skew.count()) {
    return ReferralVerdict::failed(ReferralErrc::Future, "iat " + std::to_string(c.iat) + ", now " + std::to_string(now_s));
  }
  if (auto r = covers(chain.front(), c.referrer, config_.require_tn_auth_list, why); !r) {
    return ReferralVerdict::failed(ReferralErrc::NotAuthorized, why);
  }
  if (!authenticated_caller) return ReferralVerdict::failed(ReferralErrc::UnauthenticatedCaller);
  if (!(*authenticated_caller == c.referee)) {
    return ReferralVerdict::failed(ReferralErrc::RefereeMismatch, authenticated_caller->claim + " is not " + c.referee.claim);
  }
  if (!target || !(*target == c.target)) return ReferralVerdict::failed(ReferralErrc::TargetMismatch);
  ReferralVerdict v;
  v.status = ReferralStatus::Verified;
  v.referrer = c.referrer.claim;
  v.jti = c.jti;
  return v;
}

ReferralVerdict ReferralVerifier::verify(const PendingReferral& pending, std::span<const crypto::Certificate> chain,
                                         const msg::Uri* authenticated_caller, const msg::Uri& target,
                                         base::WallTime now) const {
  std::optional<Party> caller;
  if (authenticated_caller != nullptr) caller = party_of(*authenticated_caller);
  return verify(pending, chain, caller, party_of(target), now);
}

void ReferralVerifier::verify_request(const msg::Message& invite, const msg::Uri* authenticated_caller,
                                      CertificateSource& source, const base::Clock& clock,
                                      std::function<void(ReferralVerdict)> done) const {
  auto read = read_referral(invite, config_.limits);
  if (auto* verdict = std::get_if<ReferralVerdict>(&read)) {
    done(std::move(*verdict));
    return;
  }
  struct State {
    PendingReferral pending;
    std::optional<Party> caller;
    std::optional<Party> target;
  };
  auto st = std::make_shared<State>();
  st->pending = std::move(std::get<PendingReferral>(read));
  if (authenticated_caller != nullptr) st->caller = party_of(*authenticated_caller);
  st->target = party_of(invite.request_uri);
  const std::string url = st->pending.info_url;
  source.fetch(url, [this, st, &clock, done = std::move(done)](base::Result<std::vector<crypto::Certificate>> chain) {
    if (!chain) {
      done(ReferralVerdict::failed(ReferralErrc::CertificateUnavailable, chain.error().message()));
      return;
    }
    done(verify(st->pending, *chain, st->caller, st->target, clock.wall_now()));
  });
}

}  // namespace warden::sip::identity
