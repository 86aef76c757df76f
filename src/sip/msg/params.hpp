#pragma once
// Iteration over a parameter list as written on the wire: ";name=value;flag" (URI parameters,
// RFC 3261 §19.1.1) or "; name = value" with linear white space (header parameters, §25.1).
// The list was validated by the parser; iteration on unvalidated text stops at the first
// element it cannot read. Values are raw: quoted strings keep their quotes, escapes stay.

#include <optional>
#include <string_view>

#include "sip/msg/charset.hpp"

namespace warden::sip::msg {

struct Param {
  std::string_view name;
  std::string_view value;  // "" when the parameter has no value
  bool has_value = false;
};

class ParamIterator {
 public:
  explicit ParamIterator(std::string_view text) noexcept : s_(text) {}

  // Reads the next parameter; false at the end of the list.
  bool next(Param& p) noexcept {
    skip_lws();
    if (i_ >= s_.size() || s_[i_] != ';') return false;
    ++i_;
    skip_lws();
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '=' && s_[i_] != ';' && !cs::is_wsp(s_[i_]) && s_[i_] != '\r') ++i_;
    p.name = s_.substr(start, i_ - start);
    p.value = {};
    p.has_value = false;
    skip_lws();
    if (i_ < s_.size() && s_[i_] == '=') {
      ++i_;
      skip_lws();
      const std::size_t vstart = i_;
      if (i_ < s_.size() && s_[i_] == '"') {
        ++i_;
        while (i_ < s_.size() && s_[i_] != '"') i_ += (s_[i_] == '\\') ? 2 : 1;
        if (i_ < s_.size()) ++i_;
      } else {
        while (i_ < s_.size() && s_[i_] != ';' && !cs::is_wsp(s_[i_]) && s_[i_] != '\r') ++i_;
      }
      if (i_ > s_.size()) i_ = s_.size();
      p.value = s_.substr(vstart, i_ - vstart);
      p.has_value = true;
    }
    return !p.name.empty();
  }

 private:
  void skip_lws() noexcept {
    while (i_ < s_.size()) {
      if (cs::is_wsp(s_[i_])) {
        ++i_;
      } else if (s_[i_] == '\r' && i_ + 2 < s_.size() && s_[i_ + 1] == '\n' && cs::is_wsp(s_[i_ + 2])) {
        i_ += 3;
      } else {
        break;
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// The value of parameter `name` (case-insensitive), "" for a flag, nullopt if absent.
inline std::optional<std::string_view> find_param(std::string_view list, std::string_view name) noexcept {
  ParamIterator it(list);
  Param p;
  while (it.next(p))
    if (cs::iequals(p.name, name)) return p.value;
  return std::nullopt;
}

}  // namespace warden::sip::msg
