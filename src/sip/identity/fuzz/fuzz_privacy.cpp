// libFuzzer target: any message a peer could send, as the proxy would forward or pass it back,
// through the privacy functions with every combination of the context's flags (trusted or not
// on each side, PAI stripping, topology hiding, an asserted identity or none, an anonymizing
// contact or none, a media relay or none); then restored as a response against a fixed
// request, its Contact hidden, and read as a Privacy value and as a contact token.
// Whatever the input: no crash, every forwarded output parses, a refusal is a 400 or 500, and
// the rules that must hold do hold (no P-Preferred-Identity ever leaves, no PAI toward an
// untrusted hop when stripping, one Via when addresses were hidden, an anonymous From when
// anonymized).
#include <cstdint>
#include <string>
#include <string_view>

#include "base/limits.hpp"
#include "sip/identity/contact_token.hpp"
#include "sip/identity/privacy.hpp"
#include "sip/msg/parser.hpp"

using namespace warden;
using namespace warden::sip::identity;
namespace msg = warden::sip::msg;

namespace {

const base::Limits::Sip kLimits{};

const msg::Message& original_request() {
  static const std::string bytes =
      "INVITE sip:bob@b.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKedge1\r\n"
      "Via: SIP/2.0/UDP 192.168.1.20:5062;rport=5062;received=203.0.113.7;branch=z9hG4bKphone1\r\n"
      "Record-Route: <sip:10.0.0.2;lr>\r\n"
      "From: \"Alice\" <sip:alice@a.test>;tag=1928301774\r\nTo: <sip:bob@b.test>\r\n"
      "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nMax-Forwards: 69\r\nContent-Length: 0\r\n\r\n";
  static const msg::Message m = [] {
    msg::Message r;
    if (!msg::parse_message(bytes, r, kLimits).accepted()) __builtin_trap();
    return r;
  }();
  return m;
}

void check(const PrivacyOutcome& o, const PrivacyContext& c, bool request) {
  if (!o.forward()) {
    if (o.status != 400 && o.status != 500) __builtin_trap();
    if (o.status == 400 && !request) __builtin_trap();
    return;
  }
  msg::Message out;
  if (!msg::parse_message(o.bytes, out, kLimits).accepted()) __builtin_trap();
  if (out.find(msg::HeaderId::PPreferredIdentity) != nullptr) __builtin_trap();
  if (!c.to_trusted && c.strip_pai_untrusted && out.find(msg::HeaderId::PAssertedIdentity) != nullptr) __builtin_trap();
  if (!c.to_trusted && out.find(msg::HeaderId::Privacy) != nullptr) __builtin_trap();
  if (o.addresses_hidden && request && out.vias.size() != 1) __builtin_trap();
  if (o.addresses_hidden && !out.contact_star) {
    for (const auto& ct : out.contacts)
      if (ct.uri.raw != c.anonymous_contact) __builtin_trap();
  }
  if (o.from_anonymized && out.from.uri.raw != "sip:anonymous@anonymous.invalid") __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  msg::Message m;
  const bool parsed = msg::parse_message(input, m, kLimits).accepted();

  if (parsed) {
    for (unsigned flags = 0; flags < 128; ++flags) {
      PrivacyContext c;
      c.from_trusted = flags & 1;
      c.to_trusted = flags & 2;
      c.strip_pai_untrusted = flags & 4;
      c.topology_hiding = flags & 8;
      if (flags & 16) {
        c.asserted_identity = "sip:alice@a.test";
        c.display_name = "Alice \"A\" \\ L";
      }
      if (flags & 32) c.anonymous_contact = "sip:tok3n@198.51.100.9:5060;transport=udp";
      c.media_relay_available = flags & 64;
      c.own_hosts = {"198.51.100.9", "[2001:db8::9]:5061"};
      c.caller_address = "192.0.2.1";
      if (m.is_request()) check(apply_request_privacy(input, c, kLimits), c, true);
      else check(apply_response_privacy(input, c, kLimits), c, false);
    }
    if (m.is_response()) {
      RestoreOptions opt;
      opt.received = "10.0.0.2";
      opt.rport = 5060;
      if (auto r = restore_topology(m, original_request(), opt, kLimits)) {
        msg::Message out;
        if (!msg::parse_message(*r, out, kLimits).accepted()) __builtin_trap();
        if (out.vias.size() != original_request().vias.size()) __builtin_trap();
      }
      if (auto h = hide_response_contact(input, "sip:x@198.51.100.9", kLimits)) {
        msg::Message out;
        if (!msg::parse_message(*h, out, kLimits).accepted()) __builtin_trap();
      }
    }
  } else {
    // Refused cleanly, whatever the flags.
    PrivacyContext c;
    const PrivacyOutcome o = apply_request_privacy(input, c, kLimits);
    if (o.forward()) __builtin_trap();
  }

  (void)parse_privacy(input.substr(0, 256));
  (void)contains_address(input, "192.0.2.1");
  static const std::string key = "fuzz key fuzz key fuzz key fuzz!";
  if (auto uri = read_contact_token(key, input)) {
    (void)uri;
    __builtin_trap();  // nothing here was made with this key
  }
  return 0;
}
