#include "shield/admission.hpp"

#include <algorithm>

namespace warden::shield {

Admission::Admission(const AdmissionConfig& config, const KeyedHash& hash)
    : config_(config),
      hash_(hash),
      sources_(config.max_sources),
      networks_(config.max_networks),
      trusted_(config.max_trusted) {
  global_.tokens = std::max(config_.capacity_burst, 1.0);
}

void Admission::trust(const Address& source, base::TimePoint now) {
  auto [state, created] = trusted_.insert(source, hash_(source));
  if (created) state.bucket.fill(config_.per_trusted_source, now);
  state.until = now + config_.trusted_for;
}

void Admission::distrust(const Address& source) { trusted_.erase(source, hash_(source)); }

bool Admission::is_trusted(const Address& source, base::TimePoint now) const {
  const TrustedState* t = trusted_.find(source, hash_(source));
  return t != nullptr && t->until > now;
}

Verdict Admission::admit(const Address& source, std::uint64_t source_hash, base::TimePoint now) {
  if (TrustedState* t = trusted_.find_touch(source, source_hash)) {
    if (t->until > now) {
      if (!t->bucket.take(config_.per_trusted_source, now)) {
        return Verdict::drop(Cause::SourceRate, report(t->reported, now));
      }
      return gate(true, source_hash, now);
    }
    trusted_.erase(source, source_hash);  // trust has run out: an unknown source again
  }

  auto [src, src_created] = sources_.insert(source, source_hash);
  if (src_created) src.bucket.fill(config_.per_source, now);
  if (!src.bucket.take(config_.per_source, now)) return Verdict::drop(Cause::SourceRate, report(src.reported, now));

  const Address net = source.masked(source.is_v4() ? config_.v4_network_bits : config_.v6_network_bits);
  auto [nw, nw_created] = networks_.insert(net, hash_(net));
  if (nw_created) nw.bucket.fill(config_.per_network, now);
  if (!nw.bucket.take(config_.per_network, now)) return Verdict::drop(Cause::NetworkRate, report(nw.reported, now));
  return gate(false, source_hash, now);
}

Verdict Admission::gate(bool trusted, std::uint64_t source_hash, base::TimePoint now) {
  const Rate global{config_.capacity, std::max(config_.capacity_burst, 1.0)};
  global_.refill(global, now);
  const double need = trusted ? 1.0 : 1.0 + config_.trusted_reserve * global.burst;
  if (global_.tokens < need) {
    const bool first = report(overload_reported_, now);
    shedding_ = true;
    const auto spread = static_cast<std::uint64_t>(
        std::max<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(config_.retry_spread).count(), 0));
    base::Duration retry = std::chrono::ceil<std::chrono::seconds>(config_.retry_after);
    if (spread > 0) retry += std::chrono::seconds(static_cast<std::int64_t>(source_hash % spread));
    return Verdict::overloaded(retry, first);
  }
  if (!trusted) shedding_ = false;  // unknown sources get through again: the overload is over
  global_.tokens -= 1;
  return Verdict::admit();
}

Admission::Stats Admission::stats() const noexcept {
  return {sources_.size(),        networks_.size(),        trusted_.size(),
          sources_.evictions(),   networks_.evictions(),   trusted_.evictions()};
}

}  // namespace warden::shield
