// The decoder robustness kinds: grind (every line prefix, every mix of CRLF and LF), truncation
// (every byte prefix, each in an exact-size heap block so ASan sees a read one past the end),
// mutation (every byte replaced or removed), and a seeded splice of lines from all samples.
// Whatever the input, parse() either fails with an SdpErrc or returns a description whose
// serialization parses back to the same description.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sip/sdp/sdp.hpp"
#include "test_util.hpp"

using namespace warden::sip::sdp;
namespace t = warden::sip::sdp::test;

namespace {

std::vector<std::string> samples() {
  std::vector<std::string> out;
  for (auto& [name, text] : t::corpus()) out.push_back(text);
  for (const char* f : {"ipv6-in-sdp.dat", "mult-ip-in-sdp.dat", "ipv4-mapped-ipv6.dat"}) {
    out.push_back(t::rfc5118_body(f));
  }
  return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto lf = text.find('\n');
    const auto n = lf == std::string_view::npos ? text.size() : lf + 1;
    out.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

template <class R, class F>
void check_format_round_trip(const R& parsed, F parse_again) {
  if (!parsed) return;
  const std::string text = format_value(*parsed);
  auto again = parse_again(std::string_view(text));
  ASSERT_TRUE(again) << text;
  EXPECT_EQ(*again, *parsed);
}

// Every typed helper over every attribute: none may crash, and the formatted value of a
// well-formed attribute must parse back to the same value.
void exercise_attributes(const SessionDescription& sd) {
  std::vector<const std::vector<Attribute>*> sections{&sd.attributes};
  for (const auto& m : sd.media) sections.push_back(&m.attributes);
  for (const auto* attrs : sections) {
    for (const Attribute& a : *attrs) {
      const std::string_view v = a.value;
      check_format_round_trip(parse_rtpmap(v), [](std::string_view s) { return parse_rtpmap(s); });
      check_format_round_trip(parse_fmtp(v), [](std::string_view s) { return parse_fmtp(s); });
      check_format_round_trip(parse_crypto(v), [](std::string_view s) { return parse_crypto(s); });
      check_format_round_trip(parse_fingerprint(v), [](std::string_view s) { return parse_fingerprint(s); });
      check_format_round_trip(parse_candidate(v), [](std::string_view s) { return parse_candidate(s); });
      check_format_round_trip(parse_rtcp(v), [](std::string_view s) { return parse_rtcp(s); });
      (void)parse_setup(v);
      (void)parse_ice_ufrag(v);
      (void)parse_ice_pwd(v);
      (void)parse_ice_options(v);
      (void)parse_ptime(v);
      (void)parse_mid(v);
    }
  }
  for (const auto& m : sd.media) {
    (void)effective_direction(sd, m);
    (void)find_ice_credentials(sd, m);
    (void)find_candidates(m);
    (void)find_ptime(sd, m);
    (void)sd.connection_for(m);
  }
  (void)check_known_attributes(sd);
}

// Parses `text` from an exact-size heap copy and checks the outcome. Returns true if it parsed.
bool check_input(std::string_view text) {
  auto copy = std::make_unique<char[]>(text.size() + 1);
  std::copy(text.begin(), text.end(), copy.get());
  const std::string_view exact(copy.get(), text.size());
  auto r = parse(exact);
  if (!r) {
    EXPECT_EQ(r.error().category(), sdp_category());
    return false;
  }
  const std::string out = serialize(*r);
  warden::base::Limits::Sdp relaxed;  // CRLF may make the canonical text longer than the input
  relaxed.max_bytes *= 2;
  auto again = parse(out, relaxed);
  EXPECT_TRUE(again) << again.error().message() << "\n" << out;
  if (again) {
    EXPECT_EQ(*again, *r);
    EXPECT_EQ(serialize(*again), out);
  }
  exercise_attributes(*r);
  return true;
}

}  // namespace

TEST(Robustness, GrindLinePrefixes) {
  for (const std::string& text : samples()) {
    const auto lines = lines_of(text);
    std::string prefix;
    bool seen_t = false;
    for (std::string_view line : lines) {
      prefix.append(line);
      seen_t = seen_t || line.rfind("t=", 0) == 0;
      auto r = parse(prefix);
      // A prefix of whole lines of a valid body is valid as soon as it holds a t= line.
      EXPECT_EQ(static_cast<bool>(r), seen_t) << prefix;
      if (r) {
        EXPECT_EQ(serialize(*r), prefix);
      }
    }
  }
}

TEST(Robustness, GrindLineEndings) {
  for (const std::string& text : samples()) {
    auto full = parse(text);
    ASSERT_TRUE(full);
    const auto lines = lines_of(text);
    // Each line on its own turned into bare LF, then every other line, then all of them.
    for (std::size_t i = 0; i <= lines.size() + 1; ++i) {
      std::string mixed;
      for (std::size_t j = 0; j < lines.size(); ++j) {
        std::string_view line = lines[j];
        const bool to_lf = i == j || (i == lines.size() && j % 2 == 0) || i == lines.size() + 1;
        if (to_lf && line.size() >= 2 && line.substr(line.size() - 2) == "\r\n") {
          mixed.append(line.substr(0, line.size() - 2));
          mixed.push_back('\n');
        } else {
          mixed.append(line);
        }
      }
      auto r = parse(mixed);
      ASSERT_TRUE(r) << mixed;
      EXPECT_EQ(*r, *full);
    }
  }
}

TEST(Robustness, TruncateEveryPrefix) {
  std::size_t parsed = 0;
  std::size_t total = 0;
  for (const std::string& text : samples()) {
    for (std::size_t n = 0; n <= text.size(); ++n) {
      parsed += check_input(std::string_view(text).substr(0, n)) ? 1 : 0;
      ++total;
    }
  }
  EXPECT_GT(parsed, 0u);
  EXPECT_LT(parsed, total);
}

TEST(Robustness, MutateEveryByte) {
  const std::string replacements("\0\r\n :/=x9\xff\t-", 12);
  for (const std::string& text : samples()) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      std::string m = text;
      m.erase(i, 1);
      check_input(m);
      for (char c : replacements) {
        m = text;
        m[i] = c;
        check_input(m);
      }
    }
  }
}

TEST(Robustness, SeededLineSplices) {
  std::vector<std::string_view> pool;
  const auto all = samples();
  for (const std::string& text : all) {
    for (std::string_view line : lines_of(text)) pool.push_back(line);
  }
  std::mt19937 rng(20240611);
  std::size_t parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n";
    const int n = static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) text.append(pool[rng() % pool.size()]);
    parsed += check_input(text) ? 1 : 0;
  }
  EXPECT_GT(parsed, 100u);
}

TEST(Robustness, HostileShapes) {
  EXPECT_FALSE(check_input(std::string(100000, 'a')));       // TooLarge
  EXPECT_FALSE(check_input(std::string(40000, '\n') + "x"));  // many empty lines
  std::string long_line = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP";
  for (int i = 0; i < 64; ++i) long_line += " 0";
  EXPECT_TRUE(check_input(long_line));
  long_line += " 0";
  EXPECT_FALSE(check_input(long_line));  // 65 formats
  std::string deep = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nz=";
  for (int i = 0; i < 4000; ++i) deep += "1 -1h ";
  EXPECT_TRUE(check_input(deep));
  EXPECT_TRUE(check_input("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\na=crypto:1 x inline:" +
                          std::string(40000, '=')));
}
