#include "phone/user_agent.hpp"

#include <algorithm>
#include <charconv>

#include "sip/dialog/identifiers.hpp"
#include "sip/msg/builder.hpp"
#include "sip/msg/charset.hpp"
#include "sip/msg/parser.hpp"
#include "sip/msg/method.hpp"

namespace warden::phone {

namespace {

using sip::msg::Message;
using sip::msg::Method;
using sip::txn::Disposition;

constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO";

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// The URI of a name-addr or addr-spec header value ("<sip:a@b>;x=y" -> "sip:a@b").
std::string uri_of(std::string_view value) {
  auto lt = value.find('<');
  if (lt != std::string_view::npos) {
    auto gt = value.find('>', lt);
    if (gt != std::string_view::npos) return std::string(value.substr(lt + 1, gt - lt - 1));
  }
  auto semi = value.find(';');
  std::string_view v = value.substr(0, semi);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

// A Referred-By value to copy into another request: folding (CRLF WSP) becomes spaces; too long
// or holding other control characters, it is not copied at all ("").
std::string referred_by_copy(std::string_view value) {
  if (value.size() > kMaxReferredBy) return {};
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n') out.push_back(' ');
    else if ((u < 0x20 && c != '\t') || u == 0x7f) return {};
    else out.push_back(c);
  }
  return out;
}

// The status code of a message/sipfrag body ("SIP/2.0 200 OK"), 0 if none.
std::uint16_t sipfrag_status(std::string_view body) {
  if (body.substr(0, 8) != "SIP/2.0 " || body.size() < 11) return 0;
  std::uint16_t s = 0;
  auto r = std::from_chars(body.data() + 8, body.data() + 11, s);
  return r.ec == std::errc() ? s : 0;
}

UaEvent make_event(UaEvent::Kind kind, CallId call) {
  UaEvent e;
  e.kind = kind;
  e.call = call;
  return e;
}

}  // namespace

std::string_view to_string(UaEvent::Kind k) noexcept {
  switch (k) {
    case UaEvent::Kind::IncomingCall: return "incoming";
    case UaEvent::Kind::Ringing: return "ringing";
    case UaEvent::Kind::Answered: return "answered";
    case UaEvent::Kind::Established: return "established";
    case UaEvent::Kind::Ended: return "ended";
    case UaEvent::Kind::Failed: return "failed";
    case UaEvent::Kind::Reoffer: return "reoffer";
    case UaEvent::Kind::ReofferAnswered: return "reoffer-answered";
    case UaEvent::Kind::ReofferFailed: return "reoffer-failed";
    case UaEvent::Kind::TransferRequested: return "transfer-requested";
    case UaEvent::Kind::TransferProgress: return "transfer-progress";
    case UaEvent::Kind::Redirected: return "redirected";
  }
  return "?";
}

UserAgent::UserAgent(UserAgentConfig config, base::Random& rng)
    : cfg_(std::move(config)), rng_(rng), txns_(cfg_.timers, 64) {}

// ---------------------------------------------------------------- input

void UserAgent::on_message(std::string_view bytes, bool stream_framed, base::TimePoint now) {
  Message m;
  auto v = sip::msg::parse_message(bytes, m, cfg_.limits,
                                   stream_framed ? sip::msg::Framing::Stream : sip::msg::Framing::Datagram);
  if (!v.accepted()) {
    ++stats_.unparsable;
    return;
  }
  if (m.is_request()) handle_request(m, now);
  else handle_response(m, now);
  pump(now);
}

void UserAgent::on_timer(base::TimePoint now) {
  txns_.on_timer(now);
  pump(now);
  std::vector<CallId> give_up;
  for (auto& [id, c] : calls_) {
    if (c.ok_response.empty()) continue;
    if (now >= c.ok_give_up) {
      c.ok_response.clear();
      c.ok_next.reset();
      if (c.state == CallState::Answering) give_up.push_back(id);
      continue;
    }
    if (c.ok_next && *c.ok_next <= now) {
      outgoing_.push_back(c.ok_response);
      c.ok_interval = std::min(c.ok_interval * 2, cfg_.timers.t2);
      c.ok_next = now + c.ok_interval;
    }
  }
  for (CallId id : give_up) {
    // §13.3.1.4: no ACK within 64*T1: confirm the dialog and end it with BYE.
    Call* c = find_call(id);
    if (!c) continue;
    c->state = CallState::Ending;
    send_bye(*c, now);
  }
  pump(now);
}

std::optional<base::TimePoint> UserAgent::next_deadline() {
  auto best = txns_.next_deadline();
  auto take = [&](base::TimePoint t) {
    if (!best || t < *best) best = t;
  };
  for (const auto& [id, c] : calls_) {
    if (c.ok_response.empty()) continue;
    take(c.ok_give_up);
    if (c.ok_next) take(*c.ok_next);
  }
  return best;
}

void UserAgent::pump(base::TimePoint now) {
  for (;;) {
    auto actions = txns_.take_actions();
    if (actions.empty()) return;
    for (auto& a : actions) {
      switch (a.action.kind) {
        case sip::txn::Action::Kind::Send:
          outgoing_.push_back(std::move(a.action.bytes));
          break;
        case sip::txn::Action::Kind::Timeout:
        case sip::txn::Action::Kind::TransportError:
          if (a.client) on_client_timeout(a.txn_id, now);
          break;
        case sip::txn::Action::Kind::Terminated:
          if (a.client) clients_.erase(a.txn_id);
          break;
      }
    }
  }
}

UserAgent::Call* UserAgent::find_call(CallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : &it->second;
}

UserAgent::Call* UserAgent::find_dialog_call(std::string_view call_id, std::string_view local_tag,
                                             std::string_view remote_tag) {
  for (auto& [id, c] : calls_) {
    if (!c.dialog) continue;
    const auto& d = c.dialog->id();
    if (d.call_id == call_id && d.local_tag == local_tag && d.remote_tag == remote_tag) return &c;
  }
  return nullptr;
}

void UserAgent::end_call(CallId id, std::string reason) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  UaEvent e = make_event(UaEvent::Kind::Ended, id);
  e.reason = std::move(reason);
  e.peer = it->second.peer;
  calls_.erase(it);
  emit(std::move(e));
}

