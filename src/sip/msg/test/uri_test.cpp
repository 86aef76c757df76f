#include <gtest/gtest.h>

#include "sip/msg/uri.hpp"

using namespace warden::sip::msg;

TEST(Uri, SipWithEverything) {
  Uri u;
  ASSERT_TRUE(parse_uri("sips:alice:secret@example.com:5061;transport=tls;lr?subject=hi&priority=urgent", u));
  EXPECT_EQ(u.scheme, Scheme::Sips);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.host_kind, HostKind::Name);
  EXPECT_EQ(u.port.value_or(0), 5061);
  EXPECT_EQ(u.param("transport").value_or("?"), "tls");
  EXPECT_EQ(u.param("LR").value_or("?"), "");
  EXPECT_FALSE(u.param("maddr").has_value());
  EXPECT_EQ(u.headers, "subject=hi&priority=urgent");
}

TEST(Uri, SchemeIsCaseInsensitive) {
  Uri u;
  ASSERT_TRUE(parse_uri("SIP:bob@192.0.2.4", u));
  EXPECT_EQ(u.scheme, Scheme::Sip);
  EXPECT_EQ(u.host_kind, HostKind::IPv4);
}

TEST(Uri, Tel) {
  Uri u;
  ASSERT_TRUE(parse_uri("tel:+1-201-555-0123;phone-context=example.com", u));
  EXPECT_EQ(u.scheme, Scheme::Tel);
  EXPECT_EQ(u.user, "+1-201-555-0123");
  EXPECT_EQ(u.param("phone-context").value_or(""), "example.com");
  EXPECT_TRUE(parse_uri("tel:7042;phone-context=example.com", u));
  EXPECT_FALSE(parse_uri("tel:", u));
  EXPECT_FALSE(parse_uri("tel:12+34", u));
  EXPECT_FALSE(parse_uri("tel:abc@x", u));
}

TEST(Uri, OtherSchemesAreOpaque) {
  Uri u;
  ASSERT_TRUE(parse_uri("soap.beep://192.0.2.103:3002", u));
  EXPECT_EQ(u.scheme, Scheme::Other);
  EXPECT_EQ(u.scheme_text, "soap.beep");
  EXPECT_EQ(u.opaque, "//192.0.2.103:3002");
  EXPECT_TRUE(parse_uri("isbn:2983792873", u));
  EXPECT_FALSE(parse_uri("1abc:x", u));
  EXPECT_FALSE(parse_uri(":x", u));
  EXPECT_FALSE(parse_uri("http:a b", u));
}

TEST(Uri, Ipv6) {
  Uri u;
  ASSERT_TRUE(parse_uri("sip:[2001:db8::10]:5070", u));
  EXPECT_EQ(u.host, "2001:db8::10");
  EXPECT_EQ(u.host_kind, HostKind::IPv6);
  EXPECT_EQ(u.port.value_or(0), 5070);
  EXPECT_TRUE(parse_uri("sip:user@[::ffff:192.0.2.1]", u));
  EXPECT_TRUE(parse_uri("sip:[::1]", u));
  EXPECT_TRUE(parse_uri("sip:[2001:db8:::192.0.2.1]", u));  // RFC 5118 §4.10 tolerance
  EXPECT_FALSE(parse_uri("sip:[2001:db8:::1]", u));         // ":::" only before IPv4
  EXPECT_FALSE(parse_uri("sip:2001:db8::10", u));
  EXPECT_FALSE(parse_uri("sip:[2001:db8::10", u));
  EXPECT_FALSE(parse_uri("sip:[1:2:3:4:5:6:7:8:9]", u));
  EXPECT_FALSE(parse_uri("sip:[1::2::3]", u));
  EXPECT_FALSE(parse_uri("sip:[12345::]", u));
}

TEST(Uri, RejectsMalformed) {
  Uri u;
  EXPECT_FALSE(parse_uri("sip:", u));
  EXPECT_FALSE(parse_uri("sip:@example.com", u));
  EXPECT_FALSE(parse_uri("sip:user@", u));
  EXPECT_FALSE(parse_uri("sip:user@example.com:70000", u));
  EXPECT_FALSE(parse_uri("sip:user@example.com:", u));
  EXPECT_FALSE(parse_uri("sip:user@example.com;;lr", u));
  EXPECT_FALSE(parse_uri("sip:user@example.com;lr=", u));
  EXPECT_FALSE(parse_uri("sip:us er@example.com", u));
  EXPECT_FALSE(parse_uri("sip:user@exa mple.com", u));
  EXPECT_FALSE(parse_uri("sip:user%4@example.com", u));
  EXPECT_FALSE(parse_uri("sip:user@example.com?", u));
  EXPECT_FALSE(parse_uri("sip:user@example.com?a", u));
  EXPECT_FALSE(parse_uri("sip:user@-bad-.com", u));
  EXPECT_FALSE(parse_uri("sip:user@1.2.3.456", u));
  EXPECT_FALSE(parse_uri("sip:user@example.123", u));
  EXPECT_FALSE(parse_uri("<sip:user@example.com>", u));
}

TEST(Uri, ParameterLimit) {
  Uri u;
  EXPECT_TRUE(parse_uri("sip:h;a;b;c", u, 3));
  EXPECT_FALSE(parse_uri("sip:h;a;b;c;d", u, 3));
}

TEST(Uri, UnescapeOnce) {
  std::string out;
  ASSERT_TRUE(unescape("v%61lue%25%34%31", out));
  EXPECT_EQ(out, "value%41");
  ASSERT_TRUE(unescape("a%00b", out));
  EXPECT_EQ(out, std::string("a\0b", 3));
  EXPECT_FALSE(unescape("%4", out));
  EXPECT_FALSE(unescape("%zz", out));
}

TEST(Uri, Ipv4AndIpv6Validators) {
  EXPECT_TRUE(is_ipv4_address("192.0.2.1"));
  EXPECT_FALSE(is_ipv4_address("192.0.2"));
  EXPECT_FALSE(is_ipv4_address("192.0.2.1.5"));
  EXPECT_FALSE(is_ipv4_address("0192.0.2.1"));
  EXPECT_TRUE(is_ipv6_address("1:2:3:4:5:6:7:8"));
  EXPECT_TRUE(is_ipv6_address("::"));
  EXPECT_TRUE(is_ipv6_address("fe80::1"));
  EXPECT_TRUE(is_ipv6_address("1:2:3:4:5:6:192.0.2.1"));
  EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7:192.0.2.1"));
  EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7"));
  EXPECT_FALSE(is_ipv6_address("1:"));
  EXPECT_FALSE(is_ipv6_address(":1"));
}
