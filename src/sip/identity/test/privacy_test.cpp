// Privacy at the proxy (RFC 3323, RFC 3325) and topology hiding, on real messages: each rule
// applied to a request or response, the output parsed again with sip/msg and its headers
// checked; the caller's addresses searched for in the output; responses restored; the opaque
// contact tokens round-tripped and tampered with.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/limits.hpp"
#include "sip/identity/contact_token.hpp"
#include "sip/identity/privacy.hpp"
#include "sip/msg/parser.hpp"

namespace warden::sip::identity {
namespace {

const base::Limits::Sip kLimits{};
constexpr const char* kAnon = "sip:tok3n@198.51.100.9:5060;transport=udp";

// A parsed message that owns its bytes.
struct Parsed {
  std::string bytes;
  msg::Message m;
};

std::unique_ptr<Parsed> parse(std::string bytes) {
  auto p = std::make_unique<Parsed>();
  p->bytes = std::move(bytes);
  const auto v = msg::parse_message(p->bytes, p->m, kLimits);
  EXPECT_TRUE(v.accepted()) << p->bytes;
  return p;
}

std::vector<std::string> values(const msg::Message& m, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : m.headers)
    if (msg::cs::iequals(h.name, name)) out.emplace_back(h.value);
  return out;
}

const std::string kSdp =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 192.168.1.20\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.20\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n";

// The request as the proxy (198.51.100.9) received it from the internal edge proxy 10.0.0.2,
// which got it from Alice's phone at 192.168.1.20 behind a NAT at 203.0.113.7.
std::string received_invite(const std::vector<std::string>& extra, const std::string& sdp = kSdp) {
  std::string r =
      "INVITE sip:bob@b.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKedge1\r\n"
      "Via: SIP/2.0/UDP 192.168.1.20:5062;rport=5062;received=203.0.113.7;branch=z9hG4bKphone1\r\n"
      "Max-Forwards: 69\r\n"
      "Record-Route: <sip:10.0.0.2;lr>\r\n"
      "From: \"Alice Liddell\" <sip:alice@a.test>;tag=1928301774\r\n"
      "To: <sip:bob@b.test>\r\n"
      "Call-ID: a84b4c76e66710\r\n"
      "CSeq: 314159 INVITE\r\n"
      "Contact: <sip:alice@192.168.1.20:5062;transport=udp>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";expires=3600;+sip.isfocus\r\n";
  for (const auto& h : extra) r += h + "\r\n";
  r += "Content-Type: application/sdp\r\n";
  r += "Content-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
  return r;
}

// The same request as build_forward() makes it: our Via and our Record-Route on top, the
// previous hop's Via with received.
std::string forwarded(const std::string& received) {
  std::string f = received;
  const std::string via1 = "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKedge1\r\n";
  f.replace(f.find(via1), via1.size(),
            "Via: SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bKproxy1\r\n"
            "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKedge1;received=10.0.0.2\r\n");
  const std::string rr = "Record-Route: <sip:10.0.0.2;lr>\r\n";
  f.replace(f.find(rr), rr.size(), "Record-Route: <sip:198.51.100.9;lr>\r\n" + rr);
  return f;
}

const std::vector<std::string> kUserHeaders = {
    "User-Agent: Warden/1.0 (alice-laptop)", "Subject: lunch?", "Call-Info: <http://a.test/alice.jpg>;purpose=icon",
    "Organization: A Inc.", "Alert-Info: <http://a.test/ring.wav>", "Reply-To: <sip:alice@a.test>",
    "In-Reply-To: 70710@a.test", "Warning: 399 a.test \"none\""};

PrivacyContext untrusted_next() {
  PrivacyContext c;
  c.from_trusted = true;
  c.to_trusted = false;
  c.anonymous_contact = kAnon;
  c.own_hosts = {"198.51.100.9"};
  c.caller_address = "10.0.0.2";
  return c;
}

std::unique_ptr<Parsed> forward_ok(const std::string& request, const PrivacyContext& ctx, PrivacyOutcome* outcome = nullptr) {
  PrivacyOutcome o = apply_request_privacy(request, ctx, kLimits);
  EXPECT_TRUE(o.forward()) << o.status << " " << o.reason;
  auto p = parse(o.bytes);
  if (outcome) *outcome = std::move(o);
  return p;
}

TEST(PrivacyHeader, Parse) {
  auto r = parse_privacy("header;id");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has(PrivacyValue::Header) && r->has(PrivacyValue::Id));
  EXPECT_FALSE(r->has(PrivacyValue::User) || r->has(PrivacyValue::Critical));
  EXPECT_TRUE(r->any());
  r = parse_privacy(" NONE ");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has(PrivacyValue::None));
  EXPECT_FALSE(r->any());
  r = parse_privacy("user ; session , critical");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has(PrivacyValue::User) && r->has(PrivacyValue::Session) && r->has(PrivacyValue::Critical));
  r = parse_privacy("history;critical");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has(PrivacyValue::Other) && r->any());
  EXPECT_FALSE(parse_privacy(""));
  EXPECT_FALSE(parse_privacy("id;;header"));
  EXPECT_FALSE(parse_privacy("id;"));
  EXPECT_FALSE(parse_privacy("i d"));
  EXPECT_FALSE(parse_privacy("\"id\""));
  std::string many = "id";
  for (std::size_t i = 1; i < kMaxPrivacyValues; ++i) many += ";id";
  EXPECT_TRUE(parse_privacy(many));
  EXPECT_FALSE(parse_privacy(many + ";id"));
}

