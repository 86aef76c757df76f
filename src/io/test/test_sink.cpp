#include "test_sink.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "io/asio_endpoint.hpp"

namespace warden::io::test {

void TestSink::on_message(const runtime::InboundMessage& msg) {
  Received r{msg.kind, msg.flow, msg.local, msg.remote, std::string(msg.bytes),
             std::vector<std::string>(msg.peer_names.begin(), msg.peer_names.end())};
  {
    std::lock_guard lock(mu_);
    messages_.push_back(r);
  }
  cv_.notify_all();
  if (on_received) on_received(r);
}

void TestSink::on_flow_open(runtime::FlowId flow, const runtime::Endpoint& remote) {
  {
    std::lock_guard lock(mu_);
    opened_.push_back({flow, remote, {}});
  }
  cv_.notify_all();
}

void TestSink::on_flow_closed(runtime::FlowId flow, const runtime::Endpoint& remote, std::error_code why) {
  {
    std::lock_guard lock(mu_);
    closed_.push_back({flow, remote, why});
  }
  cv_.notify_all();
}

bool TestSink::wait_messages(std::size_t n) { return wait([&] { return messages_.size() >= n; }); }
bool TestSink::wait_opened(std::size_t n) { return wait([&] { return opened_.size() >= n; }); }
bool TestSink::wait_closed(std::size_t n) { return wait([&] { return closed_.size() >= n; }); }

std::vector<Received> TestSink::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}
std::vector<FlowEvent> TestSink::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}
std::vector<FlowEvent> TestSink::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

struct RawClient::Impl {
  asio::io_context ctx;
  asio::ip::tcp::socket socket{ctx};
};

RawClient::RawClient(const runtime::Endpoint& server) : impl_(new Impl) {
  impl_->socket.connect(to_asio<asio::ip::tcp::endpoint>(server));
  impl_->socket.set_option(asio::ip::tcp::no_delay(true));
  timeval tv{};
  tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(kWait).count();
  ::setsockopt(impl_->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

RawClient::~RawClient() { delete impl_; }

void RawClient::write(std::string_view bytes) { asio::write(impl_->socket, asio::buffer(bytes)); }

void RawClient::shutdown_write() { impl_->socket.shutdown(asio::ip::tcp::socket::shutdown_send); }

std::string RawClient::read_exact(std::size_t n) {
  std::string out(n, '\0');
  std::error_code ec;
  asio::read(impl_->socket, asio::buffer(out), ec);
  if (ec) return {};
  return out;
}

bool RawClient::wait_closed_by_peer() {
  char buf[512];
  for (;;) {
    std::error_code ec;
    impl_->socket.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
    if (ec) return false;  // the receive timeout (EAGAIN) or another failure
  }
}

runtime::Endpoint RawClient::local() const { return from_asio(impl_->socket.local_endpoint()); }

std::string options_request(int cseq, std::string_view transport) {
  return "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/" + std::string(transport) + " 127.0.0.1:5060;branch=z9hG4bK776asdhds" +
         std::to_string(cseq) + "\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@127.0.0.1>\r\n"
         "From: <sip:alice@127.0.0.1>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710\r\n"
         "CSeq: " + std::to_string(cseq) + " OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n";
}

std::string message_request(std::string_view body, int cseq) {
  return "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKmsg" + std::to_string(cseq) + "\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@127.0.0.1>\r\n"
         "From: <sip:alice@127.0.0.1>;tag=49583\r\n"
         "Call-ID: msg-call-id\r\n"
         "CSeq: " + std::to_string(cseq) + " MESSAGE\r\n"
         "Content-Type: text/plain\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string ok_response(int cseq) {
  return "SIP/2.0 200 OK\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds" + std::to_string(cseq) + "\r\n"
         "To: <sip:bob@127.0.0.1>;tag=a6c85cf\r\n"
         "From: <sip:alice@127.0.0.1>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710\r\n"
         "CSeq: " + std::to_string(cseq) + " OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n";
}

}  // namespace warden::io::test
