#include "phone/registration.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "sip/dialog/identifiers.hpp"
#include "sip/msg/charset.hpp"
#include "sip/msg/uri.hpp"

namespace warden::phone {

namespace msg = sip::msg;
namespace auth = sip::auth;
namespace cs = sip::msg::cs;

std::string_view to_string(Registration::Outcome o) noexcept {
  switch (o) {
    case Registration::Outcome::Registered: return "registered";
    case Registration::Outcome::Unregistered: return "unregistered";
    case Registration::Outcome::Retry: return "retry";
    case Registration::Outcome::Failed: return "failed";
    case Registration::Outcome::Ignored: return "ignored";
  }
  return "?";
}

namespace {

// 1*DIGIT as delta-seconds (§20.19, §20.23); overlarge values saturate.
std::optional<std::uint32_t> parse_seconds(std::string_view s) noexcept {
  while (!s.empty() && cs::is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && cs::is_wsp(s.back())) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!cs::is_digit(c)) return std::nullopt;
    v = std::min<std::uint64_t>(v * 10 + static_cast<std::uint64_t>(c - '0'), 0xFFFFFFFFu);
  }
  return static_cast<std::uint32_t>(v);
}

bool sip_uri(std::string_view text, msg::Uri& uri) noexcept {
  return msg::parse_uri(text, uri) && uri.is_sip() && uri.headers.empty();
}

// host[:port] as a Via sent-by (§20.42), IPv6 in brackets.
bool valid_sent_by(std::string_view s) noexcept {
  std::string_view host = s;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(0, close + 1);
    port = s.substr(close + 1);
  } else if (const std::size_t colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon);
  }
  msg::HostKind kind;
  std::string_view bare;
  if (host.empty() || !msg::parse_host(host, kind, bare)) return false;
  if (port.empty()) return true;
  if (port.size() < 2 || port.size() > 6 || port.front() != ':') return false;
  const auto v = parse_seconds(port.substr(1));
  return v && *v >= 1 && *v <= 65535;
}

bool unescaped_equal(std::string_view a, std::string_view b) {
  std::string ua, ub;
  if (!msg::unescape(a, ua) || !msg::unescape(b, ub)) return a == b;
  return ua == ub;
}

// URI equality as RFC 3261 §19.1.4 defines it, for the parts a Contact of ours has: scheme,
// user and password (case-sensitive, escapes decoded), host (case-insensitive), port (absent is
// not 5060), and the parameters: one present in both must match; user, ttl, method and maddr
// present in only one never match; any other present in only one is ignored.
bool same_uri(const msg::Uri& a, const msg::Uri& b) {
  if (a.scheme != b.scheme || a.has_userinfo != b.has_userinfo || !unescaped_equal(a.user, b.user) ||
      !unescaped_equal(a.password, b.password) || !cs::iequals(a.host, b.host) || a.port != b.port)
    return false;
  static constexpr std::string_view kMustBeInBoth[] = {"user", "ttl", "method", "maddr"};
  auto check = [](const msg::Uri& x, const msg::Uri& y, bool compare_values) {
    msg::ParamIterator it(x.params);
    msg::Param p;
    while (it.next(p)) {
      const auto other = y.param(p.name);
      if (!other) {
        for (auto n : kMustBeInBoth)
          if (cs::iequals(p.name, n)) return false;
        continue;
      }
      if (compare_values && !cs::iequals(p.value, *other)) return false;
    }
    return true;
  };
  return check(a, b, true) && check(b, a, false);
}

// Where to refresh a binding of `lifetime` seconds: half of it up to 64 s, else 32 s (one
// Timer F, 64*T1) before it lapses.
std::chrono::seconds refresh_delay(std::uint32_t lifetime) {
  if (lifetime <= 64) return std::chrono::seconds(lifetime / 2);
  return std::chrono::seconds(lifetime - 32);
}

}  // namespace

