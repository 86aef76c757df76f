// libFuzzer target for media_targets() and rewrite_media() (media_rewrite.hpp), whose input is an
// untrusted SDP body from a caller or callee. Whatever the bytes:
//  - both return an error (an SdpErrc) or a value, never crash or read out of bounds;
//  - they agree with parse(): one target per m= section;
//  - the rewritten text parses within the same limits (or the rewrite is refused for size),
//    names the relay in o= and in the connection of every section, has no a=candidate, carries
//    the relay ports on relayed sections and 0 on the others, keeps the formats, and is a fixed
//    point: rewriting it again gives the same text.
// The relay address alternates between IPv4 and IPv6 with the first input byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/sdp/media_rewrite.hpp"
#include "sip/sdp/parser.hpp"
#include "sip/sdp/sdp_errc.hpp"

using namespace warden::sip::sdp;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool is_size_refusal(std::error_code ec) {
  return ec == SdpErrc::TooLarge || ec == SdpErrc::TooManyLines || ec == SdpErrc::TooManyAttributes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto original = parse(input);
  auto targets = media_targets(input);
  require(original.ok() == targets.ok());
  if (!targets) {
    require(targets.error().category() == sdp_category());
    return 0;
  }
  require(targets->size() == original->media.size());

  MediaRewrite rw;
  const bool v6 = size > 0 && (data[0] & 1u) != 0;
  rw.relay_addr_type = v6 ? AddrType::Ip6 : AddrType::Ip4;
  rw.relay_address = v6 ? "2001:db8::5" : "203.0.113.5";
  for (const MediaTarget& t : *targets) {
    require(t.index < original->media.size());
    if (!t.relayable) {
      rw.media.emplace_back(std::nullopt);
      continue;
    }
    const auto port = static_cast<std::uint16_t>(40000 + 4 * t.index);
    // Every other section as rtcp-mux only, to exercise both a=rtcp paths.
    rw.media.emplace_back(RelayedPorts{port, t.index % 2 == 0 ? std::optional<std::uint16_t>(port + 3)
                                                               : std::nullopt});
  }

  auto out = rewrite_media(input, rw);
  if (!out) {
    require(is_size_refusal(out.error()));
    return 0;
  }
  auto sd = parse(*out);
  require(sd.ok());
  require(sd->origin.address == rw.relay_address);
  require(sd->media.size() == original->media.size());
  for (std::size_t i = 0; i < sd->media.size(); ++i) {
    const MediaDescription& m = sd->media[i];
    const Connection* c = sd->connection_for(m);
    require(c == nullptr || c->address == rw.relay_address);
    require(!m.has_attribute("candidate") && !m.has_attribute("remote-candidates"));
    require(m.port == (rw.media[i] ? rw.media[i]->rtp : 0));
    require(m.formats == original->media[i].formats);
  }
  require(!sd->has_attribute("candidate"));

  auto again = rewrite_media(*out, rw);
  require(again.ok());
  require(*again == *out);
  return 0;
}
