#pragma once
// Why a SIP message was refused, and what a server must do about it without any state:
// answer with a status (400, 416, 420, 483, 501, 505), drop silently (broken responses, or
// requests too broken to answer), or close a stream whose framing is lost.

#include <cstdint>
#include <string_view>
#include <system_error>

namespace warden::sip::msg {

// Every rejection the codec and the stateless sanity checks can produce.
enum class ParseErrc {
  Ok = 0,
  // framing and size
  Incomplete,           // the header section or body is not complete
  MessageTooLarge,
  HeaderSectionTooLarge,
  LineTooLong,
  TooManyHeaders,
  TooManyValues,        // Via, Contact, Route ... beyond Limits
  BodyTooLarge,
  BadLineEnding,        // bare CR or LF where CRLF is required
  // start line
  BadStartLine,
  BadMethod,
  BadRequestUri,
  UnsupportedVersion,   // SIP/x.y other than 2.0
  BadStatusCode,
  BadReasonPhrase,
  // header syntax
  BadHeaderName,
  BadVia,
  BadFrom,
  BadTo,
  BadCallId,
  BadCSeq,
  BadMaxForwards,
  BadContentLength,
  MultipleContentLength,
  MissingContentLength,  // on a stream, framing needs it
  BadContentType,
  BadContact,
  BadRoute,
  BadExpires,
  BadDate,
  BadAuthorization,
  BadOptionTags,
  BadHeaderValue,
  DuplicateHeader,       // a single-valued header appears twice
  MissingHeader,         // Via, From, To, Call-ID, CSeq
  CSeqMethodMismatch,
  BadBranch,
  // semantic checks (sanity.hpp)
  UnsupportedUriScheme,
  BadExtension,
  TooManyHops,
  MethodNotImplemented,
  UnsupportedMediaType,
  NotAcceptable,
  BadRegisterTarget,
  BroadcastVia,
};

std::string_view describe(ParseErrc e) noexcept;
const std::error_category& parse_category() noexcept;
inline std::error_code make_error_code(ParseErrc e) noexcept {
  return {static_cast<int>(e), parse_category()};
}

// What a stateless element does with a message.
enum class Action : std::uint8_t {
  Accept,   // hand it on
  Respond,  // answer with `status` (only ever for requests)
  Drop,     // discard silently
  Close,    // discard and close the stream: framing can no longer be trusted
};
std::string_view to_string(Action a) noexcept;

// The outcome of parsing and checking a message. `status` and `reason` are set for Respond;
// `error` says precisely what was wrong for every action but Accept.
struct Verdict {
  Action action = Action::Accept;
  std::uint16_t status = 0;
  std::string_view reason;  // reason phrase for the response, static storage
  ParseErrc error = ParseErrc::Ok;

  bool accepted() const noexcept { return action == Action::Accept; }
  static Verdict accept() noexcept { return {}; }
  static Verdict respond(std::uint16_t status, ParseErrc e) noexcept;
  static Verdict drop(ParseErrc e) noexcept { return {Action::Drop, 0, {}, e}; }
  static Verdict close(ParseErrc e) noexcept { return {Action::Close, 0, {}, e}; }
};

// The standard reason phrase for a status code (RFC 3261 §21), "" if none.
std::string_view reason_phrase(std::uint16_t status) noexcept;

}  // namespace warden::sip::msg

template <>
struct std::is_error_code_enum<warden::sip::msg::ParseErrc> : std::true_type {};
