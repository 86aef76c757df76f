#include "sip/sdp/candidate.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {
namespace {

bool is_candidate_address(std::string_view s) noexcept {
  return is_ipv4_address(s) || is_ipv6_address(s) || is_fqdn(s);
}

}  // namespace

CandidateType Candidate::type_kind() const noexcept {
  if (type == "host") return CandidateType::Host;
  if (type == "srflx") return CandidateType::ServerReflexive;
  if (type == "prflx") return CandidateType::PeerReflexive;
  if (type == "relay") return CandidateType::Relayed;
  return CandidateType::Other;
}

CandidateTransport Candidate::transport_kind() const noexcept {
  if (detail::iequals(transport, "UDP")) return CandidateTransport::Udp;
  if (detail::iequals(transport, "TCP")) return CandidateTransport::Tcp;
  return CandidateTransport::Other;
}

std::optional<std::string_view> Candidate::extension(std::string_view name) const noexcept {
  for (const CandidateExtension& e : extensions) {
    if (e.name == name) return e.value;
  }
  return std::nullopt;
}

base::Result<Candidate> parse_candidate(std::string_view value) {
  detail::FieldCursor f(value);
  Candidate c;
  c.foundation = f.next();
  const auto component = detail::parse_uint<std::uint16_t>(f.next(), 256);
  c.transport = f.next();
  const std::string_view priority = f.next();
  c.address = f.next();
  const auto port = detail::parse_uint<std::uint16_t>(f.next());
  const std::string_view typ = f.next();
  c.type = f.next();
  if (c.foundation.empty() || c.foundation.size() > 32 ||
      !detail::all_of(c.foundation, detail::is_ice_char) || !component || *component == 0 ||
      !detail::is_token(c.transport) || priority.size() > 10 || !port || typ != "typ" ||
      !detail::is_token(c.type) || !is_candidate_address(c.address)) {
    return SdpErrc::BadCandidate;
  }
  const auto prio = detail::parse_uint<std::uint32_t>(priority);
  if (!prio) return SdpErrc::BadCandidate;
  c.component = *component;
  c.priority = *prio;
  c.port = *port;
  // Grammar order: [raddr <addr>] [rport <port>] then extensions.
  enum class Next { RelAddr, RelPort, Extension } next = Next::RelAddr;
  while (!f.done()) {
    const std::string_view name = f.next();
    const std::string_view val = f.next();
    if (!detail::is_token(name) || !detail::is_non_ws_string(val)) return SdpErrc::BadCandidate;
    if (next == Next::RelAddr && name == "raddr") {
      if (!is_candidate_address(val)) return SdpErrc::BadCandidate;
      c.related_address = val;
      next = Next::RelPort;
      continue;
    }
    if (next != Next::Extension && name == "rport") {
      const auto rport = detail::parse_uint<std::uint16_t>(val);
      if (!rport) return SdpErrc::BadCandidate;
      c.related_port = *rport;
      next = Next::Extension;
      continue;
    }
    next = Next::Extension;
    c.extensions.push_back({name, val});
  }
  return c;
}

std::string format_value(const Candidate& c) {
  std::string out(c.foundation);
  out.push_back(' ');
  out.append(std::to_string(c.component));
  out.push_back(' ');
  out.append(c.transport);
  out.push_back(' ');
  out.append(std::to_string(c.priority));
  out.push_back(' ');
  out.append(c.address);
  out.push_back(' ');
  out.append(std::to_string(c.port));
  out.append(" typ ");
  out.append(c.type);
  if (c.related_address) {
    out.append(" raddr ");
    out.append(*c.related_address);
  }
  if (c.related_port) {
    out.append(" rport ");
    out.append(std::to_string(*c.related_port));
  }
  for (const CandidateExtension& e : c.extensions) {
    out.push_back(' ');
    out.append(e.name);
    out.push_back(' ');
    out.append(e.value);
  }
  return out;
}

std::vector<Candidate> find_candidates(const MediaDescription& m) {
  std::vector<Candidate> out;
  for (const Attribute& a : m.attributes) {
    if (a.name != "candidate" || !a.has_value) continue;
    if (auto c = parse_candidate(a.value)) out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace warden::sip::sdp
