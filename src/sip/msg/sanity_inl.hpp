#pragma once
#include "sip/msg/charset.hpp"

namespace warden::sip::msg {

template <class Fn>
void for_each_token(const Message& m, HeaderId id, Fn&& fn) {
  for (const auto& h : m.headers) {
    if (h.id != id) continue;
    std::string_view v = h.value;
    std::size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && !cs::is(v[i], cs::kToken)) ++i;
      const std::size_t s = i;
      while (i < v.size() && cs::is(v[i], cs::kToken)) ++i;
      if (i > s) fn(v.substr(s, i - s));
    }
  }
}

}  // namespace warden::sip::msg