// RFC 3325 §5: an assertion from outside the trust domain is a forgery and never passed on.
TEST(AssertedIdentity, ForgedFromUntrustedRemoved) {
  const std::string req = forwarded(received_invite({"P-Asserted-Identity: <sip:ceo@a.test>"}));
  PrivacyContext c;
  c.from_trusted = false;
  c.to_trusted = true;
  auto out = forward_ok(req, c);
  EXPECT_TRUE(values(out->m, "P-Asserted-Identity").empty());
  // The same header from a trusted hop toward a trusted hop is kept.
  c.from_trusted = true;
  out = forward_ok(req, c);
  EXPECT_EQ(values(out->m, "P-Asserted-Identity"), std::vector<std::string>{"<sip:ceo@a.test>"});
}

// §6: the proxy that authenticated the caller writes the assertion, replacing any, and drops
// P-Preferred-Identity.
TEST(AssertedIdentity, AuthenticatedCallerAsserted) {
  const std::string req = forwarded(received_invite(
      {"P-Asserted-Identity: <sip:ceo@a.test>", "P-Preferred-Identity: <sip:alice@a.test>", "P-Asserted-Identity: <tel:+15550100>"}));
  PrivacyContext c;
  c.from_trusted = false;
  c.to_trusted = true;
  c.asserted_identity = "sip:alice@a.test";
  c.display_name = "Alice \"the\" Liddell";
  auto out = forward_ok(req, c);
  EXPECT_EQ(values(out->m, "P-Asserted-Identity"),
            std::vector<std::string>{"\"Alice \\\"the\\\" Liddell\" <sip:alice@a.test>"});
  EXPECT_TRUE(values(out->m, "P-Preferred-Identity").empty());
  // A P-Preferred-Identity never leaves, even when nothing is asserted.
  c.asserted_identity.clear();
  c.from_trusted = true;
  out = forward_ok(req, c);
  EXPECT_TRUE(values(out->m, "P-Preferred-Identity").empty());
  EXPECT_EQ(values(out->m, "P-Asserted-Identity").size(), 2u);
  // An identity that is not a URI is the proxy's bug: refused, not written.
  c.asserted_identity = "alice>, <sip:ceo@a.test";
  const PrivacyOutcome bad = apply_request_privacy(req, c, kLimits);
  EXPECT_FALSE(bad.forward());
  EXPECT_EQ(bad.status, 500);
}

