#pragma once
// SessionBuilder: builds a SessionDescription from values the caller does not have to keep
// alive (offers and answers made by the offer/answer code, tests). Every string passed in is
// copied into storage owned by the builder, so the draft's views stay valid for the builder's
// life, across moves too. build() serializes the draft and parses the text back, which both
// validates it against RFC 8866 and yields an OwnedSessionDescription that no longer needs the
// builder.
//
// Starts as "v=0", "o=- 0 0 IN IP4 0.0.0.0", "s=-", "t=0 0". media() opens a new m= section;
// the media_*() calls add to the last one opened (calling them before media() is a
// programming error, caught by an assertion).
// Thread-safety: not synchronized; one thread at a time. Errors: build() returns the SdpErrc
// of parse() when a field makes the text invalid (e.g. a space in a token, a bad address).

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "base/result.hpp"
#include "sip/sdp/address.hpp"
#include "sip/sdp/owned_session_description.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

class SessionBuilder {
 public:
  SessionBuilder();
  SessionBuilder(SessionBuilder&&) noexcept = default;
  SessionBuilder& operator=(SessionBuilder&&) noexcept = default;
  SessionBuilder(const SessionBuilder&) = delete;
  SessionBuilder& operator=(const SessionBuilder&) = delete;

  // o=<username> <session_id> <session_version> IN <type> <address>
  SessionBuilder& origin(std::string_view username, std::uint64_t session_id,
                         std::uint64_t session_version, AddrType type, std::string_view address);
  SessionBuilder& session_name(std::string_view name);
  SessionBuilder& information(std::string_view text);
  SessionBuilder& uri(std::string_view uri);
  SessionBuilder& email(std::string_view email);
  SessionBuilder& phone(std::string_view phone);
  // Session c=IN <type> <address> (unicast).
  SessionBuilder& connection(AddrType type, std::string_view address);
  SessionBuilder& bandwidth(std::string_view type, std::uint64_t value);
  // Replaces the default "t=0 0" (the first call) or adds another t= line.
  SessionBuilder& timing(std::uint64_t start, std::uint64_t stop);
  SessionBuilder& attribute(std::string_view name);                          // a=<name>
  SessionBuilder& attribute(std::string_view name, std::string_view value);  // a=<name>:<value>

  // Opens m=<media> <port> <proto> <formats...>.
  SessionBuilder& media(std::string_view media, std::uint16_t port, std::string_view proto,
                        std::initializer_list<std::string_view> formats);
  SessionBuilder& media(std::string_view media, std::uint16_t port, std::string_view proto,
                        const std::vector<std::string>& formats);
  SessionBuilder& media_information(std::string_view text);
  SessionBuilder& media_connection(AddrType type, std::string_view address);
  SessionBuilder& media_bandwidth(std::string_view type, std::uint64_t value);
  SessionBuilder& media_attribute(std::string_view name);
  SessionBuilder& media_attribute(std::string_view name, std::string_view value);

  // Copies `text` into the builder's storage and returns a view that lives as long as the
  // builder: for callers that fill draft() fields directly.
  std::string_view keep(std::string_view text);
  // The description so far; its views point into this builder.
  SessionDescription& draft() noexcept { return sd_; }
  const SessionDescription& draft() const noexcept { return sd_; }

  // Serializes and re-parses the draft.
  base::Result<OwnedSessionDescription> build(const base::Limits::Sdp& limits = {}) const;

 private:
  MediaDescription& last_media();
  Connection make_connection(AddrType type, std::string_view address);

  // One heap string per kept value: the string objects never move, so views stay valid.
  std::vector<std::unique_ptr<std::string>> storage_;
  SessionDescription sd_;
  bool default_timing_ = true;
};

}  // namespace warden::sip::sdp
