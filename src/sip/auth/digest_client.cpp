#include "sip/auth/digest_client.hpp"

#include "base/error.hpp"
#include "sip/msg/charset.hpp"
#include "sip/msg/parser.hpp"

namespace warden::sip::auth {

namespace cs = msg::cs;

std::string_view describe(DigestErrc e) noexcept {
  switch (e) {
    case DigestErrc::Ok: return "ok";
    case DigestErrc::NoChallenge: return "no digest challenge";
    case DigestErrc::ForeignRealm: return "challenge for another realm";
    case DigestErrc::Unsupported: return "no challenge with a supported algorithm and qop";
    case DigestErrc::NoKey: return "no password or HA1 for the challenged algorithm";
    case DigestErrc::BadInput: return "value not usable in an Authorization header";
  }
  return "unknown digest error";
}

const std::error_category& digest_category() noexcept {
  return base::ErrorCategory<DigestErrc>::instance("sip.auth.digest");
}

namespace {

bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool has_control(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Resolves quoted-pairs ("\x" -> "x") in a value parse_challenge gave without its quotes.
// Returns false when the result would exceed `max` octets or holds a control character.
bool take_value(std::string_view in, std::size_t max, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\' && i + 1 < in.size()) c = in[++i];
    out.push_back(c);
    if (out.size() > max) return false;
  }
  return !has_control(out);
}

// qop-options: a comma list of tokens inside the quotes; unknown tokens are skipped.
void read_qop(std::string_view list, DigestChallenge& c) noexcept {
  std::size_t i = 0;
  while (i < list.size()) {
    std::size_t end = list.find(',', i);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(i, end - i);
    while (!item.empty() && is_lws(item.front())) item.remove_prefix(1);
    while (!item.empty() && is_lws(item.back())) item.remove_suffix(1);
    if (cs::iequals(item, "auth")) c.qop_auth = true;
    else if (cs::iequals(item, "auth-int")) c.qop_auth_int = true;
    i = end + 1;
  }
}

// One challenge's text (scheme and its parameters) into `out`; false when it is not a Digest
// challenge we can answer or breaks a limit.
bool read_challenge(std::string_view text, bool proxy, const ChallengeLimits& lim, DigestChallenge& out) {
  msg::Challenge ch;
  if (!msg::parse_challenge(text, ch) || !cs::iequals(ch.scheme, "Digest")) return false;
  const auto alg = algorithm_from_name(ch.algorithm);
  // realm and nonce are required (RFC 7616 §3.3); an absent parameter is a null view.
  if (!alg || ch.nonce.empty() || ch.realm.data() == nullptr) return false;
  out = DigestChallenge{};
  out.proxy = proxy;
  out.algorithm = *alg;
  out.stale = ch.stale;
  if (!take_value(ch.realm, lim.max_realm_bytes, out.realm) || !take_value(ch.nonce, lim.max_nonce_bytes, out.nonce))
    return false;
  // parse_challenge leaves a view into the text; a present but empty opaque is still echoed.
  out.has_opaque = ch.opaque.data() != nullptr;
  if (out.has_opaque && !take_value(ch.opaque, lim.max_opaque_bytes, out.opaque)) return false;
  if (!ch.qop.empty()) {
    read_qop(ch.qop, out);
    if (!out.has_qop()) return false;  // only qop values we do not know: cannot answer
  }
  return true;
}

// Where one element of a comma list starts a new challenge (RFC 7235 §4.1): it begins with a
// token that is not followed by '=' (a scheme alone, or a scheme then its first parameter or
// token68).
bool starts_challenge(std::string_view element) noexcept {
  std::size_t i = 0;
  while (i < element.size() && cs::is(element[i], cs::kToken)) ++i;
  if (i == 0) return false;
  if (i == element.size()) return true;
  if (!is_lws(element[i])) return false;  // "name=..." or garbage: part of the current one
  while (i < element.size() && is_lws(element[i])) ++i;
  return i == element.size() || element[i] != '=';
}

}  // namespace

void parse_challenge_value(std::string_view value, bool proxy, ParsedChallenges& out, const ChallengeLimits& lim) {
  if (value.size() > lim.max_value_bytes) {
    ++out.ignored;
    return;
  }
  // Walk the comma list outside quoted strings, gathering elements into challenges.
  std::size_t challenge_start = std::string_view::npos;
  std::size_t challenge_end = 0;
  auto finish = [&]() {
    if (challenge_start == std::string_view::npos) return;
    const std::string_view text = value.substr(challenge_start, challenge_end - challenge_start);
    challenge_start = std::string_view::npos;
    if (out.challenges.size() >= lim.max_challenges) {
      ++out.ignored;
      return;
    }
    DigestChallenge c;
    if (read_challenge(text, proxy, lim, c))
      out.challenges.push_back(std::move(c));
    else
      ++out.ignored;
  };
  std::size_t i = 0;
  bool stray = false;  // text before the first scheme
  while (i <= value.size()) {
    // One element: up to a comma outside quotes, or the end.
    std::size_t start = i;
    bool quoted = false;
    while (i < value.size() && (quoted || value[i] != ',')) {
      if (quoted && value[i] == '\\') ++i;  // a quoted-pair: skip the escaped octet
      else if (value[i] == '"') quoted = !quoted;
      ++i;
    }
    std::size_t end = i < value.size() ? i : value.size();
    while (start < end && is_lws(value[start])) ++start;
    while (end > start && is_lws(value[end - 1])) --end;
    if (start < end) {
      const std::string_view element = value.substr(start, end - start);
      if (starts_challenge(element)) {
        finish();
        challenge_start = start;
      } else if (challenge_start == std::string_view::npos) {
        stray = true;
      }
      if (challenge_start != std::string_view::npos) challenge_end = end;
    }
    ++i;  // past the comma (or past the end, which ends the loop)
  }
  finish();
  if (stray) ++out.ignored;
}

ParsedChallenges parse_challenges(const msg::Message& response, const ChallengeLimits& lim) {
  ParsedChallenges out;
  std::size_t fields = 0;
  for (const auto& h : response.headers) {
    const bool www = h.id == msg::HeaderId::WwwAuthenticate;
    if (!www && h.id != msg::HeaderId::ProxyAuthenticate) continue;
    if (++fields > lim.max_fields) {
      ++out.ignored;
      continue;
    }
    parse_challenge_value(h.value, !www, out, lim);
  }
  return out;
}

DigestClient::DigestClient(DigestCredentials credentials, base::Random& rng, DigestClientConfig config)
    : credentials_(std::move(credentials)), rng_(&rng), config_(std::move(config)) {}

const std::string* DigestClient::stored_ha1(Algorithm a) const noexcept {
  if (config_.realm.empty()) return nullptr;  // an HA1 is bound to one realm
  const std::string& h = a == Algorithm::Md5      ? credentials_.ha1_md5
                         : a == Algorithm::Sha256 ? credentials_.ha1_sha256
                                                  : credentials_.ha1_sha512_256;
  return h.empty() ? nullptr : &h;
}

bool DigestClient::has_key(Algorithm a) const noexcept {
  return stored_ha1(a) != nullptr || !credentials_.password.empty();
}

std::uint32_t DigestClient::next_count(std::string_view nonce) {
  for (auto& [n, uses] : counts_) {
    if (n == nonce) {
      if (uses < 0xFFFFFFFFu) ++uses;
      return uses;
    }
  }
  if (counts_.size() >= kMaxTrackedNonces) counts_.pop_front();
  counts_.emplace_back(std::string(nonce), 1u);
  return 1;
}

base::Result<std::size_t> DigestClient::choose(std::span<const DigestChallenge> challenges) const {
  if (challenges.empty()) return DigestErrc::NoChallenge;
  bool realm_ok = false;
  bool missing_key = false;
  std::size_t best = challenges.size();
  for (std::size_t i = 0; i < challenges.size(); ++i) {
    const DigestChallenge& c = challenges[i];
    if (!config_.realm.empty() && c.realm != config_.realm) continue;
    realm_ok = true;
    if (strength(c.algorithm) < strength(config_.minimum)) continue;
    if (!c.has_qop() && !config_.allow_rfc2069) continue;
    if (!has_key(c.algorithm)) {
      missing_key = true;
      continue;
    }
    if (best == challenges.size()) {
      best = i;
      continue;
    }
    const DigestChallenge& b = challenges[best];
    if (strength(c.algorithm) > strength(b.algorithm) ||
        (c.algorithm == b.algorithm && c.has_qop() && !b.has_qop()))
      best = i;
  }
  if (best < challenges.size()) return best;
  if (!realm_ok) return DigestErrc::ForeignRealm;
  return missing_key ? DigestErrc::NoKey : DigestErrc::Unsupported;
}

base::Result<DigestAnswer> DigestClient::answer(const DigestChallenge& c, std::string_view method,
                                                std::string_view uri, std::string_view body) {
  const std::string cnonce = base::random_token(*rng_, 128);
  return answer_with_cnonce(c, method, uri, body, cnonce);
}

namespace {

void append_quoted(std::string& out, std::string_view v) {
  out.push_back('"');
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
}

}  // namespace

base::Result<DigestAnswer> DigestClient::answer_with_cnonce(const DigestChallenge& c, std::string_view method,
                                                            std::string_view uri, std::string_view body,
                                                            std::string_view cnonce) {
  if (!config_.realm.empty() && c.realm != config_.realm) return DigestErrc::ForeignRealm;
  if (strength(c.algorithm) < strength(config_.minimum) || (!c.has_qop() && !config_.allow_rfc2069))
    return DigestErrc::Unsupported;
  if (!has_key(c.algorithm)) return DigestErrc::NoKey;
  // Everything written into the header must keep it one line; the URI and cnonce are also
  // hashed as written, so they may not need escaping either.
  if (method.empty() || !cs::all_of(method, cs::kToken) || uri.empty() || has_control(uri) ||
      uri.find_first_of("\"\\") != std::string_view::npos || cnonce.empty() || has_control(cnonce) ||
      cnonce.find_first_of("\"\\") != std::string_view::npos || has_control(credentials_.username) ||
      has_control(c.realm) || has_control(c.nonce) || has_control(c.opaque))
    return DigestErrc::BadInput;

  std::string_view qop;
  if (c.has_qop()) qop = ((config_.prefer_auth_int && c.qop_auth_int) || !c.qop_auth) ? "auth-int" : "auth";

  DigestAnswer a;
  a.proxy = c.proxy;
  a.realm = c.realm;
  a.nonce = c.nonce;
  a.algorithm = c.algorithm;
  a.qop = qop;
  a.nc = next_count(c.nonce);

  char nc_hex[9];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) nc_hex[i] = kHex[(a.nc >> (28 - 4 * i)) & 0xF];
  nc_hex[8] = '\0';
  const std::string_view nc_text = qop.empty() ? std::string_view{} : std::string_view(nc_hex, 8);
  const std::string_view cnonce_used = qop.empty() ? std::string_view{} : cnonce;

