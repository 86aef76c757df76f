#include "io/cares_dns.hpp"

#include <ares.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/error.hpp"
#include "io/dns_wire.hpp"

namespace warden::io {

using runtime::DnsErrc;

namespace {

DnsErrc map_status(int status) {
  switch (status) {
    case ARES_ENOTFOUND: return DnsErrc::NameNotFound;
    case ARES_ESERVFAIL: return DnsErrc::ServerFailure;
    case ARES_EREFUSED:
    case ARES_ENOTIMP:
    case ARES_EFORMERR: return DnsErrc::Refused;
    case ARES_ETIMEOUT: return DnsErrc::Timeout;
    case ARES_EBADNAME:
    case ARES_EBADRESP: return DnsErrc::Malformed;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED: return DnsErrc::Cancelled;
    default: return DnsErrc::ServerFailure;
  }
}

}  // namespace

struct CaresDns::Impl {
  struct Watch {
    asio::posix::stream_descriptor desc;
    bool read = false;
    bool write = false;
    bool reading = false;
    bool writing = false;
    explicit Watch(asio::io_context& ctx, int fd) : desc(ctx, fd) {}
  };
  struct Request {
    Impl* impl;
    runtime::DnsType type;
    runtime::DnsCallback done;
  };

  EventLoop& loop;
  CaresDnsOptions opt;
  ares_channel channel = nullptr;
  std::unordered_map<int, std::shared_ptr<Watch>> watches;
  asio::steady_timer timer;
  std::size_t in_flight = 0;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  Impl(EventLoop& l, CaresDnsOptions o) : loop(l), opt(std::move(o)), timer(l.context()) {}

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Impl*>(data);
    if (!readable && !writable) {
      // c-ares is about to close `fd`: take it out of Asio's reactor first, without closing.
      if (auto it = self->watches.find(fd); it != self->watches.end()) {
        asio::error_code ec;
        it->second->desc.cancel(ec);
        it->second->desc.release();
        self->watches.erase(it);
      }
      return;
    }
    auto& w = self->watches[fd];
    if (!w) w = std::make_shared<Watch>(self->loop.context(), fd);
    w->read = readable != 0;
    w->write = writable != 0;
    self->arm(fd, w);
  }

  void arm(int fd, const std::shared_ptr<Watch>& w) {
    std::weak_ptr<bool> life = alive;
    if (w->read && !w->reading) {
      w->reading = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_read, [this, fd, w, life](const asio::error_code& ec) {
        w->reading = false;
        if (ec || life.expired() || watches.find(fd) == watches.end() || watches[fd] != w) return;
        ares_process_fd(channel, fd, ARES_SOCKET_BAD);
        after_activity(fd, w);
      });
    }
    if (w->write && !w->writing) {
      w->writing = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_write, [this, fd, w, life](const asio::error_code& ec) {
        w->writing = false;
        if (ec || life.expired() || watches.find(fd) == watches.end() || watches[fd] != w) return;
        ares_process_fd(channel, ARES_SOCKET_BAD, fd);
        after_activity(fd, w);
      });
    }
  }

  void after_activity(int fd, const std::shared_ptr<Watch>& w) {
    if (auto it = watches.find(fd); it != watches.end() && it->second == w) arm(fd, w);
    arm_timer();
  }

  void arm_timer() {
    timeval tv{};
    timeval* t = ares_timeout(channel, nullptr, &tv);
    timer.cancel();
    if (!t) return;
    timer.expires_after(std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec));
    std::weak_ptr<bool> life = alive;
    timer.async_wait([this, life](const asio::error_code& ec) {
      if (ec || life.expired()) return;
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts and retries
      arm_timer();
    });
  }

  static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<Request> req(static_cast<Request*>(arg));
    --req->impl->in_flight;
    base::Result<runtime::DnsAnswer> r = runtime::DnsAnswer{};
    if (status == ARES_SUCCESS && abuf && alen > 0) {
      r = parse_dns_answer({abuf, static_cast<std::size_t>(alen)}, req->type, req->impl->opt.max_records);
    } else if (status != ARES_ENODATA) {
      r = map_status(status);
    }
    req->done(std::move(r));
  }
};

base::Result<std::unique_ptr<CaresDns>> CaresDns::create(EventLoop& loop, CaresDnsOptions options) {
  static std::once_flag once;
  static int init_status = ARES_SUCCESS;
  std::call_once(once, [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (init_status != ARES_SUCCESS) return base::Errc::Io;

  auto impl = std::make_unique<Impl>(loop, std::move(options));
  ares_options o{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  o.sock_state_cb = &Impl::on_sock_state;
  o.sock_state_cb_data = impl.get();
  o.timeout = static_cast<int>(impl->opt.timeout.count());
  o.tries = impl->opt.tries;
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS;
  if (ares_init_options(&impl->channel, &o, mask) != ARES_SUCCESS) return base::Errc::Io;
  if (!impl->opt.servers.empty()) {
    std::string csv;
    for (const auto& s : impl->opt.servers) {
      if (!csv.empty()) csv += ',';
      csv += s.to_string();
    }
    if (ares_set_servers_ports_csv(impl->channel, csv.c_str()) != ARES_SUCCESS) {
      ares_destroy(impl->channel);
      impl->channel = nullptr;
      return base::Errc::InvalidArgument;
    }
  }
  return std::unique_ptr<CaresDns>(new CaresDns(std::move(impl)));
}

CaresDns::CaresDns(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CaresDns::~CaresDns() {
  if (impl_->channel) ares_destroy(impl_->channel);  // answers in-flight queries: Cancelled
  *impl_->alive = false;
  impl_->alive.reset();
  impl_->timer.cancel();
  for (auto& [fd, w] : impl_->watches) {
    asio::error_code ec;
    w->desc.cancel(ec);
    w->desc.release();
  }
  impl_->watches.clear();
}

void CaresDns::query(std::string_view name, runtime::DnsType type, runtime::DnsCallback done) {
  if (impl_->in_flight >= impl_->opt.max_in_flight) {
    done(DnsErrc::LimitExceeded);
    return;
  }
  if (name.empty() || name.size() > 254 || name.find('\0') != std::string_view::npos) {
    done(DnsErrc::Malformed);
    return;
  }
  ++impl_->in_flight;
  auto* req = new Impl::Request{impl_.get(), type, std::move(done)};
  const std::string n(name);
  ares_query(impl_->channel, n.c_str(), 1 /* IN */, static_cast<int>(type), &Impl::on_answer, req);
  impl_->arm_timer();
}

}  // namespace warden::io
