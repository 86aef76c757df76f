#include "sip/msg/parse_error.hpp"

#include "base/error.hpp"

namespace warden::sip::msg {

std::string_view describe(ParseErrc e) noexcept {
  switch (e) {
    case ParseErrc::Ok: return "ok";
    case ParseErrc::Incomplete: return "message incomplete";
    case ParseErrc::MessageTooLarge: return "message too large";
    case ParseErrc::HeaderSectionTooLarge: return "header section too large";
    case ParseErrc::LineTooLong: return "header line too long";
    case ParseErrc::TooManyHeaders: return "too many header fields";
    case ParseErrc::TooManyValues: return "too many header values";
    case ParseErrc::BodyTooLarge: return "body too large";
    case ParseErrc::BadLineEnding: return "line not terminated by CRLF";
    case ParseErrc::BadStartLine: return "malformed start line";
    case ParseErrc::BadMethod: return "malformed method";
    case ParseErrc::BadRequestUri: return "malformed Request-URI";
    case ParseErrc::UnsupportedVersion: return "unsupported SIP version";
    case ParseErrc::BadStatusCode: return "malformed status code";
    case ParseErrc::BadReasonPhrase: return "malformed reason phrase";
    case ParseErrc::BadHeaderName: return "malformed header name";
    case ParseErrc::BadVia: return "malformed Via";
    case ParseErrc::BadFrom: return "malformed From";
    case ParseErrc::BadTo: return "malformed To";
    case ParseErrc::BadCallId: return "malformed Call-ID";
    case ParseErrc::BadCSeq: return "malformed CSeq";
    case ParseErrc::BadMaxForwards: return "malformed Max-Forwards";
    case ParseErrc::BadContentLength: return "malformed Content-Length";
    case ParseErrc::MultipleContentLength: return "conflicting Content-Length values";
    case ParseErrc::MissingContentLength: return "Content-Length missing on a stream";
    case ParseErrc::BadContentType: return "malformed Content-Type";
    case ParseErrc::BadContact: return "malformed Contact";
    case ParseErrc::BadRoute: return "malformed Route, Record-Route or Path";
    case ParseErrc::BadExpires: return "malformed Expires";
    case ParseErrc::BadDate: return "malformed Date";
    case ParseErrc::BadAuthorization: return "malformed Authorization";
    case ParseErrc::BadOptionTags: return "malformed option tags";
    case ParseErrc::BadHeaderValue: return "malformed header value";
    case ParseErrc::DuplicateHeader: return "single-valued header repeated";
    case ParseErrc::MissingHeader: return "mandatory header missing";
    case ParseErrc::CSeqMethodMismatch: return "CSeq method differs from request method";
    case ParseErrc::BadBranch: return "Via branch has nothing after the magic cookie";
    case ParseErrc::UnsupportedUriScheme: return "unsupported URI scheme";
    case ParseErrc::BadExtension: return "unsupported extension required";
    case ParseErrc::TooManyHops: return "Max-Forwards exhausted";
    case ParseErrc::MethodNotImplemented: return "method not implemented";
    case ParseErrc::UnsupportedMediaType: return "unsupported media type";
    case ParseErrc::NotAcceptable: return "no acceptable body type";
    case ParseErrc::BadRegisterTarget: return "To of a REGISTER is not a SIP or SIPS URI";
    case ParseErrc::BroadcastVia: return "Via names a broadcast address";
  }
  return "unknown parse error";
}

const std::error_category& parse_category() noexcept {
  return base::ErrorCategory<ParseErrc>::instance("sip.parse");
}

std::string_view to_string(Action a) noexcept {
  switch (a) {
    case Action::Accept: return "accept";
    case Action::Respond: return "respond";
    case Action::Drop: return "drop";
    case Action::Close: return "close";
  }
  return "?";
}

Verdict Verdict::respond(std::uint16_t status, ParseErrc e) noexcept {
  return {Action::Respond, status, reason_phrase(status), e};
}

std::string_view reason_phrase(std::uint16_t status) noexcept {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    default: return {};
  }
}

}  // namespace warden::sip::msg
