#include "phone/media_negotiation.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "base/error.hpp"
#include "sip/sdp/sdp.hpp"

namespace warden::phone {
namespace {

namespace sdp = sip::sdp;

// ---- small helpers ----------------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The SDP address type for our own address, nullopt when it is not an address or host name.
std::optional<sdp::AddrType> local_addr_type(std::string_view address) noexcept {
  if (sdp::is_ipv4_address(address)) return sdp::AddrType::Ip4;
  if (sdp::is_ipv6_address(address)) return sdp::AddrType::Ip6;
  if (sdp::is_fqdn(address)) return sdp::AddrType::Ip4;  // a name: IP4 is what peers expect
  return std::nullopt;
}

// What we write and recognise for each codec.
struct CodecInfo {
  AudioCodec codec;
  std::uint8_t payload_type;  // the one we offer
  std::string_view encoding;
  std::uint32_t clock_rate;
  std::uint8_t channels;
  std::string_view fmtp;  // our fmtp parameters, "" for none
};

constexpr std::array<CodecInfo, 3> kCodecs = {{
    {AudioCodec::Opus, kOpusPayloadType, "opus", 48000, 2, "useinbandfec=1"},
    {AudioCodec::Pcmu, kPcmuPayloadType, "PCMU", 8000, 1, ""},
    {AudioCodec::Pcma, kPcmaPayloadType, "PCMA", 8000, 1, ""},
}};

const CodecInfo& info(AudioCodec c) noexcept {
  for (const CodecInfo& i : kCodecs)
    if (i.codec == c) return i;
  return kCodecs[1];
}

constexpr std::string_view kTelephoneEvent = "telephone-event";
constexpr std::uint32_t kTelephoneEventRate = 8000;
constexpr std::string_view kTelephoneEventFmtp = "0-16";  // DTMF 0-9 * # A-D and flash

std::vector<AudioCodec> unique_codecs(const std::vector<AudioCodec>& codecs) {
  std::vector<AudioCodec> out;
  for (AudioCodec c : codecs)
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  return out;
}

// The codec a payload type of `m` stands for: its rtpmap if it has one, else the RFC 3551 static
// assignment (0 PCMU, 8 PCMA). nullopt for anything else.
std::optional<AudioCodec> codec_of(const sdp::MediaDescription& m, std::uint8_t pt) noexcept {
  if (const auto map = sdp::find_rtpmap(m, pt)) {
    for (const CodecInfo& i : kCodecs) {
      if (!iequals(map->encoding, i.encoding) || map->clock_rate != i.clock_rate) continue;
      // opus is always written with /2 (RFC 7587 §7); tolerate its absence. G.711 is mono.
      if (map->channels && *map->channels != i.channels) continue;
      return i.codec;
    }
    return std::nullopt;
  }
  if (pt == kPcmuPayloadType) return AudioCodec::Pcmu;
  if (pt == kPcmaPayloadType) return AudioCodec::Pcma;
  return std::nullopt;
}

// The telephone-event payload type of `m` that suits a codec clocked at `rate`: the one at the
// same rate (RFC 4733 §2.1), else the 8000 Hz one most phones send even beside opus.
std::optional<std::uint8_t> telephone_event_of(const sdp::MediaDescription& m, std::uint32_t rate) noexcept {
  std::optional<std::uint8_t> at_8000;
  for (std::string_view f : m.formats) {
    const auto pt = sdp::parse_payload_type(f);
    if (!pt) continue;
    const auto map = sdp::find_rtpmap(m, *pt);
    if (!map || !iequals(map->encoding, kTelephoneEvent)) continue;
    if (map->clock_rate == rate) return *pt;
    if (map->clock_rate == kTelephoneEventRate && !at_8000) at_8000 = *pt;
  }
  return at_8000;
}

bool is_rtp_proto(sdp::TransportProto p) noexcept {
  switch (p) {
    case sdp::TransportProto::RtpAvp:
    case sdp::TransportProto::RtpAvpf:
    case sdp::TransportProto::RtpSavp:
    case sdp::TransportProto::RtpSavpf:
    case sdp::TransportProto::UdpTlsRtpSavp:
    case sdp::TransportProto::UdpTlsRtpSavpf:
      return true;
    default:
      return false;
  }
}

// Sending and receiving as two flags, to intersect directions.
struct Flow {
  bool send = true;
  bool recv = true;
};
Flow flow_of(sdp::Direction d) noexcept {
  switch (d) {
    case sdp::Direction::SendRecv: return {true, true};
    case sdp::Direction::SendOnly: return {true, false};
    case sdp::Direction::RecvOnly: return {false, true};
    case sdp::Direction::Inactive: return {false, false};
  }
  return {};
}
sdp::Direction direction_of(Flow f) noexcept {
  if (f.send && f.recv) return sdp::Direction::SendRecv;
  if (f.send) return sdp::Direction::SendOnly;
  if (f.recv) return sdp::Direction::RecvOnly;
  return sdp::Direction::Inactive;
}

// The peer's address for `m`. `on_hold` is set for the legacy "c=IN IP4 0.0.0.0" hold.
struct RemoteAddress {
  std::string address;
  bool on_hold = false;
};
base::Result<RemoteAddress> remote_address(const sdp::SessionDescription& sd, const sdp::MediaDescription& m) {
  const sdp::Connection* c = sd.connection_for(m);
  if (!c || sdp::net_type_from_text(c->net_type) != sdp::NetType::In) return NegotiationErrc::NoConnectionAddress;
  const sdp::AddrType type = c->addr_kind();
  if (type == sdp::AddrType::Other || !sdp::is_unicast_address(type, c->address) ||
      ((sdp::is_ipv4_address(c->address) || sdp::is_ipv6_address(c->address)) && sdp::is_multicast(type, c->address)))
    return NegotiationErrc::NoConnectionAddress;
  RemoteAddress out{std::string(c->address), false};
  out.on_hold = c->address == "0.0.0.0" || c->address == "::";
  return out;
}

std::uint16_t rtcp_port(const sdp::MediaDescription& m, bool mux) noexcept {
  if (mux) return m.port;
  if (const auto r = sdp::find_rtcp(m)) return r->port;
  return m.port == 65535 ? m.port : static_cast<std::uint16_t>(m.port + 1);
}

// The peer's fingerprints: the media section's, else the session's (RFC 8122 §5). Unsupported
// hashes are skipped. Errors: DtlsFingerprintUnsupported when none is usable.
base::Result<std::vector<media::CertificateFingerprint>> peer_fingerprints(const sdp::SessionDescription& sd,
                                                                          const sdp::MediaDescription& m) {
  std::span<const sdp::Attribute> attrs = m.attributes;
  if (!m.has_attribute("fingerprint")) attrs = sd.attributes;
  std::vector<media::CertificateFingerprint> out;
  for (const sdp::Attribute& a : attrs) {
    if (a.name != "fingerprint") continue;
    auto parsed = sdp::parse_fingerprint(a.value);
    if (!parsed) return NegotiationErrc::MalformedAttribute;
    auto fp = media::fingerprint_from_sdp(*parsed);
    if (fp) out.push_back(std::move(*fp));
  }
  if (out.empty()) return NegotiationErrc::DtlsFingerprintUnsupported;
  return out;
}

bool has_fingerprint(const sdp::SessionDescription& sd, const sdp::MediaDescription& m) noexcept {
  return m.has_attribute("fingerprint") || sd.has_attribute("fingerprint");
}

std::vector<std::string_view> crypto_values(const sdp::MediaDescription& m) {
  std::vector<std::string_view> out;
  for (const sdp::Attribute& a : m.attributes)
    if (a.name == "crypto") out.push_back(a.value);
  return out;
}

bool contains(const std::vector<media::SrtpSuite>& suites, media::SrtpSuite s) noexcept {
  return std::find(suites.begin(), suites.end(), s) != suites.end();
}

// SdesErrc from media/sdes.hpp to our reasons.
NegotiationErrc from_sdes(std::error_code ec) noexcept {
  if (ec.category() != media::sdes_category()) return NegotiationErrc::SdesKeyRefused;
  switch (static_cast<media::SdesErrc>(ec.value())) {
    case media::SdesErrc::NoCryptoLine:
    case media::SdesErrc::NoCommonSuite: return NegotiationErrc::SdesNoCommonSuite;
    case media::SdesErrc::TagNotOffered:
    case media::SdesErrc::SuiteMismatch:
    case media::SdesErrc::BadCrypto: return NegotiationErrc::SdesAnswerMismatch;
    default: return NegotiationErrc::SdesKeyRefused;
  }
}

SdpOrigin next_origin(base::Random& rng, std::optional<SdpOrigin> previous) noexcept {
  if (previous) return SdpOrigin{previous->session_id, previous->version + 1};
  // Below 2^62 so that sess-id and sess-version stay within a signed 64-bit integer for the
  // whole call (RFC 3264 §5 asks for that range).
  return SdpOrigin{rng.uniform(std::uint64_t{1} << 62) + 1, 1};
}

void add_codec_attributes(sdp::SessionBuilder& b, const CodecInfo& c, std::uint8_t pt) {
  sdp::Rtpmap map{pt, c.encoding, c.clock_rate, std::nullopt};
  if (c.channels > 1) map.channels = c.channels;
  b.media_attribute("rtpmap", sdp::format_value(map));
  if (!c.fmtp.empty()) b.media_attribute("fmtp", std::to_string(pt) + " " + std::string(c.fmtp));
}

void add_telephone_event(sdp::SessionBuilder& b, std::uint8_t pt) {
  b.media_attribute("rtpmap", sdp::format_value(sdp::Rtpmap{pt, kTelephoneEvent, kTelephoneEventRate, std::nullopt}));
  b.media_attribute("fmtp", std::to_string(pt) + " " + std::string(kTelephoneEventFmtp));
}

base::Result<std::string> build_text(const sdp::SessionBuilder& b) {
  auto built = b.build();
  if (!built) return NegotiationErrc::InvalidLocalSettings;
  return std::string(built->text());
}

// Checks the local half of a negotiation. Errors: InvalidLocalSettings.
base::Result<sdp::AddrType> check_local(const MediaPolicy& policy, const LocalMedia& local) {
  if (auto v = validate(policy); !v) return v.error();
  const auto type = local_addr_type(local.address);
  if (!type || local.port == 0) return NegotiationErrc::InvalidLocalSettings;
  return *type;
}

// A fingerprint value of ours, checked. Errors: DtlsNoLocalCertificate, InvalidLocalSettings.
base::Result<void> check_own_fingerprint(std::string_view value) {
  if (value.empty()) return NegotiationErrc::DtlsNoLocalCertificate;
  if (!sdp::parse_fingerprint(value)) return NegotiationErrc::InvalidLocalSettings;
  return {};
}

// The keying chosen for an answer, before the SDP is written.
struct AnswerKeying {
  MediaKeying keying;
  std::optional<media::SdesCrypto> sdes_line;  // our a=crypto
  std::optional<sdp::SetupRole> setup;         // our a=setup
};

base::Result<AnswerKeying> answer_dtls(const sdp::SessionDescription& sd, const sdp::MediaDescription& m,
                                       const MediaPolicy& policy) {
  auto fingerprints = peer_fingerprints(sd, m);
  if (!fingerprints) return fingerprints.error();
  // No a=setup in an offer means active (RFC 4145 §4.1).
  const sdp::SetupRole offered = sdp::find_setup(sd, m).value_or(sdp::SetupRole::Active);
  auto ours = media::answer_setup_role(offered);
  if (!ours) return NegotiationErrc::DtlsSetupRefused;
  auto role = media::dtls_role(*ours);
  if (!role) return NegotiationErrc::DtlsSetupRefused;
  AnswerKeying out;
  out.keying = DtlsParams{*role, std::move(*fingerprints), policy.suites};
  out.setup = *ours;
  return out;
}

base::Result<AnswerKeying> answer_sdes(const sdp::MediaDescription& m, const MediaPolicy& policy, base::Random& rng) {
  if (!policy.signalling_secure) return NegotiationErrc::SdesNeedsSecureSignalling;
  // Only the lines whose suite the policy allows take part.
  std::vector<std::string_view> usable;
  for (std::string_view v : crypto_values(m)) {
    auto c = sdp::parse_crypto(v);
    if (!c) return NegotiationErrc::MalformedAttribute;
    const auto suite = media::suite_from_sdes_name(c->suite);
    if (suite && contains(policy.suites, *suite)) usable.push_back(v);
  }
  if (usable.empty()) return NegotiationErrc::SdesNoCommonSuite;
  auto answer = media::answer_sdes_offer(rng, usable);
  if (!answer) return from_sdes(answer.error());
  AnswerKeying out;
  out.keying = answer->keys;
  out.sdes_line = answer->crypto;
  return out;
}

// Keying of the answer (see the header for the rules).
base::Result<AnswerKeying> answer_keying(const sdp::SessionDescription& sd, const sdp::MediaDescription& m,
                                         const MediaPolicy& policy, base::Random& rng,
                                         std::string_view own_fingerprint) {
  const bool secure_proto = sdp::is_secure_rtp(m.proto_kind());
  const bool offers_dtls = has_fingerprint(sd, m);
  const bool offers_sdes = m.has_attribute("crypto");

  const bool mux = sdp::has_rtcp_mux(m);

  base::Result<AnswerKeying> keyed = NegotiationErrc::InsecureOffer;
  if (offers_dtls && !own_fingerprint.empty() && mux) {
    keyed = answer_dtls(sd, m, policy);
  } else if (offers_sdes) {
    keyed = answer_sdes(m, policy, rng);
  } else if (offers_dtls) {
    keyed = own_fingerprint.empty() ? NegotiationErrc::DtlsNoLocalCertificate : NegotiationErrc::DtlsNeedsRtcpMux;
  } else {
    keyed = secure_proto ? NegotiationErrc::SecureProfileWithoutKeys : NegotiationErrc::InsecureOffer;
  }
  if (keyed) return keyed;
  const auto why = negotiation_errc(keyed.error()).value_or(NegotiationErrc::InsecureOffer);
  if (why == NegotiationErrc::MalformedAttribute) return why;
  // Keys under RTP/AVP are opportunistic (RFC 8643): without them the call may still go ahead
  // in clear, but only when the user allowed it.
  if (!secure_proto && policy.allow_insecure) return AnswerKeying{};
  return why;
}

}  // namespace

// ---- errors -----------------------------------------------------------------------------

std::string_view describe(NegotiationErrc e) noexcept {
  switch (e) {
    case NegotiationErrc::Ok: return "ok";
    case NegotiationErrc::UnparsableSdp:
      return "the session description (SDP) in the message could not be parsed";
    case NegotiationErrc::MalformedAttribute:
      return "the session description has a malformed attribute (rtpmap, fmtp, crypto, fingerprint, setup, direction, ...)";
    case NegotiationErrc::NoAudio:
      return "there is no usable audio stream (no m=audio line, or its port is 0)";
    case NegotiationErrc::UnsupportedTransport:
      return "the audio stream uses a transport this phone does not speak (only RTP/AVP, RTP/SAVP, "
             "UDP/TLS/RTP/SAVP and their AVPF variants)";
    case NegotiationErrc::NoConnectionAddress:
      return "the audio stream has no usable address (c= missing, multicast, or an unknown address type)";
    case NegotiationErrc::NoCommonCodec:
      return "none of the offered audio codecs is one this phone accepts (opus, PCMU, PCMA as configured)";
    case NegotiationErrc::CodecNotOffered:
      return "the answer chose an audio codec that was not offered";
    case NegotiationErrc::InsecureOffer:
      return "the offer has no encryption (RTP/AVP); refused because encrypted media is mandatory "
             "(pass --allow-insecure-media to accept)";
    case NegotiationErrc::EncryptionDropped:
      return "the answer has no encryption keys for our encrypted offer; refused because encrypted "
             "media is mandatory (pass --allow-insecure-media to accept)";
    case NegotiationErrc::SdesNeedsSecureSignalling:
      return "SDES keys (a=crypto) travel inside the SIP message and the signalling is not encrypted, so "
             "anyone on the path could read them (RFC 4568 section 8.3); refused: use SIP over TLS or DTLS-SRTP";
    case NegotiationErrc::SecureProfileWithoutKeys:
      return "the stream asks for SRTP but carries neither a=crypto nor a=fingerprint";
    case NegotiationErrc::SdesNoCommonSuite:
      return "none of the offered SRTP crypto suites (a=crypto) is one this phone accepts";
    case NegotiationErrc::SdesKeyRefused:
      return "the SDES key parameters are not supported (only inline keys without MKI, a lifetime of at "
             "least 2^31 packets, and no UNENCRYPTED/UNAUTHENTICATED session parameters)";
    case NegotiationErrc::SdesAnswerMismatch:
      return "the answer's a=crypto does not match a line we offered (tag, suite or number of lines)";
    case NegotiationErrc::DtlsFingerprintUnsupported:
      return "the peer's DTLS certificate fingerprint uses a hash this phone does not accept (MD5, MD2 or unknown)";
    case NegotiationErrc::DtlsSetupRefused:
      return "the DTLS a=setup role cannot be used (holdconn, or actpass in an answer)";
    case NegotiationErrc::DtlsNoLocalCertificate:
      return "DTLS-SRTP is needed but this phone has no DTLS certificate";
    case NegotiationErrc::AnswerMismatch:
      return "the answer does not match our offer (its first media stream is not audio)";
    case NegotiationErrc::DtlsNeedsRtcpMux:
      return "DTLS-SRTP without rtcp-mux is not supported: RTP and RTCP must share one port (a=rtcp-mux; "
             "for baresip set rtcp_mux yes)";
    case NegotiationErrc::InvalidLocalSettings:
      return "the local media settings are invalid (no codec, no SRTP suite, a bad address or port, or a bad "
             "DTLS fingerprint)";
    case NegotiationErrc::InsecureNotAllowed:
      return "unencrypted media (RTP/AVP) is not allowed (pass --allow-insecure-media to allow it)";
  }
  return "unknown media negotiation error";
}

std::uint16_t sip_status(NegotiationErrc e) noexcept {
  switch (e) {
    case NegotiationErrc::Ok: return 200;
    case NegotiationErrc::UnparsableSdp:
    case NegotiationErrc::MalformedAttribute: return 400;
    case NegotiationErrc::InvalidLocalSettings:
    case NegotiationErrc::InsecureNotAllowed: return 500;
    default: return 488;
  }
}

const std::error_category& negotiation_category() noexcept {
  return base::ErrorCategory<NegotiationErrc>::instance("phone.negotiation");
}

std::optional<NegotiationErrc> negotiation_errc(std::error_code ec) noexcept {
  if (ec.category() != negotiation_category()) return std::nullopt;
  return static_cast<NegotiationErrc>(ec.value());
}

std::string_view to_string(AudioCodec c) noexcept { return info(c).encoding; }

std::string_view to_string(Keying k) noexcept {
  switch (k) {
    case Keying::DtlsSrtp: return "dtls-srtp";
    case Keying::Sdes: return "sdes";
    case Keying::None: return "none";
  }
  return "none";
}

// ---- NegotiatedMedia --------------------------------------------------------------------

std::string_view NegotiatedMedia::keying_name() const noexcept {
  if (std::holds_alternative<DtlsParams>(keying)) return to_string(Keying::DtlsSrtp);
  if (std::holds_alternative<media::SdesKeys>(keying)) return to_string(Keying::Sdes);
  return to_string(Keying::None);
}

std::string NegotiatedMedia::summary() const {
  const CodecInfo& c = info(codec.codec);
  std::string out(c.encoding);
  out += "/" + std::to_string(codec.clock_rate);
  if (codec.channels > 1) out += "/" + std::to_string(codec.channels);
  out += " pt " + std::to_string(codec.payload_type) + " to ";
  const bool v6 = remote_address.find(':') != std::string::npos;
  out += v6 ? "[" + remote_address + "]" : remote_address;
  out += ":" + std::to_string(remote_port) + " " + std::string(sdp::to_string(direction));
  if (rtcp_mux) out += " rtcp-mux";
  out += ", ";
  out += keying_name();
  if (const auto* s = std::get_if<media::SdesKeys>(&keying)) {
    out += " ";
    out += media::sdes_name(s->send.suite());
  } else if (const auto* d = std::get_if<DtlsParams>(&keying)) {
    out += d->role == crypto::DtlsRole::Client ? " (client)" : " (server)";
  } else {
    out += " (unencrypted)";
  }
  return out;
}

// ---- offer / answer ---------------------------------------------------------------------

base::Result<void> validate(const MediaPolicy& policy) {
  if (policy.codecs.empty() || policy.suites.empty() || policy.ptime_ms == 0)
    return NegotiationErrc::InvalidLocalSettings;
  return {};
}

base::Result<Offer> make_offer(const MediaPolicy& policy, const LocalMedia& local, base::Random& rng,
                               std::string_view dtls_fingerprint_value, std::optional<SdpOrigin> previous) {
  auto addr_type = check_local(policy, local);
  if (!addr_type) return addr_type.error();

  Offer offer;
  offer.keying = policy.offer_keying;
  offer.codecs = unique_codecs(policy.codecs);
  offer.direction = local.direction;
  std::string_view proto;
  switch (policy.offer_keying) {
    case Keying::DtlsSrtp: {
      if (auto ok = check_own_fingerprint(dtls_fingerprint_value); !ok) return ok.error();
      proto = "UDP/TLS/RTP/SAVP";
      offer.suites = policy.suites;
      break;
    }
    case Keying::Sdes:
      if (!policy.signalling_secure) return NegotiationErrc::SdesNeedsSecureSignalling;
      proto = "RTP/SAVP";
      offer.suites = policy.suites;
      offer.sdes = media::make_sdes_offer(rng, policy.suites);
      break;
    case Keying::None:
      if (!policy.allow_insecure) return NegotiationErrc::InsecureNotAllowed;
      proto = "RTP/AVP";
      break;
  }
  offer.origin = next_origin(rng, previous);

  std::vector<std::string> formats;
  for (AudioCodec c : offer.codecs) formats.push_back(std::to_string(info(c).payload_type));
  formats.push_back(std::to_string(kTelephoneEventPayloadType));

  sdp::SessionBuilder b;
  b.origin("-", offer.origin.session_id, offer.origin.version, *addr_type, local.address);
  b.connection(*addr_type, local.address);
  b.media("audio", local.port, proto, formats);
  for (AudioCodec c : offer.codecs) add_codec_attributes(b, info(c), info(c).payload_type);
  add_telephone_event(b, kTelephoneEventPayloadType);
  b.media_attribute("ptime", std::to_string(policy.ptime_ms));
  b.media_attribute("rtcp-mux");
  b.media_attribute(sdp::to_string(local.direction));
  if (policy.offer_keying == Keying::DtlsSrtp) {
    b.media_attribute("fingerprint", dtls_fingerprint_value);
    b.media_attribute("setup", sdp::to_string(sdp::SetupRole::ActPass));
  }
  for (const media::SdesCrypto& c : offer.sdes) b.media_attribute("crypto", c.attribute_value());
  auto text = build_text(b);
  if (!text) return text.error();
  offer.sdp = std::move(*text);
  return offer;
}

base::Result<Answer> answer_offer(std::string_view offer_sdp, const MediaPolicy& policy, const LocalMedia& local,
                                  base::Random& rng, std::string_view dtls_fingerprint_value,
                                  std::optional<SdpOrigin> previous) {
  auto addr_type = check_local(policy, local);
  if (!addr_type) return addr_type.error();
  if (!dtls_fingerprint_value.empty() && !sdp::parse_fingerprint(dtls_fingerprint_value))
    return NegotiationErrc::InvalidLocalSettings;

  auto parsed = sdp::parse(offer_sdp);
  if (!parsed) return NegotiationErrc::UnparsableSdp;
  const sdp::SessionDescription& sd = *parsed;
  if (!sdp::check_known_attributes(std::span<const sdp::Attribute>(sd.attributes)))
    return NegotiationErrc::MalformedAttribute;

  // The first audio stream that is not disabled; every other stream is refused (port 0).
  std::size_t chosen = sd.media.size();
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    if (sd.media[i].media_kind() == sdp::MediaType::Audio && sd.media[i].port != 0) {
      chosen = i;
      break;
    }
  }
  if (chosen == sd.media.size()) return NegotiationErrc::NoAudio;
  const sdp::MediaDescription& m = sd.media[chosen];
  if (!sdp::check_known_attributes(std::span<const sdp::Attribute>(m.attributes)))
    return NegotiationErrc::MalformedAttribute;
  if (!is_rtp_proto(m.proto_kind())) return NegotiationErrc::UnsupportedTransport;
  auto remote = remote_address(sd, m);
  if (!remote) return remote.error();
  auto offered_direction = sdp::effective_direction(sd, m);
  if (!offered_direction) return NegotiationErrc::MalformedAttribute;

