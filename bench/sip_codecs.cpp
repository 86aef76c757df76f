#include "sip_codecs.hpp"

#include <cstdlib>
#include <cstring>

namespace warden::bench {

namespace {

std::string text(const char* s) { return s == nullptr ? std::string() : std::string(s); }

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// A generic parameter of a Via, From or To header; "" if absent.
std::string osip_param(osip_list_t* params, const char* name) {
  osip_generic_param_t* p = nullptr;
  if (osip_uri_param_get_byname(params, const_cast<char*>(name), &p) < 0 || p == nullptr) return {};
  return text(p->gvalue);
}

}  // namespace

std::string describe(const Facts& f) {
  return "start=" + f.start + " cseq=" + std::to_string(f.cseq) + " vias=" + std::to_string(f.vias) +
         " branch=" + f.top_branch + " from-tag=" + f.from_tag + " to-tag=" + f.to_tag + " call-id=" + f.call_id +
         " contacts=" + std::to_string(f.contacts) + " record-routes=" + std::to_string(f.record_routes) +
         " digest-response=" + f.digest_response + " body=" + std::to_string(f.body_bytes);
}

// --- Warden ------------------------------------------------------------------------------------

bool WardenCodec::inspect(std::string_view bytes, Facts& f, std::string& wire) {
  if (!parse(bytes)) return false;
  f = Facts{};
  f.start = msg_.is_request() ? std::string(msg_.method_text) : std::to_string(msg_.status);
  f.cseq = msg_.cseq.number;
  f.vias = msg_.vias.size();
  f.top_branch = std::string(msg_.vias.front().branch);
  f.from_tag = std::string(msg_.from.tag);
  f.to_tag = std::string(msg_.to.tag);
  f.call_id = std::string(msg_.call_id);
  f.contacts = msg_.contacts.size();
  f.record_routes = msg_.record_routes.size();
  if (!msg_.credentials.empty()) f.digest_response = std::string(msg_.credentials.front().response);
  f.body_bytes = msg_.body.size();
  wire.clear();
  sip::msg::serialize(msg_, wire);
  return true;
}

// --- libosip2 ----------------------------------------------------------------------------------

void osip_init_once() {
  static const bool done = [] {
    parser_init();
    return true;
  }();
  (void)done;
}

bool OsipCodec::inspect(std::string_view bytes, Facts& f, std::string& wire) {
  osip_message_t* m = nullptr;
  if (osip_message_init(&m) != 0) return false;
  if (osip_message_parse(m, bytes.data(), bytes.size()) != 0 || m->cseq == nullptr || m->from == nullptr ||
      m->to == nullptr || m->call_id == nullptr || osip_list_size(&m->vias) < 1) {
    osip_message_free(m);
    return false;
  }
  f = Facts{};
  f.start = m->sip_method != nullptr ? text(m->sip_method) : std::to_string(m->status_code);
  f.cseq = static_cast<std::uint32_t>(std::strtoul(m->cseq->number, nullptr, 10));
  f.vias = static_cast<std::size_t>(osip_list_size(&m->vias));
  auto* top = static_cast<osip_via_t*>(osip_list_get(&m->vias, 0));
  f.top_branch = osip_param(&top->via_params, "branch");
  f.from_tag = osip_param(&m->from->gen_params, "tag");
  f.to_tag = osip_param(&m->to->gen_params, "tag");
  f.call_id = text(m->call_id->number);
  if (m->call_id->host != nullptr) {
    f.call_id.push_back('@');
    f.call_id += m->call_id->host;
  }
  f.contacts = static_cast<std::size_t>(osip_list_size(&m->contacts));
  f.record_routes = static_cast<std::size_t>(osip_list_size(&m->record_routes));
  if (auto* a = static_cast<osip_authorization_t*>(osip_list_get(&m->authorizations, 0)))
    f.digest_response = unquote(text(a->response));
  if (auto* b = static_cast<osip_body_t*>(osip_list_get(&m->bodies, 0))) f.body_bytes = b->length;

  osip_message_force_update(m);
  char* out = nullptr;
  std::size_t len = 0;
  const bool ok = osip_message_to_str(m, &out, &len) == 0;
  if (ok) wire.assign(out, len);
  osip_free(out);
  osip_message_free(m);
  return ok;
}

// --- sofia-sip ---------------------------------------------------------------------------------

bool SofiaCodec::inspect(std::string_view bytes, Facts& f, std::string& wire) {
  msg_t* m = msg_make(sip_default_mclass(), 0, bytes.data(), static_cast<ssize_t>(bytes.size()));
  const sip_t* sip = parsed_cleanly(m) ? sip_object(m) : nullptr;
  // Every header field must have gone through a typed parser: none left as "unknown".
  if (sip == nullptr || sip->sip_unknown != nullptr) {
    if (m != nullptr) msg_destroy(m);
    return false;
  }
  f = Facts{};
  f.start = sip->sip_request != nullptr ? text(sip->sip_request->rq_method_name)
                                        : std::to_string(sip->sip_status->st_status);
  f.cseq = sip->sip_cseq->cs_seq;
  for (const sip_via_t* v = sip->sip_via; v != nullptr; v = v->v_next) ++f.vias;
  f.top_branch = text(sip->sip_via->v_branch);
  f.from_tag = text(sip->sip_from->a_tag);
  f.to_tag = text(sip->sip_to->a_tag);
  f.call_id = text(sip->sip_call_id->i_id);
  for (const sip_contact_t* c = sip->sip_contact; c != nullptr; c = c->m_next) ++f.contacts;
  for (const sip_record_route_t* r = sip->sip_record_route; r != nullptr; r = r->r_next) ++f.record_routes;
  if (sip->sip_authorization != nullptr)
    f.digest_response = unquote(text(msg_params_find(sip->sip_authorization->au_params, "response")));
  if (sip->sip_payload != nullptr) f.body_bytes = sip->sip_payload->pl_len;

  std::size_t len = 0;
  const char* out = msg_as_string(msg_home(m), m, nullptr, 0, &len);
  if (out != nullptr) wire.assign(out, len);
  msg_destroy(m);
  return out != nullptr;
}

}  // namespace warden::bench
