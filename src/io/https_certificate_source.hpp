#pragma once
// io::HttpsCertificateSource: obtains the certificate chain an Identity header's `info` URL
// names (RFC 8224 §6.2 step 2, §7.2: the verifier dereferences the URL over HTTPS and caches
// the result), for sip::identity::IdentityVerifier. io/ may not include sip/identity, so this
// class has the same fetch() shape as sip::identity::CertificateSource but no base class; the
// application adapts it in three lines (README.md, "Identity certificates").
//
// Fetching: libcurl (OpenSSL) on one worker thread that runs every transfer of this source at
// once (curl's multi interface). Only https:// URLs (http:// only with allow_http, for tests);
// the server's certificate is verified against ca_file or the system store, and its name
// against the URL's host; TLS 1.2 at least, with the suites of make_tls_context(); at most
// max_redirects redirects, to https only; no environment proxy; no content decoding. The body
// (at most max_body_bytes) must be a 200 answer holding PEM certificates, the end entity first.
//
// Cache, keyed by the exact URL: a chain is kept for Cache-Control max-age (no-store, no-cache
// or max-age=0: not kept) capped at max_ttl, or default_ttl without max-age; a failure is kept
// for failure_ttl, so a bad URL costs one request per failure_ttl, not one per call. At most
// max_entries URLs are remembered (expired entries go first, then those closest to expiry);
// fetches of a URL that is already being fetched wait for that transfer (coalescing), and at
// most max_in_flight transfers run at once (more: Busy, not cached).
//
// Threading: fetch(), stats() and the destructor belong to the loop thread (the thread running
// `loop`); `done` always runs on that thread, at once for a cached answer, otherwise from a task
// posted to `loop`. Destroying the source stops its transfers; a fetch still under way then never
// calls back. The loop must outlive the source.
// Errors: FetchErrc (below; category "io.fetch"), or base::Errc::InvalidArgument /
// LimitExceeded from crypto::Certificate::chain_from_pem for a body that is not a usable chain.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/certificate.hpp"
#include "runtime/event_loop.hpp"

namespace warden::io {

enum class FetchErrc {
  Ok = 0,
  BadUrl,          // empty, over max_url_bytes, a control character or space, or no host
  SchemeRefused,   // not https:// (nor http:// with allow_http), also as a redirect target
  Busy,            // max_in_flight transfers under way, or the cache full of them
  Connect,         // name resolution or TCP connect failed
  Tls,             // the TLS handshake failed (the peer's certificate untrusted, wrong name, ...)
  Timeout,         // connect_timeout or total_timeout passed
  TooManyRedirects,
  HttpStatus,      // an answer other than 200
  BodyTooLarge,    // over max_body_bytes
  Transfer,        // anything else libcurl reports
  Stopped,         // the source is being destroyed (never delivered to a caller)
};
std::string_view describe(FetchErrc e) noexcept;
const std::error_category& fetch_category() noexcept;
inline std::error_code make_error_code(FetchErrc e) noexcept { return {static_cast<int>(e), fetch_category()}; }

struct HttpsFetchOptions {
  std::string ca_file;     // PEM trust anchors for HTTPS servers; empty: the system store
  bool allow_http = false;  // accept http:// URLs (tests only: no server authentication at all)
  std::chrono::seconds default_ttl{3600};  // a chain without Cache-Control max-age
  std::chrono::seconds max_ttl{86400};     // cap of max-age
  std::chrono::seconds failure_ttl{30};
  std::size_t max_entries = 1024;
  std::size_t max_in_flight = 64;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_url_bytes = 512;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{5000};
  long max_redirects = 1;
  const base::Clock* clock = nullptr;  // the clock of cache lifetimes; nullptr: loop.now()
};

class HttpsCertificateSource {
 public:
  using Chain = std::vector<crypto::Certificate>;
  using Done = std::function<void(base::Result<Chain>)>;

  // Errors: base::Errc::Internal when libcurl cannot be initialised or the worker cannot start.
  static base::Result<std::unique_ptr<HttpsCertificateSource>> create(runtime::EventLoop& loop,
                                                                      HttpsFetchOptions options = {});
  ~HttpsCertificateSource();
  HttpsCertificateSource(const HttpsCertificateSource&) = delete;
  HttpsCertificateSource& operator=(const HttpsCertificateSource&) = delete;

  // The chain at `url`, end entity first, to `done` exactly once (unless the source is destroyed
  // first). Loop thread only.
  void fetch(const std::string& url, Done done);

  struct Stats {
    std::uint64_t transfers = 0;   // requests started on the network
    std::uint64_t cache_hits = 0;  // answers from the cache (chains and failures)
    std::uint64_t coalesced = 0;   // fetches that joined a transfer under way
    std::uint64_t refused = 0;     // BadUrl, SchemeRefused, Busy: answered without a transfer
  };
  Stats stats() const noexcept;  // loop thread only
  std::size_t cache_size() const noexcept;
  void clear_cache();  // forgets finished entries (transfers under way stay)

 private:
  struct Impl;
  explicit HttpsCertificateSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::io

template <>
struct std::is_error_code_enum<warden::io::FetchErrc> : std::true_type {};