  const std::string* stored = stored_ha1(c.algorithm);
  const std::string ha1 =
      stored != nullptr ? *stored : compute_ha1(c.algorithm, credentials_.username, c.realm, credentials_.password);
  const std::string response =
      compute_response(c.algorithm, ha1, DigestInput{method, uri, c.nonce, nc_text, cnonce_used, qop, body});

  std::string& v = a.value;
  v.reserve(256 + c.nonce.size() + c.opaque.size() + uri.size());
  v.append("Digest username=");
  append_quoted(v, credentials_.username);
  v.append(", realm=");
  append_quoted(v, c.realm);
  v.append(", nonce=");
  append_quoted(v, c.nonce);
  v.append(", uri=");
  append_quoted(v, uri);
  v.append(", response=\"");
  v.append(response);
  v.append("\", algorithm=");
  v.append(name(c.algorithm));
  if (!qop.empty()) {
    v.append(", cnonce=");
    append_quoted(v, cnonce);
    v.append(", qop=");
    v.append(qop);
    v.append(", nc=");
    v.append(nc_text);
  }
  if (c.has_opaque) {
    v.append(", opaque=");
    append_quoted(v, c.opaque);
  }
  return a;
}

bool credentials_rejected(const DigestAnswer& sent, const DigestChallenge& fresh) noexcept {
  if (fresh.stale) return false;
  if (fresh.proxy != sent.proxy || fresh.realm != sent.realm) return false;
  if (fresh.nonce == sent.nonce) return true;
  return sent.nc <= 1;
}

}  // namespace warden::sip::auth
