#pragma once
// Every number a peer could push to exhaust memory or time is bounded here, in one place.
// The defaults suit a public-facing proxy; the configuration file may tighten or loosen them.

#include <cstddef>
#include <cstdint>

namespace warden::base {

struct Limits {
  // SIP messages (RFC 3261 §7, §18.3).
  struct Sip {
    std::size_t max_message_bytes = 65535;   // whole message, start line + headers + body
    std::size_t max_header_section_bytes = 16384;
    std::size_t max_line_bytes = 8192;       // one header field, folded lines included
    std::size_t max_headers = 128;           // header fields (lines), all names together
    std::size_t max_vias = 70;               // Via values (one per hop; Max-Forwards starts at 70)
    std::size_t max_contacts = 32;
    std::size_t max_routes = 32;             // Route, Record-Route and Path values each
    std::size_t max_body_bytes = 49152;
    std::size_t max_uri_bytes = 4096;
    std::size_t max_params = 64;             // parameters on one URI or header value
  } sip;

  // SDP bodies (RFC 8866).
  struct Sdp {
    std::size_t max_bytes = 49152;
    std::size_t max_lines = 512;
    std::size_t max_media = 16;
    std::size_t max_attributes = 256;        // session and media attributes together
    std::size_t max_formats = 64;            // payload formats on one m= line
  } sdp;
};

}  // namespace warden::base