// §9.1 and the strip_pai_untrusted option.
TEST(AssertedIdentity, TowardUntrustedNextHop) {
  PrivacyContext c = untrusted_next();
  c.asserted_identity = "sip:alice@a.test";
  const std::string plain = forwarded(received_invite({}));
  auto out = forward_ok(plain, c);
  EXPECT_TRUE(values(out->m, "P-Asserted-Identity").empty());  // default: only inside the trust domain
  c.strip_pai_untrusted = false;
  out = forward_ok(plain, c);
  EXPECT_EQ(values(out->m, "P-Asserted-Identity"), std::vector<std::string>{"<sip:alice@a.test>"});
  // Privacy: id removes it toward untrusted whatever the option says...
  const std::string with_id = forwarded(received_invite({"Privacy: id"}));
  out = forward_ok(with_id, c);
  EXPECT_TRUE(values(out->m, "P-Asserted-Identity").empty());
  EXPECT_TRUE(values(out->m, "Privacy").empty());
  // ...and keeps it, with the Privacy header, toward a trusted one.
  c.to_trusted = true;
  out = forward_ok(with_id, c);
  EXPECT_EQ(values(out->m, "P-Asserted-Identity"), std::vector<std::string>{"<sip:alice@a.test>"});
  EXPECT_EQ(values(out->m, "Privacy"), std::vector<std::string>{"id"});
}

void expect_addresses_hidden(const Parsed& out, const std::string& bytes) {
  // Only our Via, only our Record-Route, the anonymizing Contact.
  ASSERT_EQ(out.m.vias.size(), 1u);
  EXPECT_EQ(out.m.vias[0].host, "198.51.100.9");
  EXPECT_EQ(out.m.vias[0].branch, "z9hG4bKproxy1");
  ASSERT_EQ(out.m.record_routes.size(), 1u);
  EXPECT_EQ(out.m.record_routes[0].uri.host, "198.51.100.9");
  ASSERT_EQ(out.m.contacts.size(), 1u);
  EXPECT_EQ(out.m.contacts[0].uri.raw, kAnon);
  EXPECT_EQ(out.m.contacts[0].param("expires"), std::optional<std::string_view>("3600"));
  EXPECT_TRUE(out.m.contacts[0].param("+sip.isfocus"));
  EXPECT_FALSE(out.m.contacts[0].param("+sip.instance"));
  // The SDP origin says nothing; c= and m= are the media relay's.
  EXPECT_NE(out.m.body.find("o=- 2890844526 2890844527 IN IP4 0.0.0.0\r\n"), std::string_view::npos);
  EXPECT_NE(out.m.body.find("c=IN IP4 192.168.1.20\r\n"), std::string_view::npos);
  ASSERT_TRUE(out.m.content_length);
  EXPECT_EQ(*out.m.content_length, out.m.body.size());
  // No address of the caller's side is left anywhere but in the c= line.
  for (const char* ip : {"10.0.0.2", "203.0.113.7"}) EXPECT_FALSE(contains_address(bytes, ip)) << ip;
  std::string without_c = bytes;
  without_c.erase(without_c.find("c=IN IP4 192.168.1.20\r\n"), 23);
  EXPECT_FALSE(contains_address(without_c, "192.168.1.20")) << bytes;
  EXPECT_EQ(without_c.find("uuid"), std::string::npos);
}

// RFC 3323 §5.1/§5.3: Privacy: header, the proxy as the last privacy service.
TEST(PrivacyService, HeaderPrivacy) {
  std::vector<std::string> extra = kUserHeaders;
  extra.push_back("Privacy: header;id");
  extra.push_back("P-Asserted-Identity: <sip:alice@a.test>");
  extra.push_back("Identity: abc.def.ghi;info=<https://a.test/cert.pem>;alg=ES256");
  PrivacyOutcome o;
  auto out = forward_ok(forwarded(received_invite(extra)), untrusted_next(), &o);
  EXPECT_TRUE(o.from_anonymized);
  EXPECT_TRUE(o.addresses_hidden);
  EXPECT_TRUE(o.needs_media_relay);  // c= still names the phone
  EXPECT_TRUE(o.privacy.has(PrivacyValue::Header));
  EXPECT_EQ(out->m.from.display, "\"Anonymous\"");
  EXPECT_EQ(out->m.from.uri.raw, "sip:anonymous@anonymous.invalid");
  EXPECT_EQ(out->m.from.tag, "1928301774");
  EXPECT_EQ(out->m.to.uri.raw, "sip:bob@b.test");
  EXPECT_EQ(out->m.call_id, "a84b4c76e66710");
  for (const char* h : {"User-Agent", "Subject", "Call-Info", "Organization", "Alert-Info", "Reply-To", "In-Reply-To",
                        "Warning", "Privacy", "P-Asserted-Identity", "Identity"})
    EXPECT_TRUE(values(out->m, h).empty()) << h;
  EXPECT_EQ(o.bytes.find("Alice"), std::string::npos);
  EXPECT_EQ(o.bytes.find("alice"), std::string::npos);
  expect_addresses_hidden(*out, o.bytes);
}

