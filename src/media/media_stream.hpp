#pragma once
// MediaStream: one audio stream of a call, sans-I/O. It turns the application's PCM frames into
// RTP packets (RFC 3550 §5, the audio profile of RFC 3551 §4.1) protected by SRTP (RFC 3711),
// and the peer's datagrams back into PCM; it keys SRTP by SDES (RFC 4568, keys given) or by
// DTLS-SRTP (RFC 5763/5764, the handshake runs on the media port), demultiplexes the port as
// RFC 7983 §7 says, sends and reads RTCP sender/receiver reports, SDES CNAME and BYE (RFC 3550
// §6, at the interval of §6.3.1, on the RTP port with rtcp-mux, RFC 5761), sends and receives
// DTMF as RFC 4733 telephone-events, and summarises the call (loss, jitter, round trip, an
// E-model MOS).
//
// Driving it: the application owns the sockets and the timer. It calls start() once, then
// on_tick() every ptime (one frame out, one frame in per call; on_tick() also fires the DTLS
// retransmission and RTCP timers, see next_deadline()), and on_datagram() for every datagram
// that arrives on the media port (or the RTCP port without rtcp-mux). Each returns the
// datagrams to send, each marked rtcp (for port + 1 without rtcp-mux) or not.
//
// Security rules, which no setting bypasses:
//  - With SDES or DTLS-SRTP keying every RTP and RTCP packet sent is SRTP/SRTCP, and every
//    packet received must authenticate (and not be a replay) before anything of it is used;
//    what fails is dropped and counted (Report::discarded_auth, discarded_replay).
//  - Until the DTLS handshake completes (state Connecting) nothing but DTLS is sent, and a
//    failed handshake (a certificate that matches no signalled fingerprint, a timeout) leaves the
//    stream Failed with no keys: it never falls back to plain RTP.
//  - Plain RTP (std::monostate keying) must be allowed explicitly by allow_unencrypted; create()
//    refuses it otherwise.
//
// Audio: the application's PCM is mono int16 at audio_rate_hz, one frame of
// audio_rate_hz * ptime samples per on_tick(). G.711 runs at 8 kHz and is resampled to and from
// other audio rates; Opus encodes and decodes at the audio rate itself (RTP clock 48 kHz,
// RFC 7587). The source is pulled once per on_tick() while Running and sending (also when a
// DTMF event takes the frame's place), never while connecting or on hold; the sink
// gets exactly one frame per on_tick() until the stream is Closed or Failed: decoded audio,
// concealment for a lost packet, silence while connecting, buffering, on hold or during a
// received DTMF event. Received packets go through a JitterBuffer (jitter_buffer.hpp).
//
// Timing rules of RFC 3550/3551: random SSRC, initial sequence number and timestamp; the
// timestamp advances by one frame per on_tick() whether or not a packet is sent, the sequence
// number by one per packet sent; the marker bit is set on the first packet after start and
// after every pause in sending (hold, then resume), and on the first packet of a DTMF event.
// DTMF (RFC 4733 §2.5): an event takes the place of the audio frames for its duration, one
// packet per ptime with the event's start timestamp, the last one (E bit, final duration) sent
// three times. Without a negotiated telephone-event payload type, send_dtmf() plays the Q.23
// tone in the audio instead. Received events call the DTMF handler once each, on their end
// packet (if every end packet was lost: when the next event starts, or 250 ms after the event's
// last packet). Event packets hold their place in the play-out as silence.
//
// Not done: rtcp-mux is required with DTLS-SRTP (no second handshake for a separate RTCP
// port); RTCP timer reconsideration and BYE back-off (§6.3.3-§6.3.7) are left out (two
// members); no RTCP feedback, no Opus in-band FEC recovery on the receive side (the decoder's
// PLC conceals), no comfort noise, no SSRC collision handling (§8.2).
//
// Thread-safety: none; one owner (the call's event loop). The callbacks run inside on_tick()
// and on_datagram().
// Errors (MediaStreamErrc, category "media.stream") from create() and send_dtmf(), as listed
// on each; create() also passes on SrtpErrc (bad SDES keys), DtlsSrtpErrc and crypto::DtlsErrc
// (DTLS setup), OpusErrc. A stream that fails while running reports its reason through
// state(), error() and failure_reason(): crypto::DtlsErrc (PeerRejected, Timeout, Handshake,
// PeerClosed, ...), DtlsSrtpErrc::KeyExport or SrtpErrc. Nothing throws on any datagram.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "crypto/dtls_connection.hpp"
#include "media/dtls_srtp.hpp"
#include "media/sdes.hpp"

