// The two decoder habits beyond vectors and fuzzing:
//  - grind: every message split at every offset through the stream framer gives the same frames;
//  - truncate: every prefix of every message is refused or asks for more; never accepted short.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "sip/msg/parser.hpp"
#include "sip/msg/stream_framer.hpp"
#include "vector_files.hpp"

using namespace warden::sip::msg;
using warden::base::Limits;
using Type = StreamFramer::Frame::Type;

namespace {

std::vector<std::string> all_vectors() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const char* dir : {"rfc4475", "rfc5118", "rfc5118/wire"}) {
    for (const auto& e : fs::directory_iterator(warden::sip::msg::test::vector_path(dir))) {
      if (e.path().extension() == ".dat") out.push_back(std::string(dir) + "/" + e.path().filename().string());
    }
  }
  return out;
}

struct Event {
  Type type;
  std::string bytes;
  ParseErrc error;
  bool operator==(const Event&) const = default;
};

void drain(StreamFramer& f, std::vector<Event>& out) {
  for (;;) {
    auto fr = f.next();
    if (fr.type == Type::NeedMore) return;
    out.push_back({fr.type, std::string(fr.bytes), fr.error});
    if (fr.type == Type::Error) return;
  }
}

std::vector<Event> feed_in_pieces(const std::string& bytes, std::vector<std::size_t> cuts) {
  Limits lim;
  StreamFramer f(lim.sip);
  std::vector<Event> events;
  std::size_t at = 0;
  cuts.push_back(bytes.size());
  for (std::size_t cut : cuts) {
    if (f.feed(std::string_view(bytes).substr(at, cut - at)) != ParseErrc::Ok) {
      events.push_back({Type::Error, {}, ParseErrc::MessageTooLarge});
      return events;
    }
    at = cut;
    drain(f, events);
    if (!events.empty() && events.back().type == Type::Error) return events;
  }
  return events;
}

}  // namespace

TEST(Grind, EverySplitOfEveryVectorFramesTheSame) {
  std::size_t splits = 0;
  for (const auto& name : all_vectors()) {
    const std::string bytes = warden::sip::msg::test::read_vector(name);
    // Two copies back to back, so a split also lands between and across messages.
    const std::string stream = bytes + bytes;
    const auto whole = feed_in_pieces(stream, {});
    for (std::size_t k = 1; k < stream.size(); ++k) {
      ASSERT_EQ(feed_in_pieces(stream, {k}), whole) << name << " split at " << k;
      ++splits;
    }
  }
  EXPECT_GT(splits, 20000u);
}

TEST(Grind, ByteByByteFeeding) {
  for (const auto& name : all_vectors()) {
    const std::string bytes = warden::sip::msg::test::read_vector(name);
    std::vector<std::size_t> cuts;
    for (std::size_t k = 1; k < bytes.size(); ++k) cuts.push_back(k);
    EXPECT_EQ(feed_in_pieces(bytes, cuts), feed_in_pieces(bytes, {})) << name;
  }
}

TEST(Truncate, NoPrefixOfAMessageIsAcceptedAsThatMessage) {
  Limits lim;
  std::size_t checked = 0;
  for (const auto& name : all_vectors()) {
    const std::string bytes = warden::sip::msg::test::read_vector(name);
    Message whole;
    const bool ok = parse_message(bytes, whole, lim.sip, Framing::Datagram).accepted();
    const std::size_t framed = ok && whole.content_length ? whole.bytes.size() : 0;
    for (std::size_t len = 0; len < bytes.size(); ++len) {
      // Exact-size copy: AddressSanitizer catches a read one past the prefix.
      std::vector<char> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
      Message m;
      Verdict v = parse_message(std::string_view(prefix.data(), prefix.size()), m, lim.sip, Framing::Datagram);
      if (len < framed) {
        EXPECT_FALSE(v.accepted()) << name << " accepted at length " << len;
      }
      if (v.accepted()) {
        EXPECT_LE(m.bytes.size(), len);
      }
      Verdict vs = parse_message(std::string_view(prefix.data(), prefix.size()), m, lim.sip, Framing::Stream);
      if (len < framed) {
        EXPECT_FALSE(vs.accepted()) << name << " (stream) accepted at length " << len;
      }
      ++checked;
    }
    // Through the framer, a strict prefix never yields a message.
    if (framed > 0) {
      for (std::size_t len = 0; len < framed; ++len) {
        StreamFramer f(lim.sip);
        ASSERT_EQ(f.feed(std::string_view(bytes).substr(0, len)), ParseErrc::Ok);
        auto fr = f.next();
        EXPECT_NE(fr.type, Type::Message) << name << " framed at length " << len;
      }
    }
  }
  EXPECT_GT(checked, 10000u);
}
