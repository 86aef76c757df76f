#include "phone_command.hpp"

#include <CLI/CLI.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "crypto/csprng.hpp"
#include "crypto/dtls_connection.hpp"
#include "io/event_loop.hpp"
#include "io/stream_transport.hpp"
#include "io/udp_transport.hpp"
#include "media/dtls_srtp.hpp"
#include "media/media_stream.hpp"
#include "media/resampler.hpp"
#include "media/tone.hpp"
#include "media/wav.hpp"
#include "phone/call_headers.hpp"
#include "phone/media_negotiation.hpp"
#include "phone/registration.hpp"
#include "phone/user_agent.hpp"
#include "sip/auth/digest_client.hpp"
#include "sip/msg/charset.hpp"
#include "sip/msg/parser.hpp"

namespace warden::app {

using namespace std::chrono_literals;

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double factor = 1000.0;
  std::string_view number = text;
  if (text.ends_with("ms")) {
    factor = 1.0;
    number.remove_suffix(2);
  } else if (text.ends_with("s")) {
    number.remove_suffix(1);
  } else if (text.ends_with("m")) {
    factor = 60000.0;
    number.remove_suffix(1);
  }
  try {
    std::size_t used = 0;
    double v = std::stod(std::string(number), &used);
    if (used != number.size() || !(v >= 0) || v > 1e7) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(v * factor)));
  } catch (...) {
    return std::nullopt;
  }
}

namespace {

// What the caller's identity came with, from the verstat parameter the callee's proxy puts on
// the From URI (RFC 8588's model, RFC 8224 verification): "verified", "failed", or "none" (no
// Identity, nothing verified it, or a value we do not know).
// The caller's URI as shown: without the verstat parameter (the verdict is shown on its own).
std::string without_verstat(std::string_view uri) {
  std::string out(uri);
  for (std::size_t at = out.find(';'); at != std::string::npos; at = out.find(';', at + 1)) {
    if (out.size() - at > 9 && sip::msg::cs::iequals(std::string_view(out).substr(at, 9), ";verstat=")) {
      const std::size_t end = out.find_first_of(";?", at + 1);
      out.erase(at, (end == std::string::npos ? out.size() : end) - at);
      break;
    }
  }
  return out;
}

std::string identity_word(std::string_view from_uri) {
  sip::msg::Uri u;
  if (!sip::msg::parse_uri(from_uri, u)) return "none";
  const auto v = u.param("verstat");
  if (!v) return "none";
  if (sip::msg::cs::iequals(*v, "TN-Validation-Passed")) return "verified";
  if (sip::msg::cs::iequals(*v, "TN-Validation-Failed")) return "failed";
  return "none";
}

enum Exit : int {
  kOk = 0,
  kUsage = 2,
  kRegistration = 3,
  kCallFailed = 4,
  kMedia = 5,
  kTimeout = 6,
};

void say(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}
void warn(const std::string& line) {
  std::fprintf(stderr, "warden phone: %s\n", line.c_str());
  std::fflush(stderr);
}

std::string qstr(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// `sdp` with its a=crypto lines replaced by the one line `value` (at the place of the first):
// re-offers and re-answers keep the SDES key the running stream uses (RFC 4568 §7.1.4).
std::string with_crypto(std::string_view sdp, const std::string& value) {
  std::string out;
  bool put = false;
  while (!sdp.empty()) {
    auto nl = sdp.find('\n');
    std::string_view line = sdp.substr(0, nl == std::string_view::npos ? sdp.size() : nl + 1);
    sdp.remove_prefix(line.size());
    if (line.starts_with("a=crypto:")) {
      if (!put) out += "a=crypto:" + value + "\r\n";
      put = true;
      continue;
    }
    out.append(line);
  }
  return out;
}

// Lines typed in interactive mode reach the event loop through this: the reader thread posts
// each line while `phone` is set; the phone clears it before it goes away.
struct LineBridge {
  std::mutex mu;
  asio::io_context* ctx = nullptr;
  std::function<void(std::string line, bool eof)> deliver;
};

struct Account {
  std::string uri;
  std::string user;  // the user part of uri
  std::string domain;
  std::string username;
  std::string password;
  runtime::TransportKind transport = runtime::TransportKind::Udp;
  runtime::Endpoint proxy;
  std::string proxy_text;
  std::string ca_file;
  std::string server_name;
  bool do_register = true;
  std::uint32_t expires = 600;
  std::uint32_t keepalive = 30;
  bool auth_int = false;          // answer qop=auth-int (covers the body) when the server offers it  // seconds between CRLF keep-alives to the proxy; 0: none
  phone::Keying keying = phone::Keying::DtlsSrtp;
  std::vector<phone::AudioCodec> codecs{phone::AudioCodec::Opus, phone::AudioCodec::Pcmu, phone::AudioCodec::Pcma};
  std::string address = "127.0.0.1";
  bool allow_insecure = false;
};

std::optional<phone::AudioCodec> codec_from_name(std::string_view n) {
  std::string l;
  for (char c : n) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (l == "opus") return phone::AudioCodec::Opus;
  if (l == "pcmu" || l == "g711u" || l == "ulaw") return phone::AudioCodec::Pcmu;
  if (l == "pcma" || l == "g711a" || l == "alaw") return phone::AudioCodec::Pcma;
  return std::nullopt;
}

std::optional<phone::Keying> keying_from_name(std::string_view n) {
  if (n == "dtls" || n == "dtls-srtp") return phone::Keying::DtlsSrtp;
  if (n == "sdes") return phone::Keying::Sdes;
  if (n == "none") return phone::Keying::None;
  return std::nullopt;
}

// Reads the account file; errors name the file and the key.
std::optional<Account> load_account(const std::string& path, std::string& error) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    error = path + ": " + std::string(e.description());
    return std::nullopt;
  }
  Account a;
  auto bad = [&](std::string_view key, std::string_view why) {
    error = path + ": key '" + std::string(key) + "': " + std::string(why);
    return std::nullopt;
  };
  auto str = [&](std::string_view key) -> std::optional<std::string> {
    if (auto v = t[key].value<std::string>()) return *v;
    return std::nullopt;
  };
  if (auto v = str("uri")) a.uri = *v;
  else return bad("uri", "missing (the address-of-record, e.g. \"sip:alice@example.test\")");
  sip::msg::Uri u;
  if (!sip::msg::parse_uri(a.uri, u) || !u.is_sip() || u.user.empty())
    return bad("uri", "not a SIP URI with a user part: " + a.uri);
  a.user = std::string(u.user);
  a.domain = std::string(u.host);
  a.username = str("username").value_or(a.user);
  if (auto v = str("password")) {
    a.password = *v;
  } else if (auto f = str("password_file")) {
    std::ifstream in(*f);
    if (!in || !std::getline(in, a.password)) return bad("password_file", "cannot read " + *f);
  } else {
    return bad("password", "missing (or password_file)");
  }
  auto proxy = str("proxy");
  if (!proxy) return bad("proxy", "missing (udp|tcp|tls:HOST:PORT, e.g. \"udp:127.0.0.1:5060\")");
  a.proxy_text = *proxy;
  auto colon = proxy->find(':');
  std::string scheme = proxy->substr(0, colon == std::string::npos ? 0 : colon);
  if (scheme == "udp") a.transport = runtime::TransportKind::Udp;
  else if (scheme == "tcp") a.transport = runtime::TransportKind::Tcp;
  else if (scheme == "tls") a.transport = runtime::TransportKind::Tls;
  else return bad("proxy", "must start with udp:, tcp: or tls: (" + *proxy + ")");
  auto ep = runtime::Endpoint::parse(proxy->substr(colon + 1));
  if (!ep || ep->port() == 0) return bad("proxy", "HOST:PORT must be an IP address and a port (" + *proxy + ")");
  a.proxy = *ep;
  a.ca_file = str("ca_file").value_or("");
  a.server_name = str("server_name").value_or(ep->address_string());
  if (auto v = t["register"].value<bool>()) a.do_register = *v;
  else if (t.contains("register")) return bad("register", "must be true or false");
  if (auto v = t["auth_int"].value<bool>()) a.auth_int = *v;
  else if (t.contains("auth_int")) return bad("auth_int", "must be true or false");
  if (auto v = t["keepalive"].value<std::int64_t>()) {
    if (*v < 0 || *v > 3600) return bad("keepalive", "must be between 0 (off) and 3600 seconds");
    a.keepalive = static_cast<std::uint32_t>(*v);
  } else if (t.contains("keepalive")) {
    return bad("keepalive", "must be a number of seconds");
  }
  if (auto v = t["expires"].value<std::int64_t>()) {
    if (*v < 60 || *v > 86400) return bad("expires", "must be between 60 and 86400 seconds");
    a.expires = static_cast<std::uint32_t>(*v);
  }
  if (auto* m = t["media"].as_table()) {
    if (auto v = (*m)["keying"].value<std::string>()) {
      auto k = keying_from_name(*v);
      if (!k) return bad("media.keying", "must be \"dtls\", \"sdes\" or \"none\"");
      a.keying = *k;
    }
    if (auto* arr = (*m)["codecs"].as_array()) {
      a.codecs.clear();
      for (auto& el : *arr) {
        auto name = el.value<std::string>();
        auto c = name ? codec_from_name(*name) : std::nullopt;
        if (!c) return bad("media.codecs", "entries must be \"opus\", \"PCMU\" or \"PCMA\"");
        a.codecs.push_back(*c);
      }
      if (a.codecs.empty()) return bad("media.codecs", "must name at least one codec");
    }
    if (auto v = (*m)["address"].value<std::string>()) {
      if (!runtime::Endpoint::from_address(*v, 0)) return bad("media.address", "must be an IP address");
      a.address = *v;
    }
    if (auto v = (*m)["allow_insecure"].value<bool>()) a.allow_insecure = *v;
  }
  if (a.keying == phone::Keying::Sdes && a.transport != runtime::TransportKind::Tls)
    return bad("media.keying", "\"sdes\" sends the SRTP keys in the SIP message: it needs a tls: proxy (RFC 4568 §8.3)");
  return a;
}

