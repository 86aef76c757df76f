#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "shield/scan_detector.hpp"

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

namespace {

// sipvicious 0.3 svhelper.createTag(data): hex(data + "\x01" + str(random 32-bit number)).
std::string sipvicious_tag(const std::string& data, const std::string& random_digits) {
  static const char* kHex = "0123456789abcdef";
  const std::string raw = data + '\x01' + random_digits;
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

RequestFacts request(std::string_view method, std::string_view ruri_user, std::string_view to_user) {
  RequestFacts f;
  f.method = method;
  f.request_uri_user = ruri_user;
  f.to_user = to_user;
  f.from_tag = "9fxced76sl";
  return f;
}

}  // namespace

// What sipvicious 0.3.3 (Debian) sends: makeRequest(useragent='friendly-scanner') for svmap,
// svwar and svcrack alike.
TEST(ScanDetector, KnownScannerUserAgents) {
  const KeyedHash h;
  ScanDetector d(ScanConfig{}, h);
  for (const char* ua : {"friendly-scanner", "FRIENDLY-SCANNER", "sipcli/v1.8", "VaxSIPUserAgent/3.1", "sundayddr",
                         "iWar", "SIVuS", "smap 0.6.0", "Nmap NSE", "pplsip", "sipvicious", "SIPVicious-PRO",
                         "sip-scan", "friendly-request", "Asterisk PBX (friendly-scanner)"}) {
    RequestFacts f = request("OPTIONS", "", "100");
    f.user_agent = ua;
    const auto det = d.check_signature(f);
    ASSERT_TRUE(det.has_value()) << ua;
    EXPECT_EQ(det->kind, ScanKind::UserAgent);
    EXPECT_EQ(det->reason.rfind("scanner User-Agent \"", 0), 0u) << det->reason;
  }
}

TEST(ScanDetector, OrdinaryUserAgentsPass) {
  const KeyedHash h;
  ScanDetector d(ScanConfig{}, h);
  for (const char* ua : {"", "Asterisk PBX 18.10.0", "Linphone/5.0.0 (belle-sip/5.0.0)",
                         "baresip v1.0.0 (x86_64/linux)", "sipsak 0.9.8", "SIPp", "Zoiper rv2.10", "Smapper/1.0",
                         "MySmap", "Grandstream GXP2170", "friendly scanner", "sipclient 2"}) {
    RequestFacts f = request("REGISTER", "", "alice");
    f.user_agent = ua;
    EXPECT_FALSE(d.check_signature(f).has_value()) << ua;
  }
}

// Signatures are compared only where a word of the User-Agent starts with their first letter;
// past 16 such places the detector compares everywhere. Both ways find the same signature, the
// first of the configured list that matches.
TEST(ScanDetector, FindsTheFirstConfiguredSignatureWhereverItStands) {
  const KeyedHash h;
  ScanConfig cfg;
  cfg.user_agents = {"smap", "sipvicious"};
  ScanDetector d(cfg, h);
  std::string crowded;
  for (int i = 0; i < 20; ++i) crowded += "s" + std::to_string(i) + " ";  // 20 word starts with 's'
  for (const std::string& ua : std::vector<std::string>{"sipvicious and smap", crowded + "sipvicious smap",
                                                       crowded + "sipvicious", "a-smap", "(sipvicious)"}) {
    RequestFacts f = request("OPTIONS", "", "100");
    f.user_agent = ua;
    const auto det = d.check_signature(f);
    ASSERT_TRUE(det.has_value()) << ua;
    const bool has_smap = ua.find("smap") != std::string::npos;
    EXPECT_EQ(det->reason, has_smap ? "scanner User-Agent \"smap\"" : "scanner User-Agent \"sipvicious\"") << ua;
  }
  for (const std::string& ua : std::vector<std::string>{crowded + "sipviciousX", crowded + "xsmap", "smapsipvicious"}) {
    RequestFacts f = request("OPTIONS", "", "100");
    f.user_agent = ua;
    EXPECT_FALSE(d.check_signature(f).has_value()) << ua;
  }
}

TEST(ScanDetector, MatchesWholeWordsOnly) {
  EXPECT_TRUE(ScanDetector::contains_word("x/iWar 1.0", "iwar"));
  EXPECT_FALSE(ScanDetector::contains_word("swarm", "iwar"));
  EXPECT_FALSE(ScanDetector::contains_word("iwarrior", "iwar"));
  EXPECT_FALSE(ScanDetector::contains_word("iwa", "iwar"));
  EXPECT_FALSE(ScanDetector::contains_word("anything", ""));
}

TEST(ScanDetector, SipviciousFromTags) {
  const KeyedHash h;
  ScanDetector d(ScanConfig{}, h);
  // svwar: createTag(extension); svmap: createTag(hex ip + hex port); svcrack: its fixed first
  // tag, then createTag("user:password").
  for (const std::string& tag : {sipvicious_tag("100", "3735928559"), sipvicious_tag("c00002011f40", "12345"),
                                 std::string("3206210844"), sipvicious_tag("1000:secret", "987654321")}) {
    RequestFacts f = request("REGISTER", "", "100");
    f.from_tag = tag;
    const auto det = d.check_signature(f);
    ASSERT_TRUE(det.has_value()) << tag;
    EXPECT_EQ(det->kind, ScanKind::FromTag);
    EXPECT_EQ(det->reason.find("secret"), std::string::npos);  // never the guessed password
  }
  EXPECT_FALSE(d.check_signature(request("REGISTER", "", "100")).has_value());
}

TEST(ScanDetector, OrdinaryFromTagsPass) {
  for (const std::string& tag :
       {std::string("a1b2c3d4e5f6"), std::string("84f6d0c1a2b7e9"), std::string("1234SIPpTag001"),
        std::string("as5f3c4e7b"), std::string("0123456789"), std::string("3206210845"),
        sipvicious_tag("100", "1234"),                    // too few digits for a random 32-bit number
        sipvicious_tag("", "123456789"),                  // nothing before the separator
        sipvicious_tag("100", "12345") + "7a",            // a letter after the digits
        std::string("313030013132333435363") }) {        // odd length
    EXPECT_FALSE(ScanDetector::is_sipvicious_tag(tag)) << tag;
  }
  ScanConfig off;
  off.from_tag_fingerprints = false;
  const KeyedHash h;
  ScanDetector d(off, h);
  RequestFacts f = request("REGISTER", "", "100");
  f.from_tag = "3206210844";
  EXPECT_FALSE(d.check_signature(f).has_value());
}

TEST(ScanDetector, TargetUserByMethod) {
  EXPECT_EQ(ScanDetector::target_user(request("REGISTER", "", "101")), "101");
  EXPECT_EQ(ScanDetector::target_user(request("INVITE", "102", "bob")), "102");
  EXPECT_EQ(ScanDetector::target_user(request("OPTIONS", "", "103")), "103");
}

// svwar's dictionary mode: many names, not in sequence.
TEST(ScanDetector, ManyDistinctUsersFromOneSource) {
  ScanConfig c;
  c.max_distinct_users = 20;
  c.max_sequential = 0;
  const KeyedHash h;
  ScanDetector d(c, h);
  const Address src = ip("192.0.2.66");
  for (int i = 0; i < 19; ++i) {
    const std::string user = "name" + std::to_string(i * 7);
    ASSERT_FALSE(d.observe(src, request("INVITE", user, user), at(seconds(1))).has_value()) << i;
    // Repeats (retransmissions, the authenticated retry) are not new users.
    ASSERT_FALSE(d.observe(src, request("INVITE", user, user), at(seconds(1))).has_value()) << i;
  }
  EXPECT_FALSE(d.observe(ip("192.0.2.67"), request("INVITE", "other", "other"), at(seconds(1))).has_value());
  const auto det = d.observe(src, request("INVITE", "admin", "admin"), at(seconds(2)));
  ASSERT_TRUE(det.has_value());
  EXPECT_EQ(det->kind, ScanKind::ManyUsers);
  EXPECT_EQ(det->reason, "20 distinct users within 60 s from one source");
  // The count starts again after a detection.
  EXPECT_FALSE(d.observe(src, request("INVITE", "root", "root"), at(seconds(3))).has_value());
}

TEST(ScanDetector, DistinctUsersCountOnlyWithinTheWindow) {
  ScanConfig c;
  c.max_distinct_users = 5;
  c.max_sequential = 0;
  c.window = seconds(60);
  const KeyedHash h;
  ScanDetector d(c, h);
  const Address src = ip("192.0.2.66");
  for (const char* u : {"a", "b", "c", "d"}) ASSERT_FALSE(d.observe(src, request("INVITE", u, u), at(seconds(1))));
  EXPECT_FALSE(d.observe(src, request("INVITE", "e", "e"), at(seconds(61))).has_value());  // a new window
  for (const char* u : {"f", "g", "h"}) ASSERT_FALSE(d.observe(src, request("INVITE", u, u), at(seconds(62))));
  EXPECT_TRUE(d.observe(src, request("INVITE", "i", "i"), at(seconds(63))).has_value());
}

// svwar's default: REGISTER (or INVITE, OPTIONS) to 100, 101, 102, ...
TEST(ScanDetector, SequentialExtensions) {
  ScanConfig c;
  c.max_sequential = 6;
  c.max_distinct_users = 0;
  const KeyedHash h;
  ScanDetector d(c, h);
  const Address src = ip("192.0.2.66");
  for (int ext = 100; ext < 105; ++ext) {
    const std::string u = std::to_string(ext);
    ASSERT_FALSE(d.observe(src, request("REGISTER", "", u), at(seconds(1))).has_value()) << ext;
    ASSERT_FALSE(d.observe(src, request("REGISTER", "", u), at(seconds(1))).has_value()) << ext;  // repeat
  }
  const auto det = d.observe(src, request("REGISTER", "", "105"), at(seconds(1)));
  ASSERT_TRUE(det.has_value());
  EXPECT_EQ(det->kind, ScanKind::SequentialUsers);
  EXPECT_EQ(det->reason, "6 sequential extensions up to 105 from one source");
}

TEST(ScanDetector, BrokenSequencesAreNotScans) {
  ScanConfig c;
  c.max_sequential = 4;
  c.max_distinct_users = 0;
  const KeyedHash h;
  ScanDetector d(c, h);
  const Address src = ip("192.0.2.5");
  for (const char* u : {"100", "101", "102", "200", "201", "202", "alice", "203", "204", "99", "1x", "100"}) {
    EXPECT_FALSE(d.observe(src, request("INVITE", u, u), at(seconds(1))).has_value()) << u;
  }
}

TEST(ScanDetector, OnePhoneRegisteringAgainAndAgainIsNotAScan) {
  const KeyedHash h;
  ScanDetector d(ScanConfig{}, h);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(d.observe(ip("192.0.2.5"), request("REGISTER", "", "101"), at(seconds(i))).has_value());
  }
}

TEST(ScanDetector, ConfiguredMaximumIsCapped) {
  ScanConfig c;
  c.max_distinct_users = 1000;  // more than a record holds: kMaxDistinctUsers applies
  c.max_sequential = 0;
  const KeyedHash h;
  ScanDetector d(c, h);
  std::optional<Detection> det;
  int n = 0;
  while (!det && n < 100) {
    const std::string u = "u" + std::to_string(n++);
    det = d.observe(ip("192.0.2.5"), request("INVITE", u, u), at(seconds(1)));
  }
  EXPECT_EQ(n, static_cast<int>(ScanDetector::kMaxDistinctUsers));
}