// ---------------------------------------------------------------- helpers

std::string UserAgent::from_header(std::string_view tag) const {
  std::string out;
  if (!cfg_.display_name.empty()) {
    out.push_back('"');
    out.append(cfg_.display_name);
    out.append("\" ");
  }
  out.push_back('<');
  out.append(cfg_.aor);
  out.append(">;tag=");
  out.append(tag);
  return out;
}

std::string UserAgent::common_headers() const {
  std::string out = "Allow: ";
  out.append(kAllow);
  out.append("\r\nUser-Agent: ");
  out.append(cfg_.user_agent);
  out.append("\r\n");
  return out;
}

std::uint64_t UserAgent::start_client(std::string request, ClientInfo info, base::TimePoint now) {
  std::uint64_t id = txns_.create_client(request, reliable(), 0, now);
  clients_[id] = std::move(info);
  return id;
}

void UserAgent::respond(std::uint64_t txn, const Message& req, std::uint16_t status, std::string_view reason,
                        base::TimePoint now, std::string_view extra, std::string_view body,
                        std::string_view content_type, std::string_view to_tag) {
  sip::msg::ResponseOptions o;
  o.status = status;
  o.reason = reason;
  o.to_tag = to_tag;
  std::string headers(extra);
  headers.append("User-Agent: ");
  headers.append(cfg_.user_agent);
  headers.append("\r\n");
  o.extra_headers = headers;
  o.body = body;
  o.content_type = content_type;
  std::string out;
  sip::msg::build_response(req, o, out);
  if (auto* t = txns_.server(txn)) t->send_response(std::move(out), status, now);
}

void UserAgent::send_request(std::string request, FinalHandler on_final, base::TimePoint now) {
  start_client(std::move(request), ClientInfo{Purpose::App, 0, std::move(on_final)}, now);
  pump(now);
}

// ---------------------------------------------------------------- outgoing calls

CallId UserAgent::call(std::string_view target, std::string offer, base::TimePoint now, std::string extra_headers) {
  Call c;
  c.id = next_call_++;
  c.outgoing = true;
  c.target = std::string(target);
  c.original_target = c.target;
  c.peer = c.target;
  c.call_id = sip::dialog::new_call_id(rng_);
  c.local_tag = sip::dialog::new_tag(rng_);
  c.cseq = 1;
  c.offer = std::move(offer);
  c.extra_headers = std::move(extra_headers);
  auto [it, _] = calls_.emplace(c.id, std::move(c));
  send_invite(it->second, {}, now);
  pump(now);
  return it->first;
}

