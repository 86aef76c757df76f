#pragma once
// The client side of SIP digest authentication (RFC 3261 §22.2–§22.4, RFC 7616 §3.3–§3.4,
// RFC 8760 for SHA-256 and SHA-512-256).
//
// - parse_challenges() reads the WWW-Authenticate (401) and Proxy-Authenticate (407) values
//   of a response: several header fields, and several challenges in one field (the RFC 7235
//   §4.1 list form). Only Digest challenges with an algorithm we support (MD5, SHA-256,
//   SHA-512-256; no "-sess") and an answerable qop (auth, auth-int, or none) are kept; the
//   rest are counted as ignored. The values are untrusted: every field and the number of
//   challenges has a limit (ChallengeLimits), and malformed text is skipped, never fatal.
// - DigestClient holds one account's credentials (a password, or HA1 values for one realm)
//   and answers a challenge with the value of an Authorization / Proxy-Authorization header:
//   a fresh cnonce from the Random given (crypto::Csprng outside tests), a nonce-count that
//   rises each time the same nonce is answered again (RFC 7616 §3.4: 00000001, 00000002, ...),
//   the opaque echoed and the algorithm named. choose() picks the strongest challenge we can
//   answer (SHA-512-256 > SHA-256 > MD5 as a local policy, whatever order the server listed
//   them in, RFC 8760 §2.4), qop auth-int only when the configuration prefers it, and a
//   RFC 2069 answer (no qop, no cnonce, no nc) when the challenge offers no qop.
// - credentials_rejected() says when a new challenge means the answer itself was refused
//   (wrong password), so a caller does not retry for ever and does not feed a server's
//   brute-force counter.
//
// Not supported: "-sess" algorithms, userhash (usernames are sent as written), username*
// (RFC 8187 encoding; usernames with control characters are refused), Authentication-Info.
// Thread-safety: parse functions are pure; a DigestClient is not thread-safe (its nonce
// counts change with every answer).
// Errors: choose() and answer() return DigestErrc values (see describe()).

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base/random.hpp"
#include "base/result.hpp"
#include "sip/auth/digest.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::auth {

enum class DigestErrc {
  Ok = 0,
  NoChallenge,         // the response carried no Digest challenge we could read
  ForeignRealm,        // every challenge names a realm other than the configured one
  Unsupported,         // no challenge with an algorithm / qop this client may answer
  NoKey,               // no password and no HA1 value for the chosen algorithm
  BadInput,            // method, URI or username unusable in a header (control characters)
};
std::string_view describe(DigestErrc e) noexcept;
const std::error_category& digest_category() noexcept;
inline std::error_code make_error_code(DigestErrc e) noexcept { return {static_cast<int>(e), digest_category()}; }

// One Digest challenge as the client keeps it: owned strings, quoted-pairs resolved.
struct DigestChallenge {
  bool proxy = false;          // from Proxy-Authenticate: answer in Proxy-Authorization
  std::string realm;
  std::string nonce;
  std::string opaque;
  bool has_opaque = false;     // echo opaque only when the server sent one (it may be "")
  Algorithm algorithm = Algorithm::Md5;
  bool qop_auth = false;       // the qop list offers "auth"
  bool qop_auth_int = false;   // the qop list offers "auth-int"
  bool stale = false;          // stale=true: the previous answer was right, its nonce expired
  bool has_qop() const noexcept { return qop_auth || qop_auth_int; }
};

// Bounds for reading challenges from a peer.
struct ChallengeLimits {
  std::size_t max_challenges = 16;    // Digest challenges kept from one response
  std::size_t max_fields = 32;        // WWW-/Proxy-Authenticate header fields read
  std::size_t max_value_bytes = 4096; // one header value; a longer one is ignored whole
  std::size_t max_realm_bytes = 256;
  std::size_t max_nonce_bytes = 512;
  std::size_t max_opaque_bytes = 512;
};

struct ParsedChallenges {
  std::vector<DigestChallenge> challenges;  // in the order they were written
  std::size_t ignored = 0;  // other schemes, unsupported algorithm or qop, malformed, over a limit
};

// Every challenge of a 401/407 (both header names are read: a forking proxy may gather
// WWW-Authenticate and Proxy-Authenticate into one response, RFC 3261 §16.7 step 7).
ParsedChallenges parse_challenges(const msg::Message& response, const ChallengeLimits& limits = {});
// One header field value, possibly holding several challenges; appends to `out`.
void parse_challenge_value(std::string_view value, bool proxy, ParsedChallenges& out,
                           const ChallengeLimits& limits = {});

