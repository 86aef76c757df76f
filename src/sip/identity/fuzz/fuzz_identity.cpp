// libFuzzer target: an Identity header value as any peer could send it (RFC 8224 §4.1), parsed,
// its PASSporT decoded (RFC 8225) and its signature checked with a fixed key; then the same
// value inside an INVITE through read_identity(). Whatever the input: no crash, every kept field
// within its limit, and no signature that verifies (the key never signed anything).
#include <cstdint>
#include <string>
#include <string_view>

#include "base/limits.hpp"
#include "crypto/es256.hpp"
#include "sip/identity/identity_header.hpp"
#include "sip/identity/passport.hpp"
#include "sip/identity/verifier.hpp"
#include "sip/msg/parser.hpp"

using namespace warden;
using namespace warden::sip::identity;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const IdentityLimits limits;
  static const crypto::EcPublicKey key = crypto::EcPrivateKey::generate().value().public_key();
  const std::string_view value(reinterpret_cast<const char*>(data), size);

  auto header = parse_identity_header(value, limits);
  if (header) {
    if (header->info.empty() || header->info.size() > limits.max_info_bytes) __builtin_trap();
    auto p = decode_passport(header->jws, limits);
    if (p) {
      if (p->signature.size() != 64 || p->passport.dest.empty() || p->passport.dest.size() > limits.max_dest)
        __builtin_trap();
      if (crypto::es256_verify(key, p->signing_input, p->signature)) __builtin_trap();
      (void)passport_claims_json(p->passport);
    }
  }

  // The same bytes as the Identity header of a request (line breaks made harmless).
  std::string field(value);
  for (char& c : field)
    if (c == '\r' || c == '\n') c = ' ';
  const std::string request = "INVITE sip:bob@b.test SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                              "Max-Forwards: 70\r\nFrom: <sip:alice@a.test>;tag=1\r\nTo: <tel:+12025550100>\r\n"
                              "Call-ID: f@a.test\r\nCSeq: 1 INVITE\r\nDate: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
                              "Identity: " + field + "\r\nContent-Length: 0\r\n\r\n";
  sip::msg::Message m;
  static const base::Limits::Sip sip_limits{};
  if (sip::msg::parse_message(request, m, sip_limits).accepted()) {
    auto read = read_identity(m, limits);
    if (auto* pending = std::get_if<PendingIdentity>(&read)) {
      if (pending->info_url != pending->passport.passport.x5u) __builtin_trap();
    }
  }
  return 0;
}