  // Codec: our preference order, the offer's payload type numbers.
  std::optional<std::pair<AudioCodec, std::uint8_t>> pick;
  for (AudioCodec want : unique_codecs(policy.codecs)) {
    for (std::string_view f : m.formats) {
      const auto pt = sdp::parse_payload_type(f);
      if (pt && codec_of(m, *pt) == want) {
        pick = std::pair{want, *pt};
        break;
      }
    }
    if (pick) break;
  }
  if (!pick) return NegotiationErrc::NoCommonCodec;
  const CodecInfo& codec = info(pick->first);
  const auto event_pt = telephone_event_of(m, codec.clock_rate);

  auto keyed = answer_keying(sd, m, policy, rng, dtls_fingerprint_value);
  if (!keyed) return keyed.error();

  // RFC 3264 §6.1: what the peer sends we may receive, what it receives we may send.
  const Flow offered = flow_of(*offered_direction);
  const Flow wish = flow_of(local.direction);
  const Flow ours{offered.recv && !remote->on_hold && wish.send, offered.send && wish.recv};
  const bool mux = sdp::has_rtcp_mux(m);

  Answer answer;
  answer.origin = next_origin(rng, previous);
  NegotiatedMedia& nm = answer.media;
  nm.remote_address = std::move(remote->address);
  nm.remote_port = m.port;
  nm.rtcp_mux = mux;
  nm.remote_rtcp_port = rtcp_port(m, mux);
  nm.codec = NegotiatedCodec{codec.codec, pick->second, pick->second, codec.clock_rate, codec.channels};
  nm.telephone_event_pt = event_pt;
  nm.telephone_event_receive_pt = event_pt;
  nm.direction = direction_of(ours);
  nm.remote_ptime = sdp::find_ptime(sd, m);
  nm.keying = std::move(keyed->keying);

