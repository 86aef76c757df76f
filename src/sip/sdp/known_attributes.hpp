#pragma once
// check_known_attributes(): runs every typed attribute helper of this component over a parsed
// description, so a caller that wants strict checking (the offer/answer code) can refuse a
// malformed a=rtpmap, a=crypto, a=candidate, ... up front instead of meeting it later.
// Checked: rtpmap, fmtp, crypto, fingerprint, setup, candidate, ice-ufrag, ice-pwd,
// ice-options, rtcp, ptime, maxptime, mid, and the direction attributes of every section.
// Unknown attributes are left alone.
// Thread-safety: reentrant. Errors: the SdpErrc of the first malformed attribute (BadRtpmap,
// BadFmtp, BadCrypto, BadFingerprint, BadSetup, BadCandidate, BadIceAttribute, BadRtcp,
// BadPacketTime, BadMid, BadDirection, ConflictingDirection).

#include <span>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// The attributes of one section.
base::Result<void> check_known_attributes(std::span<const Attribute> attrs);
// The session section and every media section.
base::Result<void> check_known_attributes(const SessionDescription& sd);

}  // namespace warden::sip::sdp
