#pragma once
// `warden demo`: the whole system in one command. It creates a temporary folder, two accounts
// (alice, bob) in a fresh store, starts `warden proxy` on free loopback ports, registers bob's
// `warden phone` to answer and record, and has alice's phone call him and play speech
// (espeak-ng; a generated melody without it). Then it prints who called whom, the transport,
// codec, SRTP keying and suite, packets, loss, jitter, the E-model MOS, and whether bob's
// recording matches what alice played (correlation of the 10 ms speech envelopes).
// Exit code 0 when the call worked and the recording matches, 1 otherwise.
#include <string>

namespace CLI {
class App;
}

namespace warden::app {

struct DemoOptions {
  std::string transport = "tls";
  std::string keying = "dtls";
  std::string codec = "opus";
  bool keep = false;
};

void add_demo_command(CLI::App& app, DemoOptions& opts, int& exit_code);

}  // namespace warden::app
