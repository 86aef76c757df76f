#include "shield/shield.hpp"

#include <algorithm>

namespace warden::shield {

namespace {

// Attacker-chosen text (an account name) made safe for one log line: printable ASCII, bounded.
std::string printable(std::string_view text, std::size_t max = 64) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

EventKind event_of(ScanKind k) noexcept {
  switch (k) {
    case ScanKind::UserAgent: return EventKind::ScannerUserAgent;
    case ScanKind::FromTag: return EventKind::ScannerFromTag;
    case ScanKind::ManyUsers: return EventKind::ManyUsers;
    case ScanKind::SequentialUsers: return EventKind::SequentialUsers;
  }
  return EventKind::ScannerUserAgent;
}

std::string rate_text(const Rate& r) {
  return "over " + std::to_string(static_cast<long long>(r.per_second)) + " packets/s (burst " +
         std::to_string(static_cast<long long>(r.burst)) + ")";
}

}  // namespace

Shield::Shield(ShieldConfig config)
    : config_(std::move(config)),
      hash_(config_.hash_key),
      admission_(config_.admission, hash_),
      bans_(config_.bans, hash_),
      brute_force_(config_.brute_force, hash_),
      scan_(config_.scan, hash_) {
  for (Network& n : config_.allow) n.base = n.base.masked(n.bits);
}

bool Shield::is_allowed(const Address& source) const noexcept {
  return std::any_of(config_.allow.begin(), config_.allow.end(),
                     [&](const Network& n) { return n.contains(source); });
}

bool Shield::is_trusted(const Address& source, base::TimePoint now) const {
  return is_allowed(source) || admission_.is_trusted(source, now);
}

void Shield::emit(EventKind kind, const Address& source, std::string_view account, std::string reason,
                  base::TimePoint now) {
  counters_.add(kind);
  if (events_.size() >= config_.max_pending_events) {
    ++stats_.events_lost;
    return;
  }
  events_.push_back({kind, source, printable(account), std::move(reason), now});
}

std::vector<SecurityEvent> Shield::take_events() {
  std::vector<SecurityEvent> out;
  out.swap(events_);
  return out;
}

Verdict Shield::admit(const Address& source, base::TimePoint now) {
  const std::uint64_t h = hash_(source);
  if (!config_.allow.empty() && is_allowed(source)) return account(admission_.admit_allowed(h, now), source, now);
  if (bans_.is_banned(source, h, now)) {
    ++stats_.dropped_banned;
    return Verdict::drop(Cause::Banned);
  }
  return account(admission_.admit(source, h, now), source, now);
}

Verdict Shield::account(Verdict v, const Address& source, base::TimePoint now) {
  switch (v.cause) {
    case Cause::None: ++stats_.admitted; break;
    case Cause::SourceRate:
      ++stats_.dropped_source_rate;
      if (v.first) emit(EventKind::SourceRateLimited, source, {}, rate_text(config_.admission.per_source), now);
      break;
    case Cause::NetworkRate:
      ++stats_.dropped_network_rate;
      if (v.first) {
        const unsigned bits = source.is_v4() ? config_.admission.v4_network_bits : config_.admission.v6_network_bits;
        emit(EventKind::NetworkRateLimited, source, {},
             "network /" + std::to_string(bits) + " " + rate_text(config_.admission.per_network), now);
      }
      break;
    case Cause::Overload:
      ++stats_.shed_overload;
      if (v.first) {
        emit(EventKind::Overload, source, {},
             "admitted rate at capacity (" + std::to_string(static_cast<long long>(config_.admission.capacity)) +
                 " packets/s): shedding unknown sources",
             now);
      }
      break;
    case Cause::Banned:
    case Cause::Scanner: break;
  }
  return v;
}

bool Shield::ban_for(EventKind kind, const Address& source, std::string_view account, std::string reason,
                     base::TimePoint now) {
  if (is_allowed(source)) {
    emit(EventKind::BanRefused, source, account, std::string(to_string(kind)) + ": " + reason, now);
    return false;
  }
  const BanList::Outcome b = bans_.ban(source, std::string(to_string(kind)) + ": " + reason, now);
  if (b.is_new) {
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(b.until - now).count();
    emit(EventKind::Banned, source, account,
         reason + " (level " + std::to_string(b.level) + ", " + std::to_string(minutes) + " min)", now);
  }
  return true;
}

Verdict Shield::inspect(const Address& source, const RequestFacts& facts, base::TimePoint now) {
  if (!config_.allow.empty() && is_allowed(source)) return Verdict::admit();
  std::optional<Detection> d = scan_.check_signature(facts);
  if (!d && !is_trusted(source, now)) d = scan_.observe(source, facts, now);
  if (!d) return Verdict::admit();
  const EventKind kind = event_of(d->kind);
  emit(kind, source, {}, d->reason, now);
  if (!ban_for(kind, source, {}, std::move(d->reason), now)) return Verdict::admit();
  return Verdict::drop(Cause::Scanner, true);
}

Shield::AuthVerdict Shield::on_auth_failure(const Address& source, std::string_view account, base::TimePoint now) {
  const BruteForceTracker::Outcome o = brute_force_.on_failure(source, account, now);
  emit(EventKind::AuthFailure, source, account,
       std::to_string(o.source_failures) + " failures from the source, " + std::to_string(o.account_failures) +
           " for the account",
       now);
  AuthVerdict v{o.tarpit, false};
  if (o.ban) {
    const bool per_account = o.source_failures < config_.brute_force.max_failures;
    std::string reason = per_account ? std::to_string(o.account_failures) + " failed authentications for one account"
                                     : std::to_string(o.source_failures) + " failed authentications";
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(config_.brute_force.window).count();
    reason += " within " + std::to_string(secs) + " s";
    emit(EventKind::BruteForce, source, account, reason, now);
    v.banned = ban_for(EventKind::BruteForce, source, account, std::move(reason), now);
  }
  return v;
}

void Shield::on_auth_success(const Address& source, std::string_view account, base::TimePoint now) {
  brute_force_.on_success(source, account, now);
  admission_.trust(source, now);
}

base::Duration Shield::tarpit(const Address& source, base::TimePoint now) const {
  return brute_force_.tarpit(source, now);
}

bool Shield::ban(const Address& source, std::string_view reason, base::TimePoint now) {
  if (is_allowed(source)) return false;
  const BanList::Outcome b = bans_.ban(source, reason, now);
  if (b.is_new) emit(EventKind::Banned, source, {}, printable(reason, 200), now);
  return b.is_new;
}

Shield::Stats Shield::stats() const noexcept {
  Stats s = stats_;
  s.bans = bans_.size();
  s.admission = admission_.stats();
  return s;
}

}  // namespace warden::shield
