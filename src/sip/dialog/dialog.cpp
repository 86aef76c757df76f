#include "sip/dialog/dialog.hpp"

#include <charconv>

#include "base/error.hpp"
#include "sip/dialog/identifiers.hpp"
#include "sip/msg/serializer.hpp"

namespace warden::sip::dialog {

namespace {

using msg::Method;

bool is_target_refresh(Method m) noexcept {
  return m == Method::Invite || m == Method::Update || m == Method::Subscribe || m == Method::Notify ||
         m == Method::Refer;
}

// The name-addr of a From/To value without its tag parameter, as we will write it back.
std::string without_tag(const msg::NameAddr& na) {
  std::string out;
  if (!na.display.empty()) {
    msg::append_unfolded(na.display, out);
    out.push_back(' ');
  }
  out.push_back('<');
  out.append(na.uri.raw);
  out.push_back('>');
  msg::ParamIterator it(na.params);
  msg::Param p;
  while (it.next(p)) {
    if (msg::cs::iequals(p.name, "tag")) continue;
    out.push_back(';');
    out.append(p.name);
    if (p.has_value) {
      out.push_back('=');
      out.append(p.value);
    }
  }
  return out;
}

std::string route_entry(const msg::NameAddr& na) { return std::string(na.uri.raw); }

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace

base::Result<Dialog> Dialog::from_uac(const msg::Message& request, const msg::Message& response) {
  if (response.to.tag.empty() || request.from.tag.empty() || response.status < 101 || response.status >= 300)
    return base::Errc::InvalidArgument;
  if (response.status >= 200 && response.contacts.empty()) return base::Errc::InvalidArgument;
  Dialog d;
  d.id_ = {std::string(request.call_id), std::string(request.from.tag), std::string(response.to.tag)};
  d.state_ = response.status >= 200 ? State::Confirmed : State::Early;
  d.local_uri_ = without_tag(request.from);
  d.remote_uri_ = without_tag(request.to);
  if (!response.contacts.empty()) d.remote_target_ = std::string(response.contacts.front().uri.raw);
  // §12.1.2: the route set is the Record-Route list of the response, in reverse order.
  for (auto it = response.record_routes.rbegin(); it != response.record_routes.rend(); ++it)
    d.route_set_.push_back(route_entry(*it));
  d.local_seq_ = request.cseq.number;
  d.secure_ = request.request_uri.scheme == msg::Scheme::Sips;
  d.initial_method_ = request.method;
  return d;
}

base::Result<Dialog> Dialog::from_uas(const msg::Message& request, std::string_view local_tag,
                                      std::string_view contact, bool confirmed) {
  if (local_tag.empty() || request.from.tag.empty() || request.contacts.empty()) return base::Errc::InvalidArgument;
  (void)contact;
  Dialog d;
  d.id_ = {std::string(request.call_id), std::string(local_tag), std::string(request.from.tag)};
  d.state_ = confirmed ? State::Confirmed : State::Early;
  d.local_uri_ = without_tag(request.to);
  d.remote_uri_ = without_tag(request.from);
  d.remote_target_ = std::string(request.contacts.front().uri.raw);
  // §12.1.1: the Record-Route list of the request, in order.
  for (const auto& rr : request.record_routes) d.route_set_.push_back(route_entry(rr));
  d.remote_seq_ = request.cseq.number;
  d.remote_seq_known_ = true;
  d.local_seq_ = 0;  // §12.1.1: empty; the first request we send picks a number
  d.secure_ = request.request_uri.scheme == msg::Scheme::Sips;
  d.initial_method_ = request.method;
  return d;
}

void Dialog::on_response(const msg::Message& request, const msg::Message& response) {
  if (state_ == State::Terminated) return;
  const bool success = response.status >= 200 && response.status < 300;
  if (request.method == initial_method_ && state_ == State::Early) {
    if (success) state_ = State::Confirmed;
    else if (response.status >= 300) state_ = State::Terminated;
  }
  if (success && is_target_refresh(request.method) && !response.contacts.empty())
    remote_target_ = std::string(response.contacts.front().uri.raw);
  if (response.status == 481 || response.status == 408) state_ = State::Terminated;  // §12.2.1.2
}

std::uint16_t Dialog::on_request(const msg::Message& request) {
  if (request.method != Method::Ack && request.method != Method::Cancel) {
    if (remote_seq_known_ && request.cseq.number <= remote_seq_ &&
        !(request.cseq.number == remote_seq_ && request.method == Method::Ack))
      return 500;
    remote_seq_ = request.cseq.number;
    remote_seq_known_ = true;
  }
  if (is_target_refresh(request.method) && !request.contacts.empty())
    remote_target_ = std::string(request.contacts.front().uri.raw);
  if (request.method == Method::Bye) state_ = State::Terminated;
  return 0;
}

std::string Dialog::make_request(Method method, std::string_view transport, std::string_view via_sent_by,
                                 base::Random& rng, std::string_view extra_headers, std::string_view body,
                                 std::string_view content_type, std::uint32_t ack_cseq) {
  std::uint32_t cseq;
  if (method == Method::Ack) {
    cseq = ack_cseq;
  } else {
    // §12.2.1.1: a UAS that has not sent a request yet starts anywhere; we start at 1.
    cseq = ++local_seq_;
  }
  // §12.2.1.1: loose routing when the first route has ;lr, strict routing otherwise.
  std::string_view ruri = remote_target_;
  std::size_t first_route = 0;
  bool strict = false;
  if (!route_set_.empty()) {
    msg::Uri first;
    strict = !(msg::parse_uri(route_set_.front(), first) && first.has_param("lr"));
    if (strict) {
      ruri = route_set_.front();
      first_route = 1;
    }
  }
  std::string out;
  out.append(msg::to_string(method));
  out.push_back(' ');
  out.append(ruri);
  out.append(" SIP/2.0\r\nVia: SIP/2.0/");
  out.append(transport);
  out.push_back(' ');
  out.append(via_sent_by);
  out.append(";branch=");
  out.append(new_branch(rng));
  out.append(";rport\r\nMax-Forwards: 70\r\n");
  for (std::size_t i = first_route; i < route_set_.size(); ++i) {
    out.append("Route: <");
    out.append(route_set_[i]);
    out.append(">\r\n");
  }
  if (strict) {
    out.append("Route: <");
    out.append(remote_target_);
    out.append(">\r\n");
  }
  out.append("From: ");
  out.append(local_uri_);
  out.append(";tag=");
  out.append(id_.local_tag);
  out.append("\r\nTo: ");
  out.append(remote_uri_);
  out.append(";tag=");
  out.append(id_.remote_tag);
  out.append("\r\nCall-ID: ");
  out.append(id_.call_id);
  out.append("\r\nCSeq: ");
  append_number(out, cseq);
  out.push_back(' ');
  out.append(msg::to_string(method));
  out.append("\r\n");
  out.append(extra_headers);
  if (!body.empty()) {
    out.append("Content-Type: ");
    out.append(content_type);
    out.append("\r\n");
  }
  out.append("Content-Length: ");
  append_number(out, body.size());
  out.append("\r\n\r\n");
  out.append(body);
  return out;
}

}  // namespace warden::sip::dialog
