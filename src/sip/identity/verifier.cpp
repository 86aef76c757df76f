#include "sip/identity/verifier.hpp"

#include <algorithm>

#include "sip/identity/identity_header.hpp"
#include "sip/identity/sip_date.hpp"

namespace warden::sip::identity {

namespace {

std::int64_t seconds_of(base::WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t distance(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }

}  // namespace

std::string_view Verdict::verstat() const noexcept {
  switch (status) {
    case VerdictStatus::Verified: return "TN-Validation-Passed";
    case VerdictStatus::Failed: return "TN-Validation-Failed";
    case VerdictStatus::NoIdentity: return "No-TN-Validation";
  }
  return "No-TN-Validation";
}

std::variant<Verdict, PendingIdentity> read_identity(const msg::Message& request, const IdentityLimits& limits) {
  const msg::Header* first = nullptr;
  std::size_t count = 0;
  for (const auto& h : request.headers) {
    if (h.id != msg::HeaderId::Identity) continue;
    if (++count > limits.max_identity_headers) return Verdict::failed(IdentityErrc::TooLarge, "Identity headers");
    if (first == nullptr) first = &h;
  }
  if (first == nullptr) return Verdict::no_identity();

  auto header = parse_identity_header(first->value, limits);
  if (!header) return Verdict::failed(static_cast<IdentityErrc>(header.error().value()));
  if (!header->alg.empty() && header->alg != "ES256") return Verdict::failed(IdentityErrc::UnsupportedAlg);
  if (!header->ppt.empty()) return Verdict::failed(IdentityErrc::UnsupportedPpt, std::string(header->ppt));
  auto decoded = decode_passport(header->jws, limits);
  if (!decoded) return Verdict::failed(static_cast<IdentityErrc>(decoded.error().value()));
  if (decoded->passport.x5u != header->info) return Verdict::failed(IdentityErrc::InfoMismatch);

  PendingIdentity out;
  out.info_url.assign(header->info);
  out.passport = std::move(*decoded);
  out.from = party_of(request.from.uri);
  out.to = party_of(request.to.uri);
  if (const msg::Header* date = request.find(msg::HeaderId::Date)) {
    out.has_date = true;
    out.date = parse_sip_date(date->value);
  }
  return out;
}

IdentityVerifier::IdentityVerifier(crypto::TrustStore anchors, VerifierConfig config)
    : anchors_(std::move(anchors)), config_(std::move(config)), replay_(config_.replay_capacity) {}

Verdict IdentityVerifier::verify(const PendingIdentity& pending, std::span<const crypto::Certificate> chain,
                                 base::WallTime now) {
  const Passport& p = pending.passport.passport;
  // The certificate: trusted now, a P-256 key.
  if (chain.empty()) return Verdict::failed(IdentityErrc::CertificateUnavailable);
  std::string why;
  if (!crypto::verify_certificate_chain(anchors_, chain, now, why)) {
    return Verdict::failed(IdentityErrc::CertificateUntrusted, why);
  }
  auto key = chain.front().ec_public_key();
  if (!key) return Verdict::failed(IdentityErrc::CertificateUntrusted, "not a P-256 key");
  // The signature, over the text as received.
  if (!crypto::es256_verify(*key, pending.passport.signing_input, pending.passport.signature)) {
    return Verdict::failed(IdentityErrc::BadSignature);
  }
  // Freshness of iat, and the Date header beside it.
  const std::int64_t window = config_.freshness.count();
  const std::int64_t now_s = seconds_of(now);
  if (p.iat < now_s - window || p.iat > now_s + window) {  // no subtraction of untrusted values
    return Verdict::failed(IdentityErrc::Stale, "iat " + std::to_string(p.iat) + ", now " + std::to_string(now_s));
  }
  if (pending.has_date && (!pending.date || distance(*pending.date, p.iat) > window)) {
    return Verdict::failed(IdentityErrc::DateMismatch);
  }
  // The claims against the request.
  if (!pending.from || !(*pending.from == p.orig)) return Verdict::failed(IdentityErrc::OrigMismatch);
  if (!pending.to || std::find(p.dest.begin(), p.dest.end(), *pending.to) == p.dest.end()) {
    return Verdict::failed(IdentityErrc::DestMismatch);
  }
  // The certificate's authority over orig (RFC 8224 §7.2; RFC 8226 for numbers).
  if (p.orig.kind == Party::Kind::Uri) {
    msg::Uri uri;
    if (!msg::parse_uri(p.orig.claim, uri, 16) || !chain.front().matches_dns_name(uri.host)) {
      return Verdict::failed(IdentityErrc::NotAuthorized, "host not in the certificate");
    }
  } else {
    auto tn = chain.front().tn_auth_list();
    if (!tn) return Verdict::failed(IdentityErrc::NotAuthorized, "malformed TNAuthList");
    if (tn->has_value() ? !(*tn)->covers(p.orig.value) : config_.require_tn_auth_list) {
      return Verdict::failed(IdentityErrc::NotAuthorized, "number not in the certificate");
    }
  }
  // Replay, last: only a header that passed everything else is remembered.
  const auto expires = base::WallTime(std::chrono::seconds(p.iat + window + 1));
  if (!replay_.insert(pending.passport.signature, expires, now)) return Verdict::failed(IdentityErrc::Replayed);
  return Verdict::verified();
}

void IdentityVerifier::verify_request(const msg::Message& request, CertificateSource& source,
                                      const base::Clock& clock, std::function<void(Verdict)> done) {
  auto read = read_identity(request, config_.limits);
  if (auto* verdict = std::get_if<Verdict>(&read)) {
    done(std::move(*verdict));
    return;
  }
  auto pending = std::make_shared<PendingIdentity>(std::move(std::get<PendingIdentity>(read)));
  const std::string url = pending->info_url;
  source.fetch(url, [this, pending, &clock, done = std::move(done)](base::Result<std::vector<crypto::Certificate>> chain) {
    if (!chain) {
      done(Verdict::failed(IdentityErrc::CertificateUnavailable, chain.error().message()));
      return;
    }
    done(verify(*pending, *chain, clock.wall_now()));
  });
}

}  // namespace warden::sip::identity
