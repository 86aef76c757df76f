#include <gtest/gtest.h>

#include "sip/msg/parser.hpp"
#include "sip/msg/stream_framer.hpp"

using namespace warden::sip::msg;
using warden::base::Limits;
using Type = StreamFramer::Frame::Type;

namespace {
const std::string kMsg =
    "OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n"
    "Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 5\r\n\r\nhello";
}

TEST(StreamFramer, TwoMessagesInOneRead) {
  Limits lim;
  StreamFramer f(lim.sip);
  ASSERT_EQ(f.feed(kMsg + kMsg), ParseErrc::Ok);
  auto a = f.next();
  ASSERT_EQ(a.type, Type::Message);
  EXPECT_EQ(a.bytes, kMsg);
  auto b = f.next();
  ASSERT_EQ(b.type, Type::Message);
  EXPECT_EQ(b.bytes, kMsg);
  EXPECT_EQ(f.next().type, Type::NeedMore);
  EXPECT_FALSE(f.mid_message());
}

TEST(StreamFramer, KeepAlivesServerSide) {
  Limits lim;
  StreamFramer f(lim.sip);
  ASSERT_EQ(f.feed("\r\n"), ParseErrc::Ok);
  EXPECT_EQ(f.next().type, Type::NeedMore);
  ASSERT_EQ(f.feed("\r\n"), ParseErrc::Ok);
  EXPECT_EQ(f.next().type, Type::Ping);
  ASSERT_EQ(f.feed("\r\n" + kMsg), ParseErrc::Ok);  // a lone CRLF before a message is skipped
  EXPECT_EQ(f.next().type, Type::Message);
}

TEST(StreamFramer, KeepAlivesClientSide) {
  Limits lim;
  StreamFramer f(lim.sip, StreamFramer::Role::Client);
  ASSERT_EQ(f.feed("\r\n"), ParseErrc::Ok);
  EXPECT_EQ(f.next().type, Type::Pong);
  EXPECT_EQ(f.next().type, Type::NeedMore);
}

TEST(StreamFramer, FramingErrorsAreFinal) {
  Limits lim;
  for (const std::string& bad : {
           std::string("OPTIONS sip:h SIP/2.0\r\nContent-Length: -1\r\n\r\n"),
           std::string("OPTIONS sip:h SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n"),
           std::string("OPTIONS sip:h SIP/2.0\r\nVia: x\r\n\r\n"),
           std::string("\n"),
       }) {
    StreamFramer f(lim.sip);
    ASSERT_EQ(f.feed(bad), ParseErrc::Ok);
    auto fr = f.next();
    EXPECT_EQ(fr.type, Type::Error) << bad;
    EXPECT_EQ(f.next().type, Type::Error);
    EXPECT_NE(f.feed(kMsg), ParseErrc::Ok);
  }
}

TEST(StreamFramer, OversizedHeaderSectionFails) {
  Limits lim;
  lim.sip.max_header_section_bytes = 64;
  lim.sip.max_line_bytes = 64;
  StreamFramer f(lim.sip);
  std::string junk = "OPTIONS sip:h SIP/2.0\r\n" + std::string(200, 'a');
  ASSERT_EQ(f.feed(junk), ParseErrc::Ok);
  EXPECT_EQ(f.next().error, ParseErrc::HeaderSectionTooLarge);
}

TEST(StreamFramer, FloodIsRefused) {
  Limits lim;
  lim.sip.max_message_bytes = 1000;
  StreamFramer f(lim.sip);
  EXPECT_EQ(f.feed(std::string(6000, 'x')), ParseErrc::MessageTooLarge);
}

TEST(StreamFramer, PartialMessageIsReported) {
  Limits lim;
  StreamFramer f(lim.sip);
  ASSERT_EQ(f.feed(kMsg.substr(0, 30)), ParseErrc::Ok);
  EXPECT_EQ(f.next().type, Type::NeedMore);
  EXPECT_TRUE(f.mid_message());
}
