#include <gtest/gtest.h>

#include <string>

#include "shield/destination_rules.hpp"

using namespace warden;
using namespace warden::shield;

namespace {

std::string digits_of(std::string_view dialled, bool* international = nullptr) {
  const auto n = DestinationRules::normalise(dialled, DestinationConfig{}.international_prefixes);
  if (!n) return "<none>";
  if (international != nullptr) *international = n->international;
  return std::string(n->view());
}

}  // namespace

TEST(DestinationRules, DefaultsBlockPremiumAndSatelliteRanges) {
  const DestinationRules rules;
  struct Case {
    const char* dialled;
    const char* prefix;
  };
  for (const Case& c : {Case{"+979123456789", "+979"}, Case{"+881631234567", "+881"},  // Iridium
                        Case{"+881812345678", "+881"},                                 // Globalstar
                        Case{"+88216123456", "+882"}, Case{"+8835100123456", "+883"},
                        Case{"+870772123456", "+870"}, Case{"+19005551234", "+1900"},
                        Case{"+449098790000", "+449"}, Case{"+499001234567", "+49900"},
                        Case{"+33892123456", "+3389"}, Case{"+319001234567", "+31900"},
                        Case{"+3290212345", "+3290"}, Case{"+43939123456", "+43939"},
                        Case{"+41901123456", "+41901"}, Case{"+39899123456", "+3989"},
                        Case{"+34806123456", "+34806"}}) {
    const auto why = rules.blocked(c.dialled);
    ASSERT_TRUE(why.has_value()) << c.dialled;
    EXPECT_EQ(*why, std::string("blocked destination prefix ") + c.prefix) << c.dialled;
  }
}

TEST(DestinationRules, OrdinaryNumbersAndNamesPass) {
  const DestinationRules rules;
  for (const char* dialled : {"+442079460000",   // London
                              "+4930123456",     // Berlin
                              "+498912345678",   // Munich (089), not 0900
                              "+41911234567",    // Ticino (091), not 0900
                              "+12125551234",    // New York
                              "+33123456789",    // Paris
                              "+18005551234",    // US toll-free
                              "0301234567", "101", "alice", "bob.smith", "*97", "#31#", "", "+", "---",
                              "sip-trunk", "0900123456"}) {  // national form: not in the defaults
    EXPECT_FALSE(rules.blocked(dialled).has_value()) << dialled;
  }
}

// RFC 3966 visual separators, a tel URI with parameters, and what people type.
TEST(DestinationRules, SeparatorsAreIgnored) {
  EXPECT_EQ(digits_of("+1-900-555-1234"), "19005551234");
  EXPECT_EQ(digits_of("+1 (900) 555.1234"), "19005551234");
  EXPECT_EQ(digits_of("tel:+1-900-555-1234;phone-context=example.com"), "19005551234");
  EXPECT_EQ(digits_of("TEL:+979-12-34"), "9791234");
  EXPECT_EQ(digits_of("+979%2012%2D34"), "9791234");
  EXPECT_EQ(digits_of("%2B979 1234"), "9791234");
  EXPECT_EQ(digits_of("+44 1234;npdi"), "441234");

  const DestinationRules rules;
  EXPECT_EQ(rules.blocked("+1 (900) 555-1234"), "blocked destination prefix +1900");
  EXPECT_EQ(rules.blocked("tel:+44-909-879-0000"), "blocked destination prefix +449");
  EXPECT_EQ(rules.blocked("%2B979.1234"), "blocked destination prefix +979");
}

TEST(DestinationRules, NotNumbers) {
  for (const char* s : {"alice", "1234a", "+44+1", "12+34", "*67+979123", "+979%2", "+979%zz", "tel:", ";+979"}) {
    EXPECT_EQ(digits_of(s), "<none>") << s;
  }
}

// "+", "00" and "011" all mean an international number; a longer access code wins.
TEST(DestinationRules, AccessCodesMeanInternational) {
  bool intl = false;
  EXPECT_EQ(digits_of("+979123", &intl), "979123");
  EXPECT_TRUE(intl);
  EXPECT_EQ(digits_of("00979123", &intl), "979123");
  EXPECT_TRUE(intl);
  EXPECT_EQ(digits_of("011-979-123", &intl), "979123");
  EXPECT_TRUE(intl);
  EXPECT_EQ(digits_of("0301234", &intl), "0301234");
  EXPECT_FALSE(intl);
  EXPECT_EQ(digits_of("00", &intl), "00");  // nothing after the code: a short national number
  EXPECT_FALSE(intl);

  const DestinationRules rules;
  for (const char* s : {"00979123456", "011979123456", "00 44 909 879 0000", "011 1 900 555 1234"}) {
    EXPECT_TRUE(rules.blocked(s).has_value()) << s;
  }
}

