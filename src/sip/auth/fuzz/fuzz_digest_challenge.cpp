// libFuzzer target: a WWW-Authenticate / Proxy-Authenticate value as a server (or anyone on the
// path) could send it, read by the digest client, then answered. Whatever the input, every kept
// field is within its limit, and the answer is one header line that the server's parser reads
// back with the same nonce and realm.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sip/auth/digest_client.hpp"
#include "sip/msg/parser.hpp"

using namespace warden;
using namespace warden::sip::auth;

namespace {
// Deterministic bytes: the fuzzer must see the same run for the same input.
class CountingRandom final : public base::Random {
 public:
  void fill(std::span<std::byte> out) noexcept override {
    for (auto& b : out) b = static_cast<std::byte>(n_++);
  }

 private:
  std::uint8_t n_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  static const ChallengeLimits limits;
  ParsedChallenges parsed;
  parse_challenge_value(value, size % 2 == 1, parsed, limits);
  if (parsed.challenges.size() > limits.max_challenges) __builtin_trap();
  CountingRandom rng;
  DigestClientConfig cfg;
  cfg.prefer_auth_int = size % 3 == 0;
  DigestClient client(DigestCredentials{"alice", "secret", {}, {}, {}}, rng, cfg);
  for (const auto& c : parsed.challenges) {
    if (c.nonce.empty() || c.nonce.size() > limits.max_nonce_bytes || c.realm.size() > limits.max_realm_bytes ||
        c.opaque.size() > limits.max_opaque_bytes)
      __builtin_trap();
    auto a = client.answer(c, "REGISTER", "sip:example.test", "body");
    if (!a) continue;
    if (a->value.find_first_of("\r\n") != std::string::npos) __builtin_trap();
    sip::msg::Credentials back;
    if (!sip::msg::parse_credentials(a->value, back)) __builtin_trap();
    if (back.uri != "sip:example.test" || back.username != "alice") __builtin_trap();
    // Escaped as written: the nonce read back is the nonce with quoted-pairs added.
    if (c.nonce.find_first_of("\"\\") == std::string::npos && back.nonce != c.nonce) __builtin_trap();
  }
  if (!parsed.challenges.empty()) (void)client.choose(parsed.challenges);
  return 0;
}
