#include "sip/msg/builder.hpp"

#include <charconv>

#include "sip/msg/parse_error.hpp"
#include "sip/msg/serializer.hpp"

namespace warden::sip::msg {

namespace {

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  append_unfolded(value, out);
  out.append("\r\n");
}

void copy_headers(const Message& m, HeaderId id, std::string& out) {
  for (const auto& h : m.headers)
    if (h.id == id) header(out, canonical_name(id), h.value);
}

void content(std::string& out, std::string_view type, std::string_view body) {
  if (!body.empty()) header(out, "Content-Type", type);
  out.append("Content-Length: ");
  append_number(out, body.size());
  out.append("\r\n\r\n");
  out.append(body);
}

}  // namespace

namespace {

// An upper bound of what build_response appends, so that `out` grows once rather than doubling
// several times as the header fields go in (no more than needed: a response is kept by its
// server transaction until the transaction ends). The slack also covers the `received` and
// `rport` values a proxy then adds to the top Via (RFC 3581).
std::size_t response_size_bound(const Message& req, const ResponseOptions& o) {
  std::size_t n = 64 + o.reason.size() + o.to_tag.size() + o.extra_headers.size() + o.content_type.size() +
                  o.body.size() + req.call_id.size();
  for (const auto& h : req.headers) {
    switch (h.id) {
      case HeaderId::Via:
      case HeaderId::RecordRoute:
      case HeaderId::From:
      case HeaderId::To:
      case HeaderId::CSeq: n += canonical_name(h.id).size() + h.value.size() + 4; break;
      default: break;
    }
  }
  return n + 96;  // "Call-ID: ", Content-Type/Length names, the final CRLFs; Via received/rport
}

}  // namespace

void build_response(const Message& req, const ResponseOptions& o, std::string& out) {
  out.reserve(out.size() + response_size_bound(req, o));
  out.append("SIP/2.0 ");
  append_number(out, o.status);
  out.push_back(' ');
  out.append(o.reason.empty() ? reason_phrase(o.status) : o.reason);
  out.append("\r\n");
  copy_headers(req, HeaderId::Via, out);
  if (o.status > 100 && o.status < 300) copy_headers(req, HeaderId::RecordRoute, out);
  if (const Header* h = req.find(HeaderId::From)) header(out, "From", h->value);
  if (const Header* h = req.find(HeaderId::To)) {
    out.append("To: ");
    append_unfolded(h->value, out);
    if (req.to.tag.empty() && !o.to_tag.empty() && o.status != 100) {
      out.append(";tag=");
      out.append(o.to_tag);
    }
    out.append("\r\n");
  }
  if (!req.call_id.empty()) header(out, "Call-ID", req.call_id);
  if (const Header* h = req.find(HeaderId::CSeq)) header(out, "CSeq", h->value);
  out.append(o.extra_headers);
  content(out, o.content_type, o.body);
}

void build_ack_for_failure(const Message& invite, const Message& response, std::string& out) {
  out.append("ACK ");
  out.append(invite.request_uri.raw);
  out.append(" SIP/2.0\r\n");
  if (!invite.vias.empty()) header(out, "Via", invite.vias.front().raw);
  copy_headers(invite, HeaderId::Route, out);
  out.append("Max-Forwards: 70\r\n");
  if (const Header* h = invite.find(HeaderId::From)) header(out, "From", h->value);
  if (const Header* h = response.find(HeaderId::To)) header(out, "To", h->value);
  header(out, "Call-ID", invite.call_id);
  out.append("CSeq: ");
  append_number(out, invite.cseq.number);
  out.append(" ACK\r\n");
  content(out, {}, {});
}

void build_cancel(const Message& invite, std::string& out) {
  out.append("CANCEL ");
  out.append(invite.request_uri.raw);
  out.append(" SIP/2.0\r\n");
  if (!invite.vias.empty()) header(out, "Via", invite.vias.front().raw);
  copy_headers(invite, HeaderId::Route, out);
  out.append("Max-Forwards: 70\r\n");
  if (const Header* h = invite.find(HeaderId::From)) header(out, "From", h->value);
  if (const Header* h = invite.find(HeaderId::To)) header(out, "To", h->value);
  header(out, "Call-ID", invite.call_id);
  out.append("CSeq: ");
  append_number(out, invite.cseq.number);
  out.append(" CANCEL\r\n");
  content(out, {}, {});
}

}  // namespace warden::sip::msg