TEST(PrivacyService, UserPrivacy) {
  std::vector<std::string> extra = kUserHeaders;
  extra.push_back("Privacy: user");
  PrivacyOutcome o;
  auto out = forward_ok(forwarded(received_invite(extra)), untrusted_next(), &o);
  EXPECT_TRUE(o.from_anonymized);
  EXPECT_EQ(out->m.from.uri.raw, "sip:anonymous@anonymous.invalid");
  for (const char* h : {"User-Agent", "Subject", "Call-Info", "Organization", "Alert-Info", "Reply-To", "In-Reply-To"})
    EXPECT_TRUE(values(out->m, h).empty()) << h;
  expect_addresses_hidden(*out, o.bytes);
}

// Privacy: id alone: the identity goes, the From the user chose to show stays; the addresses
// are hidden all the same (any privacy asked).
TEST(PrivacyService, IdPrivacy) {
  std::vector<std::string> extra = kUserHeaders;
  extra.push_back("Privacy: id");
  PrivacyContext c = untrusted_next();
  c.strip_pai_untrusted = false;
  c.asserted_identity = "sip:alice@a.test";
  PrivacyOutcome o;
  auto out = forward_ok(forwarded(received_invite(extra)), c, &o);
  EXPECT_FALSE(o.from_anonymized);
  EXPECT_EQ(out->m.from.uri.raw, "sip:alice@a.test");
  EXPECT_TRUE(values(out->m, "P-Asserted-Identity").empty());
  EXPECT_EQ(values(out->m, "Subject").size(), 1u);
  expect_addresses_hidden(*out, o.bytes);
}

// The proxy as its own caller's privacy service: with anonymize_from, `id` (or no Privacy at
// all, for a private dialog's later requests) gives an anonymous From toward an untrusted hop,
// and nothing changes toward a trusted one.
TEST(PrivacyService, AnonymizeFromOnTheProxysWord) {
  for (const char* privacy : {"Privacy: id", ""}) {
    std::vector<std::string> extra = {"Subject: hi"};
    if (*privacy != 0) extra.push_back(privacy);
    PrivacyContext c = untrusted_next();
    c.anonymize_from = true;
    c.topology_hiding = true;
    PrivacyOutcome o;
    auto out = forward_ok(forwarded(received_invite(extra)), c, &o);
    EXPECT_TRUE(o.from_anonymized) << privacy;
    EXPECT_EQ(out->m.from.uri.host, "anonymous.invalid") << privacy;
    EXPECT_FALSE(out->m.from.tag.empty());
    EXPECT_EQ(o.bytes.find("alice"), std::string::npos) << o.bytes;
    c.to_trusted = true;
    out = forward_ok(forwarded(received_invite(extra)), c, &o);
    EXPECT_FALSE(o.from_anonymized) << privacy;
    EXPECT_EQ(out->m.from.uri.raw, "sip:alice@a.test");
  }
}

TEST(PrivacyService, NoneChangesNothingButThePrivacyHeader) {
  const std::string req = forwarded(received_invite({"Privacy: none", "Subject: hi"}));
  PrivacyOutcome o;
  auto out = forward_ok(req, untrusted_next(), &o);
  EXPECT_FALSE(o.addresses_hidden || o.from_anonymized || o.needs_media_relay);
  EXPECT_EQ(out->m.vias.size(), 3u);
  EXPECT_EQ(out->m.record_routes.size(), 2u);
  EXPECT_EQ(out->m.contacts[0].uri.raw, "sip:alice@192.168.1.20:5062;transport=udp");
  EXPECT_EQ(out->m.from.uri.raw, "sip:alice@a.test");
  EXPECT_EQ(out->m.body, kSdp);
  EXPECT_EQ(values(out->m, "Subject").size(), 1u);
  EXPECT_TRUE(values(out->m, "Privacy").empty());
}

