#pragma once
// io::CertificateServer: a small HTTPS server for exactly one resource, the PEM certificate
// chain that the `info` parameter of our Identity headers points at (RFC 8224 §4.1, §7.1:
// verifiers dereference it with HTTPS). GET <path> answers 200 with Content-Type
// application/pem-certificate-chain (RFC 8555 §9.1) and the chain file's bytes; any other
// target is 404, any other method 405, a malformed head 400 (or 414/431/501/505, see
// http_request_head.hpp). One request per connection (HTTP/1.1 with Connection: close).
//
// Everything a client sends is untrusted: the request head is at most HttpHeadLimits bytes, the
// TLS handshake and the head must arrive within header_timeout, a connection lives at most
// connection_timeout in all, and at most max_connections are open at once (more are closed on
// accept). TLS comes from make_tls_context() (TLS 1.2/1.3, ECDHE + AEAD only).
//
// The chain file is read (and parsed as PEM certificates, to refuse serving anything else) at
// open() and by reload(); a failed reload keeps serving the previous chain.
// Thread-safety: reload(), local_endpoint() and the counters are safe from any thread; the
// destructor closes the listener and every connection (it waits for the loop thread, so it
// may run on any thread; the loop must outlive the server).
// Errors: open() returns the TLS context's error, the socket's error for the bind, base::Errc::Io
// for an unreadable chain file, base::Errc::LimitExceeded for a chain over max_chain_bytes,
// base::Errc::InvalidArgument for a file that holds no certificate or a path that does not start
// with '/'. reload() returns the same file errors.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "io/event_loop.hpp"
#include "io/http_request_head.hpp"
#include "io/tls_context.hpp"
#include "runtime/endpoint.hpp"

namespace warden::io {

struct CertificateServerOptions {
  runtime::Endpoint bind = runtime::Endpoint::loopback_v4(0);  // port 0: the OS chooses
  TlsOptions tls;                  // certificate_file + private_key_file of this server
  std::string path = "/cert.pem";  // the one resource's path
  std::string chain_file;          // the PEM chain to serve (end entity first)
  std::size_t max_chain_bytes = 64 * 1024;
  std::chrono::seconds cache_max_age{3600};  // sent as Cache-Control: max-age; 0: no-cache
  HttpHeadLimits head_limits;
  std::chrono::milliseconds header_timeout{5000};       // from accept to the end of the request head
  std::chrono::milliseconds connection_timeout{15000};  // from accept to close, whatever happens
  std::size_t max_connections = 64;
};

class CertificateServer {
 public:
  static base::Result<std::unique_ptr<CertificateServer>> open(EventLoop& loop, CertificateServerOptions options);
  ~CertificateServer();
  CertificateServer(const CertificateServer&) = delete;
  CertificateServer& operator=(const CertificateServer&) = delete;

  // The bound address and port (the OS's choice when the port was 0).
  runtime::Endpoint local_endpoint() const noexcept;
  // "https://<host>:<port><path>" for `host` (a name in the server's certificate).
  std::string url(const std::string& host) const;
  // Reads the chain file again; the new bytes are served to requests that arrive afterwards.
  base::Result<void> reload();

  std::uint64_t requests() const noexcept;     // request heads answered, whatever the status
  std::uint64_t served() const noexcept;       // 200 responses with the chain
  std::uint64_t connections() const noexcept;  // connections accepted (those over the limit included)

  struct Impl;  // internal

 private:
  explicit CertificateServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace warden::io
