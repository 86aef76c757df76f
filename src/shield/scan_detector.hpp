#pragma once
// ScanDetector: against extension enumeration and server discovery (svmap, svwar, and the
// tools like them), on facts the proxy takes from each out-of-dialog request after parsing.
//
// Signatures (any request, no state):
//  - a known scanner User-Agent (default_scanner_user_agents(): what the tools send unless the
//    attacker edits them), matched as a whole word, case-insensitively;
//  - sipvicious's From tag: every sipvicious 0.3 tool builds it as hex("<text>\x01<decimal
//    random>") (svhelper.createTag), and svcrack's first REGISTER uses the fixed tag
//    "3206210844". A random hex tag decodes to that shape with a probability far below 1e-9.
// Behaviour (per source, in a window of `window` starting with the first request counted):
//  - many distinct target users: `max_distinct_users` different users from one source;
//  - sequential extensions: `max_sequential` numeric users in a row, each one more than the last
//    (svwar's default range 100-999 walks them in order); a repeat of the same user (a
//    retransmission, the authenticated retry of a challenged request) does not break the run.
// The target user is the To user for REGISTER (the Request-URI has none) and the Request-URI
// user for other methods (the To user if the Request-URI has none).
// The proxy should call observe() only for sources that have not authenticated (a registered
// PBX or a user's phone calls many users legitimately); the Shield does that.
//
// Memory is fixed: `max_sources` per-source records (≈170 bytes each), least recently seen
// evicted; users are kept as 32-bit keyed hashes. Nothing allocates except the reason string of
// a detection. Thread-safety: none. Errors: none.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "shield/address.hpp"
#include "shield/keyed_hash.hpp"
#include "shield/lru_table.hpp"

namespace warden::shield {

// What the detector needs from a request (views into the parsed message; not kept).
struct RequestFacts {
  std::string_view method;            // "REGISTER", "INVITE", "OPTIONS", ...
  std::string_view request_uri_user;  // "" when the Request-URI has no user part
  std::string_view to_user;
  std::string_view user_agent;        // "" when there is no User-Agent header
  std::string_view from_tag;
};

// The User-Agent words of known SIP scanners and attack tools: sipvicious 0.3 svmap, svwar,
// svcrack and svcrash ("friendly-scanner", checked in /usr/share/sipvicious), its older and
// patched variants ("sipvicious", "friendly-request"), sipcli, sip-scan, VaxSIPUserAgent /
// VaxIPUserAgent (the VaxVoIP SDK, used by scanning bots), sundayddr, iWar, SIVuS, smap, the
// Nmap SIP scripts ("Nmap NSE"), sippts ("pplsip", and "sipptk" in its Perl versions) and
// siparmyknife. Testing tools that legitimate operators use (sipsak, SIPp) are not on it.
const std::vector<std::string>& default_scanner_user_agents();

struct ScanConfig {
  std::vector<std::string> user_agents = default_scanner_user_agents();  // empty: no check
  bool from_tag_fingerprints = true;
  unsigned max_distinct_users = 20;  // 0: no check; at most kMaxDistinctUsers
  unsigned max_sequential = 6;       // 0: no check
  base::Duration window = std::chrono::seconds(60);
  std::size_t max_sources = 16384;
};

enum class ScanKind : std::uint8_t { UserAgent, FromTag, ManyUsers, SequentialUsers };

struct Detection {
  ScanKind kind;
  std::string reason;  // our words and numbers only, never the attacker's text
};

class ScanDetector {
 public:
  static constexpr unsigned kMaxDistinctUsers = 32;

  // `hash` must outlive the detector.
  ScanDetector(const ScanConfig& config, const KeyedHash& hash);

  // The signature checks.
  std::optional<Detection> check_signature(const RequestFacts& facts) const;
  // The behaviour checks; counts this request for `source`. After a detection the source's
  // window starts again.
  std::optional<Detection> observe(const Address& source, const RequestFacts& facts, base::TimePoint now);

  // The target user of a request (see above).
  static std::string_view target_user(const RequestFacts& facts) noexcept;
  // Whether `tag` is in the sipvicious format.
  static bool is_sipvicious_tag(std::string_view tag) noexcept;
  // Whether `word` occurs in `user_agent` as a whole word, ignoring case.
  static bool contains_word(std::string_view user_agent, std::string_view word) noexcept;
  // `word` at position `i` of `user_agent`, ending at a word boundary (the start is the caller's).
  static bool word_at(std::string_view user_agent, std::size_t i, std::string_view word) noexcept;

 private:
  struct SourceState {
    base::TimePoint start{};
    std::uint64_t last_number = 0;
    std::uint32_t users[kMaxDistinctUsers] = {};
    std::uint8_t distinct = 0;
    std::uint8_t run = 0;  // numeric users in sequence so far, ending with last_number
  };

  ScanConfig config_;
  std::array<bool, 256> first_letters_{};  // lower-cased first bytes of config_.user_agents
  const KeyedHash& hash_;
  LruTable<Address, SourceState> sources_;
};

}  // namespace warden::shield