// Privacy toward a trusted next hop is the next privacy service's work: nothing changes.
TEST(PrivacyService, TrustedNextHopLeavesItToTheNextService) {
  PrivacyContext c = untrusted_next();
  c.to_trusted = true;
  const std::string req = forwarded(received_invite({"Privacy: header;critical", "Subject: hi"}));
  PrivacyOutcome o;
  auto out = forward_ok(req, c, &o);
  EXPECT_EQ(o.bytes, req);
  EXPECT_EQ(values(out->m, "Privacy"), std::vector<std::string>{"header;critical"});
}

TEST(PrivacyService, SessionAsksForAMediaRelay) {
  PrivacyOutcome o;
  const std::string sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 198.51.100.77\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
  auto out = forward_ok(forwarded(received_invite({"Privacy: session"}, sdp)), untrusted_next(), &o);
  EXPECT_TRUE(o.needs_media_relay);  // c= is not the caller's, but session asks for it
  EXPECT_TRUE(o.from_anonymized);    // and otherwise it is header privacy
  // header privacy with a c= that is not one of the caller's addresses: no relay needed.
  out = forward_ok(forwarded(received_invite({"Privacy: header"}, sdp)), untrusted_next(), &o);
  EXPECT_FALSE(o.needs_media_relay);
  // ...and with a c= naming the address the request came from: needed.
  PrivacyContext c = untrusted_next();
  c.caller_address = "198.51.100.77";
  out = forward_ok(forwarded(received_invite({"Privacy: header"}, sdp)), c, &o);
  EXPECT_TRUE(o.needs_media_relay);
}

// §5.2: critical privacy that cannot be given is refused with 500 Privacy Unavailable.
TEST(PrivacyService, CriticalThatCannotBeHonoured) {
  PrivacyContext c = untrusted_next();
  for (const char* p : {"history;critical", "session;critical", "critical;header;session"}) {
    const PrivacyOutcome o = apply_request_privacy(forwarded(received_invite({std::string("Privacy: ") + p})), c, kLimits);
    EXPECT_FALSE(o.forward()) << p;
    EXPECT_EQ(o.status, 500);
    EXPECT_EQ(o.reason, "Privacy Unavailable");
  }
  c.media_relay_available = true;
  PrivacyOutcome o;
  forward_ok(forwarded(received_invite({"Privacy: session;critical"})), c, &o);
  EXPECT_TRUE(o.needs_media_relay);
  forward_ok(forwarded(received_invite({"Privacy: header;critical"})), untrusted_next());
}

TEST(PrivacyService, RefusalsAreClean) {
  // A malformed Privacy header: 400.
  PrivacyOutcome o = apply_request_privacy(forwarded(received_invite({"Privacy: id;;"})), untrusted_next(), kLimits);
  EXPECT_FALSE(o.forward());
  EXPECT_EQ(o.status, 400);
  // Addresses to hide and no anonymizing contact: 500 Privacy Unavailable, never a leak.
  PrivacyContext c = untrusted_next();
  c.anonymous_contact.clear();
  o = apply_request_privacy(forwarded(received_invite({"Privacy: id"})), c, kLimits);
  EXPECT_FALSE(o.forward());
  EXPECT_EQ(o.reason, "Privacy Unavailable");
  // Bytes that do not parse.
  o = apply_request_privacy("INVITE sip:bob@b.test SIP/2.0\r\n\r\n", c, kLimits);
  EXPECT_FALSE(o.forward());
  EXPECT_EQ(o.status, 500);
  // Every prefix of a real request: forwarded and parsing, or refused.
  const std::string req = forwarded(received_invite({"Privacy: header;id"}));
  for (std::size_t n = 0; n <= req.size(); ++n) {
    const PrivacyOutcome p = apply_request_privacy(std::string_view(req).substr(0, n), untrusted_next(), kLimits);
    if (p.forward()) {
      msg::Message m;
      EXPECT_TRUE(msg::parse_message(p.bytes, m, kLimits).accepted()) << n;
    }
  }
}

TEST(TopologyHiding, WithoutPrivacy) {
  PrivacyContext c = untrusted_next();
  c.topology_hiding = true;
  std::vector<std::string> extra = kUserHeaders;
  PrivacyOutcome o;
  auto out = forward_ok(forwarded(received_invite(extra)), c, &o);
  EXPECT_TRUE(o.addresses_hidden);
  EXPECT_FALSE(o.from_anonymized);
  EXPECT_EQ(out->m.from.uri.raw, "sip:alice@a.test");
  EXPECT_EQ(values(out->m, "User-Agent").size(), 1u);
  expect_addresses_hidden(*out, o.bytes);
  // Not asked for: nothing hidden.
  c.topology_hiding = false;
  out = forward_ok(forwarded(received_invite({})), c, &o);
  EXPECT_FALSE(o.addresses_hidden);
  EXPECT_EQ(out->m.vias.size(), 3u);
}