void UserAgent::send_invite(Call& c, std::string_view auth_header, base::TimePoint now) {
  std::string r = "INVITE ";
  r.append(c.target);
  r.append(" SIP/2.0\r\nVia: SIP/2.0/");
  r.append(cfg_.transport);
  r.push_back(' ');
  r.append(cfg_.via_sent_by);
  r.append(";branch=");
  r.append(sip::dialog::new_branch(rng_));
  r.append(";rport\r\nMax-Forwards: 70\r\nFrom: ");
  r.append(from_header(c.local_tag));
  r.append("\r\nTo: <");
  r.append(c.target);
  r.append(">\r\nCall-ID: ");
  r.append(c.call_id);
  r.append("\r\nCSeq: ");
  append_number(r, c.cseq);
  r.append(" INVITE\r\nContact: <");
  r.append(cfg_.contact);
  r.append(">\r\n");
  r.append(common_headers());
  r.append(c.extra_headers);
  r.append(auth_header);
  if (!c.offer.empty()) r.append("Content-Type: application/sdp\r\n");
  r.append("Content-Length: ");
  append_number(r, c.offer.size());
  r.append("\r\n\r\n");
  r.append(c.offer);
  c.provisional_seen = false;
  c.invite_txn = start_client(std::move(r), ClientInfo{Purpose::Invite, c.id, nullptr}, now);
}

void UserAgent::send_cancel(Call& c, base::TimePoint now) {
  auto* t = txns_.client(c.invite_txn);
  if (!t) return;
  std::string out;
  sip::msg::build_cancel(t->request(), out);
  start_client(std::move(out), ClientInfo{Purpose::Cancel, c.id, nullptr}, now);
  c.cancel_pending = false;
}

void UserAgent::send_bye(Call& c, base::TimePoint now, std::string_view auth_header) {
  if (!c.dialog) return;
  std::string extra(auth_header);
  extra.append(common_headers());
  std::string bye = c.dialog->make_request(Method::Bye, cfg_.transport, cfg_.via_sent_by, rng_, extra);
  start_client(std::move(bye), ClientInfo{Purpose::Bye, c.id, nullptr}, now);
}

bool UserAgent::follow_redirect(Call& c, const Message& m, base::TimePoint now) {
  if (m.contacts.empty() || c.redirects >= 3) return false;
  sip::msg::Uri original;
  if (!sip::msg::parse_uri(c.original_target, original)) return false;
  const auto& target = m.contacts.front().uri;
  bool allowed = target.is_sip();
  // Never from sips: to sip:, never to cleartext when we signal over TLS.
  if (original.scheme == sip::msg::Scheme::Sips && target.scheme != sip::msg::Scheme::Sips) allowed = false;
  if (cfg_.transport == "TLS") {
    auto tp = target.param("transport");
    if (target.scheme != sip::msg::Scheme::Sips && tp && !sip::msg::cs::iequals(*tp, "tls")) allowed = false;
  }
  bool domain_ok = sip::msg::cs::iequals(target.host, original.host);
  for (const auto& d : cfg_.redirect_domains)
    if (sip::msg::cs::iequals(target.host, d)) domain_ok = true;
  if (!allowed || !domain_ok) {
    ++stats_.refused_redirects;
    return false;
  }
  ++c.redirects;
  c.target = std::string(target.raw);
  c.cseq += 1;
  c.auth_answers = 0;
  UaEvent e = make_event(UaEvent::Kind::Redirected, c.id);
  e.status = m.status;
  e.target = c.target;
  emit(std::move(e));
  send_invite(c, {}, now);
  return true;
}

