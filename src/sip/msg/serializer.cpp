#include "sip/msg/serializer.hpp"

#include <cstring>

namespace warden::sip::msg {

void append_unfolded(std::string_view v, std::string& out) {
  for (;;) {
    const auto cr = v.find("\r\n");
    if (cr == std::string_view::npos) {
      out.append(v);
      return;
    }
    out.append(v.substr(0, cr));
    v.remove_prefix(cr + 2);
  }
}

void serialize(const Message& m, std::string& out) {
  if (m.is_request()) {
    out.append(m.method_text);
    out.push_back(' ');
    out.append(m.request_uri.raw);
    out.append(" SIP/2.0\r\n");
  } else {
    char code[4] = {static_cast<char>('0' + m.status / 100), static_cast<char>('0' + m.status / 10 % 10),
                    static_cast<char>('0' + m.status % 10), ' '};
    out.append("SIP/2.0 ");
    out.append(code, 4);
    out.append(m.reason);
    out.append("\r\n");
  }
  for (const auto& h : m.headers) {
    out.append(h.name);
    out.append(": ");
    append_unfolded(h.value, out);
    out.append("\r\n");
  }
  out.append("\r\n");
  out.append(m.body);
}

std::string serialize(const Message& m) {
  std::string out;
  out.reserve(m.bytes.size() + 64);
  serialize(m, out);
  return out;
}

}  // namespace warden::sip::msg