sip::auth::DigestClientConfig digest_config(const Account& a) {
  sip::auth::DigestClientConfig c;
  c.prefer_auth_int = a.auth_int;
  return c;
}

// The phone: one SIP transport to the outbound proxy, one media socket per call.
class Phone final : public runtime::TransportSink {
 public:
  Phone(io::EventLoop& loop, Account account, PhoneOptions opts, phone::CallHeaders call_headers)
      : loop_(loop),
        acc_(std::move(account)),
        opts_(std::move(opts)),
        call_headers_(std::move(call_headers)),
        digest_(sip::auth::DigestCredentials{acc_.username, acc_.password, {}, {}, {}}, rng_, digest_config(acc_)) {}

  int run();

  // runtime::TransportSink (SIP)
  void on_message(const runtime::InboundMessage& m) override {
    if (!ua_) return;
    if (debug_) std::fprintf(stderr, "<<< from %s\n%.*s\n", m.remote.to_string().c_str(), static_cast<int>(m.bytes.size()), m.bytes.data());
    ua_->on_message(m.bytes, runtime::is_stream(m.kind), loop_.now());
    after_ua();
  }
  void on_flow_open(runtime::FlowId flow, const runtime::Endpoint&) override {
    if (flow != flow_ || ua_) return;
    connect_guard_.cancel();
    auto local = static_cast<io::StreamTransport*>(sip_.get())->flow_local_endpoint(flow);
    if (!local) {
      warn("the connection to " + acc_.proxy_text + " has no local address");
      finish(kRegistration);
      return;
    }
    start_ua(*local);
  }
  void on_flow_closed(runtime::FlowId flow, const runtime::Endpoint&, std::error_code why) override {
    if (flow != flow_ || finishing_) return;
    warn("the connection to the proxy " + acc_.proxy_text + " closed: " + why.message());
    finish(registered_ ? kCallFailed : kRegistration);
  }

 private:
  struct MediaSink final : runtime::TransportSink {
    Phone* phone;
    void on_message(const runtime::InboundMessage& m) override { phone->on_media(m); }
  };

  bool open_sip();
  bool start_ua(const runtime::Endpoint& bound);
  void arm_keepalive();
  void send_sip(std::string bytes);
  void after_ua();
  void arm_ua_timer();
  void handle(const phone::UaEvent& e);

  void start_registration();
  void send_register(std::string request);
  void on_ready();
  void start_call(const std::string& target, std::string extra_headers = {});
  void on_incoming(const phone::UaEvent& e);
  void answer_call();
  void arm_scheduled_actions();
  void set_hold(bool hold);
  void start_transfer(const std::string& target);
  void apply_direction(sip::sdp::Direction d);
  void update_sdes(const phone::MediaKeying& keying);
  void reset_call();
  void on_command(const std::string& line);
  void prompt();
  std::string status_line() const;
  phone::MediaPolicy reoffer_policy() const {
    auto p = policy();
    p.offer_keying = call_keying_;
    if (call_keying_ == phone::Keying::None) p.allow_insecure = true;  // the running call is plain already
    return p;
  }
  bool open_media();
  bool start_media(const phone::NegotiatedMedia& nm);
  void on_media(const runtime::InboundMessage& m);
  void media_tick();
  void send_media(media::MediaStream::Datagrams dgs);
  void check_media_state();
  void hangup(std::string why, int code);
  void call_ended(const std::string& reason);
  void finish(int code);
  void stop_after_unregister(int code);

  phone::MediaPolicy policy() const {
    phone::MediaPolicy p;
    p.codecs = acc_.codecs;
    p.offer_keying = acc_.keying;
    p.allow_insecure = acc_.allow_insecure;
    p.signalling_secure = acc_.transport == runtime::TransportKind::Tls;
    return p;
  }

  io::EventLoop& loop_;
  Account acc_;
  PhoneOptions opts_;
  phone::CallHeaders call_headers_;  // call: --privacy and --header lines for the INVITE
  crypto::Csprng rng_;
  sip::auth::DigestClient digest_;
  std::unique_ptr<runtime::Transport> sip_;
  runtime::FlowId flow_ = runtime::kNoFlow;
  runtime::TimerHandle connect_guard_;
  runtime::TimerHandle keepalive_timer_;
  std::uint64_t keepalives_sent_ = 0;
  std::unique_ptr<phone::UserAgent> ua_;
  runtime::TimerHandle ua_timer_;
  std::unique_ptr<phone::Registration> reg_;
  runtime::TimerHandle reg_timer_;
  std::string contact_base_;  // our Contact URI without ;transport
  bool registered_ = false;
  bool ready_ = false;

  // interactive mode
  bool interactive_ = opts_.command == "interactive";
  bool tty_ = false;
  bool quit_ = false;
  std::vector<std::string> early_lines_;  // commands read before `ready`
  std::shared_ptr<LineBridge> bridge_;

  // the call
  phone::CallId call_ = 0;
  std::string target_;  // outgoing: whom we call
  std::optional<phone::Answer> pending_answer_;  // incoming, until answered
  phone::Keying call_keying_ = phone::Keying::DtlsSrtp;
  std::optional<media::SdesKeys> sdes_keys_;  // the running stream's SDES keys
  std::optional<phone::Offer> reoffer_;       // our re-INVITE's offer, until answered
  bool held_ = false;                         // we put the call on hold (our microphone is muted)
  phone::CallId transfer_of_ = 0;             // transferee: the call the REFER came in, until the new call is answered
  bool scheduled_armed_ = false;
  bool refer_sent_ = false;                   // transferor: our REFER is under way
  bool refer_accepted_ = false;               // ... and was answered 2xx              // --hold-at/--resume-at/--transfer-at were armed
  runtime::TimerHandle hold_timer_, resume_timer_, transfer_timer_;
  bool outgoing_ = false;
  bool answered_ = false;
  std::optional<phone::Offer> offer_;
  std::optional<phone::SdpOrigin> origin_;
  std::string incoming_sdp_;
  std::string incoming_peer_;
  std::string incoming_identity_;  // "verified", "failed" or "none" (the proxy's verstat)
  std::optional<crypto::DtlsIdentity> identity_;
  std::string fingerprint_;
  MediaSink media_sink_;
  std::unique_ptr<io::UdpTransport> media_sock_;
  std::optional<media::MediaStream> stream_;
  std::vector<std::vector<std::byte>> early_media_;  // datagrams before the stream exists
  runtime::Endpoint remote_rtp_, remote_rtcp_;
  runtime::TimerHandle media_timer_;
  runtime::TimerHandle call_timer_;  // ring timeout, hang-up time, answer delay
  bool media_announced_ = false;
  std::string media_summary_;
  base::TimePoint answered_at_{};
  std::uint32_t audio_rate_ = 8000;
  std::vector<std::int16_t> source_;  // what we play, at audio_rate_
  std::size_t source_pos_ = 0;
  std::vector<std::int16_t> recorded_;
  std::string transport_name_;
  int exit_code_ = kOk;
  bool debug_ = opts_.log_level == "debug";  // print every SIP message on standard error
  bool finishing_ = false;
  std::string end_reason_;
  std::optional<media::MediaStream::Report> last_report_;
};