void UserAgent::handle_response(const Message& m, base::TimePoint now) {
  const std::uint64_t id = txns_.find_client_id(m);
  auto* t = id ? txns_.client(id) : nullptr;
  if (!t) {
    ++stats_.stray_responses;
    return;
  }
  if (t->on_response(m, now) == Disposition::Absorb) return;
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  const Message& req = t->request();
  const Purpose purpose = it->second.purpose;
  Call* c = find_call(it->second.call);
  switch (purpose) {
    case Purpose::Invite:
      if (c) on_invite_response(*c, req, m, now);
      return;
    case Purpose::Reinvite:
      if (c) {
        if (c->reinvite_txn != id) {
          // A retransmitted 2xx to a re-INVITE already acknowledged.
          if (m.status >= 200 && m.status < 300 && !c->reinvite_ack.empty()) outgoing_.push_back(c->reinvite_ack);
          return;
        }
        if (m.status < 200) return;
        const Message* reqp = &req;
        if ((m.status == 401 || m.status == 407) && authenticator_ && c->auth_answers < 2) {
          if (auto hdr = authenticator_(m, *reqp)) {
            ++c->auth_answers;
            std::string extra = "Contact: <" + cfg_.contact + ">\r\n" + common_headers() + *hdr;
            std::string reinv = c->dialog->make_request(Method::Invite, cfg_.transport, cfg_.via_sent_by, rng_,
                                                        extra, c->offer, "application/sdp");
            c->reinvite_txn = start_client(std::move(reinv), ClientInfo{Purpose::Reinvite, c->id, nullptr}, now);
            return;
          }
        }
        if (m.status < 300) {
          c->reinvite_ack = c->dialog->make_request(Method::Ack, cfg_.transport, cfg_.via_sent_by, rng_, {}, {}, {},
                                                    req.cseq.number);
          outgoing_.push_back(c->reinvite_ack);
        }
        on_reinvite_response(*c, m, now);
      }
      return;
    case Purpose::Bye:
      if (c && m.status >= 200) on_bye_response(*c, req, m, now);
      return;
    case Purpose::Refer:
      if (c && m.status >= 200) {
        if ((m.status == 401 || m.status == 407) && authenticator_ && c->refer_auth_answers < 1 && c->dialog) {
          if (auto hdr = authenticator_(m, req)) {
            ++c->refer_auth_answers;
            std::string refer = c->dialog->make_request(Method::Refer, cfg_.transport, cfg_.via_sent_by, rng_,
                                                        *hdr + c->refer_headers);
            start_client(std::move(refer), ClientInfo{Purpose::Refer, c->id, nullptr}, now);
            return;
          }
        }
        UaEvent e = make_event(UaEvent::Kind::TransferProgress, c->id);
        e.status = m.status;
        e.reason = std::string(m.reason);
        emit(std::move(e));
      }
      return;
    case Purpose::App:
      if (m.status >= 200 && it->second.on_final) {
        auto handler = std::move(it->second.on_final);
        it->second.on_final = nullptr;
        handler(&m);
      }
      return;
    case Purpose::Cancel:
    case Purpose::Notify:
    case Purpose::Ack2xxRetry:
      return;
  }
}

void UserAgent::on_invite_response(Call& c, const Message& req, const Message& m, base::TimePoint now) {
  const std::uint16_t s = m.status;
  if (s < 200) {
    c.provisional_seen = true;  // any 1xx, 100 included, lets a CANCEL go (§9.1)
    if (c.state == CallState::Calling) c.state = CallState::Early;
    if (c.cancel_pending) {
      send_cancel(c, now);
      return;
    }
    if (s == 180 || s == 183) {
      UaEvent e = make_event(UaEvent::Kind::Ringing, c.id);
      e.status = s;
      emit(std::move(e));
    }
    return;
  }
  if (s < 300) {
    if (c.dialog && c.dialog->id().remote_tag != m.to.tag) {
      // A second fork answered (§13.2.2.4): acknowledge it and end that dialog at once.
      auto stray = sip::dialog::Dialog::from_uac(req, m);
      if (stray) {
        outgoing_.push_back(stray->make_request(Method::Ack, cfg_.transport, cfg_.via_sent_by, rng_, {}, {}, {},
                                                req.cseq.number));
        std::string bye = stray->make_request(Method::Bye, cfg_.transport, cfg_.via_sent_by, rng_, common_headers());
        start_client(std::move(bye), ClientInfo{Purpose::Cancel, 0, nullptr}, now);
      }
      return;
    }
    if (c.dialog && c.state == CallState::Established) {
      outgoing_.push_back(c.ack);  // a retransmitted 2xx: the same ACK again
      return;
    }
    auto d = sip::dialog::Dialog::from_uac(req, m);
    if (!d) {
      UaEvent e = make_event(UaEvent::Kind::Failed, c.id);
      e.status = 502;
      e.reason = "the answer carries no Contact";
      emit(std::move(e));
      calls_.erase(c.id);
      return;
    }
    c.dialog = std::move(*d);
    c.ack = c.dialog->make_request(Method::Ack, cfg_.transport, cfg_.via_sent_by, rng_, {}, {}, {}, req.cseq.number);
    outgoing_.push_back(c.ack);
    c.state = CallState::Established;
    if (c.cancelled) {
      c.state = CallState::Ending;
      send_bye(c, now);
      return;
    }
    UaEvent e = make_event(UaEvent::Kind::Answered, c.id);
    e.status = s;
    e.sdp = std::string(m.body);
    e.peer = c.peer;
    emit(std::move(e));
    return;
  }
  if (s < 400 && !c.cancelled) {
    if (follow_redirect(c, m, now)) return;
    UaEvent e = make_event(UaEvent::Kind::Failed, c.id);
    e.status = s;
    e.reason = std::string(m.reason) + " (redirect not followed: only SIP targets in the same domain, no downgrade)";
    emit(std::move(e));
    calls_.erase(c.id);
    return;
  }
  if ((s == 401 || s == 407) && !c.cancelled && authenticator_ && c.auth_answers < 2) {
    if (auto hdr = authenticator_(m, req)) {
      ++c.auth_answers;
      c.cseq += 1;
      send_invite(c, *hdr, now);
      return;
    }
  }
  if (c.cancelled) {
    end_call(c.id, "local cancel");
    return;
  }
  UaEvent e = make_event(UaEvent::Kind::Failed, c.id);
  e.status = s;
  e.reason = std::string(m.reason);
  e.peer = c.peer;
  emit(std::move(e));
  calls_.erase(c.id);
}

