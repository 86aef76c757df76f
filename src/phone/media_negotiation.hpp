#pragma once
// Media negotiation of the softphone: the SDP offer/answer model (RFC 3264) for one audio
// stream, keyed by DTLS-SRTP (RFC 5763/5764), SDES (RFC 4568) or, only when allowed, nothing.
//
//   caller:  make_offer()     -> Offer (the SDP text, and what accept_answer() needs later)
//   callee:  answer_offer()   -> Answer (our SDP text, and the NegotiatedMedia of the call)
//   caller:  accept_answer()  -> NegotiatedMedia
//
// What we offer: one m=audio line with the policy's codecs in preference order (opus/48000/2 on
// dynamic payload type 111 with useinbandfec=1, PCMU on 0, PCMA on 8), telephone-event/8000 on
// 101 for RFC 4733 DTMF, ptime 20, a=rtcp-mux, a direction, and the keying: UDP/TLS/RTP/SAVP
// with a=fingerprint and a=setup:actpass (DTLS-SRTP), RTP/SAVP with one a=crypto per suite
// (SDES, only over TLS signalling: RFC 4568 §8.3), or plain RTP/AVP (only with allow_insecure).
//
// What we answer (RFC 3264 §6): every m= line of the offer gets one in the answer; the first
// audio line with a non-zero port is accepted and every other line is refused with port 0.
// The codec is the first of OUR preference list that the offer carries (matched by rtpmap name
// and clock rate, or the static payload types 0 and 8 without an rtpmap), answered under the
// offer's payload type number, with telephone-event if offered. Keying: an a=fingerprint in
// the offer (media or session level) means DTLS-SRTP, even when a=crypto is there too; else
// a=crypto means SDES (refused unless the signalling is secure); else the stream is plain and
// refused unless allow_insecure. DTLS-SRTP is used only with a=rtcp-mux (RTCP on a second port
// would need a second handshake; docs/ARCHITECTURE.md): a DTLS offer without it falls back to
// its a=crypto lines if it has any, else it is refused. The proto is answered as offered (RTP/SAVP, RTP/SAVPF,
// UDP/TLS/RTP/SAVP, UDP/TLS/RTP/SAVPF, RTP/AVP, RTP/AVPF; an RTP/AVP offer carrying keys,
// RFC 8643 opportunistic SRTP, is answered with keys under RTP/AVP). rtcp-mux is used when
// the offer has it. The direction follows RFC 3264 §6.1, intersected with our own wish (a
// sendonly offer is answered recvonly, sendrecv gets our direction).
//
// Legacy hold (c=IN IP4 0.0.0.0, RFC 3264 §8.4) is read as "the peer does not receive".
// ICE attributes are not used (an answer without ICE makes the peer fall back to plain
// addresses, RFC 8445 §5.4); a re-offer says a=setup:actpass again.
//
// Errors: NegotiationErrc (category "phone.negotiation"); sip_status() gives the response code
// to refuse an offer with (488 Not Acceptable Here for a media refusal, 400 for a body that does
// not parse, 500 for our own settings) and describe() a reason a user can act on. Untrusted
// SDP is parsed under base::Limits::Sdp and never makes these functions throw (std::bad_alloc
// aside).
// Thread-safety: plain values and reentrant functions; `rng` is used as its own type allows.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/random.hpp"
#include "base/result.hpp"
#include "crypto/dtls_connection.hpp"
#include "media/dtls_srtp.hpp"
#include "media/sdes.hpp"
#include "media/srtp_session.hpp"
#include "sip/sdp/direction.hpp"

