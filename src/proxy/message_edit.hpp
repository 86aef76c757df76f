#pragma once
// The edits a stateful proxy makes to the messages it relays (RFC 3261 §16.6, §16.7):
// - build_forward(): the copy of a request sent on one branch: new Request-URI, Max-Forwards
//   decremented, our Via on top with received/rport added to the previous hop's Via (RFC 3581
//   §4), our Record-Route, Route values from a registered Path (RFC 3327), our own Route popped
//   (loose routing, §16.4). Every other header is copied as written, unknown ones included;
//   folded lines are unfolded.
// - strip_top_via(): a response with our Via removed, to pass upstream.
// - next_hop_for_uri() / next_hop_for_via(): where a URI or a Via sends a message, when that
//   can be known without DNS (an IP literal or "localhost"); RFC 3263 look-ups are sip/resolve's.
// - loop_hash(): the part of our branch that detects loops (§16.3 step 4, §16.6 step 8).
// Thread-safety: pure functions. Errors: none; callers pass validated messages.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/endpoint.hpp"
#include "runtime/transport.hpp"
#include "sip/msg/message.hpp"

namespace warden::proxy {

struct NextHop {
  runtime::TransportKind kind = runtime::TransportKind::Udp;
  runtime::Endpoint endpoint;
};

std::optional<NextHop> next_hop_for_uri(const sip::msg::Uri& uri);
// RFC 3261 §18.2.2 with RFC 3581: received/rport when present, else the sent-by.
std::optional<NextHop> next_hop_for_via(const sip::msg::Via& via);
// "udp:192.0.2.1:5060" → NextHop; the form Binding::received uses.
std::optional<NextHop> parse_next_hop(std::string_view text);
std::string format_next_hop(const NextHop& hop);

// 16 hex digits over Request-URI, Call-ID, From tag, To tag and CSeq number.
std::string loop_hash(const sip::msg::Message& request);

struct ForwardEdits {
  std::string_view request_uri;   // "" keeps the request's
  std::size_t pop_routes = 0;     // drop this many leading Route values (they name us: one, or
                                  // two after a double Record-Route, RFC 5658)
  std::string_view via;           // our Via value, e.g. "SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK..."
  std::string_view received;      // the previous hop's source address for its Via, "" for none
  std::uint16_t rport = 0;        // and its source port, 0 for none
  std::string_view record_route;  // our Record-Route value "<sip:192.0.2.5;lr>", "" for none
  std::string_view path_routes;   // Route values to put first (a registered Path), "" for none
  int max_forwards = 70;          // the value to write
  std::string_view extra_headers; // whole lines ("Name: value\r\n") added at the end of the header section
  std::string_view from_value;    // a new From value ("" keeps it): the verdict of Identity verification
  bool drop_identity_and_date = false;  // the request is signed here: the caller's Identity and Date go
  bool drop_referred_by = false;  // a Referred-By of ours is in extra_headers: the caller's go
  // Proxy-Authorization values for this realm go: the credentials were checked here, are of no
  // use downstream and name the user (a privacy leak toward other domains). "" keeps them all.
  std::string_view consumed_realm;
};

// The response a server gives to a request it could not parse (RFC 3261 §8.2.6.1): the Via,
// From, To, Call-ID and CSeq lines are copied as written (compact names too, folded lines
// kept) and To gets `to_tag` if it has none. False when any of them is missing, or when the
// response built from them would not parse itself (the fault was in a copied line): such a
// message is dropped, not answered.
bool build_stateless_error(std::string_view request, std::uint16_t status, std::string_view reason,
                           std::string_view to_tag, std::string_view extra_headers, std::string& out);

// RFC 3581 §4 for a response we generate: the top Via value `via` (found verbatim in
// `response`) gets received=`source` and, when the request asked with rport, rport=`port`.
// received is added when rport was asked or the sent-by host differs from the source.
void set_received_in_response(std::string& response, const sip::msg::Via& via, std::string_view source,
                              std::uint16_t port);

void build_forward(const sip::msg::Message& request, const ForwardEdits& edits, std::string& out);

// The From/To value `na` with the URI parameter `name` set to `value` (every earlier occurrence
// removed), the URI in angle brackets: how the verification service hands the callee its
// verdict (RFC 8588 verstat on the From URI).
std::string with_uri_param(const sip::msg::NameAddr& na, std::string_view name, std::string_view value);
void strip_top_via(const sip::msg::Message& response, std::string& out);

}  // namespace warden::proxy