// What one account answers with.
struct DigestCredentials {
  std::string username;
  std::string password;  // used for any algorithm that has no HA1 value below
  // Precomputed H(username ":" realm ":" password) per algorithm (lower-case hex), for clients
  // that do not keep the password. They are bound to one realm: set DigestClientConfig::realm.
  std::string ha1_md5;
  std::string ha1_sha256;
  std::string ha1_sha512_256;
};

struct DigestClientConfig {
  std::string realm;             // answer only this realm; "" answers any (password only)
  Algorithm minimum = Algorithm::Md5;  // weaker challenges are not answered
  bool prefer_auth_int = false;  // answer with auth-int (covers the body) when offered
  bool allow_rfc2069 = true;     // answer challenges that offer no qop (no replay protection)
};

// The value of one Authorization / Proxy-Authorization header, and what it answered.
struct DigestAnswer {
  bool proxy = false;
  std::string value;           // "Digest username=..., ..."
  std::string realm;
  std::string nonce;
  Algorithm algorithm = Algorithm::Md5;
  std::string_view qop;        // "auth", "auth-int" or "" (RFC 2069); static text, never dangles
  std::uint32_t nc = 0;        // how many times this nonce has been answered, this one included
  std::string_view header_name() const noexcept { return proxy ? "Proxy-Authorization" : "Authorization"; }
};

class DigestClient {
 public:
  DigestClient(DigestCredentials credentials, base::Random& rng, DigestClientConfig config = {});

  // The index of the challenge to answer: a realm we may answer, an algorithm we have a key for
  // and that is not below the minimum, a qop we accept; then the strongest algorithm, a
  // challenge with qop before one without, the first written. Errors: NoChallenge (empty),
  // ForeignRealm, Unsupported, NoKey.
  base::Result<std::size_t> choose(std::span<const DigestChallenge> challenges) const;

  // Answers `c` for a request: `method` and `uri` as in its request line (the Request-URI is
  // the digest-uri, RFC 3261 §22.4), `body` its body (used by auth-int). Each call counts one
  // more use of c.nonce. Errors: ForeignRealm, Unsupported, NoKey, BadInput.
  base::Result<DigestAnswer> answer(const DigestChallenge& c, std::string_view method, std::string_view uri,
                                    std::string_view body);
  // The same with a given cnonce instead of a random one: for known-answer tests (RFC 7616
  // §3.9.1). Never use a predictable cnonce on the wire.
  base::Result<DigestAnswer> answer_with_cnonce(const DigestChallenge& c, std::string_view method,
                                                std::string_view uri, std::string_view body,
                                                std::string_view cnonce);

  // Forgets every nonce count (after a new account or a long pause).
  void reset_counts() noexcept { counts_.clear(); }
  const DigestClientConfig& config() const noexcept { return config_; }
  const std::string& username() const noexcept { return credentials_.username; }

  static constexpr std::size_t kMaxTrackedNonces = 16;  // nonce counts kept, oldest dropped

 private:
  const std::string* stored_ha1(Algorithm a) const noexcept;
  bool has_key(Algorithm a) const noexcept;
  std::uint32_t next_count(std::string_view nonce);

  DigestCredentials credentials_;
  base::Random* rng_;
  DigestClientConfig config_;
  std::deque<std::pair<std::string, std::uint32_t>> counts_;  // nonce -> uses, oldest first
};

// Whether `fresh`, a challenge in the 401/407 to a request that carried `sent`, means the
// server refused those credentials (RFC 3261 §22.2: "the password is wrong"), so answering
// again would only repeat the failure:
// - stale=true never does (the response was right, only the nonce had expired);
// - a challenge for another realm or the other header (WWW vs Proxy) does not concern `sent`;
// - the same nonce coming back does;
// - so does any new nonce when `sent` was the first answer to that nonce (nc 1: we had just
//   been given it, the server did not take the answer);
// - a new nonce after a reused one (nc > 1) does not: the server may have forgotten the old
//   nonce; answer the new one once, and if that fails too this rule says so.
// A caller should also bound stale=true retries (a broken server could say stale for ever).
bool credentials_rejected(const DigestAnswer& sent, const DigestChallenge& fresh) noexcept;

}  // namespace warden::sip::auth

template <>
struct std::is_error_code_enum<warden::sip::auth::DigestErrc> : std::true_type {};
