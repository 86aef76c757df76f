// libFuzzer target: bytes a client sends to the certificate server, parsed as an HTTP/1.1
// request head. Whatever the input, the parser returns without reading outside it; a complete
// head lies within the input and the head limit, and its views point into the input; a refusal
// carries one of the documented statuses; every prefix of a complete head is NeedMore or Bad.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "io/http_request_head.hpp"

using namespace warden;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  io::HttpHeadLimits limits;
  limits.max_head_bytes = 1024;  // small, so that the fuzzer reaches the limit
  const auto r = io::parse_http_request_head(in, limits);
  switch (r.status) {
    case io::HttpHeadStatus::NeedMore:
      if (size >= limits.max_head_bytes) std::abort();
      break;
    case io::HttpHeadStatus::Bad:
      switch (r.http_status) {
        case 400: case 414: case 431: case 501: case 505: break;
        default: std::abort();
      }
      break;
    case io::HttpHeadStatus::Complete: {
      const auto& h = r.head;
      if (h.head_bytes > size || h.head_bytes > limits.max_head_bytes) std::abort();
      const std::string_view head = in.substr(0, h.head_bytes);
      if (!inside(h.method, head) || !inside(h.target, head) || !inside(h.version, head) || !inside(h.host, head))
        std::abort();
      if (head.substr(head.size() - 4) != "\r\n\r\n") std::abort();
      // A head cut short is never complete.
      if (io::parse_http_request_head(head.substr(0, head.size() - 1), limits).status == io::HttpHeadStatus::Complete)
        std::abort();
      break;
    }
  }
  return 0;
}