  sdp::SessionBuilder b;
  b.origin("-", answer.origin.session_id, answer.origin.version, *addr_type, local.address);
  b.connection(*addr_type, local.address);
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    const sdp::MediaDescription& each = sd.media[i];
    if (i != chosen) {
      std::vector<std::string> formats(each.formats.begin(), each.formats.end());
      if (formats.empty()) formats.emplace_back("0");
      b.media(each.media, 0, each.proto, formats);
      continue;
    }
    std::vector<std::string> formats{std::to_string(pick->second)};
    if (event_pt) formats.push_back(std::to_string(*event_pt));
    b.media("audio", local.port, each.proto, formats);
    add_codec_attributes(b, codec, pick->second);
    if (event_pt) add_telephone_event(b, *event_pt);
    b.media_attribute("ptime", std::to_string(policy.ptime_ms));
    if (mux) b.media_attribute("rtcp-mux");
    if (const auto mid = sdp::find_mid(each)) b.media_attribute("mid", *mid);
    b.media_attribute(sdp::to_string(nm.direction));
    if (keyed->setup) {
      b.media_attribute("fingerprint", dtls_fingerprint_value);
      b.media_attribute("setup", sdp::to_string(*keyed->setup));
    }
    if (keyed->sdes_line) b.media_attribute("crypto", keyed->sdes_line->attribute_value());
  }
  auto text = build_text(b);
  if (!text) return text.error();
  answer.sdp = std::move(*text);
  return answer;
}