base::Result<Registration> Registration::create(RegistrationConfig config, auth::DigestClient client,
                                                base::Random& rng) {
  msg::Uri uri;
  if (!sip_uri(config.registrar, uri) || uri.has_userinfo) return base::Errc::InvalidArgument;
  if (!sip_uri(config.aor, uri)) return base::Errc::InvalidArgument;
  if (!sip_uri(config.contact, uri)) return base::Errc::InvalidArgument;
  if (!config.contact_transport.empty()) {
    if (!cs::all_of(config.contact_transport, cs::kToken) || uri.has_param("transport"))
      return base::Errc::InvalidArgument;
    msg::Uri with;
    if (!sip_uri(config.contact + ";transport=" + config.contact_transport, with))
      return base::Errc::InvalidArgument;
  }
  if (config.expires == 0 || config.via_transport.empty() || !cs::all_of(config.via_transport, cs::kToken) ||
      !valid_sent_by(config.via_sent_by))
    return base::Errc::InvalidArgument;
  return Registration(std::move(config), std::move(client), rng);
}

Registration::Registration(RegistrationConfig config, auth::DigestClient client, base::Random& rng)
    : config_(std::move(config)),
      client_(std::move(client)),
      rng_(&rng),
      call_id_(sip::dialog::new_call_id(rng)),
      from_tag_(sip::dialog::new_tag(rng)),
      expires_(config_.expires) {
  if (!config_.contact_transport.empty()) {
    config_.contact += ";transport=";
    config_.contact += config_.contact_transport;
    config_.contact_transport.clear();
  }
}

std::string Registration::make_request(base::TimePoint now) { return build(now, false); }

std::string Registration::make_unregister(base::TimePoint now) { return build(now, true); }

std::string Registration::build(base::TimePoint now, bool unregister) {
  pending_ = Pending{};
  pending_.active = true;
  pending_.unregister = unregister;
  pending_.cseq = ++cseq_;
  pending_.expires = unregister ? 0 : expires_;
  pending_.sent_at = now;
  const std::string expires = std::to_string(pending_.expires);

  std::string out;
  out.reserve(1024);
  out.append("REGISTER ").append(config_.registrar).append(" SIP/2.0\r\n");
  out.append("Via: SIP/2.0/").append(config_.via_transport).append(" ").append(config_.via_sent_by);
  out.append(";branch=").append(sip::dialog::new_branch(*rng_)).append(";rport\r\n");
  out.append("Max-Forwards: 70\r\n");
  out.append("From: <").append(config_.aor).append(">;tag=").append(from_tag_).append("\r\n");
  out.append("To: <").append(config_.aor).append(">\r\n");
  out.append("Call-ID: ").append(call_id_).append("\r\n");
  out.append("CSeq: ").append(std::to_string(pending_.cseq)).append(" REGISTER\r\n");
  out.append("Contact: <").append(config_.contact).append(">;expires=").append(expires).append("\r\n");
  out.append("Expires: ").append(expires).append("\r\n");
  // Answer every known challenge again (next nonce-count); a challenge we can no longer
  // answer is dropped, and the server will challenge afresh.
  for (auto* known : {&www_challenge_, &proxy_challenge_}) {
    if (!*known) continue;
    auto answer = client_.answer(**known, "REGISTER", config_.registrar, {});
    if (!answer) {
      known->reset();
      continue;
    }
    out.append(answer->header_name()).append(": ").append(answer->value).append("\r\n");
    (answer->proxy ? pending_.proxy : pending_.www) = std::move(*answer);
  }
  out.append("Content-Length: 0\r\n\r\n");
  return out;
}

Registration::Result Registration::fail(std::uint16_t status, std::string reason) {
  retries_ = 0;
  refresh_at_.reset();
  return Result{Outcome::Failed, status, std::move(reason), std::chrono::seconds(0)};
}

Registration::Result Registration::on_response(const msg::Message& response, base::TimePoint /*now*/) {
  if (!pending_.active || !response.is_response() || response.status < 200 || response.call_id != call_id_ ||
      response.cseq.number != pending_.cseq || response.cseq.method != msg::Method::Register)
    return Result{};
  pending_.active = false;
  const std::uint16_t status = response.status;
  if (status >= 200 && status < 300) return on_success(response);
  if (status == 401 || status == 407) return on_challenge(response);
  if (status == 423) return on_interval_too_brief(response);
  return fail(status, std::string(response.reason));
}

