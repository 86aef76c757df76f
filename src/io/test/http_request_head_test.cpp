// parse_http_request_head(): the certificate server's request-head parser. Valid heads split at
// every offset (NeedMore until the last byte), every prefix of a head followed by nothing is
// never Complete, each strictness rule and limit gives its documented status.
#include <gtest/gtest.h>

#include <string>

#include "io/http_request_head.hpp"

namespace warden::io {
namespace {

const std::string kGet =
    "GET /cert.pem HTTP/1.1\r\nHost: cert.example.test:8443\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n";

TEST(HttpRequestHead, ParsesAGet) {
  const auto r = parse_http_request_head(kGet);
  ASSERT_EQ(r.status, HttpHeadStatus::Complete);
  EXPECT_EQ(r.head.method, "GET");
  EXPECT_EQ(r.head.target, "/cert.pem");
  EXPECT_EQ(r.head.version, "HTTP/1.1");
  EXPECT_EQ(r.head.host, "cert.example.test:8443");
  EXPECT_EQ(r.head.head_bytes, kGet.size());
}

TEST(HttpRequestHead, StopsAtTheEmptyLine) {
  const std::string more = kGet + "GET /other HTTP/1.1\r\n";
  const auto r = parse_http_request_head(more);
  ASSERT_EQ(r.status, HttpHeadStatus::Complete);
  EXPECT_EQ(r.head.head_bytes, kGet.size());
  EXPECT_EQ(r.head.target, "/cert.pem");
}

TEST(HttpRequestHead, Http10WithoutHost) {
  const auto r = parse_http_request_head("GET /cert.pem HTTP/1.0\r\n\r\n");
  ASSERT_EQ(r.status, HttpHeadStatus::Complete);
  EXPECT_EQ(r.head.version, "HTTP/1.0");
  EXPECT_TRUE(r.head.host.empty());
}

// Truncation: every proper prefix of a valid head is NeedMore (never Complete, never Bad).
TEST(HttpRequestHead, EveryPrefixNeedsMore) {
  for (std::size_t n = 0; n < kGet.size(); ++n) {
    const auto r = parse_http_request_head(std::string_view(kGet).substr(0, n));
    EXPECT_EQ(r.status, HttpHeadStatus::NeedMore) << "prefix of " << n << " bytes";
  }
}

// Truncation of bad heads: no prefix of a bad head is Complete.
TEST(HttpRequestHead, NoPrefixOfABadHeadIsComplete) {
  for (std::string bad : {std::string("GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"),
                          std::string("GET /x HTTP/1.1\nHost: a\n\n"), std::string("GET  /x HTTP/1.1\r\n\r\n")}) {
    for (std::size_t n = 0; n <= bad.size(); ++n) {
      const auto r = parse_http_request_head(std::string_view(bad).substr(0, n));
      EXPECT_NE(r.status, HttpHeadStatus::Complete) << n << " bytes of " << bad;
    }
    EXPECT_EQ(parse_http_request_head(bad).status, HttpHeadStatus::Bad) << bad;
  }
}

// Grind: the head split in two, as two reads would deliver it; the parser sees the
// accumulated bytes and completes exactly when the second half arrives.
TEST(HttpRequestHead, SplitAtEveryOffset) {
  for (std::size_t cut = 0; cut < kGet.size(); ++cut) {
    std::string buffer = kGet.substr(0, cut);
    ASSERT_EQ(parse_http_request_head(buffer).status, HttpHeadStatus::NeedMore) << cut;
    buffer += kGet.substr(cut);
    const auto r = parse_http_request_head(buffer);
    ASSERT_EQ(r.status, HttpHeadStatus::Complete) << cut;
    EXPECT_EQ(r.head.target, "/cert.pem");
  }
}

struct BadCase {
  const char* text;
  int status;
};

TEST(HttpRequestHead, RefusesWithTheRightStatus) {
  const BadCase cases[] = {
      {"GET /x HTTP/1.1\r\n\r\n", 400},                             // no Host in HTTP/1.1
      {"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},       // two Hosts
      {"GET /x HTTP/1.1\nHost: a\n\n", 400},                        // bare LF
      {"GET /x HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400},            // bare LF inside
      {"GET  /x HTTP/1.1\r\nHost: a\r\n\r\n", 400},                 // two spaces
      {"GET /x  HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET /x HTTP/1.1 \r\nHost: a\r\n\r\n", 400},                 // trailing space
      {"GET\r\nHost: a\r\n\r\n", 400},
      {"\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n", 400},              // leading empty line
      {"G(T /x HTTP/1.1\r\nHost: a\r\n\r\n", 400},                  // method not a token
      {"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},              // control in target
      {"GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},       // obs-fold
      {"GET /x HTTP/1.1\r\nHost : a\r\n\r\n", 400},                 // space before colon
      {"GET /x HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400},              // control in value
      {"GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: -0\r\n\r\n", 400},
      {"GET /x HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"GET /x HTTP/0.9\r\nHost: a\r\n\r\n", 505},
      {"GET /x HTTP/1.10\r\nHost: a\r\n\r\n", 400},
      {"GET /x http/1.1\r\nHost: a\r\n\r\n", 400},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ /x HTTP/1.1\r\nHost: a\r\n\r\n", 501},
  };
  for (const auto& c : cases) {
    const auto r = parse_http_request_head(c.text);
    EXPECT_EQ(r.status, HttpHeadStatus::Bad) << c.text;
    EXPECT_EQ(r.http_status, c.status) << c.text;
  }
  // Content-Length: 0 is no body: accepted.
  EXPECT_EQ(parse_http_request_head("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").status,
            HttpHeadStatus::Complete);
}

TEST(HttpRequestHead, Limits) {
  HttpHeadLimits limits;
  limits.max_head_bytes = 64;
  limits.max_headers = 3;
  limits.max_target_bytes = 10;
  // No empty line within the head limit: 431, even though more bytes might end it later.
  const std::string endless = "GET /x HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(100, 'a');
  auto r = parse_http_request_head(endless, limits);
  EXPECT_EQ(r.status, HttpHeadStatus::Bad);
  EXPECT_EQ(r.http_status, 431);
  // Exactly at the limit, still incomplete: 431; one byte less: NeedMore.
  EXPECT_EQ(parse_http_request_head(endless.substr(0, 64), limits).http_status, 431);
  EXPECT_EQ(parse_http_request_head(endless.substr(0, 63), limits).status, HttpHeadStatus::NeedMore);
  // A complete head that ends beyond the limit is refused too.
  const std::string long_head = "GET /x HTTP/1.1\r\nHost: a\r\nX: " + std::string(40, 'b') + "\r\n\r\n";
  ASSERT_GT(long_head.size(), 64u);
  EXPECT_EQ(parse_http_request_head(long_head, limits).http_status, 431);

  r = parse_http_request_head("GET /x HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  EXPECT_EQ(r.http_status, 431);  // four headers, three allowed
  EXPECT_EQ(parse_http_request_head("GET /x HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits).status,
            HttpHeadStatus::Complete);
  EXPECT_EQ(parse_http_request_head("GET /0123456789 HTTP/1.1\r\nHost: a\r\n\r\n", limits).http_status, 414);
  EXPECT_EQ(parse_http_request_head("GET /012345678 HTTP/1.1\r\nHost: a\r\n\r\n", limits).status,
            HttpHeadStatus::Complete);
}

// One-byte mutations of a valid head never crash and never yield a head outside the input.
TEST(HttpRequestHead, ByteMutations) {
  for (std::size_t i = 0; i < kGet.size(); ++i) {
    for (int v : {0, int{'\r'}, int{'\n'}, int{' '}, int{':'}, 0x7f, 0xff}) {
      std::string m = kGet;
      m[i] = static_cast<char>(v);
      const auto r = parse_http_request_head(m);
      if (r.status == HttpHeadStatus::Complete) {
        EXPECT_LE(r.head.head_bytes, m.size());
      }
    }
  }
}

}  // namespace
}  // namespace warden::io
