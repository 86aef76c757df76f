#include "proxy/registrar.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <optional>

namespace warden::proxy {

namespace msg = sip::msg;

namespace {

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v > 0xFFFFFFFFu ? std::uint32_t{0xFFFFFFFFu} : static_cast<std::uint32_t>(v);
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 3261 §25.1)
std::optional<double> parse_q(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  if (s[0] != '0' && s[0] != '1') return std::nullopt;
  int thousandths = (s[0] - '0') * 1000;
  if (s.size() > 1) {
    if (s[1] != '.') return std::nullopt;
    int scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      thousandths += (s[i] - '0') * scale;
    }
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths / 1000.0;
}

struct Wanted {
  std::string contact;
  std::uint32_t expires = 0;
  double q = 1.0;
  std::string instance;
};

RegisterResult fail(std::uint16_t status, std::string_view reason = {}, std::string extra = {}) {
  RegisterResult r;
  r.status = status;
  r.reason = reason;
  r.extra_headers = std::move(extra);
  return r;
}

}  // namespace

const std::string& date_header(std::int64_t unix_seconds) {
  // Every 200 to a REGISTER carries one; formatting (gmtime_r, strftime) is done once a second.
  thread_local std::int64_t cached_second = -1;
  thread_local std::string cached;
  if (unix_seconds == cached_second) return cached;
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
  cached.assign(buf, n);
  cached_second = unix_seconds;
  return cached;
}

RegisterResult process_register(const msg::Message& req, const std::string& aor, Location& location,
                                const RegistrarConfig& cfg, std::int64_t now, std::string_view received) {
  const std::vector<store::Binding>& current = location.lookup(aor, now);

  // The default lifetime for contacts without an expires parameter.
  const std::uint32_t header_expires = req.expires ? *req.expires : cfg.default_expires;

  // Path (RFC 3327 §5.3): stored with each binding, echoed when the UA supports it.
  std::string path;
  for (const auto& p : req.paths) {
    if (!path.empty()) path += ", ";
    path += p.raw;
  }

  std::vector<store::Binding> next;  // what the AoR will hold if the request succeeds
  if (req.contact_star) {
    // §10.3 step 6: "*" only alone and only with Expires: 0.
    if (!req.contacts.empty() || !req.expires || *req.expires != 0) return fail(400, "Invalid Contact *");
    for (const auto& b : current)
      if (b.call_id == req.call_id && b.cseq >= req.cseq.number) return fail(500, "Out Of Order Request");
  } else {
    std::vector<Wanted> wanted;
    wanted.reserve(req.contacts.size());
    for (const auto& c : req.contacts) {
      Wanted w;
      w.contact = std::string(c.uri.raw);
      std::uint32_t exp = header_expires;
      if (auto e = c.param("expires")) {
        auto v = parse_u32(*e);
        if (!v) return fail(400, "Invalid Contact expires");
        exp = *v;
      }
      if (exp != 0 && exp < cfg.min_expires)
        return fail(423, {}, "Min-Expires: " + std::to_string(cfg.min_expires) + "\r\n");
      w.expires = std::min(exp, cfg.max_expires);
      if (auto q = c.param("q")) {
        auto v = parse_q(*q);
        if (!v) return fail(400, "Invalid Contact q");
        w.q = *v;
      }
      if (auto inst = c.param("+sip.instance")) w.instance = std::string(*inst);
      wanted.push_back(std::move(w));
    }
    // §10.3 step 7: Call-ID / CSeq ordering, checked for every contact before anything changes.
    for (const auto& w : wanted) {
      for (const auto& b : current) {
        if (b.contact == w.contact && b.call_id == req.call_id && b.cseq >= req.cseq.number)
          return fail(500, "Out Of Order Request");
      }
    }
    // What the AoR will hold if the request succeeds: the bindings it has, in their order, where
    // one this request names stands only by its contact until it is replaced or removed below
    // (copying it whole would be wasted).
    next.reserve(current.size() + wanted.size());
    for (const auto& b : current) {
      if (std::any_of(wanted.begin(), wanted.end(), [&](const Wanted& w) { return w.contact == b.contact; })) {
        store::Binding named;
        named.contact = b.contact;
        next.push_back(std::move(named));
      } else {
        next.push_back(b);
      }
    }
    for (auto& w : wanted) {
      auto it = std::find_if(next.begin(), next.end(), [&](const store::Binding& b) { return b.contact == w.contact; });
      if (w.expires == 0) {
        if (it != next.end()) next.erase(it);
        continue;
      }
      store::Binding b;
      b.aor = aor;
      b.contact = std::move(w.contact);
      b.call_id = std::string(req.call_id);
      b.cseq = req.cseq.number;
      b.expires_at = now + w.expires;
      b.q = w.q;
      b.path = path;
      b.received = std::string(received);
      b.instance = std::move(w.instance);
      if (it != next.end())
        *it = std::move(b);
      else
        next.push_back(std::move(b));
    }
    if (next.size() > cfg.max_contacts) return fail(403, "Too Many Contacts");
  }

  RegisterResult r;
  r.changed = !(req.contacts.empty() && !req.contact_star);
  const std::vector<store::Binding>& now_bound = r.changed ? location.apply(aor, std::move(next)) : current;
  r.extra_headers.reserve(now_bound.size() * 96 + 48);
  for (const auto& b : now_bound) {
    r.extra_headers += "Contact: <";
    r.extra_headers += b.contact;
    r.extra_headers += ">;expires=";
    r.extra_headers += std::to_string(b.expires_at - now);
    r.extra_headers += "\r\n";
  }
  if (!path.empty()) {
    bool supported = false;
    for (const auto& h : req.headers) {
      if (h.id == msg::HeaderId::Supported && h.value.find("path") != std::string_view::npos) supported = true;
    }
    if (supported) r.extra_headers += "Path: " + path + "\r\n";
  }
  r.extra_headers += date_header(now);
  return r;
}

}  // namespace warden::proxy