bool Phone::open_sip() {
  transport_name_ = std::string(runtime::to_string(acc_.transport));
  const auto local = runtime::Endpoint::from_address(acc_.address, 0);
  if (acc_.transport == runtime::TransportKind::Udp) {
    io::UdpOptions uo;
    uo.bind = *local;
    auto t = io::UdpTransport::open(loop_, *this, uo);
    if (!t) {
      warn("cannot open a UDP socket on " + acc_.address + ": " + t.error().message());
      return false;
    }
    sip_ = std::move(*t);
  } else {
    io::StreamOptions so;
    so.bind = *local;
    so.listen = false;  // the proxy reaches us over this connection (Contact: its local port)
    if (acc_.transport == runtime::TransportKind::Tls) {
      io::TlsOptions tls;
      tls.ca_file = acc_.ca_file;
      tls.verify_peer = true;
      so.tls = tls;
    }
    auto t = io::StreamTransport::open(loop_, *this, so);
    if (!t) {
      warn("cannot open a " + transport_name_ + " transport: " + t.error().message());
      return false;
    }
    sip_ = std::move(*t);
    auto f = sip_->connect(acc_.proxy, acc_.server_name);
    if (!f) {
      warn("cannot connect to " + acc_.proxy_text + ": " + f.error().message());
      return false;
    }
    flow_ = *f;
  }
  if (flow_ == runtime::kNoFlow) return start_ua(sip_->local_endpoint());
  connect_guard_ = loop_.arm(loop_.now() + 10s, [this] {
    if (!ua_) {
      warn("no connection to the proxy " + acc_.proxy_text + " within 10 s");
      finish(kRegistration);
    }
  });
  return true;
}

bool Phone::start_ua(const runtime::Endpoint& bound) {
  phone::UserAgentConfig uc;
  uc.aor = acc_.uri;
  std::string host = bound.is_v4() ? bound.address_string() : "[" + bound.address_string() + "]";
  std::string hostport = bound.port() ? host + ":" + std::to_string(bound.port()) : host;
  contact_base_ = "sip:" + acc_.user + "@" + hostport;
  uc.contact = contact_base_;
  if (acc_.transport == runtime::TransportKind::Tcp) uc.contact += ";transport=tcp";
  if (acc_.transport == runtime::TransportKind::Tls) uc.contact += ";transport=tls";
  uc.transport = transport_name_;
  uc.via_sent_by = hostport;
  uc.max_calls = 1;
  ua_ = std::make_unique<phone::UserAgent>(uc, rng_);
  ua_->set_authenticator([this](const sip::msg::Message& challenge,
                                const sip::msg::Message& request) -> std::optional<std::string> {
    auto parsed = sip::auth::parse_challenges(challenge);
    auto idx = digest_.choose(parsed.challenges);
    if (!idx) return std::nullopt;
    auto a = digest_.answer(parsed.challenges[*idx], request.method_text, request.request_uri.raw, request.body);
    if (!a) return std::nullopt;
    return std::string(a->header_name()) + ": " + a->value + "\r\n";
  });
  if (acc_.do_register) start_registration();
  else on_ready();
  return true;
}

void Phone::send_sip(std::string bytes) {
  if (!sip_) return;
  if (debug_) std::fprintf(stderr, ">>> to %s\n%s\n", acc_.proxy_text.c_str(), bytes.c_str());
  base::Result<void> r;
  if (flow_ != runtime::kNoFlow) {
    r = sip_->send(flow_, std::move(bytes));
  } else {
    auto s = sip_->send(acc_.proxy, std::move(bytes));
    if (!s) r = s.error();
  }
  if (!r) warn("sending to " + acc_.proxy_text + " failed: " + r.error().message());
}

void Phone::after_ua() {
  if (!ua_) return;
  for (;;) {
    auto out = ua_->take_outgoing();
    auto events = ua_->take_events();
    if (out.empty() && events.empty()) break;
    for (auto& m : out) send_sip(std::move(m));
    for (const auto& e : events) handle(e);
  }
  arm_ua_timer();
}

void Phone::arm_ua_timer() {
  auto next = ua_->next_deadline();
  if (!next) {
    ua_timer_.cancel();
    return;
  }
  ua_timer_ = loop_.arm(*next, [this] {
    ua_->on_timer(loop_.now());
    after_ua();
  });
}

// ---------------------------------------------------------------- registration

void Phone::start_registration() {
  phone::RegistrationConfig rc;
  rc.registrar = "sip:" + acc_.domain;
  rc.aor = acc_.uri;
  rc.contact = contact_base_;
  if (acc_.transport != runtime::TransportKind::Udp)
    rc.contact_transport = acc_.transport == runtime::TransportKind::Tcp ? "tcp" : "tls";
  rc.expires = acc_.expires;
  rc.via_transport = transport_name_;
  rc.via_sent_by = ua_->config().via_sent_by;
  auto reg = phone::Registration::create(rc, digest_, rng_);
  if (!reg) {
    warn("cannot register " + acc_.uri + ": " + reg.error().message());
    finish(kUsage);
    return;
  }
  reg_ = std::make_unique<phone::Registration>(std::move(*reg));
  send_register(reg_->make_request(loop_.now()));
}

void Phone::send_register(std::string request) {
  ua_->send_request(std::move(request), [this](const sip::msg::Message* resp) {
    const auto now = loop_.now();
    if (!resp) {
      reg_->on_timeout();
      if (finishing_) {
        stop_after_unregister(exit_code_);
        return;
      }
      warn("the registrar " + acc_.proxy_text + " did not answer the REGISTER");
      if (!ready_) finish(kRegistration);
      else reg_timer_ = loop_.arm(now + 30s, [this] { send_register(reg_->make_request(loop_.now())); });
      return;
    }
    auto r = reg_->on_response(*resp, now);
    if (finishing_) {  // the answer to our unregistration
      if (r.outcome == phone::Registration::Outcome::Retry) send_register(reg_->make_unregister(now));
      else stop_after_unregister(exit_code_);
      return;
    }
    switch (r.outcome) {
      case phone::Registration::Outcome::Retry:
        send_register(reg_->make_request(now));
        break;
      case phone::Registration::Outcome::Registered: {
        registered_ = true;
        say("registered " + acc_.uri + " expires=" + std::to_string(r.granted.count()));
        if (auto at = reg_->refresh_at())
          reg_timer_ = loop_.arm(*at, [this] { send_register(reg_->make_request(loop_.now())); });
        if (!ready_) on_ready();
        break;
      }
      case phone::Registration::Outcome::Failed:
        say("registration-failed status=" + std::to_string(r.status) + " reason=" + qstr(r.reason));
        warn("registration of " + acc_.uri + " failed: " + std::to_string(r.status) + " " + r.reason);
        finish(kRegistration);
        break;
      case phone::Registration::Outcome::Unregistered:
      case phone::Registration::Outcome::Ignored:
        break;
    }
    after_ua();
  }, loop_.now());
  after_ua();
}

// RFC 5626 §3.5.1-style keep-alives: a double CRLF to the proxy every `keepalive` seconds,
// on the connection (the proxy answers with a single CRLF) or as a datagram, so that a NAT
// or firewall between the phone and the proxy keeps the mapping the proxy reaches us through.
void Phone::arm_keepalive() {
  if (acc_.keepalive == 0 || finishing_) return;
  keepalive_timer_ = loop_.arm(loop_.now() + std::chrono::seconds(acc_.keepalive), [this] {
    if (finishing_) return;
    send_sip("\r\n\r\n");
    ++keepalives_sent_;
    if (debug_) std::fprintf(stderr, "keep-alive %llu sent\n", static_cast<unsigned long long>(keepalives_sent_));
    arm_keepalive();
  });
}