namespace warden::media {

enum class MediaStreamErrc {
  Ok = 0,
  PlainRtpNotAllowed,   // monostate keying without allow_unencrypted
  BadPayloadType,       // above 127, or the telephone-event type equals the audio type
  BadClockRate,         // G.711 needs 8000, Opus 48000 (RFC 7587 §4.1)
  BadAudioRate,         // not 8000, 12000, 16000, 24000 or 48000 Hz
  BadPtime,             // G.711: 10-60 ms in steps of 10; Opus: 10, 20, 40 or 60 ms
  NoIdentity,           // DTLS-SRTP keying without a certificate
  DtlsNeedsRtcpMux,     // DTLS-SRTP keying with rtcp_mux false
  NotDtmfKey,           // send_dtmf() with a character that is not 0-9, *, #, A-D
  DtmfQueueFull,        // more than MediaStreamLimits::max_queued_dtmf digits waiting
  NotRunning,           // send_dtmf() on a stream that is Failed or Closed
  NotSdesKeyed,         // rekey() on a stream that is not keyed by SDES
};
std::string_view describe(MediaStreamErrc e) noexcept;
const std::error_category& media_stream_category() noexcept;
inline std::error_code make_error_code(MediaStreamErrc e) noexcept {
  return {static_cast<int>(e), media_stream_category()};
}

}  // namespace warden::media

template <>
struct std::is_error_code_enum<warden::media::MediaStreamErrc> : std::true_type {};

namespace warden::media {

enum class AudioCodec : std::uint8_t { Pcmu, Pcma, Opus };
// The encoding name of SDP's a=rtpmap: "PCMU", "PCMA", "opus".
std::string_view codec_name(AudioCodec c) noexcept;

// Bounds on what the peer can make the stream hold.
struct MediaStreamLimits {
  std::size_t max_datagram_bytes = 1500;    // larger RTP/RTCP datagrams are dropped unread
  std::size_t max_queued_dtmf = 32;         // digits waiting to be sent
  std::chrono::milliseconds max_playout_backlog{200};  // decoded audio waiting for the sink
};

struct MediaStreamConfig {
  AudioCodec codec = AudioCodec::Pcmu;
  std::uint8_t payload_type = 0;           // from the SDP answer
  std::uint32_t clock_rate = 8000;         // 8000 for G.711, 48000 for Opus
  std::optional<std::uint8_t> telephone_event_pt;  // RFC 4733, at clock_rate
  std::uint32_t audio_rate_hz = 8000;      // the application's PCM: 8000, 12000, 16000, 24000, 48000
  bool send = true;                        // SDP direction (sendrecv, sendonly, recvonly, inactive)
  bool receive = true;
  std::chrono::milliseconds ptime{20};
  std::string cname;                       // RTCP CNAME; empty: a random one (RFC 7022)
  // Exactly one keying: plain RTP (only with allow_unencrypted), SDES keys from the offer/answer,
  // or DTLS-SRTP (role, the peer's fingerprints, suites) with the identity given to create().
  std::variant<std::monostate, SdesKeys, DtlsSrtpConfig> keying;
  bool allow_unencrypted = false;          // the user chose plain RTP for this call
  bool rtcp_mux = true;                    // RTCP on the RTP port; else datagrams marked rtcp go to port + 1
  std::chrono::milliseconds jitter_delay{60};  // initial play-out delay (adaptive afterwards)
  // Wall-clock minus steady time (clock.wall_now() - clock.now()), for the NTP timestamps of
  // sender reports. The round-trip time needs only our own clock, so 0 works too.
  base::Duration wall_clock_offset{};
  int opus_bitrate = 32000;
  MediaStreamLimits limits;
};

class MediaStream {
 public:
  struct Datagram {
    std::vector<std::byte> bytes;
    bool rtcp = false;  // RTCP: to the RTCP port when rtcp_mux is off
  };
  using Datagrams = std::vector<Datagram>;

  enum class State : std::uint8_t {
    Connecting,  // DTLS handshake under way: only DTLS is sent
    Running,     // keys in place (or plain RTP allowed): media flows
    Failed,      // keying failed; see error()
    Closed,      // close() was called, or the peer closed DTLS
  };

