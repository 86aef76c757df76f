#pragma once
// parse_http_request_head(): the head of one HTTP/1.1 request (RFC 9112 §2-§5: request line,
// header fields, the empty line), as the certificate server (certificate_server.hpp) receives
// it from anyone on the network. Incremental in the simplest way: call it with everything
// received so far; it says NeedMore until the empty line has arrived, and never reads past
// `bytes`. The returned views point into `bytes`.
//
// Strict by choice (a small server for one resource gains nothing from leniency): lines end in
// CRLF (a bare LF is 400), one SP between the request line's parts, the method a token, the
// target visible ASCII, the version HTTP/1.0 or HTTP/1.1 (another HTTP/x.y is 505), no
// obsolete line folding, header names tokens, values without control characters other than
// HTAB, exactly one Host in HTTP/1.1, no request body (Transfer-Encoding, or a Content-Length
// other than 0, is 400).
// Limits (HttpHeadLimits): head size (431 when reached without the empty line), header count
// (431), target length (414), method length (501 for a longer one: no method we serve is long).
// Thread-safety: a pure function.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace warden::io {

struct HttpHeadLimits {
  std::size_t max_head_bytes = 8 * 1024;  // request line + headers + the empty line
  std::size_t max_headers = 32;
  std::size_t max_target_bytes = 1024;
  std::size_t max_method_bytes = 16;
};

struct HttpRequestHead {
  std::string_view method;
  std::string_view target;
  std::string_view version;  // "HTTP/1.1" or "HTTP/1.0"
  std::string_view host;     // the Host header's value (empty when absent in HTTP/1.0)
  std::size_t head_bytes = 0;  // bytes of the head, the empty line included
};

enum class HttpHeadStatus : std::uint8_t { NeedMore, Complete, Bad };

struct HttpHeadResult {
  HttpHeadStatus status = HttpHeadStatus::NeedMore;
  int http_status = 0;  // when Bad: the status to answer with (400, 414, 431, 501, 505)
  HttpRequestHead head;  // when Complete
};

HttpHeadResult parse_http_request_head(std::string_view bytes, const HttpHeadLimits& limits = {}) noexcept;

}  // namespace warden::io