void Phone::on_ready() {
  ready_ = true;
  say("ready");
  arm_keepalive();
  if (opts_.command == "call") {
    start_call(opts_.target, call_headers_.lines());
  } else if (interactive_) {
    prompt();
    for (auto& line : early_lines_) loop_.post([this, line] { on_command(line); });
    early_lines_.clear();
  } else if (opts_.command == "answer") {
    if (opts_.timeout) {
      call_timer_ = loop_.arm(loop_.now() + *parse_duration(*opts_.timeout), [this] {
        if (call_ == 0) {
          say("timeout no call arrived");
          finish(kTimeout);
        }
      });
    }
  } else if (opts_.command == "register" && opts_.duration) {
    call_timer_ = loop_.arm(loop_.now() + *parse_duration(*opts_.duration), [this] { finish(kOk); });
  }
}

// ---------------------------------------------------------------- media

bool Phone::open_media() {
  media_sink_.phone = this;
  io::UdpOptions uo;
  uo.bind = *runtime::Endpoint::from_address(acc_.address, 0);
  uo.max_datagram_bytes = 1500;
  auto s = io::UdpTransport::open(loop_, media_sink_, uo);
  if (!s) {
    warn("cannot open a media socket on " + acc_.address + ": " + s.error().message());
    return false;
  }
  media_sock_ = std::move(*s);
  if (!identity_) {
    auto id = crypto::DtlsIdentity::generate("warden-phone");
    if (!id) {
      warn("cannot create the DTLS certificate: " + id.error().message());
      return false;
    }
    identity_ = std::move(*id);
    fingerprint_ = media::fingerprint_attribute_value(*identity_);
  }
  return true;
}

bool Phone::start_media(const phone::NegotiatedMedia& nm) {
  media::MediaStreamConfig mc;
  switch (nm.codec.codec) {
    case phone::AudioCodec::Opus: mc.codec = media::AudioCodec::Opus; break;
    case phone::AudioCodec::Pcmu: mc.codec = media::AudioCodec::Pcmu; break;
    case phone::AudioCodec::Pcma: mc.codec = media::AudioCodec::Pcma; break;
  }
  mc.payload_type = nm.codec.payload_type;
  mc.clock_rate = nm.codec.clock_rate;
  mc.telephone_event_pt = nm.telephone_event_pt;
  audio_rate_ = mc.codec == media::AudioCodec::Opus ? 48000 : 8000;
  mc.audio_rate_hz = audio_rate_;
  using sip::sdp::Direction;
  mc.send = nm.direction == Direction::SendRecv || nm.direction == Direction::SendOnly;
  mc.receive = nm.direction == Direction::SendRecv || nm.direction == Direction::RecvOnly;
  mc.rtcp_mux = nm.rtcp_mux;
  call_keying_ = nm.secure() ? (std::holds_alternative<media::SdesKeys>(nm.keying) ? phone::Keying::Sdes
                                                                                 : phone::Keying::DtlsSrtp)
                             : phone::Keying::None;
  if (std::holds_alternative<media::SdesKeys>(nm.keying)) {
    mc.keying = std::get<media::SdesKeys>(nm.keying);
    sdes_keys_ = std::get<media::SdesKeys>(nm.keying);
  } else if (std::holds_alternative<phone::DtlsParams>(nm.keying)) {
    const auto& d = std::get<phone::DtlsParams>(nm.keying);
    media::DtlsSrtpConfig dc;
    dc.role = d.role;
    dc.peer_fingerprints = d.peer_fingerprints;
    dc.suites = d.suites;
    // The peer often starts its DTLS server only when our answer reaches it, after our first
    // ClientHello: retransmit after 250 ms (doubling) rather than RFC 6347's 1 s, so a call
    // does not lose its first second of audio.
    dc.initial_retransmit = std::chrono::milliseconds(250);
    mc.keying = dc;
  } else {
    mc.allow_unencrypted = true;
  }
  auto remote = runtime::Endpoint::from_address(nm.remote_address, nm.remote_port);
  if (!remote) {
    warn("the peer's media address is not an IP address: " + nm.remote_address);
    return false;
  }
  remote_rtp_ = *remote;
  remote_rtcp_ = remote->with_port(nm.remote_rtcp_port ? nm.remote_rtcp_port : nm.remote_port);
  auto s = media::MediaStream::create(std::move(mc), identity_ ? &*identity_ : nullptr, rng_);
  if (!s) {
    warn("cannot start the media: " + s.error().message());
    return false;
  }
  stream_ = std::move(*s);
  stream_->set_source([this](std::span<std::int16_t> frame) {
    if (held_) {  // on hold: our microphone is muted (no music on hold)
      std::fill(frame.begin(), frame.end(), std::int16_t{0});
      return;
    }
    for (auto& x : frame) x = source_pos_ < source_.size() ? source_[source_pos_++] : 0;
  });
  if (opts_.record)
    stream_->set_sink([this](std::span<const std::int16_t> frame) {
      recorded_.insert(recorded_.end(), frame.begin(), frame.end());
    });
  stream_->set_dtmf_handler([](char digit, std::chrono::milliseconds d) {
    say(std::string("dtmf digit=") + digit + " duration_ms=" + std::to_string(d.count()));
  });
  // What we play, at the codec's audio rate.
  if (opts_.play) {
    auto wav = media::read_wav_file(*opts_.play);
    if (!wav) {
      warn("cannot read " + *opts_.play + ": " + wav.error().message());
      return false;
    }
    auto mono = media::mix_to_mono(*wav);
    source_ = media::resample(mono, static_cast<int>(wav->sample_rate), static_cast<int>(audio_rate_));
  } else if (opts_.tone_hz) {
    media::ToneSpec ts;
    ts.frequency_hz = *opts_.tone_hz;
    ts.amplitude = 0.3;
    ts.sample_rate = static_cast<int>(audio_rate_);
    source_ = media::make_tone(ts, std::chrono::milliseconds(3600 * 1000 / 60));  // a minute
  }
  media_summary_ = nm.summary();
  const auto now = loop_.now();
  send_media(stream_->start(now));
  for (auto& d : early_media_) send_media(stream_->on_datagram(base::ByteView(d.data(), d.size()), now));
  early_media_.clear();
  media_tick();
  return true;
}

void Phone::on_media(const runtime::InboundMessage& m) {
  auto bytes = std::as_bytes(std::span(m.bytes.data(), m.bytes.size()));
  if (!stream_) {
    if (early_media_.size() < 16) early_media_.emplace_back(bytes.begin(), bytes.end());
    return;
  }
  // Media only from the address the peer signalled (its port may differ behind a NAT).
  if (!m.remote.same_address(remote_rtp_)) return;
  send_media(stream_->on_datagram(base::ByteView(bytes.data(), bytes.size()), loop_.now()));
  check_media_state();
}

void Phone::media_tick() {
  if (!stream_) return;
  const auto now = loop_.now();
  send_media(stream_->on_tick(now));
  check_media_state();
  if (!stream_) return;
  auto next = stream_->next_deadline();
  if (!next) return;
  media_timer_ = loop_.arm(*next, [this] { media_tick(); });
}

void Phone::send_media(media::MediaStream::Datagrams dgs) {
  if (!media_sock_) return;
  for (auto& d : dgs) {
    std::string bytes(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size());
    (void)media_sock_->send(d.rtcp ? remote_rtcp_ : remote_rtp_, std::move(bytes));
  }
}

void Phone::check_media_state() {
  if (!stream_) return;
  const auto st = stream_->state();
  if (st == media::MediaStream::State::Running && !media_announced_) {
    media_announced_ = true;
    auto r = stream_->report(loop_.now());
    say("media codec=" + r.codec + "/" + std::to_string(r.clock_rate) + " keying=" + r.keying +
        " suite=" + (r.suite.empty() ? std::string("none") : r.suite) +
        " local=" + media_sock_->local_endpoint().to_string() + " remote=" + remote_rtp_.to_string());
    if (opts_.dtmf)
      for (char d : *opts_.dtmf) (void)stream_->send_dtmf(d);
  }
  if (st == media::MediaStream::State::Failed && !finishing_) {
    say("media-failed reason=" + qstr(stream_->failure_reason()));
    warn("the media failed: " + stream_->failure_reason() + " (" + stream_->error().message() + ")");
    hangup("media failed", kMedia);
  }
}