namespace warden::phone {

enum class NegotiationErrc {
  Ok = 0,
  // the body (400)
  UnparsableSdp,              // the SDP does not parse (RFC 8866)
  MalformedAttribute,         // an rtpmap, fmtp, crypto, fingerprint, setup, ... value is broken
  // media refusals (488)
  NoAudio,                    // no m=audio line, or only with port 0 (RFC 3264 §6, §8.2)
  UnsupportedTransport,       // the audio proto is not an RTP profile we speak
  NoConnectionAddress,        // no c= for the audio, multicast, or an unknown address type
  NoCommonCodec,              // none of opus/PCMU/PCMA (as the policy allows) is offered
  CodecNotOffered,            // the answer picked a codec we did not offer
  InsecureOffer,              // plain RTP offered and encrypted media is mandatory
  EncryptionDropped,          // our encrypted offer was answered without keys
  SdesNeedsSecureSignalling,  // SDES keys over signalling that is not TLS (RFC 4568 §8.3)
  SecureProfileWithoutKeys,   // RTP/SAVP or UDP/TLS/... without a=crypto or a=fingerprint
  SdesNoCommonSuite,          // no offered a=crypto suite is one we support
  SdesKeyRefused,             // the a=crypto key or session parameters are not acceptable
  SdesAnswerMismatch,         // the answer's a=crypto is not one of our lines (tag, suite, count)
  DtlsFingerprintUnsupported, // only MD5/MD2/unknown-hash fingerprints
  DtlsSetupRefused,           // a=setup:holdconn, or actpass in an answer (RFC 4145, RFC 5763 §5)
  DtlsNoLocalCertificate,     // DTLS-SRTP needed and we were given no fingerprint of our own
  AnswerMismatch,             // the answer's first m= line is not audio
  DtlsNeedsRtcpMux,           // DTLS-SRTP without a=rtcp-mux (one handshake per port: we run one)
  // our own settings (500)
  InvalidLocalSettings,       // no codec, no suite, a bad address or a bad fingerprint of ours
  InsecureNotAllowed,         // asked to offer plain RTP without allow_insecure
};
std::string_view describe(NegotiationErrc e) noexcept;
// The SIP status that refuses an offer for `e`: 400, 488 or 500 (200 for Ok).
std::uint16_t sip_status(NegotiationErrc e) noexcept;
const std::error_category& negotiation_category() noexcept;
inline std::error_code make_error_code(NegotiationErrc e) noexcept {
  return {static_cast<int>(e), negotiation_category()};
}
// The NegotiationErrc inside `ec`, or nullopt for another category.
std::optional<NegotiationErrc> negotiation_errc(std::error_code ec) noexcept;

// The audio codecs the phone can run (media/opus_codec.hpp, media/g711.hpp).
enum class AudioCodec : std::uint8_t { Opus, Pcmu, Pcma };
std::string_view to_string(AudioCodec c) noexcept;  // "opus", "PCMU", "PCMA"

// How we key an offer's SRTP.
enum class Keying : std::uint8_t { DtlsSrtp, Sdes, None };
std::string_view to_string(Keying k) noexcept;  // "dtls-srtp", "sdes", "none"

// The payload types we offer under (RFC 3551 static numbers for G.711, and fixed dynamic ones).
inline constexpr std::uint8_t kOpusPayloadType = 111;
inline constexpr std::uint8_t kPcmuPayloadType = 0;
inline constexpr std::uint8_t kPcmaPayloadType = 8;
inline constexpr std::uint8_t kTelephoneEventPayloadType = 101;

// What the phone is willing to do; one per account (or per call).
struct MediaPolicy {
  std::vector<AudioCodec> codecs{AudioCodec::Opus, AudioCodec::Pcmu, AudioCodec::Pcma};  // preferred first
  Keying offer_keying = Keying::DtlsSrtp;
  bool allow_insecure = false;     // offer, answer and accept plain RTP/AVP
  bool signalling_secure = false;  // this call's SIP runs over TLS: SDES may be used
  std::vector<media::SrtpSuite> suites{media::kSrtpSuitesByPreference.begin(),
                                       media::kSrtpSuitesByPreference.end()};
  std::uint16_t ptime_ms = 20;
};

// Where we receive, and what we want to do with the stream.
struct LocalMedia {
  std::string address;  // IPv4, IPv6 (no brackets) or a host name: our c= and o= address
  std::uint16_t port = 0;
  sip::sdp::Direction direction = sip::sdp::Direction::SendRecv;  // SendOnly to hold
};

// Our o= line across one call (RFC 3264 §5, §8): the session id stays, the version grows by one
// with every new description we send, offers and answers alike.
struct SdpOrigin {
  std::uint64_t session_id = 0;
  std::uint64_t version = 0;
};

// DTLS-SRTP parameters for media::DtlsSrtpConfig.
struct DtlsParams {
  crypto::DtlsRole role = crypto::DtlsRole::Client;
  std::vector<media::CertificateFingerprint> peer_fingerprints;  // at least one
  std::vector<media::SrtpSuite> suites;                          // ours, preferred first
};

// How the negotiated stream is keyed: plain, SDES keys, or a DTLS-SRTP handshake to run.
using MediaKeying = std::variant<std::monostate, media::SdesKeys, DtlsParams>;

// The chosen codec. The answer keeps the offer's numbers, so the two payload types differ only
// when the peer's answer renumbered (RFC 3264 §6.1 allows it): we send under the number the
// peer declared and receive under the one we declared.
struct NegotiatedCodec {
  AudioCodec codec = AudioCodec::Pcmu;
  std::uint8_t payload_type = 0;          // we send with it
  std::uint8_t receive_payload_type = 0;  // the peer sends with it
  std::uint32_t clock_rate = 8000;
  std::uint8_t channels = 1;              // 2 for opus (RFC 7587 §7)
};

// The result of one offer/answer exchange, from our side.
struct NegotiatedMedia {
  std::string remote_address;        // from c= (media level wins over session level)
  std::uint16_t remote_port = 0;
  std::uint16_t remote_rtcp_port = 0;  // remote_port when muxed, else a=rtcp or port + 1
  bool rtcp_mux = false;
  NegotiatedCodec codec;
  std::optional<std::uint8_t> telephone_event_pt;          // we send DTMF with it
  std::optional<std::uint8_t> telephone_event_receive_pt;  // the peer sends DTMF with it
  sip::sdp::Direction direction = sip::sdp::Direction::SendRecv;  // ours, after negotiation
  std::optional<double> remote_ptime;  // the peer's a=ptime, milliseconds
  MediaKeying keying;

