#include "shield/security_event.hpp"

namespace warden::shield {

std::string_view to_string(EventKind k) noexcept {
  switch (k) {
    case EventKind::SourceRateLimited: return "source-rate-limited";
    case EventKind::NetworkRateLimited: return "network-rate-limited";
    case EventKind::Overload: return "overload";
    case EventKind::Banned: return "banned";
    case EventKind::BanRefused: return "ban-refused";
    case EventKind::AuthFailure: return "auth-failure";
    case EventKind::BruteForce: return "brute-force";
    case EventKind::ScannerUserAgent: return "scanner-user-agent";
    case EventKind::ScannerFromTag: return "scanner-from-tag";
    case EventKind::ManyUsers: return "many-users";
    case EventKind::SequentialUsers: return "sequential-users";
    case EventKind::ForgedCancel: return "forged-cancel";
    case EventKind::ForgedInDialog: return "forged-in-dialog";
    case EventKind::RedirectRefused: return "redirect-refused";
    case EventKind::CallLimit: return "call-limit";
    case EventKind::DestinationBlocked: return "destination-blocked";
    case EventKind::Spit: return "spit";
    case EventKind::ForeignUnauthenticated: return "foreign-unauthenticated";
  }
  return "unknown";
}

void log_event(const base::Logger& log, const SecurityEvent& e) {
  const base::LogLevel level =
      e.kind == EventKind::AuthFailure || e.kind == EventKind::ForeignUnauthenticated ? base::LogLevel::Info
                                                                                      : base::LogLevel::Warn;
  if (!log.enabled(level)) return;
  log.log(level, "security event",
          {{"kind", to_string(e.kind)},
           {"source", e.source.to_string()},
           {"account", e.account},
           {"reason", e.reason}});
}

}  // namespace warden::shield