// ---------------------------------------------------------------- calls

void Phone::start_call(const std::string& target, std::string extra_headers) {
  target_ = target;
  if (!open_media()) {
    finish(kUsage);
    return;
  }
  phone::LocalMedia lm{acc_.address, media_sock_->local_endpoint().port(), sip::sdp::Direction::SendRecv};
  auto offer = phone::make_offer(policy(), lm, rng_, fingerprint_);
  if (!offer) {
    warn("cannot make an offer: " + offer.error().message());
    finish(offer.error() == phone::NegotiationErrc::InsecureNotAllowed ? kMedia : kUsage);
    return;
  }
  offer_ = std::move(*offer);
  origin_ = offer_->origin;
  outgoing_ = true;
  say("calling " + target_);
  call_ = ua_->call(target_, offer_->sdp, loop_.now(), std::move(extra_headers));
  after_ua();
  const auto ring_timeout = opts_.timeout ? *parse_duration(*opts_.timeout) : std::chrono::milliseconds(30000);
  call_timer_ = loop_.arm(loop_.now() + ring_timeout, [this] {
    if (!answered_) {
      say("timeout no answer");
      hangup("no answer", kTimeout);
    }
  });
}

void Phone::on_incoming(const phone::UaEvent& e) {
  if (call_ != 0 || (opts_.command != "answer" && !interactive_)) {
    ua_->reject(e.call, 486, "Busy Here", loop_.now());
    return;
  }
  call_ = e.call;
  call_timer_.cancel();
  incoming_peer_ = without_verstat(e.peer);
  incoming_identity_ = identity_word(e.peer);
  say("incoming " + incoming_peer_ + " identity=" + incoming_identity_);
  if (!e.referred_by.empty()) say("referred-by " + e.referred_by);  // RFC 3892: a transferred call
  if (!open_media()) {
    ua_->reject(e.call, 500, "Media Unavailable", loop_.now());
    finish(kMedia);
    return;
  }
  phone::LocalMedia lm{acc_.address, media_sock_->local_endpoint().port(), sip::sdp::Direction::SendRecv};
  incoming_sdp_ = e.sdp;
  auto ans = phone::answer_offer(e.sdp, policy(), lm, rng_, fingerprint_);
  if (!ans) {
    const auto code = phone::negotiation_errc(ans.error());
    const std::uint16_t status = code ? phone::sip_status(*code) : 488;
    std::string why = code ? std::string(phone::describe(*code)) : ans.error().message();
    say("refused status=" + std::to_string(status) + " reason=" + qstr(why));
    warn("refused the call from " + e.peer + ": " + why);
    std::string warning = "Warning: 399 warden " + qstr(why) + "\r\n";
    ua_->reject(e.call, status, status == 488 ? "Not Acceptable Here" : "", loop_.now(), warning);
    exit_code_ = kMedia;
    return;  // the Ended event finishes
  }
  ua_->ring(e.call, loop_.now());
  pending_answer_ = std::move(*ans);
  if (interactive_) return;  // waits for `answer` (or `reject`)
  if (opts_.auto_answer) answer_call();
  else call_timer_ = loop_.arm(loop_.now() + 1s, [this] { answer_call(); });
}

void Phone::answer_call() {
  if (!pending_answer_ || call_ == 0) return;
  auto answer = std::move(*pending_answer_);
  pending_answer_.reset();
  if (!ua_->answer(call_, answer.sdp, loop_.now())) return;
  origin_ = answer.origin;
  answered_ = true;
  answered_at_ = loop_.now();
  say("answered");
  if (!start_media(answer.media)) {
    hangup("media could not start", kMedia);
    after_ua();
    return;
  }
  if (opts_.hangup_after)
    call_timer_ = loop_.arm(loop_.now() + *parse_duration(*opts_.hangup_after), [this] { hangup("local hangup", kOk); });
  arm_scheduled_actions();
  after_ua();
}

// --hold-at, --resume-at, --transfer-to/--transfer-at: counted from the answer of the first call.
void Phone::arm_scheduled_actions() {
  if (scheduled_armed_ || interactive_) return;
  scheduled_armed_ = true;
  const auto now = loop_.now();
  if (opts_.hold_at)
    hold_timer_ = loop_.arm(now + *parse_duration(*opts_.hold_at), [this] { set_hold(true); });
  if (opts_.resume_at)
    resume_timer_ = loop_.arm(now + *parse_duration(*opts_.resume_at), [this] { set_hold(false); });
  if (opts_.transfer_to) {
    const auto at = opts_.transfer_at ? *parse_duration(*opts_.transfer_at) : std::chrono::milliseconds(0);
    transfer_timer_ = loop_.arm(now + at, [this] { start_transfer(*opts_.transfer_to); });
  }
}

std::string_view direction_name(sip::sdp::Direction d) {
  using sip::sdp::Direction;
  switch (d) {
    case Direction::SendRecv: return "sendrecv";
    case Direction::SendOnly: return "sendonly";
    case Direction::RecvOnly: return "recvonly";
    case Direction::Inactive: return "inactive";
  }
  return "inactive";
}

void Phone::apply_direction(sip::sdp::Direction d) {
  using sip::sdp::Direction;
  if (stream_)
    stream_->set_direction(d == Direction::SendRecv || d == Direction::SendOnly,
                           d == Direction::SendRecv || d == Direction::RecvOnly);
}

// A re-offer or re-answer's SDES keys: the stream's SRTP session is rebuilt only when they differ
// from the running ones (the peer sent a new key, or another suite was chosen).
void Phone::update_sdes(const phone::MediaKeying& keying) {
  const auto* keys = std::get_if<media::SdesKeys>(&keying);
  if (!keys) return;
  if (sdes_keys_ && keys->send == sdes_keys_->send && keys->receive == sdes_keys_->receive) return;
  if (stream_) {
    if (auto r = stream_->rekey(*keys); !r) {
      warn("cannot take the new SDES keys: " + r.error().message());
      hangup("media failed", kMedia);
      return;
    }
    say("media-rekeyed suite=" + std::string(media::sdes_name(keys->send.suite())));
  }
  sdes_keys_ = *keys;
}

// Hold (a=sendonly) or resume (a=sendrecv) by re-INVITE (RFC 3264 §8.4): the same port and
// DTLS fingerprint, the o= version plus one, and the SDES key the stream runs with.
void Phone::set_hold(bool hold) {
  if (call_ == 0 || !answered_ || !stream_ || !media_sock_) {
    say(std::string("error no call to ") + (hold ? "hold" : "resume"));
    return;
  }
  if (reoffer_) {
    say("error a re-INVITE is under way");
    return;
  }
  if (hold == held_) {
    say(std::string("error the call is ") + (hold ? "already on hold" : "not on hold"));
    return;
  }
  using sip::sdp::Direction;
  phone::LocalMedia lm{acc_.address, media_sock_->local_endpoint().port(), hold ? Direction::SendOnly : Direction::SendRecv};
  auto offer = phone::make_offer(reoffer_policy(), lm, rng_, fingerprint_, origin_);
  if (!offer) {
    say("error cannot make the re-offer: " + offer.error().message());
    return;
  }
  if (sdes_keys_ && offer->keying == phone::Keying::Sdes) {
    media::SdesCrypto line{sdes_keys_->tag, sdes_keys_->send};
    offer->sdes = {line};
    offer->sdp = with_crypto(offer->sdp, line.attribute_value());
  }
  if (!ua_->reinvite(call_, offer->sdp, loop_.now())) {
    say("error the call cannot be re-INVITEd now");
    return;
  }
  origin_ = offer->origin;
  reoffer_ = std::move(*offer);
  held_ = hold;  // our microphone is muted from now on (or again live)
  say(hold ? "holding" : "resuming");
  after_ua();
}

// Blind transfer as the transferor (RFC 3515): REFER the peer to `target`; the call ends when
// its NOTIFY reports a 2xx.
void Phone::start_transfer(const std::string& target) {
  if (call_ == 0 || !answered_) {
    say("error no call to transfer");
    return;
  }
  sip::msg::Uri u;
  if (!sip::msg::parse_uri(target, u) || !u.is_sip()) {
    say("error not a SIP URI: " + target);
    return;
  }
  if (refer_sent_) {
    say("error a transfer is under way");
    return;
  }
  if (!ua_->refer(call_, target, loop_.now())) {
    say("error the call cannot be transferred now");
    return;
  }
  refer_sent_ = true;
  refer_accepted_ = false;
  say("transferring " + target);
  after_ua();
}

