#pragma once
// Target and TargetList: the ordered servers that RFC 3263 server location found for one URI,
// and the failover through them (RFC 3263 §4.3: after a timeout, a transport failure or a 503
// from one target, the request goes to the next one, each (transport, address, port) once).
// Thread-safety: plain values. Errors: none; fail_over() returns nullptr when none is left.

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/endpoint.hpp"
#include "runtime/transport.hpp"

namespace warden::sip::resolve {

struct Target {
  runtime::TransportKind transport = runtime::TransportKind::Udp;
  runtime::Endpoint endpoint;  // address and port to send to
  // The name whose A/AAAA records gave the address (an SRV target or the URI host), or the
  // numeric host as written. For TLS, RFC 5922 verifies the certificate against the URI's
  // domain, which the caller has; this is for logs and diagnostics.
  std::string host;

  friend bool operator==(const Target&, const Target&) = default;
};

class TargetList {
 public:
  TargetList() = default;
  explicit TargetList(std::vector<Target> targets) : targets_(std::move(targets)) {}

  // The target to use now; nullptr when the list is empty or exhausted.
  const Target* current() const noexcept { return next_ < targets_.size() ? &targets_[next_] : nullptr; }
  // The current target failed (timeout, transport error, 503): moves on and returns the next
  // one, or nullptr when every target has been tried.
  const Target* fail_over() noexcept {
    if (next_ < targets_.size()) ++next_;
    return current();
  }
  // RFC 3263 §4.3: the responses after which the next target is tried. A 503 only; other
  // failures (4xx, 5xx) are answers from the right server and end the attempt.
  static bool is_failover_status(int status) noexcept { return status == 503; }

  std::size_t size() const noexcept { return targets_.size(); }
  bool empty() const noexcept { return targets_.empty(); }
  std::size_t remaining() const noexcept { return targets_.size() - next_; }
  const std::vector<Target>& targets() const noexcept { return targets_; }

 private:
  std::vector<Target> targets_;
  std::size_t next_ = 0;
};

}  // namespace warden::sip::resolve