void UserAgent::on_reinvite_response(Call& c, const Message& m, base::TimePoint) {
  c.reinvite_txn = 0;
  if (m.status < 300) {
    UaEvent e = make_event(UaEvent::Kind::ReofferAnswered, c.id);
    e.status = m.status;
    e.sdp = std::string(m.body);
    emit(std::move(e));
    return;
  }
  if (m.status == 481 || m.status == 408) {
    end_call(c.id, "dialog gone (" + std::to_string(m.status) + ")");
    return;
  }
  UaEvent e = make_event(UaEvent::Kind::ReofferFailed, c.id);
  e.status = m.status;
  e.reason = std::string(m.reason);
  emit(std::move(e));
}

void UserAgent::on_bye_response(Call& c, const Message& req, const Message& m, base::TimePoint now) {
  if ((m.status == 401 || m.status == 407) && authenticator_ && c.bye_auth_answers < 1) {
    if (auto hdr = authenticator_(m, req)) {
      ++c.bye_auth_answers;
      send_bye(c, now, *hdr);
      return;
    }
  }
  end_call(c.id, "local hangup");
}

void UserAgent::on_client_timeout(std::uint64_t txn, base::TimePoint now) {
  auto it = clients_.find(txn);
  if (it == clients_.end()) return;
  ClientInfo info = std::move(it->second);
  clients_.erase(it);
  Call* c = find_call(info.call);
  switch (info.purpose) {
    case Purpose::Invite:
      if (!c || c->invite_txn != txn || c->state == CallState::Established || c->state == CallState::Ending) return;
      if (c->cancelled) {
        end_call(c->id, "local cancel");
        return;
      }
      {
        UaEvent e = make_event(UaEvent::Kind::Failed, c->id);
        e.status = 408;
        e.reason = "no answer from the network";
        e.peer = c->peer;
        emit(std::move(e));
        calls_.erase(c->id);
      }
      return;
    case Purpose::Bye:
      if (c) end_call(c->id, "local hangup (the BYE was not answered)");
      return;
    case Purpose::Reinvite:
      if (c && c->reinvite_txn == txn) {
        c->reinvite_txn = 0;
        end_call(c->id, "re-INVITE timed out");
      }
      return;
    case Purpose::Refer:
      if (c) {
        UaEvent e = make_event(UaEvent::Kind::TransferProgress, c->id);
        e.status = 408;
        e.reason = "no answer to REFER";
        emit(std::move(e));
      }
      return;
    case Purpose::App:
      if (info.on_final) info.on_final(nullptr);
      return;
    case Purpose::Cancel:
    case Purpose::Notify:
    case Purpose::Ack2xxRetry:
      (void)now;
      return;
  }
}

// ---------------------------------------------------------------- incoming requests