void Phone::handle(const phone::UaEvent& e) {
  using K = phone::UaEvent::Kind;
  switch (e.kind) {
    case K::IncomingCall:
      on_incoming(e);
      return;
    case K::Ringing:
      if (e.call == call_) say("ringing");
      return;
    case K::Answered: {
      if (e.call != call_) return;
      auto nm = phone::accept_answer(*offer_, e.sdp, policy());
      answered_ = true;
      answered_at_ = loop_.now();
      say("answered");
      if (!nm) {
        const auto code = phone::negotiation_errc(nm.error());
        std::string why = code ? std::string(phone::describe(*code)) : nm.error().message();
        say("media-refused reason=" + qstr(why));
        warn("the answer is not acceptable: " + why);
        hangup("media refused", kMedia);
        return;
      }
      if (!start_media(*nm)) {
        hangup("media could not start", kMedia);
        return;
      }
      std::optional<std::chrono::milliseconds> after;
      if (opts_.hangup_after) after = parse_duration(*opts_.hangup_after);
      else if (!source_.empty() && opts_.play)
        after = std::chrono::milliseconds(source_.size() * 1000 / audio_rate_) + 700ms;
      if (after) call_timer_ = loop_.arm(loop_.now() + *after, [this] { hangup("local hangup", kOk); });
      if (transfer_of_ != 0) {  // transferee: the new call is up, the old one ends (RFC 3515 §2.4.5)
        say("transfer-completed");
        ua_->notify_transfer(transfer_of_, 200, "OK", loop_.now());
        ua_->hangup(transfer_of_, loop_.now());
        transfer_of_ = 0;
      }
      arm_scheduled_actions();
      return;
    }
    case K::Established:
      return;
    case K::Failed: {
      if (e.call != call_) return;
      say("failed status=" + std::to_string(e.status) + " reason=" + qstr(e.reason));
      int code = kCallFailed;
      if (e.status == 488 || e.status == 606) {
        code = kMedia;
        warn("the callee refused our media (" + std::to_string(e.status) + " " + e.reason + ")" +
             (acc_.keying == phone::Keying::None && !acc_.allow_insecure
                  ? ""
                  : acc_.keying == phone::Keying::None
                        ? ": it requires encrypted media (set media.keying to \"dtls\" or \"sdes\")"
                        : ": if it cannot encrypt, both sides need --allow-insecure-media"));
      } else if (e.status == 408) {
        code = kTimeout;
      }
      if (transfer_of_ != 0) {  // transferee: the transfer failed; the old call has no media left
        ua_->notify_transfer(transfer_of_, e.status, e.reason, loop_.now());
        ua_->hangup(transfer_of_, loop_.now());
        transfer_of_ = 0;
      }
      if (interactive_ && !quit_) {
        reset_call();
        prompt();
        return;
      }
      call_ = 0;
      finish(code);
      return;
    }
    case K::Ended:
      if (e.call == call_) call_ended(e.reason);
      return;
    case K::Reoffer: {
      if (e.call != call_) {
        ua_->reject(e.call, 481, "Call/Transaction Does Not Exist", loop_.now());
        return;
      }
      using sip::sdp::Direction;
      phone::LocalMedia lm{acc_.address, media_sock_ ? media_sock_->local_endpoint().port() : std::uint16_t{0},
                           held_ ? Direction::SendOnly : Direction::SendRecv};
      auto ans = phone::answer_offer(e.sdp, policy(), lm, rng_, fingerprint_, origin_);
      if (!ans) {
        ua_->reject(e.call, 488, "Not Acceptable Here", loop_.now());
        return;
      }
      // Keep our SDES key when the suite stays: a new one would not match the running stream.
      if (auto* keys = std::get_if<media::SdesKeys>(&ans->media.keying);
          keys && sdes_keys_ && keys->send.suite() == sdes_keys_->send.suite()) {
        keys->send = sdes_keys_->send;
        ans->sdp = with_crypto(ans->sdp, media::SdesCrypto{keys->tag, keys->send}.attribute_value());
      }
      origin_ = ans->origin;
      const auto d = ans->media.direction;
      apply_direction(d);
      update_sdes(ans->media.keying);
      say(std::string("reoffer direction=") + (d == Direction::SendRecv ? "sendrecv" : "held"));
      ua_->answer(e.call, ans->sdp, loop_.now());
      return;
    }
    case K::ReofferAnswered: {
      if (e.call != call_ || !reoffer_) return;
      auto nm = phone::accept_answer(*reoffer_, e.sdp, reoffer_policy());
      const bool hold = reoffer_->direction == sip::sdp::Direction::SendOnly;
      reoffer_.reset();
      if (!nm) {
        say("reoffer-refused reason=" + qstr(nm.error().message()));
        return;  // the stream runs on as it was
      }
      apply_direction(nm->direction);
      update_sdes(nm->keying);
      say(std::string(hold ? "held" : "resumed") + " direction=" + std::string(direction_name(nm->direction)));
      return;
    }
    case K::ReofferFailed:
      if (e.call != call_) return;
      say("reoffer-failed status=" + std::to_string(e.status) + " reason=" + qstr(e.reason));
      if (reoffer_) held_ = reoffer_->direction != sip::sdp::Direction::SendOnly;  // back to before
      reoffer_.reset();
      return;
    case K::TransferRequested: {
      // Transferee (RFC 3515 §2.4): call the target with Referred-By; the UA sent 202 and the
      // NOTIFY 100. The old call's media stops now; its dialog ends when the new call is answered.
      if (e.call != call_ || !answered_ || transfer_of_ != 0) {
        ua_->notify_transfer(e.call, 603, "Declined", loop_.now());
        return;
      }
      sip::msg::Uri u;
      if (!sip::msg::parse_uri(e.target, u) || !u.is_sip()) {
        say("transfer-refused target=" + e.target);
        ua_->notify_transfer(e.call, 400, "Bad Refer-To", loop_.now());
        return;
      }
      say("transfer-requested target=" + e.target + " by=" + e.peer);
      const auto old = call_;
      if (stream_) send_media(stream_->close());
      reset_call();
      transfer_of_ = old;
      // RFC 3892 §3: the REFER's Referred-By copied verbatim (with the referral token the
      // transferor's proxy signed into it); only without one, the referrer as we know it.
      std::string referred_by = e.referred_by;
      if (referred_by.empty()) referred_by = e.peer.find('<') != std::string::npos ? e.peer : "<" + e.peer + ">";
      // A caller that asked for privacy keeps it on the call the transfer makes (not --header).
      start_call(e.target, "Referred-By: " + referred_by + "\r\n" + call_headers_.privacy_line());
      return;
    }
    case K::TransferProgress: {
      // The first final status is the REFER's own response (202 Accepted, or a refusal); the
      // later ones are the NOTIFYs' sipfrags about the transferee's call to the target.
      if (e.call != call_ || !refer_sent_) return;
      say("transfer-progress status=" + std::to_string(e.status) + (e.reason.empty() ? "" : " reason=" + qstr(e.reason)));
      const bool final_status = e.status >= 200;
      if (!refer_accepted_) {
        if (!final_status) return;  // a NOTIFY 100 that overtook the 202
        if (e.status < 300) {
          refer_accepted_ = true;
          return;
        }
      } else if (final_status && e.status < 300) {
        say("transfer-succeeded");
        refer_sent_ = refer_accepted_ = false;
        hangup("transferred", kOk);
        return;
      }
      if (final_status) {
        say("transfer-failed status=" + std::to_string(e.status));
        refer_sent_ = refer_accepted_ = false;  // the call goes on
      }
      return;
    }
    case K::Redirected:
      say("redirected " + e.target);
      return;
  }
}

void Phone::hangup(std::string why, int code) {
  if (exit_code_ == kOk) exit_code_ = code;
  end_reason_ = std::move(why);
  if (call_ != 0 && ua_->active(call_)) {
    ua_->hangup(call_, loop_.now());
    after_ua();
    return;
  }
  if (interactive_ && !quit_) {
    reset_call();
    return;
  }
  finish(exit_code_);
}

