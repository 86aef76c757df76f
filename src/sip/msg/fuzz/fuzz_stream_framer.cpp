// libFuzzer target: the stream framer fed in pieces whose sizes come from the input itself;
// every frame it yields is parsed as a stream message.
#include <cstdint>
#include <string_view>

#include "sip/msg/parser.hpp"
#include "sip/msg/stream_framer.hpp"

using namespace warden::sip::msg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const warden::base::Limits limits;
  static Message m;
  if (size < 1) return 0;
  const std::size_t step = 1 + data[0] % 97;  // piece size
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  StreamFramer f(limits.sip, data[0] & 0x80 ? StreamFramer::Role::Client : StreamFramer::Role::Server);
  std::size_t total = 0;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    if (f.feed(bytes.substr(at, step)) != ParseErrc::Ok) return 0;
    for (;;) {
      auto fr = f.next();
      if (fr.type == StreamFramer::Frame::Type::NeedMore) break;
      if (fr.type == StreamFramer::Frame::Type::Error) return 0;
      if (fr.type == StreamFramer::Frame::Type::Message) {
        total += fr.bytes.size();
        if (total > bytes.size()) __builtin_trap();
        (void)parse_message(fr.bytes, m, limits.sip, Framing::Stream);
      }
    }
  }
  return 0;
}
