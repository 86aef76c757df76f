#pragma once
// SDES keying of SRTP (RFC 4568): each side writes the master key it sends with into an
// a=crypto line of its SDP, and the two keys become one SrtpSession.
//
//   offerer:  make_sdes_offer()      one a=crypto per suite, strongest first, fresh keys
//   answerer: answer_sdes_offer()    picks the strongest offered line we accept, answers it
//                                    with the same tag and suite and a fresh key of its own
//   offerer:  accept_sdes_answer()   matches the answer to the line we offered
//
// Keys come from the injected base::Random, which must be a CSPRNG (crypto::Csprng) outside
// tests. What we accept from a peer: the "inline" key method with one key, no MKI, no
// lifetime or a lifetime of at least 2^31 packets (more than an audio call sends), and the
// session parameters KDR=0 and WSH=<n >= 64>, or any parameter marked optional with "-"
// (RFC 4568 §9.1). Anything else makes the line unacceptable, and the reason is reported when
// no line is acceptable. SDES exposes the keys to every SIP hop that can read the SDP: use it
// over TLS only (RFC 4568 §8.3); DTLS-SRTP (dtls_srtp.hpp) does not have this weakness.
//
// Errors (SdesErrc, category "media.sdes"): NoCryptoLine, NoCommonSuite, UnsupportedKeyMethod,
// MultipleKeys, UnsupportedMki, UnsupportedLifetime, UnsupportedSessionParam, BadCrypto,
// TagNotOffered, SuiteMismatch; each function lists its own.
// Thread-safety: plain values and functions; `rng` is used as its own type allows.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "base/random.hpp"
#include "base/result.hpp"
#include "media/srtp_session.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::media {

enum class SdesErrc {
  Ok = 0,
  NoCryptoLine,             // the media section has no a=crypto
  NoCommonSuite,            // none of the offered suites is one we support
  UnsupportedKeyMethod,     // a key method other than "inline" (RFC 4568 §6.1)
  MultipleKeys,             // more than one key on the line (only useful with MKIs)
  UnsupportedMki,           // the key carries an MKI: our SRTP packets never carry one
  UnsupportedLifetime,      // a key lifetime below 2^31 packets: we do not rekey mid-call
  UnsupportedSessionParam,  // UNENCRYPTED_SRTP/SRTCP, UNAUTHENTICATED_SRTP, KDR != 0, FEC_*, ...
  BadCrypto,                // the a=crypto value does not parse (RFC 4568 §9.1)
  TagNotOffered,            // the answer's tag is not one of the tags we offered
  SuiteMismatch,            // the answer's suite differs from the one offered under its tag
};
std::string_view describe(SdesErrc e) noexcept;
const std::error_category& sdes_category() noexcept;
inline std::error_code make_error_code(SdesErrc e) noexcept { return {static_cast<int>(e), sdes_category()}; }

// One a=crypto line of ours, with the key it carries (the key we send with).
struct SdesCrypto {
  std::uint32_t tag = 1;
  SrtpMasterKey key;

  // "<tag> <suite> inline:<base64 key||salt>", the a=crypto value.
  std::string attribute_value() const;
};

// The two keys of a negotiated SDES session.
struct SdesKeys {
  std::uint32_t tag = 0;
  SrtpMasterKey send;     // ours
  SrtpMasterKey receive;  // the peer's
  base::Result<SrtpSession> make_session(const SrtpOptions& options = {}) const {
    return SrtpSession::create(send, receive, options);
  }
};

struct SdesAnswer {
  SdesCrypto crypto;  // our a=crypto for the answer
  SdesKeys keys;
};

// A fresh crypto line for `suite` under `tag`.
SdesCrypto make_sdes_crypto(base::Random& rng, SrtpSuite suite, std::uint32_t tag);
// One line per suite, tags 1, 2, ... in the order of `suites` (strongest first by default).
std::vector<SdesCrypto> make_sdes_offer(base::Random& rng,
                                        std::span<const SrtpSuite> suites = kSrtpSuitesByPreference);

// Chooses among the a=crypto values of one offered media section. Errors: NoCryptoLine (empty
// input), NoCommonSuite, or, when lines with supported suites exist but none is acceptable,
// the reason the strongest of them was refused (UnsupportedKeyMethod, MultipleKeys,
// UnsupportedMki, UnsupportedLifetime, UnsupportedSessionParam, BadCrypto).
base::Result<SdesAnswer> answer_sdes_offer(base::Random& rng, std::span<const std::string_view> offered_values);
// As above with the a=crypto attributes of `media`.
base::Result<SdesAnswer> answer_sdes_offer(base::Random& rng, const sip::sdp::MediaDescription& media);

// The answer's a=crypto value against what we offered. Errors: BadCrypto, TagNotOffered,
// SuiteMismatch, and the reasons of answer_sdes_offer() for the key and session parameters.
base::Result<SdesKeys> accept_sdes_answer(std::span<const SdesCrypto> offered, std::string_view answer_value);

}  // namespace warden::media

template <>
struct std::is_error_code_enum<warden::media::SdesErrc> : std::true_type {};
