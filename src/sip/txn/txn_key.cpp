#include "sip/txn/txn_key.hpp"

#include <charconv>

namespace warden::sip::txn {

namespace {

using msg::Method;

std::string_view method_for_match(const msg::Message& m, bool ack_as_invite) {
  if (ack_as_invite && m.method == Method::Ack) return "INVITE";
  return m.method_text;
}

void add(std::string& k, std::string_view part) {
  k.append(part);
  k.push_back('\x1f');  // a separator no token contains
}

void key_with_method(const msg::Message& m, std::string_view method, std::string& k) {
  k.clear();
  const msg::Via* top = m.vias.empty() ? nullptr : &m.vias.front();
  if (top != nullptr && top->rfc3261_branch()) {
    add(k, "3261");
    add(k, top->branch);
    add(k, top->host);
    char port[8];
    auto r = std::to_chars(port, port + sizeof port, top->port.value_or(0));
    add(k, std::string_view(port, static_cast<std::size_t>(r.ptr - port)));
    add(k, method);
    return;
  }
  add(k, "2543");
  add(k, m.request_uri.raw);
  add(k, m.from.tag);
  add(k, m.call_id);
  char cseq[12];
  auto r = std::to_chars(cseq, cseq + sizeof cseq, m.cseq.number);
  add(k, std::string_view(cseq, static_cast<std::size_t>(r.ptr - cseq)));
  add(k, top != nullptr ? top->raw : std::string_view{});
  add(k, method);
}

}  // namespace

void server_key_into(const msg::Message& request, std::string& out) {
  key_with_method(request, method_for_match(request, true), out);
}
void cancel_target_key_into(const msg::Message& cancel, std::string& out) { key_with_method(cancel, "INVITE", out); }
void client_key_into(const msg::Message& response, std::string& out) {
  out.clear();
  add(out, response.vias.empty() ? std::string_view{} : response.vias.front().branch);
  add(out, response.cseq.method == Method::Ack ? std::string_view("INVITE") : response.cseq.method_text);
}

std::string server_key(const msg::Message& request) {
  std::string k;
  server_key_into(request, k);
  return k;
}

std::string cancel_target_key(const msg::Message& cancel) {
  std::string k;
  cancel_target_key_into(cancel, k);
  return k;
}

std::string client_key(const msg::Message& response) {
  std::string k;
  client_key_into(response, k);
  return k;
}

std::string client_key_for_request(const msg::Message& request) {
  std::string k;
  add(k, request.vias.empty() ? std::string_view{} : request.vias.front().branch);
  add(k, request.method_text);
  return k;
}

}  // namespace warden::sip::txn