  // The quality summary of the call so far.
  struct Report {
    std::string codec;              // "PCMU", "PCMA", "opus"
    std::uint32_t clock_rate = 0;
    std::string keying;             // "dtls-srtp", "sdes", "none"
    std::string suite;              // SDES name of the SRTP suite, "" without keys
    std::string state;              // "connecting", "running", "failed", "closed"
    std::uint64_t packets_sent = 0;     // RTP packets (audio and DTMF)
    std::uint64_t octets_sent = 0;      // RTP payload octets, as a sender report counts them
    std::uint64_t packets_received = 0; // authenticated RTP packets from the peer's source
    std::int64_t packets_lost = 0;      // RFC 3550 A.3: expected - received (negative with duplicates)
    double fraction_lost_percent = 0;   // lost / expected over the call
    double jitter_ms = 0;               // RFC 3550 A.8 interarrival jitter
    std::optional<double> rtt_ms;       // from the last report block about us with LSR (§6.4.1)
    std::optional<double> remote_fraction_lost_percent;  // what the peer last reported about us
    std::uint64_t discarded = 0;        // the sum of the four below
    std::uint64_t discarded_auth = 0;   // SRTP/SRTCP authentication failures (forged, damaged, plain)
    std::uint64_t discarded_replay = 0; // replayed or too old (SRTP replay window)
    std::uint64_t discarded_late = 0;   // too late for play-out, or duplicates
    std::uint64_t discarded_other = 0;  // malformed, unknown payload type, foreign SSRC, before keys
    std::uint64_t concealed_frames = 0; // play-out frames filled by concealment
    std::uint64_t dtmf_sent = 0, dtmf_received = 0;
    bool remote_bye = false;            // the peer sent RTCP BYE
    // E-model (quality.hpp) from loss, jitter-buffer delay, RTT and codec; none until a packet
    // was received.
    std::optional<double> r_factor;
    std::optional<double> mos;
    std::chrono::milliseconds duration{0};  // since start()
  };

  // Errors: MediaStreamErrc (configuration), SrtpErrc, DtlsSrtpErrc, crypto::DtlsErrc, OpusErrc.
  // `identity` is needed for DTLS-SRTP keying only; it need not outlive the stream. `rng` gives
  // the SSRC, initial sequence number and timestamp, a random CNAME and the RTCP timer's seed
  // (a CSPRNG outside tests); it is not kept.
  static base::Result<MediaStream> create(MediaStreamConfig config, const crypto::DtlsIdentity* identity,
                                          base::Random& rng);

  MediaStream(MediaStream&&) noexcept;
  MediaStream& operator=(MediaStream&&) noexcept;
  ~MediaStream();

  // Starts the stream at `now`: the DTLS client's first flight. on_tick() and on_datagram()
  // start the stream themselves if the application did not.
  Datagrams start(base::TimePoint now);
  // One datagram from the peer.
  Datagrams on_datagram(base::ByteView datagram, base::TimePoint now);
  // One frame period: send one frame, play one frame, fire due RTCP and DTLS timers.
  Datagrams on_tick(base::TimePoint now);
  // When on_tick() is due next: one ptime after the last tick, or sooner for a DTLS
  // retransmission or an RTCP report. Nullopt before start and once Closed or Failed.
  std::optional<base::TimePoint> next_deadline() const;

  // Fills one frame of audio_rate_hz * ptime samples. Without a source the stream sends silence.
  void set_source(std::function<void(std::span<std::int16_t>)> fill);
  // Takes one frame of audio_rate_hz * ptime samples per on_tick().
  void set_sink(std::function<void(std::span<const std::int16_t>)> play);
  // Called once per received RFC 4733 event: the key and the event's duration.
  void set_dtmf_handler(std::function<void(char digit, std::chrono::milliseconds duration)> on_digit);

  // Queues a DTMF digit (0-9, *, #, A-D) for the next frames: RFC 4733 events, or the tone in the
  // audio without telephone_event_pt. The duration is clamped to 40 ms - 5 s (and to what one
  // event's 16-bit duration holds at the clock rate). Errors: NotDtmfKey, DtmfQueueFull,
  // NotRunning.
  base::Result<void> send_dtmf(char digit, std::chrono::milliseconds duration = std::chrono::milliseconds{100});
  // Changes the SDP direction (hold and resume through re-INVITE). RTCP continues either way.
  void set_direction(bool send, bool receive);
  // SDES only: replaces the SRTP session with one made of `keys` (a re-INVITE in which the peer
  // sent a new a=crypto key, RFC 4568 §7.1.4). The RTP state (SSRC, sequence numbers, the jitter
  // buffer) stays; the replay windows and rollover counters start afresh with the new keys.
  // Errors: NotSdesKeyed, SrtpErrc (bad keys; the old session then stays).
  base::Result<void> rekey(const SdesKeys& keys);
  // RTCP BYE (in a compound with a report) and DTLS close_notify; the stream is Closed.
  Datagrams close();

  State state() const noexcept;
  std::error_code error() const noexcept;
  std::string failure_reason() const;
  std::uint32_t ssrc() const noexcept;           // our SSRC
  std::size_t frame_samples() const noexcept;    // samples per frame at audio_rate_hz

  Report report(base::TimePoint now) const;

 private:
  struct Impl;
  explicit MediaStream(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

// The report as one line of JSON: keys as the Report fields (duration as duration_ms), null for
// an unknown optional figure.
std::string to_json(const MediaStream::Report& r);

}  // namespace warden::media
