#pragma once
// Test helpers: messages that own their bytes, and a counter for queued actions.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/limits.hpp"
#include "sip/msg/parser.hpp"
#include "sip/txn/txn_common.hpp"

namespace warden::sip::txn::test {

struct Owned {
  std::unique_ptr<std::string> bytes;
  std::unique_ptr<msg::Message> m;
  const msg::Message& operator*() const { return *m; }
  const msg::Message* operator->() const { return m.get(); }
};

inline Owned parse(std::string text) {
  static const base::Limits limits;
  Owned o{std::make_unique<std::string>(std::move(text)), std::make_unique<msg::Message>()};
  auto v = msg::parse_message(*o.bytes, *o.m, limits.sip);
  EXPECT_TRUE(v.accepted()) << msg::describe(v.error) << "\n" << *o.bytes;
  return o;
}

inline std::string request(std::string_view method, std::string_view branch = "z9hG4bK-test-1",
                           std::string_view cseq_method = {}) {
  std::string m(method);
  std::string cm(cseq_method.empty() ? method : cseq_method);
  return m + " sip:bob@example.test SIP/2.0\r\n" + "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + std::string(branch) +
         "\r\nRoute: <sip:proxy.example.test;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.test>;tag=a1\r\n"
         "To: <sip:bob@example.test>\r\nCall-ID: call-1@192.0.2.1\r\nCSeq: 7 " + cm +
         "\r\nContent-Length: 0\r\n\r\n";
}

inline std::string response(int status, std::string_view method, std::string_view branch = "z9hG4bK-test-1",
                            std::string_view to_tag = "b2") {
  std::string s = "SIP/2.0 " + std::to_string(status) + " Whatever\r\n" +
                  "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + std::string(branch) +
                  "\r\nFrom: <sip:alice@example.test>;tag=a1\r\nTo: <sip:bob@example.test>";
  if (!to_tag.empty()) s += ";tag=" + std::string(to_tag);
  return s + "\r\nCall-ID: call-1@192.0.2.1\r\nCSeq: 7 " + std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
}

struct Counts {
  int sends = 0, timeouts = 0, errors = 0, terminated = 0;
  std::string last_sent;
};

inline Counts count(const std::vector<Action>& actions) {
  Counts c;
  for (const auto& a : actions) {
    switch (a.kind) {
      case Action::Kind::Send: ++c.sends; c.last_sent = a.bytes; break;
      case Action::Kind::Timeout: ++c.timeouts; break;
      case Action::Kind::TransportError: ++c.errors; break;
      case Action::Kind::Terminated: ++c.terminated; break;
    }
  }
  return c;
}

// Drives a machine's timers on a simulated clock until `until`, collecting all actions and the
// times at which sends happened.
template <class Txn>
std::vector<double> run_timers(Txn& t, base::ManualClock& clock, Duration until, Counts& total) {
  std::vector<double> send_times;
  const TimePoint start = clock.now();
  for (;;) {
    auto next = t.next_deadline();
    if (!next || *next - start > until) break;
    clock.set(*next);
    t.on_timer(clock.now());
    auto c = count(t.take_actions());
    for (int i = 0; i < c.sends; ++i)
      send_times.push_back(std::chrono::duration<double>(clock.now() - TimePoint{}).count());
    total.sends += c.sends;
    total.timeouts += c.timeouts;
    total.terminated += c.terminated;
    if (c.sends) total.last_sent = c.last_sent;
  }
  return send_times;
}

}  // namespace warden::sip::txn::test
