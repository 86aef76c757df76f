#include "io/https_certificate_source.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/error.hpp"
#include "io/tls_context.hpp"

namespace warden::io {

std::string_view describe(FetchErrc e) noexcept {
  switch (e) {
    case FetchErrc::Ok: return "ok";
    case FetchErrc::BadUrl: return "malformed or oversized URL";
    case FetchErrc::SchemeRefused: return "URL scheme refused (https only)";
    case FetchErrc::Busy: return "too many certificate fetches under way";
    case FetchErrc::Connect: return "could not resolve or connect to the certificate server";
    case FetchErrc::Tls: return "TLS handshake with the certificate server failed";
    case FetchErrc::Timeout: return "certificate fetch timed out";
    case FetchErrc::TooManyRedirects: return "too many redirects";
    case FetchErrc::HttpStatus: return "certificate server answered other than 200";
    case FetchErrc::BodyTooLarge: return "certificate body over the size limit";
    case FetchErrc::Transfer: return "certificate transfer failed";
    case FetchErrc::Stopped: return "certificate source stopped";
  }
  return "unknown fetch error";
}

const std::error_category& fetch_category() noexcept {
  return base::ErrorCategory<FetchErrc>::instance("io.fetch");
}

namespace {

using Chain = HttpsCertificateSource::Chain;

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    if (c != prefix[i]) return false;
  }
  return true;
}

// Cheap checks before libcurl sees the URL (which parses it fully).
std::error_code check_url(std::string_view url, const HttpsFetchOptions& o) noexcept {
  if (url.empty() || url.size() > o.max_url_bytes) return FetchErrc::BadUrl;
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7f) return FetchErrc::BadUrl;
  std::size_t scheme_len = 0;
  if (istarts_with(url, "https://")) {
    scheme_len = 8;
  } else if (istarts_with(url, "http://")) {
    if (!o.allow_http) return FetchErrc::SchemeRefused;
    scheme_len = 7;
  } else {
    return url.find("://") == std::string_view::npos ? FetchErrc::BadUrl : FetchErrc::SchemeRefused;
  }
  if (url.size() == scheme_len || url[scheme_len] == '/' || url[scheme_len] == '?' || url[scheme_len] == '#')
    return FetchErrc::BadUrl;
  return {};
}

// What the worker hands back to the loop thread for one URL.
struct Outcome {
  std::string url;
  base::Result<Chain> result = FetchErrc::Transfer;
  std::chrono::seconds ttl{0};
};

// One transfer's state on the worker thread.
struct Transfer {
  std::string url;
  std::string body;
  std::size_t max_body = 0;
  bool too_large = false;
  bool no_cache = false;
  std::optional<std::int64_t> max_age;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (n > t->max_body - std::min(t->max_body, t->body.size())) {
    t->too_large = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  t->body.append(data, n);
  return n;
}

// Cache-Control directives (RFC 9111 §5.2.2) that decide how long a chain is kept.
void read_cache_control(std::string_view value, Transfer& t) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view d = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    while (!d.empty() && (d.front() == ' ' || d.front() == '\t')) d.remove_prefix(1);
    while (!d.empty() && (d.back() == ' ' || d.back() == '\t' || d.back() == '\r' || d.back() == '\n'))
      d.remove_suffix(1);
    if (istarts_with(d, "no-store") || istarts_with(d, "no-cache")) {
      t.no_cache = true;
    } else if (istarts_with(d, "max-age=")) {
      std::string_view digits = d.substr(8);
      if (digits.size() >= 2 && digits.front() == '"' && digits.back() == '"') digits = digits.substr(1, digits.size() - 2);
      if (digits.empty()) continue;
      std::int64_t v = 0;
      bool ok = true;
      for (char c : digits) {
        if (c < '0' || c > '9') { ok = false; break; }
        v = std::min<std::int64_t>(v * 10 + (c - '0'), 1LL << 40);  // saturate; capped by max_ttl later
      }
      if (ok) t.max_age = v;
    }
  }
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  if (istarts_with(line, "http/")) {  // a new response (after a redirect): forget the last one's
    t->no_cache = false;
    t->max_age.reset();
  } else if (istarts_with(line, "cache-control:")) {
    read_cache_control(line.substr(14), *t);
  }
  return n;
}

FetchErrc map_curl_error(CURLcode code, const Transfer& t) noexcept {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL: return FetchErrc::SchemeRefused;
    case CURLE_URL_MALFORMAT: return FetchErrc::BadUrl;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return FetchErrc::Connect;
    case CURLE_OPERATION_TIMEDOUT: return FetchErrc::Timeout;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return FetchErrc::Tls;
    case CURLE_TOO_MANY_REDIRECTS: return FetchErrc::TooManyRedirects;
    case CURLE_FILESIZE_EXCEEDED: return FetchErrc::BodyTooLarge;
    case CURLE_WRITE_ERROR: return t.too_large ? FetchErrc::BodyTooLarge : FetchErrc::Transfer;
    default: return FetchErrc::Transfer;
  }
}