void Phone::call_ended(const std::string& reason) {
  const auto now = loop_.now();
  say("ended reason=" + qstr(end_reason_.empty() ? reason : reason));
  if (stream_) {
    send_media(stream_->close());
    last_report_ = stream_->report(now);
  }
  if (!answered_ && outgoing_ && exit_code_ == kOk) exit_code_ = kCallFailed;
  nlohmann::json j;
  j["peer"] = outgoing_ ? target_ : incoming_peer_;
  j["direction"] = outgoing_ ? "outgoing" : "incoming";
  if (!outgoing_) j["identity"] = incoming_identity_;
  j["transport"] = transport_name_;
  j["duration_s"] = answered_ ? std::chrono::duration<double>(now - answered_at_).count() : 0.0;
  j["reason"] = reason;
  if (last_report_) {
    const auto& r = *last_report_;
    nlohmann::json m;
    m["codec"] = r.codec;
    m["clock_rate"] = r.clock_rate;
    m["keying"] = r.keying;
    m["suite"] = r.suite;
    m["packets_sent"] = r.packets_sent;
    m["packets_received"] = r.packets_received;
    m["packets_lost"] = r.packets_lost;
    m["loss_percent"] = r.fraction_lost_percent;
    m["jitter_ms"] = r.jitter_ms;
    m["rtt_ms"] = r.rtt_ms ? nlohmann::json(*r.rtt_ms) : nlohmann::json(nullptr);
    m["mos"] = r.mos ? nlohmann::json(*r.mos) : nlohmann::json(nullptr);
    m["discarded"] = r.discarded;
    m["concealed_frames"] = r.concealed_frames;
    m["dtmf_sent"] = r.dtmf_sent;
    m["dtmf_received"] = r.dtmf_received;
    j["media"] = m;
  } else {
    j["media"] = nullptr;
  }
  say("report " + j.dump());
  if (opts_.report) {
    std::ofstream out(*opts_.report);
    out << j.dump(2) << "\n";
    if (!out) warn("cannot write the report to " + *opts_.report);
  }
  if (opts_.record) {
    media::WavAudio w;
    w.sample_rate = audio_rate_;
    w.channels = 1;
    w.samples = std::move(recorded_);
    if (auto r = media::write_wav_file(*opts_.record, w); !r) {
      warn("cannot write " + *opts_.record + ": " + r.error().message());
    }
  }
  if (interactive_ && !quit_) {  // stays registered for the next call
    reset_call();
    prompt();
    return;
  }
  call_ = 0;
  media_timer_.cancel();
  stream_.reset();
  finish(exit_code_);
}

// Forgets everything about the call (interactive mode between calls; the transferee before its
// new call). The media socket is closed from the loop, not from inside one of its callbacks.
void Phone::reset_call() {
  call_ = 0;
  target_.clear();
  outgoing_ = false;
  answered_ = false;
  offer_.reset();
  origin_.reset();
  reoffer_.reset();
  pending_answer_.reset();
  sdes_keys_.reset();
  held_ = false;
  refer_sent_ = refer_accepted_ = false;
  incoming_sdp_.clear();
  incoming_peer_.clear();
  media_timer_.cancel();
  call_timer_.cancel();
  hold_timer_.cancel();
  resume_timer_.cancel();
  transfer_timer_.cancel();
  stream_.reset();
  if (media_sock_) {
    std::shared_ptr<io::UdpTransport> old(std::move(media_sock_));
    loop_.post([old] {});
  }
  early_media_.clear();
  remote_rtp_ = remote_rtcp_ = runtime::Endpoint{};
  media_announced_ = false;
  media_summary_.clear();
  source_pos_ = 0;
  recorded_.clear();
  end_reason_.clear();
  last_report_.reset();
  if (interactive_) exit_code_ = kOk;
}

void Phone::prompt() {
  if (!tty_ || finishing_) return;
  std::fputs("> ", stdout);
  std::fflush(stdout);
}

std::string Phone::status_line() const {
  if (call_ == 0) return "status idle registered=" + std::string(registered_ ? "yes" : "no");
  std::string peer = outgoing_ ? target_ : incoming_peer_;
  if (!answered_) return std::string("status ") + (outgoing_ ? "calling " : "incoming ") + peer;
  std::string s = "status in-call " + peer + " held=" + (held_ ? "yes" : "no");
  if (stream_) {
    auto r = stream_->report(loop_.now());
    s += " codec=" + r.codec + " keying=" + r.keying + " sent=" + std::to_string(r.packets_sent) +
         " received=" + std::to_string(r.packets_received);
  }
  return s;
}

void Phone::on_command(const std::string& raw) {
  std::istringstream in(raw);
  std::string cmd, arg;
  in >> cmd;
  std::getline(in >> std::ws, arg);
  while (!arg.empty() && std::isspace(static_cast<unsigned char>(arg.back()))) arg.pop_back();
  if (cmd.empty()) {
    prompt();
    return;
  }
  if (finishing_) return;
  if (!ready_) {  // typed (or piped) before the registration: run once ready
    if (early_lines_.size() < 64) early_lines_.push_back(raw);
    return;
  }
  if (cmd == "help") {
    say("commands: call URI | answer | reject | hangup | hold | resume | dtmf DIGITS | transfer URI | status | help | quit");
  } else if (cmd == "quit" || cmd == "exit") {
    quit_ = true;
    if (call_ != 0 && ua_ && ua_->active(call_)) hangup("local hangup", kOk);  // finishes when it ended
    else finish(kOk);
    return;
  } else if (cmd == "status") {
    say(status_line());
  } else if (cmd == "call") {
    sip::msg::Uri u;
    if (call_ != 0) say("error busy: a call is in progress (hangup first)");
    else if (arg.empty() || !sip::msg::parse_uri(arg, u) || !u.is_sip()) say("error call needs a SIP URI");
    else start_call(arg);
  } else if (cmd == "answer") {
    if (!pending_answer_) say("error no incoming call to answer");
    else answer_call();
  } else if (cmd == "reject") {
    if (call_ == 0 || outgoing_ || answered_) {
      say("error no incoming call to reject");
    } else {
      ua_->reject(call_, 603, "Decline", loop_.now());
      after_ua();
    }
  } else if (cmd == "hangup") {
    if (call_ == 0) say("error no call");
    else hangup("local hangup", kOk);
  } else if (cmd == "hold" || cmd == "resume") {
    set_hold(cmd == "hold");
  } else if (cmd == "dtmf") {
    if (!stream_) {
      say("error no call with media");
    } else if (arg.empty()) {
      say("error dtmf needs digits (0-9, *, #, A-D)");
    } else {
      for (char d : arg) {
        if (auto r = stream_->send_dtmf(d); !r) {
          say(std::string("error dtmf '") + d + "': " + r.error().message());
          break;
        }
      }
    }
  } else if (cmd == "transfer") {
    start_transfer(arg);
  } else {
    say("error unknown command '" + cmd + "' (help lists them)");
  }
  prompt();
}

void Phone::finish(int code) {
  if (finishing_) return;
  finishing_ = true;
  if (exit_code_ == kOk) exit_code_ = code;
  call_timer_.cancel();
  reg_timer_.cancel();
  keepalive_timer_.cancel();
  if (call_ != 0 && ua_ && ua_->active(call_)) {
    ua_->hangup(call_, loop_.now());
    after_ua();
  }
  if (registered_ && reg_) {
    // Unregister, and stop when the registrar answers (or after 2 s).
    send_register(reg_->make_unregister(loop_.now()));
    call_timer_ = loop_.arm(loop_.now() + 2s, [this] { stop_after_unregister(exit_code_); });
    return;
  }
  stop_after_unregister(exit_code_);
}

void Phone::stop_after_unregister(int code) {
  exit_code_ = code;
  loop_.post([this] { loop_.stop(); });
}

