#pragma once
// The three SIP codecs under comparison, behind one shape so a benchmark is a template:
//   bool parse(bytes)                 parse every header field; false if the parser refused
//   size_t parse_and_serialize(bytes) parse, then write the message back; its size, 0 on failure
//   bool inspect(bytes, facts, wire)  parse, collect Facts, serialize into `wire` (startup check)
//
// - WardenCodec: warden::sip::msg::parse_message() into one reused Message, serialize() into
//   one reused std::string: the proxy's hot path, which must not allocate once warm.
// - OsipCodec: libosip2 5.x, osip_message_init/parse/to_str/free: one heap object graph per
//   message (every header, URI and parameter is its own allocation).
// - SofiaCodec: sofia-sip 1.12 msg_make() (copies the bytes and runs msg_extract(), which hands
//   every header field to its class's parser: parsing is eager, there is nothing lazy to force)
//   and msg_as_string(), which prints every header from its parsed fields.
//
// The C libraries free their message inside both calls: allocation and release are part of
// their cost per message, as they would be in a server.
// Thread-safety: one codec per thread. osip_init_once() must run before any OsipCodec is used.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <osipparser2/osip_parser.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "base/limits.hpp"
#include "sip/msg/message.hpp"
#include "sip/msg/parser.hpp"
#include "sip/msg/serializer.hpp"

namespace warden::bench {

// What every codec must have read from a message: checked at startup, on the original bytes
// and on each codec's own re-serialization, so a codec that skipped work would be caught.
struct Facts {
  std::string start;            // method, or the status code as text
  std::uint32_t cseq = 0;
  std::size_t vias = 0;
  std::string top_branch;
  std::string from_tag;
  std::string to_tag;
  std::string call_id;
  std::size_t contacts = 0;
  std::size_t record_routes = 0;
  std::string digest_response;  // from Authorization, unquoted; "" if none
  std::size_t body_bytes = 0;

  bool operator==(const Facts&) const = default;
};
std::string describe(const Facts& f);

class WardenCodec {
 public:
  static constexpr std::string_view kName = "warden";

  bool parse(std::string_view bytes) noexcept {
    return sip::msg::parse_message(bytes, msg_, limits_.sip, sip::msg::Framing::Datagram).accepted();
  }
  std::size_t parse_and_serialize(std::string_view bytes) {
    if (!parse(bytes)) return 0;
    out_.clear();  // keeps the capacity: no allocation once warm
    sip::msg::serialize(msg_, out_);
    return out_.size();
  }
  bool inspect(std::string_view bytes, Facts& facts, std::string& wire);

 private:
  base::Limits limits_;
  sip::msg::Message msg_;
  std::string out_;
};

// Calls libosip2's parser_init() the first time; later calls do nothing.
void osip_init_once();

class OsipCodec {
 public:
  static constexpr std::string_view kName = "osip2";

  bool parse(std::string_view bytes) noexcept {
    osip_message_t* m = nullptr;
    if (osip_message_init(&m) != 0) return false;
    const bool ok = osip_message_parse(m, bytes.data(), bytes.size()) == 0;
    osip_message_free(m);
    return ok;
  }
  std::size_t parse_and_serialize(std::string_view bytes) noexcept {
    osip_message_t* m = nullptr;
    if (osip_message_init(&m) != 0) return 0;
    std::size_t len = 0;
    if (osip_message_parse(m, bytes.data(), bytes.size()) == 0) {
      // Print from the parsed structures: never replay a cached copy of the input.
      osip_message_force_update(m);
      char* text = nullptr;
      if (osip_message_to_str(m, &text, &len) != 0) len = 0;
      osip_free(text);
    }
    osip_message_free(m);
    return len;
  }
  bool inspect(std::string_view bytes, Facts& facts, std::string& wire);
};

class SofiaCodec {
 public:
  static constexpr std::string_view kName = "sofia";

  bool parse(std::string_view bytes) noexcept {
    msg_t* m = msg_make(sip_default_mclass(), 0, bytes.data(), static_cast<ssize_t>(bytes.size()));
    const bool ok = parsed_cleanly(m);
    if (m != nullptr) msg_destroy(m);
    return ok;
  }
  std::size_t parse_and_serialize(std::string_view bytes) noexcept {
    msg_t* m = msg_make(sip_default_mclass(), 0, bytes.data(), static_cast<ssize_t>(bytes.size()));
    std::size_t len = 0;
    if (parsed_cleanly(m)) {
      // Allocated in the message's home: released by msg_destroy().
      if (msg_as_string(msg_home(m), m, nullptr, 0, &len) == nullptr) len = 0;
    }
    if (m != nullptr) msg_destroy(m);
    return len;
  }
  bool inspect(std::string_view bytes, Facts& facts, std::string& wire);

  // No framing or critical error, no header that failed its parser (sip_error), and the
  // start line and the headers RFC 3261 §8.1.1 makes mandatory are present.
  static bool parsed_cleanly(msg_t* m) noexcept {
    if (m == nullptr || msg_has_error(m)) return false;
    const sip_t* sip = sip_object(m);
    return sip != nullptr && sip->sip_error == nullptr && (sip->sip_request != nullptr || sip->sip_status != nullptr) &&
           sip->sip_via != nullptr && sip->sip_from != nullptr && sip->sip_to != nullptr &&
           sip->sip_call_id != nullptr && sip->sip_cseq != nullptr;
  }
};

}  // namespace warden::bench
