#include "runtime/dns.hpp"

#include "base/error.hpp"

namespace warden::runtime {

std::string_view to_string(DnsType t) noexcept {
  switch (t) {
    case DnsType::A: return "A";
    case DnsType::AAAA: return "AAAA";
    case DnsType::SRV: return "SRV";
    case DnsType::NAPTR: return "NAPTR";
  }
  return "?";
}

std::string_view describe(DnsErrc e) noexcept {
  switch (e) {
    case DnsErrc::Ok: return "ok";
    case DnsErrc::NameNotFound: return "domain name not found";
    case DnsErrc::ServerFailure: return "DNS server failure";
    case DnsErrc::Refused: return "DNS query refused";
    case DnsErrc::Timeout: return "DNS query timed out";
    case DnsErrc::Malformed: return "malformed DNS name or answer";
    case DnsErrc::Cancelled: return "DNS query cancelled";
    case DnsErrc::LimitExceeded: return "DNS limit exceeded";
  }
  return "unknown DNS error";
}

const std::error_category& dns_category() noexcept {
  return base::ErrorCategory<DnsErrc>::instance("runtime.dns");
}

}  // namespace warden::runtime