TEST(TopologyHiding, OwnHostsDefaultToOurVia) {
  PrivacyContext c = untrusted_next();
  c.topology_hiding = true;
  c.own_hosts.clear();
  auto out = forward_ok(forwarded(received_invite({})), c);
  ASSERT_EQ(out->m.record_routes.size(), 1u);
  EXPECT_EQ(out->m.record_routes[0].uri.host, "198.51.100.9");
  // Ports and brackets in own_hosts.
  c.own_hosts = {"[2001:db8::9]:5061", "198.51.100.9:5060"};
  out = forward_ok(forwarded(received_invite({})), c);
  EXPECT_EQ(out->m.record_routes.size(), 1u);
  c.own_hosts = {"198.51.100.9:5070"};  // our Record-Route has no port: the host decides
  out = forward_ok(forwarded(received_invite({})), c);
  EXPECT_EQ(out->m.record_routes.size(), 1u);
}

// The callee's 200 OK for the hidden INVITE comes back with our Via only; restored, it has the
// caller side's Via stack, route set and From again.
TEST(TopologyHiding, RestoreOnResponse) {
  auto original = parse(received_invite({"Privacy: header"}));
  const PrivacyOutcome o = apply_request_privacy(forwarded(original->bytes), untrusted_next(), kLimits);
  ASSERT_TRUE(o.forward());
  auto sent = parse(o.bytes);
  const std::string ok =
      "SIP/2.0 200 OK\r\n"
      "Via: " + std::string(sent->m.vias[0].raw) + "\r\n"
      "Record-Route: <sip:edge.b.test;lr>, <sip:198.51.100.9;lr>\r\n"
      "From: " + std::string(sent->m.from.raw) + "\r\n"
      "To: <sip:bob@b.test>;tag=8321234356\r\n"
      "Call-ID: a84b4c76e66710\r\n"
      "CSeq: 314159 INVITE\r\n"
      "Contact: <sip:bob@203.0.113.200>\r\n"
      "Content-Length: 0\r\n\r\n";
  auto resp = parse(ok);
  RestoreOptions opt;
  opt.received = "10.0.0.2";
  auto restored = restore_topology(resp->m, original->m, opt, kLimits);
  ASSERT_TRUE(restored);
  auto r = parse(*restored);
  ASSERT_EQ(r->m.vias.size(), 2u);
  EXPECT_EQ(r->m.vias[0].branch, "z9hG4bKedge1");
  EXPECT_EQ(r->m.vias[0].received, "10.0.0.2");
  EXPECT_EQ(r->m.vias[1].raw, original->m.vias[1].raw);
  ASSERT_EQ(r->m.record_routes.size(), 3u);
  EXPECT_EQ(r->m.record_routes[0].uri.host, "edge.b.test");
  EXPECT_EQ(r->m.record_routes[1].uri.host, "198.51.100.9");
  EXPECT_EQ(r->m.record_routes[2].uri.host, "10.0.0.2");
  EXPECT_EQ(r->m.from.raw, original->m.from.raw);
  EXPECT_EQ(r->m.contacts[0].uri.raw, "sip:bob@203.0.113.200");

  // restore_vias() puts the Vias back and nothing else.
  auto vias_only = restore_vias(resp->m, original->m, opt, kLimits);
  ASSERT_TRUE(vias_only);
  auto v = parse(*vias_only);
  EXPECT_EQ(v->m.vias.size(), 2u);
  EXPECT_EQ(v->m.record_routes.size(), 2u);
  EXPECT_EQ(v->m.from.uri.raw, "sip:anonymous@anonymous.invalid");
}

