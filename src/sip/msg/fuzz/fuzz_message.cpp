// libFuzzer target: the SIP message parser, datagram and stream framing, plus the stateless
// checks and a serialize/re-parse round trip that must be stable for every accepted message.
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/msg/parser.hpp"
#include "sip/msg/sanity.hpp"
#include "sip/msg/serializer.hpp"

using namespace warden::sip::msg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const warden::base::Limits limits;
  static Message m;
  static Message again;
  static std::string out;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (Framing framing : {Framing::Datagram, Framing::Stream}) {
    Verdict v = parse_message(bytes, m, limits.sip, framing);
    if (!v.accepted()) {
      if (v.action == Action::Respond && (v.status < 400 || v.status > 599)) __builtin_trap();
      continue;
    }
    for (Role role : {Role::Proxy, Role::Uas, Role::Registrar}) {
      SanityOptions o;
      o.role = role;
      (void)check(m, o);
    }
    out.clear();
    serialize(m, out);
    Verdict v2 = parse_message(out, again, limits.sip, Framing::Datagram);
    // Serializing may lengthen a message (": " after names), so only a limit may refuse it.
    if (!v2.accepted() && v2.status != 513) __builtin_trap();
    if (v2.accepted() && (again.headers.size() != m.headers.size() || again.vias.size() != m.vias.size() ||
                          again.body != m.body || again.call_id != m.call_id))
      __builtin_trap();
  }
  return 0;
}