int Phone::run() {
  if (!open_sip()) return kUsage;
  asio::signal_set signals(loop_.context(), SIGINT, SIGTERM);
  signals.async_wait([this](const std::error_code& ec, int) {
    if (ec) return;
    say("signal");
    quit_ = true;
    if (call_ != 0) hangup("local hangup (signal)", kOk);
    else finish(kOk);
  });
  if (interactive_) {
    // Standard input is read by a thread of its own (it may be a terminal, a pipe, a fifo or a
    // file, which Asio's reactor cannot all wait on); each line runs on the loop.
    tty_ = ::isatty(0) != 0;
    bridge_ = std::make_shared<LineBridge>();
    bridge_->ctx = &loop_.context();
    bridge_->deliver = [this](std::string line, bool eof) {
      if (eof) on_command("quit");
      else on_command(line);
    };
    std::thread([bridge = bridge_] {
      std::string line;
      for (;;) {
        const bool ok = static_cast<bool>(std::getline(std::cin, line));
        std::lock_guard<std::mutex> g(bridge->mu);
        if (!bridge->ctx) return;
        asio::post(*bridge->ctx, [bridge, line, ok] {
          if (bridge->deliver) bridge->deliver(line, !ok);
        });
        if (!ok) return;
      }
    }).detach();
  }
  loop_.run();
  if (bridge_) {
    std::lock_guard<std::mutex> g(bridge_->mu);
    bridge_->ctx = nullptr;
    bridge_->deliver = nullptr;
  }
  signals.cancel();
  ua_timer_.cancel();
  reg_timer_.cancel();
  keepalive_timer_.cancel();
  media_timer_.cancel();
  call_timer_.cancel();
  media_sock_.reset();
  sip_.reset();
  return exit_code_;
}

int run_phone(PhoneOptions& opts) {
  std::string error;
  auto acc = load_account(opts.account, error);
  if (!acc) {
    warn(error);
    return kUsage;
  }
  if (opts.allow_insecure_media) acc->allow_insecure = true;
  if (opts.keying) {
    auto k = keying_from_name(*opts.keying);
    if (!k) {
      warn("--keying must be dtls, sdes or none");
      return kUsage;
    }
    acc->keying = *k;
    if (*k == phone::Keying::Sdes && acc->transport != runtime::TransportKind::Tls) {
      warn("--keying sdes sends the SRTP keys in the SIP message: it needs a tls: proxy (RFC 4568 §8.3)");
      return kUsage;
    }
  }
  if (opts.codec) {
    auto c = codec_from_name(*opts.codec);
    if (!c) {
      warn("--codec must be opus, PCMU or PCMA");
      return kUsage;
    }
    acc->codecs = {*c};
  }
  if (acc->keying == phone::Keying::None && !acc->allow_insecure) {
    warn("media.keying = \"none\" sends unencrypted audio: pass --allow-insecure-media to do that");
    return kMedia;
  }
  for (const auto* d : {&opts.hangup_after, &opts.timeout, &opts.duration, &opts.hold_at, &opts.resume_at, &opts.transfer_at})
    if (*d && !parse_duration(**d)) {
      warn("not a duration: " + **d + " (examples: 10s, 500ms, 2m)");
      return kUsage;
    }
  if (opts.command == "call") {
    sip::msg::Uri u;
    if (!sip::msg::parse_uri(opts.target, u) || !u.is_sip()) {
      warn("call: not a SIP URI: " + opts.target);
      return kUsage;
    }
  }
  if (opts.transfer_to) {
    sip::msg::Uri u;
    if (!sip::msg::parse_uri(*opts.transfer_to, u) || !u.is_sip()) {
      warn("--transfer-to: not a SIP URI: " + *opts.transfer_to);
      return kUsage;
    }
  }
  if (opts.transfer_at && !opts.transfer_to) {
    warn("--transfer-at needs --transfer-to");
    return kUsage;
  }
  phone::CallHeaders call_headers;
  if (opts.privacy) {
    if (auto why = call_headers.set_privacy(*opts.privacy); !why.empty()) {
      warn("--privacy " + *opts.privacy + ": " + why);
      return kUsage;
    }
  }
  for (const auto& h : opts.headers) {
    if (auto why = call_headers.add(h); !why.empty()) {
      warn("--header " + h + ": " + why);
      return kUsage;
    }
  }
  if (opts.play) {
    auto wav = media::read_wav_file(*opts.play);
    if (!wav) {
      warn("--play " + *opts.play + ": " + wav.error().message());
      return kUsage;
    }
  }
  io::EventLoop loop;
  Phone phone(loop, std::move(*acc), opts, std::move(call_headers));
  return phone.run();
}

}  // namespace

void add_phone_command(CLI::App& app, PhoneOptions& opts, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("phone", "Run the softphone: call, answer or stay registered (encrypted media by default)");
  cmd->add_option("--account", opts.account, "Account file (TOML: uri, password, proxy, [media])")->required();
  cmd->add_flag("--allow-insecure-media", opts.allow_insecure_media, "Accept and offer unencrypted RTP when the peer cannot encrypt");
  cmd->add_option("--codec", opts.codec, "Use only this codec: opus, PCMU or PCMA");
  cmd->add_option("--keying", opts.keying, "SRTP keying to offer: dtls (default), sdes (TLS only) or none");
  cmd->add_option("--report", opts.report, "Write the call summary (JSON) to this file at the end");
  cmd->add_option("--log-level", opts.log_level, "debug, info, warn or error");
  cmd->require_subcommand(1);

  auto media_opts = [&opts](CLI::App* c) {
    c->add_option("--play", opts.play, "WAV file to send as the microphone (any rate, mono or stereo)");
    c->add_option("--tone", opts.tone_hz, "Send a sine tone of this frequency (Hz) instead of a file");
    c->add_option("--record", opts.record, "Record what is heard to this WAV file");
    c->add_option("--hangup-after", opts.hangup_after, "Hang up this long after the answer (10s, 500ms)");
  };
  auto call_opts = [&opts](CLI::App* c) {
    c->add_option("--hold-at", opts.hold_at, "Put the call on hold (re-INVITE a=sendonly) this long after the answer");
    c->add_option("--resume-at", opts.resume_at, "Resume the held call (re-INVITE a=sendrecv) this long after the answer");
    c->add_option("--transfer-to", opts.transfer_to, "Blind-transfer the peer to this SIP URI (REFER); hang up once it succeeds");
    c->add_option("--transfer-at", opts.transfer_at, "When to send the REFER, counted from the answer (default at once)");
  };
  CLI::App* call = cmd->add_subcommand("call", "Call a SIP URI and hang up after --hangup-after or when --play ends");
  call->add_option("uri", opts.target, "Whom to call, e.g. sip:bob@example.test")->required();
  media_opts(call);
  call->add_option("--timeout", opts.timeout, "Give up when not answered within this time (default 30s)");
  call->add_option("--dtmf", opts.dtmf, "Send these DTMF digits (RFC 4733) once the media runs");
  call->add_option("--privacy", opts.privacy,
                   "Ask for privacy (RFC 3323 Privacy header): priv-values separated by ';', e.g. id or header;id");
  call->add_option("--header", opts.headers,
                   "Add this header line to the INVITE, verbatim (\"Name: value\"; repeatable; not the ones the phone "
                   "writes itself: Via, From, To, Call-ID, CSeq, Contact, ...)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  call_opts(call);
  call->callback([&opts, &exit_code] {
    opts.command = "call";
    exit_code = run_phone(opts);
  });
  CLI::App* answer = cmd->add_subcommand("answer", "Register, wait for one call, answer it, exit when it ends");
  answer->add_flag("--auto", opts.auto_answer, "Answer at once (otherwise after ringing for 1 s)");
  media_opts(answer);
  answer->add_option("--timeout", opts.timeout, "Give up when no call arrives within this time");
  call_opts(answer);
  answer->callback([&opts, &exit_code] {
    opts.command = "answer";
    exit_code = run_phone(opts);
  });
  CLI::App* inter = cmd->add_subcommand(
      "interactive", "Register, then read commands from standard input (call URI, answer, reject, hangup, hold, "
                     "resume, dtmf DIGITS, transfer URI, status, help, quit); EOF quits");
  media_opts(inter);
  inter->callback([&opts, &exit_code] {
    opts.command = "interactive";
    exit_code = run_phone(opts);
  });
  CLI::App* reg = cmd->add_subcommand("register", "Register and stay registered until SIGTERM or --duration");
  reg->add_option("--duration", opts.duration, "Unregister and exit after this time");
  reg->callback([&opts, &exit_code] {
    opts.command = "register";
    exit_code = run_phone(opts);
  });
}

}  // namespace warden::app