// When nothing was hidden the same call gives back the same stacks (no duplicates), and a 200
// without any Record-Route gets the caller side's route set.
TEST(TopologyHiding, RestoreIsIdempotentAndFillsEmptyRouteSets) {
  auto original = parse(received_invite({}));
  auto fwd = parse(forwarded(original->bytes));
  std::string ok = "SIP/2.0 180 Ringing\r\n";
  for (const auto& v : fwd->m.vias) ok += "Via: " + std::string(v.raw) + "\r\n";
  ok += "Record-Route: <sip:198.51.100.9;lr>, <sip:10.0.0.2;lr>\r\n"
        "From: \"Alice Liddell\" <sip:alice@a.test>;tag=1928301774\r\nTo: <sip:bob@b.test>;tag=1\r\n"
        "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n";
  auto resp = parse(ok);
  RestoreOptions opt;
  opt.received = "10.0.0.2";
  auto restored = restore_topology(resp->m, original->m, opt, kLimits);
  ASSERT_TRUE(restored);
  auto r = parse(*restored);
  EXPECT_EQ(r->m.vias.size(), 2u);
  EXPECT_EQ(r->m.record_routes.size(), 2u);

  const std::string bare =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bKproxy1\r\n"
      "From: <sip:anonymous@anonymous.invalid>;tag=1928301774\r\nTo: <sip:bob@b.test>;tag=2\r\n"
      "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n";
  resp = parse(bare);
  restored = restore_topology(resp->m, original->m, opt, kLimits);
  ASSERT_TRUE(restored);
  r = parse(*restored);
  ASSERT_EQ(r->m.record_routes.size(), 1u);
  EXPECT_EQ(r->m.record_routes[0].uri.host, "10.0.0.2");
  // ...but not on a failure response.
  std::string busy = bare;
  busy.replace(8, 6, "486 Busy Here");
  resp = parse(busy);
  restored = restore_topology(resp->m, original->m, opt, kLimits);
  ASSERT_TRUE(restored);
  EXPECT_TRUE(parse(*restored)->m.record_routes.empty());
}

// A call from another provider (untrusted) to an internal user: the 200 OK going back out
// hides the callee's internal Contact and the internal hops' Record-Route entries.
TEST(TopologyHiding, ResponseTowardUntrusted) {
  const std::string ok =
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/TLS 203.0.113.50:5061;branch=z9hG4bKext;received=203.0.113.50\r\n"
      "Record-Route: <sip:10.0.0.3;lr>, <sip:198.51.100.9;lr>, <sip:proxy.c.test;lr>\r\n"
      "From: <sip:carol@c.test>;tag=77\r\n"
      "To: <sip:alice@a.test>;tag=88\r\n"
      "Call-ID: ext-1@c.test\r\n"
      "CSeq: 1 INVITE\r\n"
      "Contact: <sip:alice@192.168.1.20:5062>;expires=60\r\n"
      "Server: Warden phone 1.0\r\n"
      "P-Asserted-Identity: <sip:alice@a.test>\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Length: " + std::to_string(kSdp.size()) + "\r\n\r\n" + kSdp;
  PrivacyContext c = untrusted_next();
  c.topology_hiding = true;
  c.caller_address = "192.168.1.20";
  PrivacyOutcome o = apply_response_privacy(ok, c, kLimits);
  ASSERT_TRUE(o.forward()) << o.reason;
  auto r = parse(o.bytes);
  ASSERT_EQ(r->m.record_routes.size(), 2u);
  EXPECT_EQ(r->m.record_routes[0].uri.host, "198.51.100.9");
  EXPECT_EQ(r->m.record_routes[1].uri.host, "proxy.c.test");
  EXPECT_EQ(r->m.contacts[0].uri.raw, kAnon);
  EXPECT_TRUE(values(r->m, "P-Asserted-Identity").empty());
  EXPECT_EQ(values(r->m, "Server").size(), 1u);  // no privacy asked: only addresses hidden
  EXPECT_TRUE(o.needs_media_relay);
  EXPECT_FALSE(contains_address(o.bytes, "10.0.0.3"));
  EXPECT_NE(r->m.body.find("o=- 2890844526 2890844527 IN IP4 0.0.0.0"), std::string_view::npos);
  // The callee asking for header privacy loses its Server header too.
  std::string with_privacy = ok;
  with_privacy.insert(with_privacy.find("Content-Type"), "Privacy: header\r\n");
  o = apply_response_privacy(with_privacy, c, kLimits);
  ASSERT_TRUE(o.forward());
  r = parse(o.bytes);
  EXPECT_TRUE(values(r->m, "Server").empty());
  EXPECT_TRUE(values(r->m, "Privacy").empty());
  // Contact only.
  auto hidden = hide_response_contact(ok, kAnon, kLimits);
  ASSERT_TRUE(hidden);
  r = parse(*hidden);
  EXPECT_EQ(r->m.contacts[0].uri.raw, kAnon);
  EXPECT_EQ(r->m.contacts[0].param("expires"), std::optional<std::string_view>("60"));
  EXPECT_EQ(r->m.record_routes.size(), 3u);
  EXPECT_EQ(hidden->find("sip:alice@192.168.1.20"), std::string::npos);
  EXPECT_FALSE(hide_response_contact(ok, "not a uri", kLimits));
  EXPECT_FALSE(hide_response_contact("garbage", kAnon, kLimits));
}