std::once_flag g_curl_init;
bool g_curl_ok = false;

}  // namespace

struct HttpsCertificateSource::Impl {
  // Loop-thread state that tasks posted by the worker reach through a shared pointer: `owner`
  // is null once the source is being destroyed, so a late task does nothing.
  struct LoopSide {
    Impl* owner = nullptr;
  };
  struct Entry {
    bool pending = true;
    std::vector<Done> waiters;
    std::optional<base::Result<Chain>> result;
    base::TimePoint expires{};
  };

  Impl(runtime::EventLoop& l, HttpsFetchOptions o) : loop(l), options(std::move(o)) {}
  ~Impl();

  base::TimePoint now() const noexcept { return options.clock ? options.clock->now() : loop.now(); }
  void fetch(const std::string& url, Done done);
  void complete(Outcome outcome);
  bool make_room(base::TimePoint at);

  // Worker thread.
  void run();
  CURL* start_transfer(Transfer& t);
  Outcome finish(const Transfer& t, CURL* easy, CURLcode code) const;

  runtime::EventLoop& loop;
  const HttpsFetchOptions options;
  std::shared_ptr<LoopSide> side = std::make_shared<LoopSide>();

  // Loop thread only.
  std::unordered_map<std::string, Entry> cache;
  std::size_t in_flight = 0;
  Stats stats;

  // Shared with the worker.
  CURLM* multi = nullptr;
  std::mutex mu;
  std::deque<std::string> queue;  // guarded by mu
  bool stop = false;              // guarded by mu
  std::thread worker;
};

HttpsCertificateSource::Impl::~Impl() {
  side->owner = nullptr;
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  if (multi) curl_multi_wakeup(multi);
  if (worker.joinable()) worker.join();
  if (multi) curl_multi_cleanup(multi);
}

void HttpsCertificateSource::Impl::fetch(const std::string& url, Done done) {
  if (auto ec = check_url(url, options)) {
    ++stats.refused;
    done(ec);
    return;
  }
  const base::TimePoint t = now();
  if (auto it = cache.find(url); it != cache.end()) {
    Entry& e = it->second;
    if (e.pending) {
      ++stats.coalesced;
      e.waiters.push_back(std::move(done));
      return;
    }
    if (t < e.expires) {
      ++stats.cache_hits;
      const base::Result<Chain> copy = *e.result;
      done(copy);
      return;
    }
    cache.erase(it);
  }
  if (in_flight >= options.max_in_flight || !make_room(t)) {
    ++stats.refused;
    done(FetchErrc::Busy);
    return;
  }
  Entry e;
  e.waiters.push_back(std::move(done));
  cache.emplace(url, std::move(e));
  ++in_flight;
  ++stats.transfers;
  {
    std::lock_guard lock(mu);
    queue.push_back(url);
  }
  curl_multi_wakeup(multi);
}

// Makes room for one more entry: drops expired entries, then the finished one closest to expiry.
bool HttpsCertificateSource::Impl::make_room(base::TimePoint at) {
  if (cache.size() < options.max_entries) return true;
  std::erase_if(cache, [at](const auto& kv) { return !kv.second.pending && kv.second.expires <= at; });
  if (cache.size() < options.max_entries) return true;
  auto victim = cache.end();
  for (auto it = cache.begin(); it != cache.end(); ++it) {
    if (it->second.pending) continue;
    if (victim == cache.end() || it->second.expires < victim->second.expires) victim = it;
  }
  if (victim == cache.end()) return false;  // every entry is a transfer under way
  cache.erase(victim);
  return true;
}

void HttpsCertificateSource::Impl::complete(Outcome outcome) {
  auto it = cache.find(outcome.url);
  if (it == cache.end() || !it->second.pending) return;  // cannot happen: pending entries stay
  --in_flight;
  std::vector<Done> waiters = std::move(it->second.waiters);
  if (outcome.ttl.count() > 0) {
    it->second.pending = false;
    it->second.waiters.clear();
    it->second.result = outcome.result;
    it->second.expires = now() + outcome.ttl;
  } else {
    cache.erase(it);
  }
  const std::shared_ptr<LoopSide> keep = side;
  for (auto& done : waiters) {
    done(outcome.result);
    if (keep->owner == nullptr) return;  // a callback destroyed the source
  }
}

