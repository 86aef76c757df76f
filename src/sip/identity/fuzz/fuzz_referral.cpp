// libFuzzer target: a Referred-By value as any caller could send it in an INVITE (RFC 3892 with
// a referral token, referral_token.hpp): read_referral() on a request carrying it, the token
// decoded on its own, and a verification with a fixed certificate-less chain. Whatever the input:
// no crash, every kept field within its limit, and no signature that verifies under a key that
// never signed anything.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/limits.hpp"
#include "crypto/es256.hpp"
#include "sip/identity/referral_token.hpp"
#include "sip/msg/parser.hpp"

using namespace warden;
using namespace warden::sip::identity;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ReferralLimits limits;
  static const crypto::EcPublicKey key = crypto::EcPrivateKey::generate().value().public_key();
  const std::string_view value(reinterpret_cast<const char*>(data), size);

  auto check = [](const DecodedReferral& d) {
    if (d.signature.size() != 64 || d.claims.x5u.empty() || d.claims.x5u.size() > limits.max_info_bytes)
      __builtin_trap();
    if (crypto::es256_verify(key, d.signing_input, d.signature)) __builtin_trap();
    (void)referral_claims_json(d.claims);
  };
  if (auto d = decode_referral_token(value, limits)) check(*d);

  std::string field(value);
  for (char& c : field)
    if (c == '\r' || c == '\n') c = ' ';
  const std::string request = "INVITE sip:carol@b.test SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                              "Max-Forwards: 70\r\nFrom: <sip:alice@c.test>;tag=1\r\nTo: <sip:carol@b.test>\r\n"
                              "Call-ID: f@c.test\r\nCSeq: 1 INVITE\r\n"
                              "Referred-By: " + field + "\r\nContent-Length: 0\r\n\r\n";
  sip::msg::Message m;
  static const base::Limits::Sip sip_limits{};
  if (!sip::msg::parse_message(request, m, sip_limits).accepted()) return 0;
  auto read = read_referral(m, limits);
  if (auto* pending = std::get_if<PendingReferral>(&read)) {
    if (pending->info_url != pending->token.claims.x5u) __builtin_trap();
    check(pending->token);
    // No chain: never Verified.
    static const ReferralVerifier verifier{crypto::TrustStore()};
    if (verifier.verify(*pending, {}, &m.from.uri, m.request_uri, base::WallTime{}).status == ReferralStatus::Verified)
      __builtin_trap();
  } else if (std::get<ReferralVerdict>(read).status == ReferralStatus::Verified) {
    __builtin_trap();
  }
  return 0;
}
