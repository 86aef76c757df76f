#include "sip/auth/verifier.hpp"

#include <algorithm>
#include <bit>

#include "crypto/hash.hpp"
#include "sip/msg/charset.hpp"

namespace warden::sip::auth {

NonceCounter::NonceCounter(std::size_t window) : mask_(std::bit_ceil(std::max<std::size_t>(window, 1)) - 1) {}

NonceCounter::Verdict NonceCounter::accept(std::uint64_t serial, std::uint32_t nc) {
  if (slots_.empty()) slots_.resize(mask_ + 1);
  Slot& slot = slots_[serial & mask_];
  if (slot.serial > serial) return Verdict::Forgotten;
  if (slot.serial == serial) {
    if (nc <= slot.highest) return Verdict::Replayed;
    slot.highest = nc;
    return Verdict::Accepted;
  }
  if (slot.serial == 0) ++used_;
  slot = Slot{serial, nc};
  return Verdict::Accepted;
}

AccountKeys make_account_keys(std::string_view username, std::string_view realm, std::string_view password) {
  AccountKeys k;
  k.ha1_md5 = compute_ha1(Algorithm::Md5, username, realm, password);
  k.ha1_sha256 = compute_ha1(Algorithm::Sha256, username, realm, password);
  k.ha1_sha512_256 = compute_ha1(Algorithm::Sha512_256, username, realm, password);
  return k;
}

std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::Ok: return "ok";
    case Outcome::Stale: return "stale";
    case Outcome::Invalid: return "invalid";
    case Outcome::Replay: return "replay";
    case Outcome::Downgrade: return "downgrade";
  }
  return "?";
}

namespace {

bool parse_nc(std::string_view s, std::uint32_t& out) {
  if (s.size() != 8) return false;
  out = 0;
  for (char c : s) {
    const int v = msg::cs::hex_value(c);
    if (v < 0) return false;
    out = (out << 4) | static_cast<std::uint32_t>(v);
  }
  return true;
}

}  // namespace

VerifyResult DigestVerifier::verify(const msg::Credentials& c, std::string_view method, std::string_view body,
                                    const AccountKeys* account, base::WallTime now) {
  VerifyResult r;
  auto alg = algorithm_from_name(c.algorithm);
  std::uint32_t nc = 0;
  if (!msg::cs::iequals(c.scheme, "Digest") || c.realm != realm_ || !alg || c.userhash ||
      (c.qop != "auth" && c.qop != "auth-int") || c.cnonce.empty() || !parse_nc(c.nc, nc) || c.response.empty())
    return r;
  r.algorithm = *alg;
  const auto nonce = nonces_.inspect(c.nonce, now, realm_);
  if (nonce.state == NonceService::Check::Forged) return r;

  // Unknown users cost the same work as known ones.
  static const AccountKeys kNobody = make_account_keys("nobody", "nowhere", "no password");
  const AccountKeys& keys = account != nullptr ? *account : kNobody;
  const std::string expected = compute_response(
      *alg, keys.ha1(*alg), DigestInput{method, c.uri, c.nonce, c.nc, c.cnonce, c.qop, body});
  if (!crypto::constant_time_equal(expected, c.response) || account == nullptr) return r;
  if (*alg == Algorithm::Md5 && !account->allow_md5) return r;
  if (nonce.state == NonceService::Check::Stale) {
    r.outcome = Outcome::Stale;
    return r;
  }
  if (strength(*alg) < strength(account->strongest_used)) {
    r.outcome = Outcome::Downgrade;
    return r;
  }
  switch (counter_.accept(nonce.serial, nc)) {
    case NonceCounter::Verdict::Accepted: r.outcome = Outcome::Ok; break;
    case NonceCounter::Verdict::Replayed: r.outcome = Outcome::Replay; break;
    case NonceCounter::Verdict::Forgotten: r.outcome = Outcome::Stale; break;
  }
  return r;
}

namespace {
void append_challenge(std::string_view realm, std::string_view nonce, Algorithm a, bool stale, std::string& out) {
  out.append("Digest realm=\"");
  out.append(realm);
  out.append("\", nonce=\"");
  out.append(nonce);
  out.append("\", algorithm=");
  out.append(name(a));
  out.append(", qop=\"auth,auth-int\"");
  if (stale) out.append(", stale=true");
}
constexpr std::size_t kChallengeFixed = 96;  // the fixed text of one challenge, with room to spare
}  // namespace

std::vector<std::string> make_challenges(const NonceService& nonces, base::WallTime now, std::string_view realm,
                                         bool stale, std::span<const Algorithm> offered) {
  const std::string nonce = nonces.issue(now, realm);
  std::vector<std::string> out;
  out.reserve(offered.size());
  for (Algorithm a : offered) {
    std::string v;
    v.reserve(kChallengeFixed + realm.size() + nonce.size());
    append_challenge(realm, nonce, a, stale, v);
    out.push_back(std::move(v));
  }
  return out;
}

void append_challenge_headers(const NonceService& nonces, base::WallTime now, std::string_view realm, bool stale,
                              std::span<const Algorithm> offered, std::string_view header, std::string& out) {
  const std::string nonce = nonces.issue(now, realm);
  out.reserve(out.size() + offered.size() * (kChallengeFixed + header.size() + realm.size() + nonce.size()));
  for (Algorithm a : offered) {
    out.append(header);
    out.append(": ");
    append_challenge(realm, nonce, a, stale, out);
    out.append("\r\n");
  }
}

}  // namespace warden::sip::auth