void UserAgent::handle_request(const Message& m, base::TimePoint now) {
  if (m.method == Method::Ack) {
    handle_ack(m, now);
    return;
  }
  if (auto* t = txns_.find_server(m)) {
    t->on_request(m, now);  // a retransmission: the transaction answers it again
    return;
  }
  if (m.method == Method::Cancel) {
    handle_cancel(m, now);
    return;
  }
  auto created = txns_.create_server(m, reliable(), 0, "proxy", now);
  if (!created) return;
  const std::uint64_t txn = *created;
  if (!m.to.tag.empty()) {
    handle_in_dialog(m, txn, now);
    return;
  }
  switch (m.method) {
    case Method::Invite:
      handle_new_invite(m, txn, now);
      return;
    case Method::Options: {
      std::string extra = "Allow: ";
      extra.append(kAllow);
      extra.append("\r\nAccept: application/sdp\r\n");
      respond(txn, m, 200, {}, now, extra);
      return;
    }
    case Method::Bye:
    case Method::Notify:
    case Method::Refer:
    case Method::Info:
    case Method::Update:
    case Method::Prack:
      ++stats_.unknown_dialog;
      respond(txn, m, 481, {}, now);
      return;
    default: {
      std::string extra = "Allow: ";
      extra.append(kAllow);
      extra.append("\r\n");
      respond(txn, m, 405, {}, now, extra);
      return;
    }
  }
}

void UserAgent::handle_ack(const Message& m, base::TimePoint now) {
  if (auto* t = txns_.find_server(m)) {
    t->on_request(m, now);  // the ACK for one of our failure responses
    return;
  }
  Call* c = find_dialog_call(m.call_id, m.to.tag, m.from.tag);
  if (!c || c->ok_response.empty()) return;
  c->ok_response.clear();
  c->ok_next.reset();
  if (c->state == CallState::Answering) {
    c->state = CallState::Established;
    UaEvent e = make_event(UaEvent::Kind::Established, c->id);
    e.peer = c->peer;
    emit(std::move(e));
  }
}

void UserAgent::handle_cancel(const Message& m, base::TimePoint now) {
  auto created = txns_.create_server(m, reliable(), 0, "proxy", now);
  if (!created) return;
  const std::uint64_t target = txns_.find_cancel_target_id(m);
  Call* c = nullptr;
  for (auto& [id, call] : calls_)
    if (target != 0 && call.server_txn == target && !call.outgoing && call.state == CallState::Incoming) c = &call;
  if (!c) {
    respond(*created, m, 481, {}, now);
    return;
  }
  respond(*created, m, 200, {}, now);
  Message invite;
  if (sip::msg::parse_message(c->invite_bytes, invite, cfg_.limits).accepted())
    respond(c->server_txn, invite, 487, {}, now, {}, {}, {}, c->local_tag);
  end_call(c->id, "cancelled by the caller");
}

void UserAgent::handle_new_invite(const Message& m, std::uint64_t txn, base::TimePoint now) {
  if (calls_.size() >= cfg_.max_calls) {
    respond(txn, m, 486, {}, now);
    return;
  }
  if (m.contacts.empty() || m.from.tag.empty()) {
    respond(txn, m, 400, "Missing Contact or From tag", now);
    return;
  }
  Call c;
  c.id = next_call_++;
  c.outgoing = false;
  c.state = CallState::Incoming;
  c.peer = std::string(m.from.uri.raw);
  c.call_id = std::string(m.call_id);
  c.local_tag = sip::dialog::new_tag(rng_);
  c.invite_bytes = std::string(m.bytes);
  c.server_txn = txn;
  respond(txn, m, 100, {}, now);
  UaEvent e = make_event(UaEvent::Kind::IncomingCall, c.id);
  e.sdp = std::string(m.body);
  e.peer = c.peer;
  if (const auto* rb = m.find(sip::msg::HeaderId::ReferredBy)) e.referred_by = referred_by_copy(rb->value);
  calls_.emplace(c.id, std::move(c));
  emit(std::move(e));
}