TEST(ContactToken, RoundTripOpaqueAndBounded) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const std::string uri = "sip:alice@192.168.1.20:5062;transport=udp";
  auto t = make_contact_token(key, uri);
  ASSERT_TRUE(t);
  EXPECT_EQ(make_contact_token(key, uri), t);  // one URI, one token
  EXPECT_NE(make_contact_token(key, uri + "x"), t);
  EXPECT_FALSE(contains_address(*t, "192.168.1.20"));
  EXPECT_EQ(t->find("alice"), std::string::npos);
  EXPECT_EQ(read_contact_token(key, *t), std::optional<std::string>(uri));
  EXPECT_FALSE(read_contact_token("another key", *t));
  // The token is a valid user part: the URI the proxy builds from it parses.
  const std::string contact = anonymous_contact_uri(*t, "198.51.100.9:5060", ";transport=udp");
  msg::Uri u;
  ASSERT_TRUE(msg::parse_uri(contact, u));
  EXPECT_EQ(u.user, *t);
  EXPECT_EQ(u.host, "198.51.100.9");
  // Any changed character, any prefix: nothing.
  for (std::size_t i = 0; i < t->size(); ++i) {
    std::string bad = *t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(read_contact_token(key, bad)) << i;
  }
  for (std::size_t n = 0; n < t->size(); ++n) EXPECT_FALSE(read_contact_token(key, t->substr(0, n))) << n;
  // Limits.
  const std::string longest(kMaxContactUriBytes, 'a');
  auto big = make_contact_token(key, longest);
  ASSERT_TRUE(big);
  EXPECT_LE(big->size(), kMaxContactTokenBytes);
  EXPECT_EQ(read_contact_token(key, *big), std::optional<std::string>(longest));
  EXPECT_FALSE(make_contact_token(key, longest + "a"));
  EXPECT_FALSE(make_contact_token("", uri));
  EXPECT_FALSE(make_contact_token(key, ""));
  EXPECT_FALSE(read_contact_token(key, std::string(kMaxContactTokenBytes + 4, 'A')));
  EXPECT_FALSE(read_contact_token(key, "not base64url!"));
}

TEST(ContainsAddress, WholeAddressesOnly) {
  EXPECT_TRUE(contains_address("Via: SIP/2.0/UDP 192.0.2.1:5060", "192.0.2.1"));
  EXPECT_TRUE(contains_address("c=IN IP4 192.0.2.1\r\n", "192.0.2.1"));
  EXPECT_TRUE(contains_address("received=192.0.2.1;rport", "192.0.2.1"));
  EXPECT_FALSE(contains_address("192.0.2.10", "192.0.2.1"));
  EXPECT_FALSE(contains_address("10.192.0.2.1", "192.0.2.1"));
  EXPECT_FALSE(contains_address("1192.0.2.1", "192.0.2.1"));
  EXPECT_TRUE(contains_address("sip:[2001:DB8::1]:5060", "2001:db8::1"));
  EXPECT_TRUE(contains_address("sip:[2001:db8::1]", "[2001:db8::1]"));
  EXPECT_FALSE(contains_address("2001:db8::10", "2001:db8::1"));
  EXPECT_FALSE(contains_address("2001:db8::1:5", "2001:db8::1"));
  EXPECT_FALSE(contains_address("", "192.0.2.1"));
  EXPECT_FALSE(contains_address("anything", ""));
}

}  // namespace
}  // namespace warden::sip::identity
