#include "sip/resolve/record_order.hpp"

#include <algorithm>
#include <cstdint>

#include "sip/resolve/domain_name.hpp"

namespace warden::sip::resolve {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<runtime::TransportKind> transport_of_naptr_service(std::string_view service) noexcept {
  if (iequals(service, "SIPS+D2T")) return runtime::TransportKind::Tls;
  if (iequals(service, "SIP+D2T")) return runtime::TransportKind::Tcp;
  if (iequals(service, "SIP+D2U")) return runtime::TransportKind::Udp;
  return std::nullopt;
}

std::string_view srv_prefix(runtime::TransportKind k) noexcept {
  switch (k) {
    case runtime::TransportKind::Tls: return "_sips._tcp.";
    case runtime::TransportKind::Tcp: return "_sip._tcp.";
    case runtime::TransportKind::Udp: return "_sip._udp.";
  }
  return "_sip._udp.";
}

std::vector<runtime::DnsNaptr> select_naptr(const std::vector<runtime::DnsNaptr>& records,
                                            const TransportSet& allowed, bool tls_only,
                                            std::size_t max_records) {
  std::vector<runtime::DnsNaptr> out;
  const std::size_t n = std::min(records.size(), max_records);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = records[i];
    if (!iequals(r.flags, "s") || !r.regexp.empty()) continue;
    if (!is_valid_domain_name(r.replacement)) continue;
    const auto t = transport_of_naptr_service(r.service);
    if (!t || !allowed.allows(*t)) continue;
    if (tls_only && *t != runtime::TransportKind::Tls) continue;
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.order != b.order ? a.order < b.order : a.preference < b.preference;
  });
  return out;
}

std::vector<runtime::DnsSrv> order_srv(std::vector<runtime::DnsSrv> records, base::Random& rng) {
  if (records.size() == 1 && (records[0].target.empty() || records[0].target == ".")) return {};
  std::erase_if(records, [](const runtime::DnsSrv& r) { return !is_valid_domain_name(r.target); });
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.priority < b.priority; });
  std::vector<runtime::DnsSrv> out;
  out.reserve(records.size());
  std::size_t begin = 0;
  while (begin < records.size()) {
    std::size_t end = begin;
    while (end < records.size() && records[end].priority == records[begin].priority) ++end;
    // One priority class: zero weights first, then weighted draws without replacement.
    std::vector<runtime::DnsSrv> group(records.begin() + static_cast<std::ptrdiff_t>(begin),
                                       records.begin() + static_cast<std::ptrdiff_t>(end));
    std::stable_partition(group.begin(), group.end(), [](const auto& r) { return r.weight == 0; });
    while (!group.empty()) {
      std::uint64_t sum = 0;
      for (const auto& r : group) sum += r.weight;
      const std::uint64_t pick = rng.uniform(sum + 1);  // uniform in [0, sum]
      std::uint64_t running = 0;
      std::size_t chosen = group.size() - 1;
      for (std::size_t i = 0; i < group.size(); ++i) {
        running += group[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push_back(std::move(group[chosen]));
      group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    begin = end;
  }
  return out;
}

}  // namespace warden::sip::resolve