void UserAgent::handle_in_dialog(const Message& m, std::uint64_t txn, base::TimePoint now) {
  Call* c = find_dialog_call(m.call_id, m.to.tag, m.from.tag);
  if (!c) {
    ++stats_.unknown_dialog;
    respond(txn, m, 481, {}, now);
    return;
  }
  if (std::uint16_t refuse = c->dialog->on_request(m)) {
    respond(txn, m, refuse, {}, now);
    return;
  }
  switch (m.method) {
    case Method::Bye:
      respond(txn, m, 200, {}, now);
      end_call(c->id, "remote hangup");
      return;
    case Method::Invite: {
      if (c->reinvite_txn != 0) {
        respond(txn, m, 491, {}, now);  // §14.2: glare
        return;
      }
      if (c->answering_reinvite || c->state != CallState::Established) {
        respond(txn, m, 500, {}, now, "Retry-After: 1\r\n");
        return;
      }
      c->invite_bytes = std::string(m.bytes);
      c->server_txn = txn;
      c->answering_reinvite = true;
      UaEvent e = make_event(UaEvent::Kind::Reoffer, c->id);
      e.sdp = std::string(m.body);
      e.peer = c->peer;
      emit(std::move(e));
      return;
    }
    case Method::Refer: {
      const auto* h = m.find("Refer-To");
      if (!h) h = m.find("r");
      if (!h) {
        respond(txn, m, 400, "Missing Refer-To", now);
        return;
      }
      respond(txn, m, 202, {}, now, "Contact: <" + cfg_.contact + ">\r\n");
      c->refer_subscription = true;
      UaEvent e = make_event(UaEvent::Kind::TransferRequested, c->id);
      e.target = uri_of(h->value);
      e.peer = c->peer;
      if (const auto* rb = m.find(sip::msg::HeaderId::ReferredBy)) e.referred_by = referred_by_copy(rb->value);
      emit(std::move(e));
      notify_transfer(c->id, 100, "Trying", now);  // RFC 3515 §2.4.4: the first NOTIFY at once
      return;
    }
    case Method::Notify: {
      respond(txn, m, 200, {}, now);
      const auto* ev = m.find("Event");
      if (!ev) ev = m.find("o");
      if (ev && sip::msg::cs::iequals(ev->value.substr(0, 5), "refer")) {
        UaEvent e = make_event(UaEvent::Kind::TransferProgress, c->id);
        e.status = sipfrag_status(m.body);
        emit(std::move(e));
      }
      return;
    }
    case Method::Info:
    case Method::Options:
      respond(txn, m, 200, {}, now);
      return;
    default:
      respond(txn, m, 501, {}, now);
      return;
  }
}

// ---------------------------------------------------------------- commands

bool UserAgent::ring(CallId id, base::TimePoint now) {
  Call* c = find_call(id);
  if (!c || c->state != CallState::Incoming) return false;
  Message invite;
  if (!sip::msg::parse_message(c->invite_bytes, invite, cfg_.limits).accepted()) return false;
  // build_response() copies Record-Route into 1xx/2xx (§12.1.1).
  std::string extra = "Contact: <" + cfg_.contact + ">\r\n";
  respond(c->server_txn, invite, 180, {}, now, extra, {}, {}, c->local_tag);
  pump(now);
  return true;
}

bool UserAgent::answer(CallId id, std::string sdp, base::TimePoint now) {
  Call* c = find_call(id);
  if (!c) return false;
  const bool reinvite = c->answering_reinvite;
  if (!reinvite && c->state != CallState::Incoming) return false;
  Message invite;
  if (!sip::msg::parse_message(c->invite_bytes, invite, cfg_.limits).accepted()) return false;
  std::string extra = "Contact: <" + cfg_.contact + ">\r\n" + common_headers();  // Record-Route: copied by build_response()
  sip::msg::ResponseOptions o;
  o.status = 200;
  o.to_tag = c->local_tag;
  o.extra_headers = extra;
  o.body = sdp;
  o.content_type = "application/sdp";
  std::string out;
  sip::msg::build_response(invite, o, out);
  if (!reinvite) {
    auto d = sip::dialog::Dialog::from_uas(invite, c->local_tag, cfg_.contact, true);
    if (!d) return false;
    c->dialog = std::move(*d);
    c->state = CallState::Answering;
  }
  c->answering_reinvite = false;
  // §13.3.1.4: the UA core retransmits its 2xx until the ACK comes (the transaction only
  // sends it once); over a reliable transport only the give-up timer runs.
  c->ok_response = out;
  c->ok_interval = cfg_.timers.t1;
  if (!reliable()) c->ok_next = now + c->ok_interval;
  else c->ok_next.reset();
  c->ok_give_up = now + cfg_.timers.timeout();
  if (auto* t = txns_.server(c->server_txn)) t->send_response(std::move(out), 200, now);
  pump(now);
  return true;
}