CURL* HttpsCertificateSource::Impl::start_transfer(Transfer& t) {
  CURL* easy = curl_easy_init();
  if (!easy) return nullptr;
  const char* protocols = options.allow_http ? "https,http" : "https";
  bool ok = curl_easy_setopt(easy, CURLOPT_URL, t.url.c_str()) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, protocols) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, protocols) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, options.max_redirects > 0 ? 1L : 0L) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_MAXREDIRS, options.max_redirects) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count())) ==
                CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count())) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_PROXY, "") == CURLE_OK &&  // no proxy from the environment
            curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_SSL_CIPHER_LIST, tls12_cipher_list()) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_TLS13_CIPHERS, tls13_cipher_suites()) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_body_bytes)) ==
                CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_USERAGENT, "warden") == CURLE_OK;
  if (ok && !options.ca_file.empty()) {
    ok = curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str()) == CURLE_OK &&
         curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr) == CURLE_OK;  // the file only
  }
  if (!ok || curl_multi_add_handle(multi, easy) != CURLM_OK) {
    curl_easy_cleanup(easy);
    return nullptr;
  }
  return easy;
}

Outcome HttpsCertificateSource::Impl::finish(const Transfer& t, CURL* easy, CURLcode code) const {
  Outcome out;
  out.url = t.url;
  out.ttl = options.failure_ttl;
  if (code != CURLE_OK) {
    out.result = map_curl_error(code, t);
    return out;
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    out.result = FetchErrc::HttpStatus;
    return out;
  }
  crypto::PemLimits limits;
  limits.max_pem_bytes = options.max_body_bytes;
  auto chain = crypto::Certificate::chain_from_pem(t.body, limits);
  if (!chain) {
    out.result = chain.error();
    return out;
  }
  out.result = std::move(*chain);
  if (t.no_cache) {
    out.ttl = std::chrono::seconds{0};
  } else if (t.max_age) {
    out.ttl = std::chrono::seconds{std::min<std::int64_t>(*t.max_age, options.max_ttl.count())};
  } else {
    out.ttl = std::min(options.default_ttl, options.max_ttl);
  }
  return out;
}

void HttpsCertificateSource::Impl::run() {
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;
  auto post = [this](Outcome outcome) {
    loop.post([side = side, outcome = std::move(outcome)]() mutable {
      if (side->owner) side->owner->complete(std::move(outcome));
    });
  };
  for (;;) {
    std::deque<std::string> fresh;
    {
      std::lock_guard lock(mu);
      if (stop) break;
      fresh.swap(queue);
    }
    for (auto& url : fresh) {
      auto t = std::make_unique<Transfer>();
      t->url = std::move(url);
      t->max_body = options.max_body_bytes;
      if (CURL* easy = start_transfer(*t)) {
        active.emplace(easy, std::move(t));
      } else {
        Outcome o;
        o.url = t->url;
        o.ttl = std::chrono::seconds{0};
        post(std::move(o));  // FetchErrc::Transfer, not cached
      }
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL* easy = m->easy_handle;
      const CURLcode code = m->data.result;
      auto it = active.find(easy);
      if (it != active.end()) {
        post(finish(*it->second, easy, code));
        active.erase(it);
      }
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
    }
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  for (auto& [easy, t] : active) {
    curl_multi_remove_handle(multi, easy);
    curl_easy_cleanup(easy);
  }
}

HttpsCertificateSource::HttpsCertificateSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->side->owner = impl_.get();
}

HttpsCertificateSource::~HttpsCertificateSource() = default;

base::Result<std::unique_ptr<HttpsCertificateSource>> HttpsCertificateSource::create(runtime::EventLoop& loop,
                                                                                     HttpsFetchOptions options) {
  std::call_once(g_curl_init, [] { g_curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  if (!g_curl_ok) return base::Errc::Internal;
  auto impl = std::make_unique<Impl>(loop, std::move(options));
  impl->multi = curl_multi_init();
  if (!impl->multi) return base::Errc::Internal;
  try {
    impl->worker = std::thread([p = impl.get()] { p->run(); });
  } catch (const std::system_error&) {
    return base::Errc::Internal;
  }
  return std::unique_ptr<HttpsCertificateSource>(new HttpsCertificateSource(std::move(impl)));
}

void HttpsCertificateSource::fetch(const std::string& url, Done done) {
  impl_->fetch(url, std::move(done));
}

HttpsCertificateSource::Stats HttpsCertificateSource::stats() const noexcept { return impl_->stats; }
std::size_t HttpsCertificateSource::cache_size() const noexcept { return impl_->cache.size(); }

void HttpsCertificateSource::clear_cache() {
  std::erase_if(impl_->cache, [](const auto& kv) { return !kv.second.pending; });
}

}  // namespace warden::io
