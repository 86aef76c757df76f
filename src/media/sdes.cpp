#include "media/sdes.hpp"

#include <string.h>  // explicit_bzero

#include <array>
#include <charconv>
#include <optional>

#include "base/error.hpp"
#include "sip/sdp/base64.hpp"
#include "sip/sdp/crypto_attribute.hpp"

namespace warden::media {
namespace {

namespace sdp = sip::sdp;

constexpr std::uint64_t kMinLifetime = std::uint64_t{1} << 31;

std::optional<std::uint64_t> parse_decimal(std::string_view s) noexcept {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// RFC 4568 §6.3 session parameters we can honour (or may ignore).
bool acceptable_session_param(std::string_view p) noexcept {
  if (p.starts_with('-')) return true;  // marked optional by the sender: ignored
  if (p == "KDR=0") return true;        // key derivation once, libsrtp's only mode
  if (p.starts_with("WSH=")) {          // window size hint: ours is larger anyway
    const auto n = parse_decimal(p.substr(4));
    return n && *n >= 64;
  }
  return false;
}

// The key of one crypto line we would accept, or the reason we would not.
base::Result<SrtpMasterKey> acceptable_key(const sdp::CryptoAttribute& c, SrtpSuite suite) {
  if (c.keys.size() != 1) return SdesErrc::MultipleKeys;
  const sdp::CryptoKeyParam& k = c.keys.front();
  if (!k.is_inline()) return SdesErrc::UnsupportedKeyMethod;
  if (!k.mki.empty()) return SdesErrc::UnsupportedMki;
  if (!k.lifetime.empty()) {
    const auto packets = k.lifetime_packets();
    if (!packets || *packets < kMinLifetime) return SdesErrc::UnsupportedLifetime;
  }
  for (std::string_view p : c.session_params)
    if (!acceptable_session_param(p)) return SdesErrc::UnsupportedSessionParam;
  auto bytes = k.decode_key_salt();
  if (!bytes) return SdesErrc::BadCrypto;
  auto key = SrtpMasterKey::from_key_salt(suite, *bytes);
  explicit_bzero(bytes->data(), bytes->size());
  if (!key) return SdesErrc::BadCrypto;
  return key;
}

}  // namespace

std::string_view describe(SdesErrc e) noexcept {
  switch (e) {
    case SdesErrc::Ok: return "ok";
    case SdesErrc::NoCryptoLine: return "no a=crypto line in the media section";
    case SdesErrc::NoCommonSuite: return "no offered SRTP crypto suite is supported";
    case SdesErrc::UnsupportedKeyMethod: return "SDES key method other than inline";
    case SdesErrc::MultipleKeys: return "more than one SDES key on a crypto line";
    case SdesErrc::UnsupportedMki: return "SDES key with an MKI (not supported)";
    case SdesErrc::UnsupportedLifetime: return "SDES key lifetime below 2^31 packets (rekeying not supported)";
    case SdesErrc::UnsupportedSessionParam: return "unsupported SDES session parameter";
    case SdesErrc::BadCrypto: return "malformed a=crypto value or key";
    case SdesErrc::TagNotOffered: return "SDES answer tag was not offered";
    case SdesErrc::SuiteMismatch: return "SDES answer suite differs from the offered one";
  }
  return "unknown SDES error";
}

const std::error_category& sdes_category() noexcept {
  return base::ErrorCategory<SdesErrc>::instance("media.sdes");
}

std::string SdesCrypto::attribute_value() const {
  const auto ks = key.key_salt();
  std::vector<std::byte> copy(ks.begin(), ks.end());
  std::string out = std::to_string(tag);
  out.push_back(' ');
  out.append(sdes_name(key.suite()));
  out.append(" inline:");
  out.append(sdp::encode_base64(copy));
  explicit_bzero(copy.data(), copy.size());
  return out;
}

SdesCrypto make_sdes_crypto(base::Random& rng, SrtpSuite suite, std::uint32_t tag) {
  std::array<std::byte, SrtpMasterKey::kMaxBytes> material{};
  const auto used = std::span(material).first(master_key_length(suite) + master_salt_length(suite));
  rng.fill(used);
  auto key = SrtpMasterKey::from_key_salt(suite, used);
  explicit_bzero(material.data(), material.size());
  return SdesCrypto{tag, *key};  // the length is right by construction
}

std::vector<SdesCrypto> make_sdes_offer(base::Random& rng, std::span<const SrtpSuite> suites) {
  std::vector<SdesCrypto> out;
  out.reserve(suites.size());
  std::uint32_t tag = 1;
  for (SrtpSuite s : suites) out.push_back(make_sdes_crypto(rng, s, tag++));
  return out;
}

base::Result<SdesAnswer> answer_sdes_offer(base::Random& rng, std::span<const std::string_view> offered_values) {
  if (offered_values.empty()) return SdesErrc::NoCryptoLine;
  std::optional<SdesErrc> first_refusal;
  // Strongest suite first; among lines of one suite, the first offered (the offerer's order).
  for (SrtpSuite suite : kSrtpSuitesByPreference) {
    for (std::string_view value : offered_values) {
      auto c = sdp::parse_crypto(value);
      if (!c || suite_from_sdes_name(c->suite) != suite) continue;
      auto theirs = acceptable_key(*c, suite);
      if (!theirs) {
        if (!first_refusal) first_refusal = static_cast<SdesErrc>(theirs.error().value());
        continue;
      }
      SdesCrypto ours = make_sdes_crypto(rng, suite, c->tag);
      SdesKeys keys{c->tag, ours.key, *theirs};
      return SdesAnswer{std::move(ours), std::move(keys)};
    }
  }
  if (first_refusal) return *first_refusal;
  // Lines that do not parse at all count as "no common suite" unless nothing else was there.
  for (std::string_view value : offered_values)
    if (sdp::parse_crypto(value)) return SdesErrc::NoCommonSuite;
  return SdesErrc::BadCrypto;
}

base::Result<SdesAnswer> answer_sdes_offer(base::Random& rng, const sip::sdp::MediaDescription& media) {
  std::vector<std::string_view> values;
  for (const sdp::Attribute& a : media.attributes)
    if (a.name == "crypto") values.push_back(a.value);
  return answer_sdes_offer(rng, values);
}

base::Result<SdesKeys> accept_sdes_answer(std::span<const SdesCrypto> offered, std::string_view answer_value) {
  auto c = sdp::parse_crypto(answer_value);
  if (!c) return SdesErrc::BadCrypto;
  for (const SdesCrypto& ours : offered) {
    if (ours.tag != c->tag) continue;
    const auto suite = suite_from_sdes_name(c->suite);
    if (!suite || *suite != ours.key.suite()) return SdesErrc::SuiteMismatch;
    auto theirs = acceptable_key(*c, *suite);
    if (!theirs) return theirs.error();
    return SdesKeys{c->tag, ours.key, *theirs};
  }
  return SdesErrc::TagNotOffered;
}

}  // namespace warden::media
