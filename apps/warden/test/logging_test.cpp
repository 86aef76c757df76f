#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "logging.hpp"

namespace warden::app {
namespace {

using base::LogLevel;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// "2026-11-23T10:00:00.123Z": digits where the template has 'd', the other characters as is.
bool is_timestamp(std::string_view t) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (t.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (kShape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kShape[i]) return false;
  }
  return true;
}

TEST(Logging, TextLine) {
  std::ostringstream out;
  auto log = make_logger(LogLevel::Info, false, out);
  log.info("register", {{"aor", "sip:alice@x"}, {"expires", 3600}});
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 1u);
  const auto space = lines[0].find(' ');
  ASSERT_NE(space, std::string::npos);
  EXPECT_TRUE(is_timestamp(lines[0].substr(0, space))) << lines[0];
  EXPECT_EQ(lines[0].substr(space), " info register aor=sip:alice@x expires=3600");
}

TEST(Logging, TextValuesCannotBreakTheLine) {
  std::ostringstream out;
  auto log = make_logger(LogLevel::Info, false, out);
  log.warn("auth failed", {{"user", "bob\nfake=1 2026-01-01T00:00:00.000Z error forged"},
                           {"agent", "say \"hi\""},
                           {"empty", ""},
                           {"bell", std::string("a\x07" "b")}});
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 1u) << out.str();
  EXPECT_THAT(lines[0], ::testing::EndsWith(
                            " warn \"auth failed\" user=\"bob\\nfake=1 2026-01-01T00:00:00.000Z error forged\" "
                            "agent=\"say \\\"hi\\\"\" empty=\"\" bell=\"a\\x07b\""));
}

TEST(Logging, JsonLineParsesWithFieldsInOrder) {
  std::ostringstream out;
  auto log = make_logger(LogLevel::Debug, true, out);
  log.info("register", {{"aor", "sip:alice@x"}, {"contact", "<sip:alice@192.0.2.1>;q=1"}});
  log.error("weird", {{"text", "quote\" backslash\\ newline\n tab\t ctl\x01"}, {"msg", "shadow"}});
  log.debug("bytes", {{"raw", std::string("ok\xff\xfe")}});
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 3u) << out.str();

  const auto a = nlohmann::ordered_json::parse(lines[0]);
  ASSERT_TRUE(a.is_object());
  std::vector<std::string> keys;
  for (const auto& [k, v] : a.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"ts", "level", "msg", "aor", "contact"}));
  EXPECT_TRUE(is_timestamp(a["ts"].get<std::string>())) << a["ts"];
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["msg"], "register");
  EXPECT_EQ(a["aor"], "sip:alice@x");
  EXPECT_EQ(a["contact"], "<sip:alice@192.0.2.1>;q=1");

  const auto b = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(b["level"], "error");
  EXPECT_EQ(b["msg"], "weird");  // not overwritten by the field
  EXPECT_EQ(b["_msg"], "shadow");
  EXPECT_EQ(b["text"], "quote\" backslash\\ newline\n tab\t ctl\x01");

  const auto c = nlohmann::json::parse(lines[2]);  // invalid UTF-8 replaced, line still written
  EXPECT_EQ(c["level"], "debug");
  EXPECT_EQ(c["raw"], "ok\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Logging, LevelsBelowTheMinimumAreDropped) {
  std::ostringstream out;
  auto log = make_logger(LogLevel::Warn, true, out);
  EXPECT_FALSE(log.enabled(LogLevel::Info));
  log.debug("no");
  log.info("no");
  log.warn("yes");
  log.error("yes");
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["level"], "warn");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "error");
}

TEST(Logging, ThreadsNeverInterleaveLines) {
  std::ostringstream out;
  auto log = make_logger(LogLevel::Info, true, out);
  constexpr int kThreads = 4, kEach = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kEach; ++i) log.info("tick", {{"thread", t}, {"i", i}, {"pad", std::string(200, 'x')}});
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kEach));
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& line : lines) {
    const auto j = nlohmann::json::parse(line);  // throws, failing the test, on a torn line
    seen.emplace(j["thread"].get<std::string>(), j["i"].get<std::string>());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace warden::app
