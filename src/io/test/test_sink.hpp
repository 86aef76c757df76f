#pragma once
// Test helpers: a TransportSink that records what it is given and lets the test thread wait
// for it (conditions, never sleeps), and a blocking raw TCP client for misbehaving peers.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/transport.hpp"

namespace warden::io::test {

inline constexpr auto kWait = std::chrono::seconds(5);

struct Received {
  runtime::TransportKind kind;
  runtime::FlowId flow;
  runtime::Endpoint local;
  runtime::Endpoint remote;
  std::string bytes;
  std::vector<std::string> peer_names;  // InboundMessage::peer_names, copied
};

struct FlowEvent {
  runtime::FlowId flow;
  runtime::Endpoint remote;
  std::error_code why;  // for closed flows
};

class TestSink final : public runtime::TransportSink {
 public:
  void on_message(const runtime::InboundMessage& msg) override;
  void on_flow_open(runtime::FlowId flow, const runtime::Endpoint& remote) override;
  void on_flow_closed(runtime::FlowId flow, const runtime::Endpoint& remote, std::error_code why) override;

  // Each waits up to kWait; false if the count was not reached.
  bool wait_messages(std::size_t n);
  bool wait_opened(std::size_t n);
  bool wait_closed(std::size_t n);

  std::vector<Received> messages() const;
  std::vector<FlowEvent> opened() const;
  std::vector<FlowEvent> closed() const;

  // Called on the loop thread after a message is recorded (e.g. to answer it).
  std::function<void(const Received&)> on_received;

 private:
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, pred);
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> messages_;
  std::vector<FlowEvent> opened_;
  std::vector<FlowEvent> closed_;
};

// A plain blocking TCP client with a 5 s receive timeout.
class RawClient {
 public:
  explicit RawClient(const runtime::Endpoint& server);
  ~RawClient();
  void write(std::string_view bytes);
  // Sends FIN: no more bytes from us, the connection stays open for reading.
  void shutdown_write();
  // Reads exactly n bytes; "" on timeout or close.
  std::string read_exact(std::size_t n);
  // True if the server closed the connection within kWait (bytes before the close are discarded).
  bool wait_closed_by_peer();
  runtime::Endpoint local() const;

 private:
  struct Impl;
  Impl* impl_;
};

// Well-formed messages for the tests.
std::string options_request(int cseq = 1, std::string_view transport = "UDP");
std::string message_request(std::string_view body, int cseq = 1);
std::string ok_response(int cseq = 1);

}  // namespace warden::io::test