bool UserAgent::reject(CallId id, std::uint16_t status, std::string_view reason, base::TimePoint now,
                       std::string_view extra_headers) {
  Call* c = find_call(id);
  if (!c || status < 300) return false;
  const bool reinvite = c->answering_reinvite;
  if (!reinvite && c->state != CallState::Incoming) return false;
  Message invite;
  if (!sip::msg::parse_message(c->invite_bytes, invite, cfg_.limits).accepted()) return false;
  respond(c->server_txn, invite, status, reason, now, extra_headers, {}, {}, c->local_tag);
  pump(now);
  if (reinvite) {
    c->answering_reinvite = false;
    return true;
  }
  end_call(id, "rejected with " + std::to_string(status));
  return true;
}

bool UserAgent::hangup(CallId id, base::TimePoint now) {
  Call* c = find_call(id);
  if (!c) return false;
  switch (c->state) {
    case CallState::Calling:
    case CallState::Early:
      if (c->cancelled) return true;
      c->cancelled = true;
      if (c->provisional_seen) send_cancel(*c, now);
      else c->cancel_pending = true;  // §9.1: a CANCEL waits for a provisional response
      break;
    case CallState::Incoming:
      return reject(id, 603, "Decline", now);
    case CallState::Answering:
    case CallState::Established:
      c->state = CallState::Ending;
      c->ok_response.clear();
      c->ok_next.reset();
      send_bye(*c, now);
      break;
    case CallState::Ending:
      return true;
  }
  pump(now);
  return true;
}

bool UserAgent::reinvite(CallId id, std::string offer, base::TimePoint now) {
  Call* c = find_call(id);
  if (!c || c->state != CallState::Established || c->reinvite_txn != 0 || c->answering_reinvite) return false;
  c->offer = std::move(offer);
  c->auth_answers = 0;
  std::string extra = "Contact: <" + cfg_.contact + ">\r\n" + common_headers();
  std::string reinv =
      c->dialog->make_request(Method::Invite, cfg_.transport, cfg_.via_sent_by, rng_, extra, c->offer, "application/sdp");
  c->reinvite_txn = start_client(std::move(reinv), ClientInfo{Purpose::Reinvite, c->id, nullptr}, now);
  pump(now);
  return true;
}

bool UserAgent::refer(CallId id, std::string_view target, base::TimePoint now) {
  Call* c = find_call(id);
  if (!c || c->state != CallState::Established) return false;
  std::string extra = "Refer-To: <";
  extra.append(target);
  extra.append(">\r\nReferred-By: <");
  extra.append(cfg_.aor);
  extra.append(">\r\nContact: <");
  extra.append(cfg_.contact);
  extra.append(">\r\n");
  extra.append(common_headers());
  c->refer_headers = extra;
  c->refer_auth_answers = 0;
  std::string refer = c->dialog->make_request(Method::Refer, cfg_.transport, cfg_.via_sent_by, rng_, extra);
  start_client(std::move(refer), ClientInfo{Purpose::Refer, c->id, nullptr}, now);
  pump(now);
  return true;
}

bool UserAgent::notify_transfer(CallId id, std::uint16_t status, std::string_view reason, base::TimePoint now) {
  Call* c = find_call(id);
  if (!c || !c->refer_subscription || !c->dialog) return false;
  std::string body = "SIP/2.0 ";
  append_number(body, status);
  body.push_back(' ');
  body.append(reason);
  body.append("\r\n");
  std::string extra = "Event: refer\r\nSubscription-State: ";
  extra.append(status >= 200 ? "terminated;reason=noresource" : "active;expires=60");
  extra.append("\r\nContact: <");
  extra.append(cfg_.contact);
  extra.append(">\r\n");
  if (status >= 200) c->refer_subscription = false;
  std::string notify = c->dialog->make_request(Method::Notify, cfg_.transport, cfg_.via_sent_by, rng_, extra, body,
                                               "message/sipfrag;version=2.0");
  start_client(std::move(notify), ClientInfo{Purpose::Notify, c->id, nullptr}, now);
  pump(now);
  return true;
}

}  // namespace warden::phone
