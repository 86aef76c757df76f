#include "io/dns_wire.hpp"

#include <array>
#include <string>

namespace warden::io {
namespace {

using runtime::DnsErrc;

struct Reader {
  std::span<const std::uint8_t> m;
  std::size_t pos = 0;

  bool u8(std::uint8_t& v) {
    if (pos + 1 > m.size()) return false;
    v = m[pos++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (pos + 2 > m.size()) return false;
    v = static_cast<std::uint16_t>((m[pos] << 8) | m[pos + 1]);
    pos += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (pos + 4 > m.size()) return false;
    v = (std::uint32_t{m[pos]} << 24) | (std::uint32_t{m[pos + 1]} << 16) | (std::uint32_t{m[pos + 2]} << 8) |
        m[pos + 3];
    pos += 4;
    return true;
  }
  // <character-string>: one length octet and that many octets.
  bool text(std::string& out) {
    std::uint8_t n = 0;
    if (!u8(n) || pos + n > m.size()) return false;
    out.assign(reinterpret_cast<const char*>(m.data() + pos), n);
    pos += n;
    return true;
  }
};

enum class NameResult { Ok, BadChars, Broken };

// Reads a (possibly compressed) domain name at r.pos; r.pos moves past it in the record.
NameResult read_name(Reader& r, std::string* out) {
  std::size_t p = r.pos;
  bool jumped = false;
  int jumps = 0;
  std::size_t total = 0;
  bool bad_chars = false;
  if (out) out->clear();
  for (;;) {
    if (p >= r.m.size()) return NameResult::Broken;
    const std::uint8_t len = r.m[p];
    if ((len & 0xC0) == 0xC0) {
      if (p + 1 >= r.m.size() || ++jumps > 16) return NameResult::Broken;
      const std::size_t target = static_cast<std::size_t>(((len & 0x3F) << 8) | r.m[p + 1]);
      if (!jumped) r.pos = p + 2;
      jumped = true;
      p = target;
      continue;
    }
    if ((len & 0xC0) != 0) return NameResult::Broken;  // 0x40 / 0x80 label types: obsolete
    if (len == 0) {
      if (!jumped) r.pos = p + 1;
      break;
    }
    if (p + 1 + len > r.m.size()) return NameResult::Broken;
    total += len + 1u;
    if (total > 255) return NameResult::Broken;
    for (std::size_t i = 0; i < len; ++i) {
      const char c = static_cast<char>(r.m[p + 1 + i]);
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_';
      bad_chars |= !ok;
    }
    if (out) {
      if (!out->empty()) out->push_back('.');
      out->append(reinterpret_cast<const char*>(r.m.data() + p + 1), len);
    }
    p += 1u + len;
  }
  return bad_chars ? NameResult::BadChars : NameResult::Ok;
}

}  // namespace

base::Result<runtime::DnsAnswer> parse_dns_answer(std::span<const std::uint8_t> msg, runtime::DnsType type,
                                                  std::size_t max_records) {
  Reader r{msg};
  std::uint16_t id = 0, flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
  if (!r.u16(id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar))
    return DnsErrc::Malformed;
  for (std::uint16_t i = 0; i < qd; ++i) {
    std::uint16_t qt = 0, qc = 0;
    if (read_name(r, nullptr) == NameResult::Broken || !r.u16(qt) || !r.u16(qc)) return DnsErrc::Malformed;
  }
  runtime::DnsAnswer out;
  for (std::uint16_t i = 0; i < an; ++i) {
    std::uint16_t rtype = 0, rclass = 0, rdlen = 0;
    std::uint32_t ttl = 0;
    if (read_name(r, nullptr) == NameResult::Broken || !r.u16(rtype) || !r.u16(rclass) || !r.u32(ttl) ||
        !r.u16(rdlen) || r.pos + rdlen > msg.size())
      return DnsErrc::Malformed;
    const std::size_t end = r.pos + rdlen;
    if (ttl > 0x7FFFFFFF) ttl = 0;  // RFC 2181 §8: a TTL with the top bit set counts as zero
    if (rclass != 1 || rtype != static_cast<std::uint16_t>(type) || out.size() >= max_records) {
      r.pos = end;
      continue;
    }
    // The record's data must stay inside rdlength; names may point anywhere before.
    Reader d{msg.first(end), r.pos};
    bool ok = false;
    switch (type) {
      case runtime::DnsType::A:
        if (rdlen == 4) {
          std::array<std::uint8_t, 4> a{};
          for (std::size_t k = 0; k < 4; ++k) a[k] = msg[r.pos + k];
          out.addresses.push_back({runtime::Endpoint::v4(a, 0), ttl});
        }
        ok = true;
        break;
      case runtime::DnsType::AAAA:
        if (rdlen == 16) {
          std::array<std::uint8_t, 16> a{};
          for (std::size_t k = 0; k < 16; ++k) a[k] = msg[r.pos + k];
          out.addresses.push_back({runtime::Endpoint::v6(a, 0), ttl});
        }
        ok = true;
        break;
      case runtime::DnsType::SRV: {
        runtime::DnsSrv s;
        s.ttl = ttl;
        ok = d.u16(s.priority) && d.u16(s.weight) && d.u16(s.port);
        if (ok) {
          const auto n = read_name(d, &s.target);
          ok = n != NameResult::Broken && d.pos == end;
          if (ok && n == NameResult::Ok) out.srv.push_back(std::move(s));
        }
        break;
      }
      case runtime::DnsType::NAPTR: {
        runtime::DnsNaptr n;
        n.ttl = ttl;
        ok = d.u16(n.order) && d.u16(n.preference) && d.text(n.flags) && d.text(n.service) && d.text(n.regexp);
        if (ok) {
          const auto nr = read_name(d, &n.replacement);
          ok = nr != NameResult::Broken && d.pos == end;
          if (ok && nr == NameResult::Ok) out.naptr.push_back(std::move(n));
        }
        break;
      }
    }
    if (!ok) return DnsErrc::Malformed;
    r.pos = end;
  }
  return out;
}

}  // namespace warden::io
