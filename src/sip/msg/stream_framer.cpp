#include "sip/msg/stream_framer.hpp"

#include <cstring>

#include "sip/msg/charset.hpp"
#include "sip/msg/header_id.hpp"
#include "sip/msg/parser.hpp"

namespace warden::sip::msg {

StreamFramer::StreamFramer(const base::Limits::Sip& limits, Role role) : limits_(limits), role_(role) {
  buf_.reserve(4096);
}

ParseErrc StreamFramer::feed(std::string_view bytes) {
  if (failed_) return error_;
  // Drop what has been handed out already.
  if (start_ > 0) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  // One message plus a little slack for keep-alives is all a well-behaved peer keeps in flight
  // before we consume it.
  if (buf_.size() + bytes.size() > limits_.max_message_bytes + 4096) {
    failed_ = true;
    error_ = ParseErrc::MessageTooLarge;
    return error_;
  }
  buf_.append(bytes);
  return ParseErrc::Ok;
}

StreamFramer::Frame StreamFramer::fail(ParseErrc e) noexcept {
  failed_ = true;
  error_ = e;
  return Frame{Frame::Type::Error, {}, e};
}

ParseErrc StreamFramer::find_content_length(std::string_view h, std::size_t& cl) const noexcept {
  bool found = false;
  std::size_t pos = 0;
  while (pos < h.size()) {
    std::size_t eol = h.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = h.size();
    std::string_view line = h.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty() || cs::is_wsp(line[0])) continue;  // continuation of a folded field
    std::size_t i = 0;
    while (i < line.size() && cs::is(line[i], cs::kToken)) ++i;
    if (classify_header(line.substr(0, i)) != HeaderId::ContentLength) continue;
    while (i < line.size() && cs::is_wsp(line[i])) ++i;
    if (i >= line.size() || line[i] != ':') continue;
    std::string_view v = line.substr(i + 1);
    while (!v.empty() && cs::is_wsp(v.front())) v.remove_prefix(1);
    while (!v.empty() && cs::is_wsp(v.back())) v.remove_suffix(1);
    std::size_t value = 0;
    if (!parse_content_length(v, SIZE_MAX, value)) return ParseErrc::BadContentLength;
    if (found && value != cl) return ParseErrc::MultipleContentLength;
    found = true;
    cl = value;
  }
  return found ? ParseErrc::Ok : ParseErrc::MissingContentLength;
}

StreamFramer::Frame StreamFramer::next() noexcept {
  if (failed_) return Frame{Frame::Type::Error, {}, error_};
  const std::string_view all(buf_);

  if (header_len_ == 0) {
    // Keep-alives and stray CRLFs before a start line.
    while (start_ < all.size() && (all[start_] == '\r' || all[start_] == '\n')) {
      const std::size_t left = all.size() - start_;
      if (all[start_] == '\n') return fail(ParseErrc::BadLineEnding);
      if (left < 2) return Frame{};
      if (all[start_ + 1] != '\n') return fail(ParseErrc::BadLineEnding);
      if (role_ == Role::Client) {
        start_ += 2;
        return Frame{Frame::Type::Pong, {}, ParseErrc::Ok};
      }
      if (left < 3) return Frame{};
      if (all[start_ + 2] == '\r') {
        if (left < 4) return Frame{};
        if (all[start_ + 3] != '\n') return fail(ParseErrc::BadLineEnding);
        start_ += 4;
        return Frame{Frame::Type::Ping, {}, ParseErrc::Ok};
      }
      start_ += 2;  // a lone CRLF before a message is ignored (RFC 3261 §7.5)
    }
    if (start_ == all.size()) return Frame{};

    // Search for the empty line, resuming where the last search stopped.
    const std::size_t from = start_ + (scanned_ > 3 ? scanned_ - 3 : 0);
    const std::size_t end = all.find("\r\n\r\n", from);
    if (end == std::string_view::npos) {
      scanned_ = all.size() - start_;
      if (scanned_ > limits_.max_header_section_bytes + limits_.max_line_bytes)
        return fail(ParseErrc::HeaderSectionTooLarge);
      return Frame{};
    }
    header_len_ = end + 4 - start_;
    if (header_len_ > limits_.max_header_section_bytes + limits_.max_line_bytes)
      return fail(ParseErrc::HeaderSectionTooLarge);
    std::size_t cl = 0;
    const ParseErrc e = find_content_length(all.substr(start_, header_len_ - 2), cl);
    if (e != ParseErrc::Ok) return fail(e);
    if (cl > limits_.max_body_bytes || header_len_ + cl > limits_.max_message_bytes)
      return fail(ParseErrc::BodyTooLarge);
    body_len_ = cl;
  }
  if (all.size() - start_ < header_len_ + body_len_) return Frame{};
  Frame f{Frame::Type::Message, all.substr(start_, header_len_ + body_len_), ParseErrc::Ok};
  start_ += header_len_ + body_len_;
  header_len_ = 0;
  body_len_ = 0;
  scanned_ = 0;
  return f;
}

}  // namespace warden::sip::msg
