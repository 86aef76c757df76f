#pragma once
// CallHeaders: header lines a user asks to add to the INVITEs the phone places (`warden phone
// call --privacy VALUE --header "Name: value"`), checked before anything is sent.
//
// - Privacy (RFC 3323 §4.2): priv-value *(";" priv-value), each priv-value a token ("id",
//   "header", "user", "session", "none", "critical", or an extension token), blanks allowed
//   around the ';'. The line is written as "Privacy: <value as given, blanks removed>".
// - Other headers are copied verbatim: "Name: value", the name a token, the value without CR,
//   LF, NUL or another control character but HTAB (no header injection, no folding). Names the
//   user agent writes itself (Via, From, To, Call-ID, CSeq, Contact, Max-Forwards,
//   Content-Length, Content-Type, Authorization, Proxy-Authorization, User-Agent, and their
//   compact forms) are refused: two of them would make a broken or ambiguous request. A
//   Privacy header given this way as well as set_privacy() is refused (say it once).
// Limits: kMaxLine bytes per line, kMaxHeaders lines.
// Thread-safety: a plain value type.
// Errors: add()/set_privacy() return "" when accepted, otherwise a sentence saying why (the
// headers stay as they were).

#include <cstddef>
#include <string>
#include <string_view>

namespace warden::phone {

class CallHeaders {
 public:
  static constexpr std::size_t kMaxLine = 4096;  // a Referred-By with a referral token fits
  static constexpr std::size_t kMaxHeaders = 16;

  std::string set_privacy(std::string_view value);
  std::string add(std::string_view line);

  // The accepted lines, each ending in CRLF, in the order given (Privacy first when set).
  std::string lines() const { return privacy_ + others_; }
  // Only the Privacy line ("" when none).
  const std::string& privacy_line() const noexcept { return privacy_; }
  bool empty() const noexcept { return privacy_.empty() && others_.empty(); }

 private:
  std::string privacy_;
  std::string others_;
  std::size_t count_ = 0;
  bool privacy_added_ = false;  // a Privacy line came through add()
};

}  // namespace warden::phone