TEST(DestinationRules, ConfiguredAccessCodes) {
  DestinationConfig c;
  c.international_prefixes = {"0011"};  // Australia
  const DestinationRules rules(c);
  EXPECT_TRUE(rules.blocked("0011979123").has_value());
  EXPECT_FALSE(rules.blocked("00979123").has_value());  // a national number here
  EXPECT_TRUE(rules.blocked("+979123").has_value());    // '+' is always international
}

TEST(DestinationRules, AllowListWins) {
  DestinationConfig c;
  c.allowed = {"+88216"};  // the operator's own Thuraya phones
  const DestinationRules rules(c);
  EXPECT_FALSE(rules.blocked("+882161234567").has_value());
  EXPECT_FALSE(rules.blocked("00 882 16 1234567").has_value());
  EXPECT_EQ(rules.blocked("+882341234567"), "blocked destination prefix +882");
}

TEST(DestinationRules, ExtraPrefixesAndNationalForm) {
  DestinationConfig c;
  c.extra_blocked = {"+1 876", "0900", "+882 34"};
  const DestinationRules rules(c);
  EXPECT_EQ(rules.blocked("+18765551234"), "blocked destination prefix +1876");
  EXPECT_EQ(rules.blocked("0900-123456"), "blocked destination prefix 0900");
  EXPECT_EQ(rules.blocked("+319001234"), "blocked destination prefix +31900");
  EXPECT_EQ(rules.blocked("+882341234"), "blocked destination prefix +88234");  // the longest match
  EXPECT_EQ(rules.blocked("(0900) 1"), "blocked destination prefix 0900");
  EXPECT_FALSE(rules.blocked("0901234").has_value());
  // The defaults are still there.
  EXPECT_TRUE(rules.blocked("+979123").has_value());
}

TEST(DestinationRules, EmptyListBlocksNothing) {
  DestinationConfig c;
  c.blocked.clear();
  const DestinationRules rules(c);
  EXPECT_FALSE(rules.blocked("+979123456").has_value());
}

TEST(DestinationRules, BlockAllInternational) {
  DestinationConfig c;
  c.block_international = true;
  c.allowed = {"+44", "+1"};
  const DestinationRules rules(c);
  EXPECT_EQ(rules.blocked("+33123456789"), "international calls are blocked");
  EXPECT_EQ(rules.blocked("0033123456789"), "international calls are blocked");
  EXPECT_FALSE(rules.blocked("+442079460000").has_value());
  EXPECT_FALSE(rules.blocked("+449098790000").has_value());  // allowed wins over the defaults too
  EXPECT_FALSE(rules.blocked("0301234567").has_value());     // national
  EXPECT_FALSE(rules.blocked("alice").has_value());
  EXPECT_EQ(rules.blocked("+979123"), "blocked destination prefix +979");  // the prefix reason first
}

TEST(DestinationRules, ValidPrefixes) {
  const auto& codes = DestinationConfig{}.international_prefixes;
  EXPECT_TRUE(DestinationRules::is_valid_prefix("+979", codes));
  EXPECT_TRUE(DestinationRules::is_valid_prefix("+44 9", codes));
  EXPECT_TRUE(DestinationRules::is_valid_prefix("0900", codes));
  EXPECT_FALSE(DestinationRules::is_valid_prefix("", codes));
  EXPECT_FALSE(DestinationRules::is_valid_prefix("+", codes));
  EXPECT_FALSE(DestinationRules::is_valid_prefix("premium", codes));
  for (const std::string& p : default_blocked_prefixes()) {
    EXPECT_TRUE(DestinationRules::is_valid_prefix(p, codes)) << p;
    EXPECT_EQ(p[0], '+') << p;
  }
}

// Very long input: prefixes still match on the leading digits; nothing overflows.
TEST(DestinationRules, LongInput) {
  const DestinationRules rules;
  EXPECT_TRUE(rules.blocked("+979" + std::string(500, '1')).has_value());
  EXPECT_TRUE(rules.blocked("+979" + std::string(500, '-') + "1").has_value());
  EXPECT_FALSE(rules.blocked("+44" + std::string(500, '1')).has_value());
  const auto n = DestinationRules::normalise(std::string(100, '5'), {});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->size, DialledNumber::kMaxDigits);
}
