#pragma once
// Internal to sip/msg: fast searches over wire bytes, 16 octets at a time where SSE2 is
// available (every x86-64), one octet at a time elsewhere. Each returns the first position
// in [p, e) that stops the scan, or `e`; none reads outside [p, e).
// Thread-safety: pure functions.

#include <cstdint>

#include "sip/msg/charset.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace warden::sip::msg::scan {

// The first CR or LF.
inline const char* cr_or_lf(const char* p, const char* e) noexcept {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  while (e - p >= 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int hit = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(b, cr), _mm_cmpeq_epi8(b, lf)));
    if (hit != 0) return p + __builtin_ctz(static_cast<unsigned>(hit));
    p += 16;
  }
#endif
  while (p < e && *p != '\r' && *p != '\n') ++p;
  return p;
}

// Inside a quoted-string (RFC 3261 §25.1): the first octet that is not plain qdtext, i.e.
// '"', '\\', a control character (HTAB included; the caller decides) or DEL.
inline const char* quoted_special(const char* p, const char* e) noexcept {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i del = _mm_set1_epi8(0x7f);
  const __m128i ctl_max = _mm_set1_epi8(0x1f);
  while (e - p >= 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(b, ctl_max), ctl_max);  // b <= 0x1f
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash)),
                                     _mm_or_si128(_mm_cmpeq_epi8(b, del), ctl));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < e) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) break;
    ++p;
  }
  return p;
}

// The first octet equal to `c`; inline, without the call a short memchr costs.
inline const char* byte(const char* p, const char* e, char c) noexcept {
#if defined(__SSE2__)
  const __m128i want = _mm_set1_epi8(c);
  while (e - p >= 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int hit = _mm_movemask_epi8(_mm_cmpeq_epi8(b, want));
    if (hit != 0) return p + __builtin_ctz(static_cast<unsigned>(hit));
    p += 16;
  }
#endif
  while (p < e && *p != c) ++p;
  return p;
}

// The end of the run of host name characters (ALPHA / DIGIT / "-" / ".") starting at p.
inline const char* hostchar_end(const char* p, const char* e) noexcept {
#if defined(__SSE2__)
  const __m128i fold = _mm_set1_epi8(0x20);
  while (e - p >= 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i low = _mm_or_si128(b, fold);
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
                                         _mm_cmplt_epi8(low, _mm_set1_epi8('z' + 1)));
    // '-' 0x2d, '.' 0x2e and the digits 0x30-0x39 form the range 0x2d-0x39 without '/' (0x2f)
    const __m128i other = _mm_andnot_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('/')),
                                           _mm_and_si128(_mm_cmpgt_epi8(b, _mm_set1_epi8('-' - 1)),
                                                         _mm_cmplt_epi8(b, _mm_set1_epi8('9' + 1))));
    const unsigned out = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, other))) & 0xffffU;
    if (out != 0) return p + __builtin_ctz(out);
    p += 16;
  }
#endif
  while (p < e && cs::is(*p, cs::kHostChar)) ++p;
  return p;
}

}  // namespace warden::sip::msg::scan
