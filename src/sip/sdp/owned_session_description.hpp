#pragma once
// OwnedSessionDescription: a SessionDescription together with the text its views point into,
// for code that must keep a description beyond the life of the buffer it arrived in (a dialog
// remembering the last offer, the offer/answer engine). Moving keeps every view valid: the text
// lives in a base::Buffer whose storage moves with it. Copying is explicit (clone()).
// Thread-safety: a plain value; concurrent reads are safe.
// Errors: those of parse() (see parser.hpp).

#include <string_view>

#include "base/bytes.hpp"
#include "base/limits.hpp"
#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

class OwnedSessionDescription {
 public:
  // Copies `text` and parses the copy.
  static base::Result<OwnedSessionDescription> parse(std::string_view text,
                                                     const base::Limits::Sdp& limits = {});
  // Serializes `sd` and parses the result: the canonical, owned equivalent of `sd`. Fails if
  // `sd` does not serialize to valid SDP (a hand-built description with a bad field).
  static base::Result<OwnedSessionDescription> copy_of(const SessionDescription& sd,
                                                       const base::Limits::Sdp& limits = {});

  OwnedSessionDescription(OwnedSessionDescription&&) noexcept = default;
  OwnedSessionDescription& operator=(OwnedSessionDescription&&) noexcept = default;
  OwnedSessionDescription(const OwnedSessionDescription&) = delete;
  OwnedSessionDescription& operator=(const OwnedSessionDescription&) = delete;

  // An independent copy (new buffer, views re-pointed).
  OwnedSessionDescription clone() const;

  const SessionDescription& description() const noexcept { return sd_; }
  const SessionDescription* operator->() const noexcept { return &sd_; }
  const SessionDescription& operator*() const noexcept { return sd_; }
  // The text the views point into (as given to parse(), or canonical for copy_of()).
  std::string_view text() const noexcept { return text_.view(); }

 private:
  OwnedSessionDescription(base::Buffer text, SessionDescription sd)
      : text_(std::move(text)), sd_(std::move(sd)) {}

  base::Buffer text_;
  SessionDescription sd_;
};

}  // namespace warden::sip::sdp
