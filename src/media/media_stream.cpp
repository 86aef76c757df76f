#include "media/media_stream.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <deque>
#include <random>

#include "base/error.hpp"
#include "media/g711.hpp"
#include "media/jitter_buffer.hpp"
#include "media/opus_codec.hpp"
#include "media/packet_demux.hpp"
#include "media/quality.hpp"
#include "media/resampler.hpp"
#include "media/rtcp.hpp"
#include "media/rtcp_interval.hpp"
#include "media/rtp_packet.hpp"
#include "media/rtp_receive_stats.hpp"
#include "media/srtp_session.hpp"
#include "media/tone.hpp"

namespace warden::media {

std::string_view describe(MediaStreamErrc e) noexcept {
  switch (e) {
    case MediaStreamErrc::Ok: return "ok";
    case MediaStreamErrc::PlainRtpNotAllowed: return "plain RTP was not allowed for this call";
    case MediaStreamErrc::BadPayloadType: return "payload type above 127 or shared by audio and telephone-event";
    case MediaStreamErrc::BadClockRate: return "RTP clock rate does not match the codec";
    case MediaStreamErrc::BadAudioRate: return "audio rate is not 8000, 12000, 16000, 24000 or 48000 Hz";
    case MediaStreamErrc::BadPtime: return "packet time not supported by the codec";
    case MediaStreamErrc::NoIdentity: return "DTLS-SRTP keying needs a certificate";
    case MediaStreamErrc::DtlsNeedsRtcpMux: return "DTLS-SRTP keying needs rtcp-mux";
    case MediaStreamErrc::NotDtmfKey: return "not a DTMF key";
    case MediaStreamErrc::DtmfQueueFull: return "too many DTMF digits queued";
    case MediaStreamErrc::NotRunning: return "the media stream has failed or is closed";
    case MediaStreamErrc::NotSdesKeyed: return "the media stream is not keyed by SDES";
  }
  return "unknown media stream error";
}

const std::error_category& media_stream_category() noexcept {
  return base::ErrorCategory<MediaStreamErrc>::instance("media.stream");
}

std::string_view codec_name(AudioCodec c) noexcept {
  switch (c) {
    case AudioCodec::Pcmu: return "PCMU";
    case AudioCodec::Pcma: return "PCMA";
    case AudioCodec::Opus: return "opus";
  }
  return "unknown";
}

namespace {

using namespace std::chrono_literals;
using base::TimePoint;

constexpr std::size_t kEndPacketCopies = 3;            // RFC 4733 §2.5.1.4
constexpr std::uint8_t kDtmfVolume = 10;               // -10 dBm0
constexpr std::chrono::milliseconds kMinDtmf{40}, kMaxDtmf{5000};
constexpr std::chrono::milliseconds kInbandGap{40};    // silence between in-band digits (Q.24)
constexpr double kInbandAmplitude = 0.4;
constexpr base::Duration kSourceTimeout = 2s;          // a new SSRC may replace a source this quiet
constexpr base::Duration kEventTimeout = 250ms;        // an event without packets this long ended
constexpr std::size_t kIpUdpBytes = 28;                // IPv4 + UDP, for the RTCP size average
constexpr std::size_t kRtpOverheadBytes = 12 + kIpUdpBytes;
constexpr std::string_view kDtmfKeys = "0123456789*#ABCD";

int dtmf_code(char key) noexcept {
  if (key >= 'a' && key <= 'd') key = static_cast<char>(key - 'a' + 'A');
  const auto at = kDtmfKeys.find(key);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

bool valid_audio_rate(std::uint32_t r) noexcept {
  return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000;
}

double ms(base::Duration d) noexcept { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

struct MediaStream::Impl {
  enum class Keying : std::uint8_t { None, Sdes, Dtls };

  Impl(MediaStreamConfig c, JitterBufferConfig jb_config)
      : cfg(std::move(c)), stats(cfg.clock_rate), jb(jb_config) {}

  MediaStreamConfig cfg;
  Keying keying = Keying::None;
  State state = State::Running;
  std::error_code error;
  std::string failure;
  std::optional<DtlsSrtpEndpoint> dtls;
  std::optional<SrtpSession> srtp;
  std::string suite;

  // Codec.
  G711Law law = G711Law::Ulaw;
  std::optional<OpusAudioEncoder> opus_encoder;
  std::optional<OpusAudioDecoder> opus_decoder;
  std::optional<Resampler> tx_resampler, rx_resampler;  // G.711 at other audio rates
  G711Concealer concealer;
  std::size_t audio_frame = 0;   // samples per frame at the audio rate
  std::size_t codec_frame = 0;   // samples per frame at the codec's PCM rate
  std::uint32_t frame_units = 0; // RTP timestamp units per frame

  // Sending.
  std::uint32_t ssrc = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;   // of the next frame
  bool send = true, receive = true;
  bool talkspurt_start = true;
  std::uint64_t packets_sent = 0, octets_sent = 0;
  bool sent_this_interval = false, sent_last_interval = false;
  std::function<void(std::span<std::int16_t>)> source;
  std::function<void(std::span<const std::int16_t>)> sink;
  std::function<void(char, std::chrono::milliseconds)> dtmf_handler;
  std::vector<std::int16_t> pcm, pcm_codec;
  std::vector<std::uint8_t> codes;

  // DTMF out.
  struct QueuedDigit {
    std::uint8_t code = 0;
    std::chrono::milliseconds duration{0};
  };
  std::deque<QueuedDigit> dtmf_queue;
  struct TxEvent {
    std::uint8_t code = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t total = 0;    // timestamp units
    std::uint32_t elapsed = 0;
    std::size_t ends_sent = 0;
    bool first = true;
  };
  std::optional<TxEvent> tx_event;
  std::optional<ToneGenerator> inband_tone;
  std::size_t inband_tone_left = 0, inband_gap_left = 0;
  std::uint64_t dtmf_sent = 0;

  // Receiving.
  std::optional<std::uint32_t> remote_ssrc;
  TimePoint last_remote_packet{};
  RtpReceiveStats stats;
  JitterBuffer jb;
  std::optional<std::uint16_t> bad_jump_sequence;
  std::optional<std::uint16_t> last_audio_sequence;
  std::uint32_t last_audio_timestamp = 0;
  std::deque<std::int16_t> playout;
  std::size_t last_codec_samples = 0;  // of the last decoded packet, for concealment
  std::vector<std::byte> rx;
  std::vector<std::int16_t> decoded;
  std::uint64_t packets_received = 0;
  std::uint64_t discarded_auth = 0, discarded_replay = 0, discarded_late = 0, discarded_other = 0;
  std::uint64_t concealed = 0;
  struct RxEvent {
    std::uint32_t timestamp = 0;
    std::uint8_t code = 0;
    std::uint16_t duration = 0;
    bool reported = false;
    TimePoint last_packet{};
  };
  std::optional<RxEvent> rx_event;
  std::uint64_t dtmf_received = 0;

  // RTCP and time.
  bool started = false;
  TimePoint start_time{};
  std::optional<TimePoint> last_tick;
  std::optional<TimePoint> next_rtcp;
  double rtcp_bandwidth = 400.0;  // bytes per second
  double average_rtcp_size = 100.0;
  std::mt19937_64 prng;
  std::string cname;
  std::optional<double> rtt_ms;
  std::optional<double> remote_fraction_lost;
  std::optional<TimePoint> remote_sent_at;  // last RTP or SR from the peer
  bool remote_bye = false;

  // ---- helpers ----

  static void append(Datagrams& out, DtlsSrtpEndpoint::Datagrams d) {
    for (auto& x : d) out.push_back({std::move(x), false});
  }

  void fail(std::error_code ec, std::string reason) {
    state = State::Failed;
    error = ec;
    failure = std::move(reason);
    playout.clear();
    dtmf_queue.clear();
  }

  void begin(TimePoint now, Datagrams& out) {
    if (started) return;
    started = true;
    start_time = now;
    if (dtls) {
      append(out, dtls->start(now));
      check_dtls(now);
    } else {
      schedule_rtcp(now, true);
    }
  }

  // Follows the DTLS endpoint: keys once connected, failure or the peer's close_notify.
  void check_dtls(TimePoint now) {
    if (!dtls || state == State::Failed || state == State::Closed) return;
    switch (dtls->state()) {
      case DtlsSrtpEndpoint::State::Handshaking: break;
      case DtlsSrtpEndpoint::State::Connected:
        if (state == State::Connecting) {
          auto session = dtls->make_srtp_session();
          if (!session) {
            fail(session.error(), "SRTP session from the DTLS keys: " + session.error().message());
            return;
          }
          srtp.emplace(std::move(*session));
          if (auto s = dtls->suite()) suite = std::string(sdes_name(*s));
          state = State::Running;
          schedule_rtcp(now, true);
        }
        break;
      case DtlsSrtpEndpoint::State::Failed: {
        const std::string& why = dtls->failure_reason();
        fail(dtls->error(), why.empty() ? dtls->error().message() : why);
        break;
      }
      case DtlsSrtpEndpoint::State::Closed:
        state = State::Closed;
        error = dtls->error();
        failure = "the peer closed DTLS";
        playout.clear();
        break;
    }
  }

  std::uint64_t ntp(TimePoint t) const noexcept {
    return to_ntp(base::WallTime{t.time_since_epoch() + cfg.wall_clock_offset});
  }

  double random_unit() noexcept { return static_cast<double>(prng() >> 11) * 0x1.0p-53; }

  void schedule_rtcp(TimePoint now, bool initial) {
    RtcpIntervalInput in;
    in.members = 2;
    const bool we_sent = sent_this_interval || sent_last_interval || (initial && send);
    const bool peer_sends = remote_sent_at && now - *remote_sent_at < 10s;
    in.senders = (we_sent ? 1u : 0u) + (peer_sends ? 1u : 0u);
    in.rtcp_bandwidth_bytes_per_s = rtcp_bandwidth;
    in.average_rtcp_size = average_rtcp_size;
    in.we_sent = we_sent;
    in.initial = initial;
    next_rtcp = now + rtcp_interval(in, random_unit());
  }

  // Protects `buffer[0, length)` (which has the SRTP headroom after it) and queues it.
  void protect_and_queue(std::vector<std::byte> buffer, std::size_t length, bool rtcp, Datagrams& out) {
    if (srtp) {
      auto n = rtcp ? srtp->protect_rtcp(buffer, length) : srtp->protect_rtp(buffer, length);
      if (!n) return;  // KeyExpired or Internal: nothing unprotected ever leaves
      length = *n;
    }
    buffer.resize(length);
    out.push_back({std::move(buffer), rtcp});
  }

  void send_rtp(bool marker, std::uint8_t pt, std::uint32_t ts, base::ByteView payload, Datagrams& out) {
    RtpPacket p;
    p.marker = marker;
    p.payload_type = pt;
    p.sequence = sequence;
    p.timestamp = ts;
    p.ssrc = ssrc;
    p.payload = payload;
    std::vector<std::byte> buffer(p.wire_size() + SrtpSession::kProtectHeadroom);
    auto n = serialize_rtp(p, buffer);
    if (!n) return;
    ++sequence;
    ++packets_sent;
    octets_sent += payload.size();
    sent_this_interval = true;
    protect_and_queue(std::move(buffer), *n, false, out);
  }

  void send_event_packet(Datagrams& out) {
    TxEvent& e = *tx_event;
    bool end = false;
    std::uint32_t duration;
    if (e.elapsed + frame_units < e.total) {
      e.elapsed += frame_units;
      duration = e.elapsed;
    } else {
      duration = e.total;
      end = true;
      ++e.ends_sent;
    }
    const std::array<std::byte, 4> payload = {
        std::byte{e.code}, static_cast<std::byte>((end ? 0x80 : 0x00) | kDtmfVolume),
        static_cast<std::byte>(duration >> 8), static_cast<std::byte>(duration & 0xFF)};
    send_rtp(e.first, *cfg.telephone_event_pt, e.timestamp, payload, out);
    e.first = false;
    if (e.ends_sent >= kEndPacketCopies) tx_event.reset();
  }

  // One frame of the source, with an in-band DTMF tone written over it when one is due.
  void fill_frame() {
    std::fill(pcm.begin(), pcm.end(), std::int16_t{0});
    if (source) source(pcm);
    if (!cfg.telephone_event_pt && inband_tone_left == 0 && inband_gap_left == 0 && !dtmf_queue.empty()) {
      const QueuedDigit d = dtmf_queue.front();
      dtmf_queue.pop_front();
      inband_tone.emplace(*dtmf_tone(kDtmfKeys[d.code], kInbandAmplitude, static_cast<int>(cfg.audio_rate_hz)));
      inband_tone_left = static_cast<std::size_t>(cfg.audio_rate_hz * d.duration.count() / 1000);
      inband_gap_left = static_cast<std::size_t>(cfg.audio_rate_hz * kInbandGap.count() / 1000);
      ++dtmf_sent;
    }
    std::size_t i = 0;
    if (inband_tone_left > 0) {
      const std::size_t n = std::min(inband_tone_left, pcm.size());
      inband_tone->fill(std::span(pcm).first(n));
      inband_tone_left -= n;
      i = n;
    }
    if (inband_tone_left == 0 && inband_gap_left > 0 && i < pcm.size()) {
      const std::size_t n = std::min(inband_gap_left, pcm.size() - i);
      std::fill_n(pcm.begin() + static_cast<std::ptrdiff_t>(i), n, std::int16_t{0});
      inband_gap_left -= n;
    }
  }

  void send_frame(Datagrams& out) {
    fill_frame();  // pulled even when an event takes the frame's place, so the source keeps time
    if (cfg.telephone_event_pt && !tx_event && !dtmf_queue.empty()) {
      const QueuedDigit d = dtmf_queue.front();
      dtmf_queue.pop_front();
      TxEvent e;
      e.code = d.code;
      e.timestamp = timestamp;
      e.total = static_cast<std::uint32_t>(std::min<std::int64_t>(
          0xFFFF, static_cast<std::int64_t>(cfg.clock_rate) * d.duration.count() / 1000));
      tx_event = e;
      ++dtmf_sent;
    }
    if (tx_event) {
      send_event_packet(out);
      talkspurt_start = false;
      return;
    }
    std::array<std::byte, kOpusMaxPacketBytes> opus_packet{};
    base::ByteView payload;
    if (cfg.codec == AudioCodec::Opus) {
      auto n = opus_encoder->encode(pcm, opus_packet);
      if (!n) return;  // cannot happen with a whole frame; skip the frame rather than send junk
      payload = base::ByteView(opus_packet).first(*n);
    } else {
      std::span<const std::int16_t> at_8k = pcm;
      if (tx_resampler) {
        pcm_codec.clear();
        tx_resampler->process(pcm, pcm_codec);
        pcm_codec.resize(codec_frame, 0);  // whole frames by construction; guard anyway
        at_8k = pcm_codec;
      }
      codes.resize(at_8k.size());
      g711_encode(law, at_8k, codes);
      payload = std::as_bytes(std::span(codes));
    }
    send_rtp(talkspurt_start, cfg.payload_type, timestamp, payload, out);
    talkspurt_start = false;
  }

  // ---- receiving ----

  void count_unprotect_error(std::error_code ec) {
    if (ec == SrtpErrc::Replayed || ec == SrtpErrc::TooOld)
      ++discarded_replay;
    else
      ++discarded_auth;
  }

  // Copies an RTP or RTCP datagram and unprotects it; nullopt (counted) when it must be dropped.
  std::optional<base::ByteView> open(base::ByteView datagram, bool rtcp) {
    if (state != State::Running || datagram.size() > cfg.limits.max_datagram_bytes) {
      ++discarded_other;
      return std::nullopt;
    }
    rx.assign(datagram.begin(), datagram.end());
    std::size_t length = rx.size();
    if (srtp) {
      auto n = rtcp ? srtp->unprotect_rtcp(rx) : srtp->unprotect_rtp(rx);
      if (!n) {
        count_unprotect_error(n.error());
        return std::nullopt;
      }
      length = *n;
    }
    return base::ByteView(rx).first(length);
  }

  void lock_source(std::uint32_t s) {
    remote_ssrc = s;
    stats = RtpReceiveStats(cfg.clock_rate);
    jb.reset();
    playout.clear();
    bad_jump_sequence.reset();
    last_audio_sequence.reset();
    rx_event.reset();
    remote_bye = false;
  }

  bool accept_source(std::uint32_t s, TimePoint now) {
    if (remote_ssrc && *remote_ssrc == s) return true;
    if (!remote_ssrc || remote_bye || now - last_remote_packet >= kSourceTimeout) {
      lock_source(s);
      return true;
    }
    return false;
  }

  void report_event(RxEvent& e) {
    e.reported = true;
    ++dtmf_received;
    if (dtmf_handler) {
      const auto duration = std::chrono::milliseconds{std::int64_t{e.duration} * 1000 / cfg.clock_rate};
      dtmf_handler(kDtmfKeys[e.code], duration);
    }
  }

  // RFC 4733 §2.5.2: packets of one event share its start timestamp.
  void on_event(const RtpPacket& p, TimePoint now) {
    if (p.payload.size() < 4) {
      ++discarded_other;
      return;
    }
    const auto code = std::to_integer<std::uint8_t>(p.payload[0]);
    const bool end = (std::to_integer<unsigned>(p.payload[1]) & 0x80) != 0;
    const auto duration = static_cast<std::uint16_t>(std::to_integer<unsigned>(p.payload[2]) << 8 |
                                                     std::to_integer<unsigned>(p.payload[3]));
    if (code >= kDtmfKeys.size()) return;  // an event other than a DTMF key: ignored
    if (rx_event) {
      const auto delta = static_cast<std::int32_t>(p.timestamp - rx_event->timestamp);
      if (delta < 0) return;  // a straggler of an earlier event
      if (delta == 0) {
        if (rx_event->reported) return;  // the repeated end packets
        rx_event->duration = std::max(rx_event->duration, duration);
        rx_event->last_packet = now;
        if (end) report_event(*rx_event);
        return;
      }
      if (!rx_event->reported) report_event(*rx_event);  // every end packet was lost
    }
    rx_event = RxEvent{p.timestamp, code, duration, false, now};
    if (end) report_event(*rx_event);
  }

  void on_rtp(base::ByteView datagram, TimePoint now) {
    auto opened = open(datagram, false);
    if (!opened) return;
    auto p = parse_rtp(*opened, RtpLimits{cfg.limits.max_datagram_bytes});
    if (!p) {
      ++discarded_other;
      return;
    }
    const bool audio = p->payload_type == cfg.payload_type;
    const bool event = cfg.telephone_event_pt && p->payload_type == *cfg.telephone_event_pt;
    if ((!audio && !event) || !accept_source(p->ssrc, now)) {
      ++discarded_other;
      return;
    }
    last_remote_packet = now;
    remote_sent_at = now;
    // Event packets carry the event's start timestamp; for jitter and play-out, use the media
    // time their place in the sequence stands for.
    std::uint32_t media_ts = p->timestamp;
    if (event && last_audio_sequence) {
      const auto steps = static_cast<std::int16_t>(p->sequence - *last_audio_sequence);
      media_ts = last_audio_timestamp + static_cast<std::uint32_t>(steps) * frame_units;
    }
    const auto verdict = stats.on_packet(p->sequence, media_ts, now);
    if (verdict == RtpReceiveStats::Verdict::BadJump) {
      bad_jump_sequence = p->sequence;
      ++discarded_other;
      return;
    }
    if (bad_jump_sequence) {
      // The jump was believed: the sender restarted its numbering.
      if (p->sequence == static_cast<std::uint16_t>(*bad_jump_sequence + 1)) {
        jb.reset();
        last_audio_sequence.reset();
      }
      bad_jump_sequence.reset();
    }
    ++packets_received;
    if (audio) {
      last_audio_sequence = p->sequence;
      last_audio_timestamp = p->timestamp;
    }
    if (!receive) return;
    if (event) on_event(*p, now);
    // An event packet holds its place in the play-out as a silent frame.
    const auto r = jb.push(p->sequence, media_ts, p->marker, audio ? p->payload : base::ByteView{}, now);
    if (r == JitterBuffer::PushResult::TooLate || r == JitterBuffer::PushResult::Duplicate)
      ++discarded_late;
    else if (r == JitterBuffer::PushResult::TooLarge)
      ++discarded_other;
  }

  void on_report_blocks(const std::vector<ReportBlock>& blocks, TimePoint now) {
    for (const ReportBlock& b : blocks) {
      if (b.ssrc != ssrc) continue;
      if (auto rtt = round_trip_time(b, ntp(now))) rtt_ms = ms(*rtt);
      remote_fraction_lost = b.fraction_lost * 100.0 / 256.0;
    }
  }

  void on_rtcp(base::ByteView datagram, TimePoint now) {
    auto opened = open(datagram, true);
    if (!opened) return;
    RtcpLimits limits;
    limits.max_packet_bytes = cfg.limits.max_datagram_bytes;
    auto compound = parse_rtcp(*opened, limits);
    if (!compound) {
      ++discarded_other;
      return;
    }
    for (const RtcpPacket& packet : compound->packets) {
      if (const auto* sr = std::get_if<SenderReport>(&packet)) {
        if (remote_ssrc && sr->ssrc == *remote_ssrc) {
          stats.on_sender_report(sr->sender, now);
          remote_sent_at = now;
        }
        on_report_blocks(sr->blocks, now);
      } else if (const auto* rr = std::get_if<ReceiverReport>(&packet)) {
        on_report_blocks(rr->blocks, now);
      } else if (const auto* bye = std::get_if<Bye>(&packet)) {
        if (remote_ssrc && std::find(bye->ssrcs.begin(), bye->ssrcs.end(), *remote_ssrc) != bye->ssrcs.end())
          remote_bye = true;
      }
    }
  }

  // ---- RTCP out ----

  std::uint32_t rtp_timestamp_at(TimePoint now) const noexcept {
    if (!last_tick) return timestamp;
    const auto since = std::max<std::int64_t>(0, (now - *last_tick).count());
    const auto units = static_cast<std::uint64_t>(since) * cfg.clock_rate / 1'000'000'000u;
    return timestamp - frame_units + static_cast<std::uint32_t>(units);
  }

  void send_rtcp(TimePoint now, bool bye, Datagrams& out) {
    RtcpCompound c;
    std::vector<ReportBlock> blocks;
    if (remote_ssrc && stats.valid()) blocks.push_back(stats.make_report_block(*remote_ssrc, now));
    const bool we_sent = sent_this_interval || sent_last_interval;
    if (we_sent) {
      SenderReport sr;
      sr.ssrc = ssrc;
      sr.sender.ntp_timestamp = ntp(now);
      sr.sender.rtp_timestamp = rtp_timestamp_at(now);
      sr.sender.packet_count = static_cast<std::uint32_t>(packets_sent);
      sr.sender.octet_count = static_cast<std::uint32_t>(octets_sent);
      sr.blocks = std::move(blocks);
      c.packets.emplace_back(std::move(sr));
    } else {
      c.packets.emplace_back(ReceiverReport{ssrc, std::move(blocks), {}});
    }
    SourceDescription sdes;
    sdes.chunks.push_back({ssrc, {{static_cast<std::uint8_t>(SdesType::Cname), cname}}});
    c.packets.emplace_back(std::move(sdes));
    if (bye) c.packets.emplace_back(Bye{{ssrc}, {}});
    const std::size_t size = rtcp_wire_size(c);
    std::vector<std::byte> buffer(size + SrtpSession::kProtectHeadroom);
    auto n = serialize_rtcp(c, buffer);
    if (!n) return;
    sent_last_interval = sent_this_interval;
    sent_this_interval = false;
    const std::size_t queued = out.size();
    protect_and_queue(std::move(buffer), *n, true, out);
    if (out.size() > queued)
      average_rtcp_size = update_average_rtcp_size(average_rtcp_size, out.back().bytes.size() + kIpUdpBytes);
  }

  // ---- play-out ----

  void append_codec_pcm(std::span<const std::int16_t> at_codec_rate) {
    if (rx_resampler) {
      decoded.clear();
      rx_resampler->process(at_codec_rate, decoded);
      playout.insert(playout.end(), decoded.begin(), decoded.end());
    } else {
      playout.insert(playout.end(), at_codec_rate.begin(), at_codec_rate.end());
    }
  }

  void conceal_one() {
    ++concealed;
    const std::size_t n = last_codec_samples;
    decoded.assign(n, 0);
    if (cfg.codec == AudioCodec::Opus) {
      auto r = opus_decoder->conceal(decoded);
      if (!r) std::fill(decoded.begin(), decoded.end(), std::int16_t{0});
      playout.insert(playout.end(), decoded.begin(), decoded.end());
      return;
    }
    std::vector<std::int16_t> frame(n);
    concealer.conceal(frame);
    append_codec_pcm(frame);
  }

  void play_silence_frame() {
    if (cfg.codec == AudioCodec::Opus) {
      playout.insert(playout.end(), audio_frame, std::int16_t{0});
      return;
    }
    std::vector<std::int16_t> zeros(codec_frame, 0);
    concealer.on_good_frame(zeros);
    append_codec_pcm(zeros);
  }

  void decode(base::ByteView payload) {
    if (cfg.codec == AudioCodec::Opus) {
      decoded.resize(cfg.audio_rate_hz * 120 / 1000);  // the longest Opus packet
      auto n = opus_decoder->decode(payload, decoded);
      if (!n || *n == 0) {
        ++discarded_other;
        conceal_one();
        return;
      }
      last_codec_samples = *n;
      playout.insert(playout.end(), decoded.begin(), decoded.begin() + static_cast<std::ptrdiff_t>(*n));
      return;
    }
    if (payload.empty()) {
      conceal_one();
      return;
    }
    std::vector<std::int16_t> frame(payload.size());
    g711_decode(law, std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()), frame);
    concealer.on_good_frame(frame);
    last_codec_samples = frame.size();
    append_codec_pcm(frame);
  }

  void play_frame(TimePoint now) {
    std::vector<std::int16_t> frame(audio_frame, 0);
    if (state == State::Running && receive) {
      for (int guard = 0; playout.size() < audio_frame && guard < 8; ++guard) {
        auto r = jb.pop(now);
        if (r.kind == JitterBuffer::PopKind::Waiting) break;
        if (r.kind == JitterBuffer::PopKind::Missing) {
          conceal_one();
        } else if (r.frame.payload.empty()) {
          play_silence_frame();  // an RFC 4733 event held this place
        } else {
          decode(r.frame.payload);
        }
      }
      const auto max_backlog = static_cast<std::size_t>(cfg.audio_rate_hz * cfg.limits.max_playout_backlog.count() / 1000);
      if (playout.size() > max_backlog + audio_frame)
        playout.erase(playout.begin(), playout.end() - static_cast<std::ptrdiff_t>(max_backlog + audio_frame));
      const std::size_t n = std::min(audio_frame, playout.size());
      std::copy_n(playout.begin(), n, frame.begin());
      playout.erase(playout.begin(), playout.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (rx_event && !rx_event->reported && now - rx_event->last_packet >= kEventTimeout) report_event(*rx_event);
    if (sink) sink(frame);
  }
};

// ---- MediaStream ----

MediaStream::MediaStream(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
MediaStream::MediaStream(MediaStream&&) noexcept = default;
MediaStream& MediaStream::operator=(MediaStream&&) noexcept = default;
MediaStream::~MediaStream() = default;

base::Result<MediaStream> MediaStream::create(MediaStreamConfig config, const crypto::DtlsIdentity* identity,
                                              base::Random& rng) {
  if (config.payload_type > 127) return MediaStreamErrc::BadPayloadType;
  if (config.telephone_event_pt &&
      (*config.telephone_event_pt > 127 || *config.telephone_event_pt == config.payload_type))
    return MediaStreamErrc::BadPayloadType;
  const bool opus = config.codec == AudioCodec::Opus;
  if (config.clock_rate != (opus ? 48000u : 8000u)) return MediaStreamErrc::BadClockRate;
  if (!valid_audio_rate(config.audio_rate_hz)) return MediaStreamErrc::BadAudioRate;
  const auto ptime = config.ptime.count();
  if (opus ? (ptime != 10 && ptime != 20 && ptime != 40 && ptime != 60)
           : (ptime < 10 || ptime > 60 || ptime % 10 != 0))
    return MediaStreamErrc::BadPtime;
  if (std::holds_alternative<std::monostate>(config.keying) && !config.allow_unencrypted)
    return MediaStreamErrc::PlainRtpNotAllowed;
  if (std::holds_alternative<DtlsSrtpConfig>(config.keying)) {
    if (identity == nullptr) return MediaStreamErrc::NoIdentity;
    if (!config.rtcp_mux) return MediaStreamErrc::DtlsNeedsRtcpMux;
  }

  const auto frame_units = static_cast<std::uint32_t>(config.clock_rate * ptime / 1000);
  JitterBufferConfig jb;
  jb.clock_rate = config.clock_rate;
  jb.frame_samples = frame_units;
  jb.target_delay = config.jitter_delay;
  jb.max_payload_bytes = config.limits.max_datagram_bytes;
  auto m = std::make_unique<Impl>(std::move(config), jb);
  Impl& s = *m;
  const MediaStreamConfig& c = s.cfg;
  s.frame_units = frame_units;
  s.audio_frame = static_cast<std::size_t>(c.audio_rate_hz * ptime / 1000);
  s.codec_frame = opus ? s.audio_frame : static_cast<std::size_t>(8 * ptime);
  s.last_codec_samples = s.codec_frame;
  s.pcm.resize(s.audio_frame);
  s.send = c.send;
  s.receive = c.receive;

  if (const auto* keys = std::get_if<SdesKeys>(&c.keying)) {
    auto session = keys->make_session();
    if (!session) return session.error();
    s.srtp.emplace(std::move(*session));
    s.keying = Impl::Keying::Sdes;
    s.suite = std::string(sdes_name(keys->send.suite()));
  } else if (const auto* dtls = std::get_if<DtlsSrtpConfig>(&c.keying)) {
    auto endpoint = DtlsSrtpEndpoint::create(*identity, *dtls);
    if (!endpoint) return endpoint.error();
    s.dtls.emplace(std::move(*endpoint));
    s.keying = Impl::Keying::Dtls;
    s.state = State::Connecting;
  }

  if (opus) {
    OpusConfig oc;
    oc.sample_rate = static_cast<int>(c.audio_rate_hz);
    oc.frame_ms = static_cast<int>(ptime);
    oc.bitrate = c.opus_bitrate;
    auto enc = OpusAudioEncoder::create(oc);
    if (!enc) return enc.error();
    auto dec = OpusAudioDecoder::create(static_cast<int>(c.audio_rate_hz), 1);
    if (!dec) return dec.error();
    s.opus_encoder.emplace(std::move(*enc));
    s.opus_decoder.emplace(std::move(*dec));
  } else {
    s.law = c.codec == AudioCodec::Pcmu ? G711Law::Ulaw : G711Law::Alaw;
    if (c.audio_rate_hz != 8000) {
      s.tx_resampler.emplace(static_cast<int>(c.audio_rate_hz), 8000);
      s.rx_resampler.emplace(8000, static_cast<int>(c.audio_rate_hz));
    }
  }

  // RFC 3550 §5.1: random SSRC, first sequence number and timestamp.
  const std::uint64_t r = rng.next_u64();
  s.ssrc = static_cast<std::uint32_t>(r);
  s.timestamp = static_cast<std::uint32_t>(r >> 32);
  s.sequence = static_cast<std::uint16_t>(rng.next_u64());
  s.prng.seed(rng.next_u64());
  s.cname = c.cname.empty() ? base::random_token(rng, 96) : c.cname;
  // RTCP gets 5 % of the session bandwidth (RFC 3550 §6.2): payload plus RTP/UDP/IP headers.
  const double payload_bps = opus ? static_cast<double>(c.opus_bitrate) : 64000.0;
  const double packets_per_s = 1000.0 / static_cast<double>(ptime);
  s.rtcp_bandwidth = 0.05 * (payload_bps + 8.0 * kRtpOverheadBytes * packets_per_s) / 8.0;
  return MediaStream(std::move(m));
}

MediaStream::Datagrams MediaStream::start(base::TimePoint now) {
  Datagrams out;
  impl_->begin(now, out);
  return out;
}

MediaStream::Datagrams MediaStream::on_datagram(base::ByteView datagram, base::TimePoint now) {
  Impl& s = *impl_;
  Datagrams out;
  if (s.state == State::Failed || s.state == State::Closed) return out;
  s.begin(now, out);
  switch (classify_packet(datagram)) {
    case PacketKind::Dtls:
      if (!s.dtls) {
        ++s.discarded_other;
        break;
      }
      Impl::append(out, s.dtls->feed(datagram, now));
      s.check_dtls(now);
      break;
    case PacketKind::Rtp: s.on_rtp(datagram, now); break;
    case PacketKind::Rtcp: s.on_rtcp(datagram, now); break;
    default: ++s.discarded_other; break;  // STUN, ZRTP, TURN: not ours to answer
  }
  return out;
}

MediaStream::Datagrams MediaStream::on_tick(base::TimePoint now) {
  Impl& s = *impl_;
  Datagrams out;
  if (s.state == State::Failed || s.state == State::Closed) return out;
  s.begin(now, out);
  if (s.dtls) {
    if (auto t = s.dtls->next_timeout(); t && *t <= now) Impl::append(out, s.dtls->on_timeout(now));
    s.check_dtls(now);
    if (s.state == State::Failed || s.state == State::Closed) return out;
  }
  if (s.state == State::Running) {
    if (s.send) {
      s.send_frame(out);
    } else {
      s.talkspurt_start = true;  // the next packet starts a talkspurt (RFC 3551 §4.1)
    }
    s.timestamp += s.frame_units;
  }
  s.last_tick = now;
  s.play_frame(now);
  if (s.state == State::Running && s.next_rtcp && now >= *s.next_rtcp) {
    s.send_rtcp(now, false, out);
    s.schedule_rtcp(now, false);
  }
  return out;
}

std::optional<base::TimePoint> MediaStream::next_deadline() const {
  const Impl& s = *impl_;
  if (!s.started || s.state == State::Failed || s.state == State::Closed) return std::nullopt;
  base::TimePoint t = s.last_tick ? *s.last_tick + s.cfg.ptime : s.start_time;
  if (s.dtls)
    if (auto d = s.dtls->next_timeout()) t = std::min(t, *d);
  if (s.state == State::Running && s.next_rtcp) t = std::min(t, *s.next_rtcp);
  return t;
}

void MediaStream::set_source(std::function<void(std::span<std::int16_t>)> fill) { impl_->source = std::move(fill); }
void MediaStream::set_sink(std::function<void(std::span<const std::int16_t>)> play) { impl_->sink = std::move(play); }
void MediaStream::set_dtmf_handler(std::function<void(char, std::chrono::milliseconds)> on_digit) {
  impl_->dtmf_handler = std::move(on_digit);
}

base::Result<void> MediaStream::send_dtmf(char digit, std::chrono::milliseconds duration) {
  Impl& s = *impl_;
  const int code = dtmf_code(digit);
  if (code < 0) return MediaStreamErrc::NotDtmfKey;
  if (s.state == State::Failed || s.state == State::Closed) return MediaStreamErrc::NotRunning;
  if (s.dtmf_queue.size() >= s.cfg.limits.max_queued_dtmf) return MediaStreamErrc::DtmfQueueFull;
  auto longest = kMaxDtmf;
  if (s.cfg.telephone_event_pt)
    longest = std::min(longest, std::chrono::milliseconds{std::int64_t{0xFFFF} * 1000 / s.cfg.clock_rate});
  s.dtmf_queue.push_back({static_cast<std::uint8_t>(code), std::clamp(duration, kMinDtmf, longest)});
  return {};
}

base::Result<void> MediaStream::rekey(const SdesKeys& keys) {
  Impl& s = *impl_;
  if (s.keying != Impl::Keying::Sdes) return make_error_code(MediaStreamErrc::NotSdesKeyed);
  auto session = keys.make_session();
  if (!session) return session.error();
  s.srtp.emplace(std::move(*session));
  s.suite = std::string(sdes_name(keys.send.suite()));
  return {};
}

void MediaStream::set_direction(bool send, bool receive) {
  Impl& s = *impl_;
  if (s.send && !send) {
    s.tx_event.reset();  // an event cut short by hold is not resumed
    s.inband_tone_left = s.inband_gap_left = 0;
  }
  if (!s.send && send) s.talkspurt_start = true;
  if (s.receive != receive) {
    s.jb.reset();
    s.playout.clear();
  }
  s.send = send;
  s.receive = receive;
}

MediaStream::Datagrams MediaStream::close() {
  Impl& s = *impl_;
  Datagrams out;
  if (s.state == State::Closed) return out;
  if (s.state == State::Running && s.started) s.send_rtcp(s.last_tick.value_or(s.start_time), true, out);
  if (s.dtls) Impl::append(out, s.dtls->close());
  if (s.state != State::Failed) s.state = State::Closed;
  s.playout.clear();
  s.dtmf_queue.clear();
  return out;
}

MediaStream::State MediaStream::state() const noexcept { return impl_->state; }
std::error_code MediaStream::error() const noexcept { return impl_->error; }
std::string MediaStream::failure_reason() const {
  if (!impl_->failure.empty()) return impl_->failure;
  return impl_->error ? impl_->error.message() : std::string{};
}
std::uint32_t MediaStream::ssrc() const noexcept { return impl_->ssrc; }
std::size_t MediaStream::frame_samples() const noexcept { return impl_->audio_frame; }

MediaStream::Report MediaStream::report(base::TimePoint now) const {
  const Impl& s = *impl_;
  Report r;
  r.codec = std::string(codec_name(s.cfg.codec));
  r.clock_rate = s.cfg.clock_rate;
  switch (s.keying) {
    case Impl::Keying::None: r.keying = "none"; break;
    case Impl::Keying::Sdes: r.keying = "sdes"; break;
    case Impl::Keying::Dtls: r.keying = "dtls-srtp"; break;
  }
  r.suite = s.suite;
  switch (s.state) {
    case State::Connecting: r.state = "connecting"; break;
    case State::Running: r.state = "running"; break;
    case State::Failed: r.state = "failed"; break;
    case State::Closed: r.state = "closed"; break;
  }
  r.packets_sent = s.packets_sent;
  r.octets_sent = s.octets_sent;
  r.packets_received = s.packets_received;
  r.packets_lost = s.stats.cumulative_lost();
  r.jitter_ms = s.stats.jitter_seconds() * 1000.0;
  r.rtt_ms = s.rtt_ms;
  r.remote_fraction_lost_percent = s.remote_fraction_lost;
  r.discarded_auth = s.discarded_auth;
  r.discarded_replay = s.discarded_replay;
  r.discarded_late = s.discarded_late;
  r.discarded_other = s.discarded_other;
  r.discarded = s.discarded_auth + s.discarded_replay + s.discarded_late + s.discarded_other;
  r.concealed_frames = s.concealed;
  r.dtmf_sent = s.dtmf_sent;
  r.dtmf_received = s.dtmf_received;
  r.remote_bye = s.remote_bye;
  CallQualityInput q;
  q.packets_sent = s.packets_sent;
  q.packets_received = s.packets_received;
  q.packets_lost = r.packets_lost;
  q.jitter_ms = r.jitter_ms;
  q.rtt_ms = s.rtt_ms;
  q.jitter_buffer_ms = static_cast<double>(s.jb.target_delay().count());
  q.frame_ms = static_cast<double>(s.cfg.ptime.count());
  q.codec = s.cfg.codec == AudioCodec::Opus ? kOpusStandIn : kG711WithPlc;
  const CallQuality quality = assess_call(q);
  r.fraction_lost_percent = quality.loss_percent;
  if (s.packets_received > 0) {
    r.r_factor = quality.r_factor;
    r.mos = quality.mos;
  }
  if (s.started && now > s.start_time)
    r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.start_time);
  return r;
}

namespace {

void json_string(std::string& out, std::string_view v) {
  out += '"';
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

void json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  out += buf;
}

}  // namespace

std::string to_json(const MediaStream::Report& r) {
  std::string out = "{";
  bool first = true;
  const auto key = [&](std::string_view k) {
    if (!first) out += ',';
    first = false;
    json_string(out, k);
    out += ':';
  };
  const auto text = [&](std::string_view k, std::string_view v) { key(k); json_string(out, v); };
  const auto integer = [&](std::string_view k, auto v) { key(k); out += std::to_string(v); };
  const auto number = [&](std::string_view k, std::optional<double> v) {
    key(k);
    if (v) json_number(out, *v); else out += "null";
  };
  text("codec", r.codec);
  integer("clock_rate", r.clock_rate);
  text("keying", r.keying);
  text("suite", r.suite);
  text("state", r.state);
  integer("packets_sent", r.packets_sent);
  integer("octets_sent", r.octets_sent);
  integer("packets_received", r.packets_received);
  integer("packets_lost", r.packets_lost);
  number("fraction_lost_percent", r.fraction_lost_percent);
  number("jitter_ms", r.jitter_ms);
  number("rtt_ms", r.rtt_ms);
  number("remote_fraction_lost_percent", r.remote_fraction_lost_percent);
  integer("discarded", r.discarded);
  integer("discarded_auth", r.discarded_auth);
  integer("discarded_replay", r.discarded_replay);
  integer("discarded_late", r.discarded_late);
  integer("discarded_other", r.discarded_other);
  integer("concealed_frames", r.concealed_frames);
  integer("dtmf_sent", r.dtmf_sent);
  integer("dtmf_received", r.dtmf_received);
  key("remote_bye");
  out += r.remote_bye ? "true" : "false";
  number("r_factor", r.r_factor);
  number("mos", r.mos);
  integer("duration_ms", r.duration.count());
  out += '}';
  return out;
}

}  // namespace warden::media