base::Result<NegotiatedMedia> accept_answer(const Offer& offer, std::string_view answer_sdp,
                                            const MediaPolicy& policy) {
  auto parsed = sdp::parse(answer_sdp);
  if (!parsed) return NegotiationErrc::UnparsableSdp;
  const sdp::SessionDescription& sd = *parsed;
  if (!sdp::check_known_attributes(std::span<const sdp::Attribute>(sd.attributes)))
    return NegotiationErrc::MalformedAttribute;
  // Our offer has one stream, so the answer's first is its answer (RFC 3264 §6).
  if (sd.media.empty() || sd.media.front().media_kind() != sdp::MediaType::Audio)
    return NegotiationErrc::AnswerMismatch;
  const sdp::MediaDescription& m = sd.media.front();
  if (m.port == 0) return NegotiationErrc::NoAudio;
  if (!sdp::check_known_attributes(std::span<const sdp::Attribute>(m.attributes)))
    return NegotiationErrc::MalformedAttribute;
  if (!is_rtp_proto(m.proto_kind())) return NegotiationErrc::UnsupportedTransport;
  auto remote = remote_address(sd, m);
  if (!remote) return remote.error();
  auto answered_direction = sdp::effective_direction(sd, m);
  if (!answered_direction) return NegotiationErrc::MalformedAttribute;

  // Codec: the first of the answer's formats that is a codec we offered. A dynamic number
  // without an rtpmap in the answer is read with the meaning our offer gave it.
  const auto offered_codec = [&](std::uint8_t pt) -> std::optional<AudioCodec> {
    std::optional<AudioCodec> c = codec_of(m, pt);
    if (!c && !sdp::find_rtpmap(m, pt)) {
      for (AudioCodec o : offer.codecs)
        if (info(o).payload_type == pt) c = o;
    }
    if (c && std::find(offer.codecs.begin(), offer.codecs.end(), *c) != offer.codecs.end()) return c;
    return std::nullopt;
  };
  std::optional<std::pair<AudioCodec, std::uint8_t>> pick;
  for (std::string_view f : m.formats) {
    const auto pt = sdp::parse_payload_type(f);
    if (!pt) continue;
    if (const auto c = offered_codec(*pt)) {
      pick = std::pair{*c, *pt};
      break;
    }
  }
  if (!pick) return NegotiationErrc::CodecNotOffered;
  const CodecInfo& codec = info(pick->first);

  NegotiatedMedia nm;
  nm.remote_address = std::move(remote->address);
  nm.remote_port = m.port;
  nm.rtcp_mux = sdp::has_rtcp_mux(m);
  nm.remote_rtcp_port = rtcp_port(m, nm.rtcp_mux);
  nm.codec = NegotiatedCodec{codec.codec, pick->second, codec.payload_type, codec.clock_rate, codec.channels};
  if (const auto te = telephone_event_of(m, kTelephoneEventRate)) {
    nm.telephone_event_pt = *te;
    nm.telephone_event_receive_pt = kTelephoneEventPayloadType;
  }
  const Flow offered = flow_of(offer.direction);
  const Flow answered = flow_of(*answered_direction);
  nm.direction = direction_of(Flow{offered.send && answered.recv && !remote->on_hold, offered.recv && answered.send});
  nm.remote_ptime = sdp::find_ptime(sd, m);

  // Keying must be what we offered.
  const bool secure_proto = sdp::is_secure_rtp(m.proto_kind());
  const auto plain = [&]() -> base::Result<NegotiatedMedia> {
    if (!policy.allow_insecure) {
      if (offer.keying == Keying::None) return NegotiationErrc::InsecureNotAllowed;
      return NegotiationErrc::EncryptionDropped;
    }
    return nm;
  };
  switch (offer.keying) {
    case Keying::DtlsSrtp: {
      if (!has_fingerprint(sd, m)) {
        if (secure_proto) return NegotiationErrc::SecureProfileWithoutKeys;
        return plain();
      }
      if (!nm.rtcp_mux) return NegotiationErrc::DtlsNeedsRtcpMux;
      auto fingerprints = peer_fingerprints(sd, m);
      if (!fingerprints) return fingerprints.error();
      // No a=setup in an answer means passive (RFC 4145 §4.1). The answerer's role decides ours.
      const sdp::SetupRole theirs = sdp::find_setup(sd, m).value_or(sdp::SetupRole::Passive);
      crypto::DtlsRole role;
      if (theirs == sdp::SetupRole::Active) role = crypto::DtlsRole::Server;
      else if (theirs == sdp::SetupRole::Passive) role = crypto::DtlsRole::Client;
      else return NegotiationErrc::DtlsSetupRefused;
      nm.keying = DtlsParams{role, std::move(*fingerprints), offer.suites};
      return nm;
    }
    case Keying::Sdes: {
      const auto lines = crypto_values(m);
      if (lines.empty()) {
        if (secure_proto) return NegotiationErrc::SecureProfileWithoutKeys;
        return plain();
      }
      if (!policy.signalling_secure) return NegotiationErrc::SdesNeedsSecureSignalling;
      if (lines.size() != 1) return NegotiationErrc::SdesAnswerMismatch;  // RFC 4568 §7.1.2: exactly one
      auto keys = media::accept_sdes_answer(offer.sdes, lines.front());
      if (!keys) return from_sdes(keys.error());
      nm.keying = std::move(*keys);
      return nm;
    }
    case Keying::None:
      return plain();
  }
  return plain();
}

}  // namespace warden::phone
