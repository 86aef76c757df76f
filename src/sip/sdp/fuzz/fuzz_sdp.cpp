// libFuzzer target for the SDP codec. Whatever the bytes:
//  - parse() returns an error or a description, and never crashes or reads out of bounds;
//  - a parsed description serializes to text that parses back to an equal description, and
//    serializing that again gives the same text (the canonical form is a fixed point);
//  - every typed attribute helper survives every attribute value, and a value it accepts
//    formats to text it accepts again with the same meaning.
// A broken property aborts through __builtin_trap() so libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/sdp/sdp.hpp"

using namespace warden::sip::sdp;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

template <class R, class F>
void format_round_trip(const R& parsed, F parse_again) {
  if (!parsed) return;
  const std::string text = format_value(*parsed);
  auto again = parse_again(std::string_view(text));
  require(static_cast<bool>(again));
  require(*again == *parsed);
}

void exercise(const SessionDescription& sd, const std::vector<Attribute>& attrs) {
  for (const Attribute& a : attrs) {
    const std::string_view v = a.value;
    format_round_trip(parse_rtpmap(v), [](std::string_view s) { return parse_rtpmap(s); });
    format_round_trip(parse_fmtp(v), [](std::string_view s) { return parse_fmtp(s); });
    format_round_trip(parse_crypto(v), [](std::string_view s) { return parse_crypto(s); });
    format_round_trip(parse_fingerprint(v), [](std::string_view s) { return parse_fingerprint(s); });
    format_round_trip(parse_candidate(v), [](std::string_view s) { return parse_candidate(s); });
    format_round_trip(parse_rtcp(v), [](std::string_view s) { return parse_rtcp(s); });
    if (auto c = parse_crypto(v)) {
      for (const CryptoKeyParam& k : c->keys) {
        if (k.is_inline()) require(k.decode_key_salt().has_value());
        (void)k.lifetime_packets();
      }
    }
    if (auto f = parse_fmtp(v)) (void)f->param("minptime");
    (void)parse_setup(v);
    (void)parse_ice_ufrag(v);
    (void)parse_ice_pwd(v);
    (void)parse_ice_options(v);
    (void)parse_ptime(v);
    (void)parse_maxptime(v);
    (void)parse_mid(v);
  }
  (void)sd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto first = parse(input);
  if (!first) {
    require(first.error().category() == sdp_category());
    return 0;
  }
  // Canonical text may exceed the input by a CR per line (LF-only input): re-parse with room.
  warden::base::Limits::Sdp relaxed;
  relaxed.max_bytes *= 2;
  const std::string text = serialize(*first);
  auto second = parse(text, relaxed);
  require(static_cast<bool>(second));
  require(*second == *first);
  require(serialize(*second) == text);

  exercise(*first, first->attributes);
  for (const MediaDescription& m : first->media) {
    exercise(*first, m.attributes);
    (void)effective_direction(*first, m);
    (void)find_ice_credentials(*first, m);
    (void)find_ptime(*first, m);
    (void)first->connection_for(m);
    for (std::string_view f : m.formats) {
      if (auto pt = parse_payload_type(f)) {
        (void)find_rtpmap(m, *pt);
        (void)find_fmtp(m, *pt);
      }
    }
  }
  (void)check_known_attributes(*first);

  auto owned = OwnedSessionDescription::copy_of(*first, relaxed);
  require(static_cast<bool>(owned));
  require(owned->description() == *first);
  return 0;
}
