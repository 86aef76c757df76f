// libFuzzer target: the URI parser, host validators, parameter iteration and unescaping.
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/msg/params.hpp"
#include "sip/msg/uri.hpp"

using namespace warden::sip::msg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Uri u;
  if (parse_uri(text, u)) {
    // Every view lies inside the input.
    for (std::string_view part : {u.user, u.password, u.host, u.params, u.headers, u.opaque}) {
      if (!part.empty() && (part.data() < text.data() || part.data() + part.size() > text.data() + text.size()))
        __builtin_trap();
    }
    ParamIterator it(u.params);
    Param p;
    std::size_t n = 0;
    while (it.next(p)) {
      if (++n > 64) __builtin_trap();
    }
    std::string out;
    if (u.is_sip() && !unescape(u.user, out)) __builtin_trap();  // validated escapes decode
    Uri again;
    if (!parse_uri(u.raw, again) || again.host != u.host || again.port != u.port) __builtin_trap();
  }
  HostKind kind;
  std::string_view host;
  (void)parse_host(text, kind, host);
  (void)is_ipv6_address(text);
  std::string out;
  (void)unescape(text, out);
  return 0;
}