  bool secure() const noexcept { return !std::holds_alternative<std::monostate>(keying); }
  // "dtls-srtp", "sdes" or "none".
  std::string_view keying_name() const noexcept;
  // One line for logs, e.g. "opus/48000/2 pt 111 to 192.0.2.7:4000 sendrecv, sdes AEAD_AES_256_GCM".
  std::string summary() const;
};

// An offer we sent, kept until its answer arrives.
struct Offer {
  std::string sdp;
  SdpOrigin origin;
  Keying keying = Keying::DtlsSrtp;
  std::vector<media::SdesCrypto> sdes;  // the a=crypto lines offered (our send keys), SDES only
  std::vector<AudioCodec> codecs;       // offered, in order
  sip::sdp::Direction direction = sip::sdp::Direction::SendRecv;
  std::vector<media::SrtpSuite> suites;  // SRTP suites offered (DTLS and SDES)
};

struct Answer {
  std::string sdp;
  SdpOrigin origin;
  NegotiatedMedia media;
};

// Checks a policy on its own. Errors: InvalidLocalSettings (no codec, no suite, ptime 0).
base::Result<void> validate(const MediaPolicy& policy);

// Builds an offer. `dtls_fingerprint_value` is our a=fingerprint value
// (media::fingerprint_attribute_value(identity)), required for Keying::DtlsSrtp. `previous` is
// the origin of the last description we sent in this call (re-INVITE for hold/resume): the
// session id is kept and the version incremented; without it a fresh session id is drawn.
// Errors: InvalidLocalSettings (policy, address, port 0, fingerprint), InsecureNotAllowed
// (Keying::None without allow_insecure), SdesNeedsSecureSignalling (Keying::Sdes without
// signalling_secure), DtlsNoLocalCertificate (Keying::DtlsSrtp without a fingerprint).
base::Result<Offer> make_offer(const MediaPolicy& policy, const LocalMedia& local, base::Random& rng,
                               std::string_view dtls_fingerprint_value,
                               std::optional<SdpOrigin> previous = std::nullopt);

// Answers an offer received in an INVITE (or a re-INVITE: pass our previous origin).
// `dtls_fingerprint_value` may be empty when we have no DTLS identity (DTLS offers are then
// refused unless they carry usable a=crypto too).
// Errors: UnparsableSdp, MalformedAttribute (400); NoAudio, UnsupportedTransport,
// NoConnectionAddress, NoCommonCodec, InsecureOffer, SdesNeedsSecureSignalling,
// SecureProfileWithoutKeys, SdesNoCommonSuite, SdesKeyRefused, DtlsFingerprintUnsupported,
// DtlsSetupRefused, DtlsNoLocalCertificate, DtlsNeedsRtcpMux (488); InvalidLocalSettings (500).
base::Result<Answer> answer_offer(std::string_view offer_sdp, const MediaPolicy& policy,
                                  const LocalMedia& local, base::Random& rng,
                                  std::string_view dtls_fingerprint_value,
                                  std::optional<SdpOrigin> previous = std::nullopt);

// Reads the answer to `offer`. An answer that drops the encryption we offered is refused unless
// policy.allow_insecure.
// Errors: UnparsableSdp, MalformedAttribute, AnswerMismatch, NoAudio (the peer refused the
// stream: port 0), NoConnectionAddress, CodecNotOffered, EncryptionDropped,
// SecureProfileWithoutKeys, SdesAnswerMismatch, SdesKeyRefused, SdesNeedsSecureSignalling,
// DtlsFingerprintUnsupported, DtlsSetupRefused, DtlsNeedsRtcpMux, InsecureNotAllowed.
base::Result<NegotiatedMedia> accept_answer(const Offer& offer, std::string_view answer_sdp,
                                            const MediaPolicy& policy);

}  // namespace warden::phone

template <>
struct std::is_error_code_enum<warden::phone::NegotiationErrc> : std::true_type {};