Registration::Result Registration::on_success(const msg::Message& response) {
  msg::Uri ours;
  const bool parsed = msg::parse_uri(config_.contact, ours);  // checked by create()
  std::optional<std::uint32_t> granted;
  for (const auto& c : response.contacts) {
    if (!parsed || !same_uri(c.uri, ours)) continue;
    if (auto e = c.param("expires")) {
      granted = parse_seconds(*e);
    } else {
      granted = response.expires ? *response.expires : pending_.expires;
    }
    break;
  }
  retries_ = 0;
  if (pending_.unregister) {
    if (granted && *granted > 0) return fail(response.status, "registrar still lists our contact");
    expires_at_.reset();
    refresh_at_.reset();
    return Result{Outcome::Unregistered, response.status, std::string(response.reason), std::chrono::seconds(0)};
  }
  if (!granted) {
    expires_at_.reset();
    return fail(response.status, "registrar did not list our contact");
  }
  if (*granted == 0) {
    expires_at_.reset();
    return fail(response.status, "registrar removed our contact");
  }
  // A registrar may shorten the lifetime, not lengthen it (§10.3 step 7, 423 aside): rely on
  // no more than we asked for.
  const std::uint32_t lifetime = std::min(*granted, pending_.expires);
  expires_at_ = pending_.sent_at + std::chrono::seconds(lifetime);
  refresh_at_ = pending_.sent_at + refresh_delay(lifetime);
  return Result{Outcome::Registered, response.status, std::string(response.reason),
                std::chrono::seconds(*granted)};
}

Registration::Result Registration::on_challenge(const msg::Message& response) {
  const auth::ParsedChallenges parsed = auth::parse_challenges(response);
  if (parsed.challenges.empty()) return fail(response.status, "no digest challenge we can answer");
  std::optional<auth::DigestChallenge> chosen[2];  // WWW-Authenticate, Proxy-Authenticate
  for (int kind = 0; kind < 2; ++kind) {
    std::vector<auth::DigestChallenge> subset;
    for (const auto& c : parsed.challenges)
      if (c.proxy == (kind == 1)) subset.push_back(c);
    if (subset.empty()) continue;
    auto i = client_.choose(subset);
    if (!i) {
      www_challenge_.reset();
      proxy_challenge_.reset();
      return fail(response.status, "cannot answer the challenge: " + i.error().message());
    }
    const auth::DigestChallenge& fresh = subset[*i];
    const auto& sent = fresh.proxy ? pending_.proxy : pending_.www;
    if (sent && auth::credentials_rejected(*sent, fresh)) {
      www_challenge_.reset();
      proxy_challenge_.reset();
      return fail(response.status, "wrong password?");
    }
    chosen[kind] = fresh;
  }
  if (++retries_ > kMaxRetries) return fail(response.status, "too many challenges in a row");
  if (chosen[0]) www_challenge_ = std::move(chosen[0]);
  if (chosen[1]) proxy_challenge_ = std::move(chosen[1]);
  return Result{Outcome::Retry, response.status, std::string(response.reason), std::chrono::seconds(0)};
}

Registration::Result Registration::on_interval_too_brief(const msg::Message& response) {
  const msg::Header* h = response.find(msg::HeaderId::MinExpires);
  const auto min = h ? parse_seconds(h->value) : std::nullopt;
  // §10.2.8: retry with at least Min-Expires. A Min-Expires not above what we asked for, or
  // beyond a day, is not something a retry can satisfy.
  if (pending_.unregister || !min || *min <= pending_.expires || *min > 86400)
    return fail(response.status, "unusable Min-Expires");
  if (++retries_ > kMaxRetries) return fail(response.status, "too many retries in a row");
  expires_ = *min;
  return Result{Outcome::Retry, response.status, std::string(response.reason), std::chrono::seconds(0)};
}

void Registration::on_timeout() {
  pending_.active = false;
  retries_ = 0;
  refresh_at_.reset();
}

}  // namespace warden::phone
