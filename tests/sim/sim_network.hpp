#pragma once
// An in-memory datagram network for tests, driven by a seed: every packet is delayed, and may
// be lost, duplicated or reordered (jitter) according to the LinkProfile. Paired with a
// base::ManualClock, engines run on it unchanged and 32 s of SIP timers take microseconds.
// Thread-safety: none. Deterministic: the same seed and the same sends give the same run.

#include <cstdint>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "base/clock.hpp"

namespace warden::sim {

using base::Duration;
using base::TimePoint;

struct LinkProfile {
  Duration delay = std::chrono::milliseconds(20);
  Duration jitter = Duration::zero();  // extra uniform delay in [0, jitter): reorders packets
  double loss = 0.0;                   // probability a copy is dropped
  double duplicate = 0.0;              // probability a second copy is sent
};

struct Packet {
  std::string from;
  std::string to;
  std::string bytes;
  TimePoint at;
  std::uint64_t seq;  // tie-breaker: equal times keep send order
};

class SimNetwork {
 public:
  explicit SimNetwork(std::uint64_t seed, LinkProfile profile = {}) : rng_(seed), profile_(profile) {}

  void send(std::string from, std::string to, std::string bytes, TimePoint now) {
    ++sent_;
    const int copies = chance(profile_.duplicate) ? 2 : 1;
    duplicated_ += copies - 1;
    for (int i = 0; i < copies; ++i) {
      if (chance(profile_.loss)) {
        ++lost_;
        continue;
      }
      Duration extra = Duration::zero();
      if (profile_.jitter > Duration::zero())
        extra = Duration(std::uniform_int_distribution<std::int64_t>(0, profile_.jitter.count() - 1)(rng_));
      queue_.push(Packet{from, to, bytes, now + profile_.delay + extra, next_seq_++});
    }
  }

  std::optional<TimePoint> next_delivery() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.top().at;
  }

  std::vector<Packet> deliver_due(TimePoint now) {
    std::vector<Packet> out;
    while (!queue_.empty() && queue_.top().at <= now) {
      out.push_back(queue_.top());
      queue_.pop();
    }
    return out;
  }

  std::uint64_t sent() const noexcept { return sent_; }
  std::uint64_t lost() const noexcept { return lost_; }
  std::uint64_t duplicated() const noexcept { return duplicated_; }

 private:
  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  struct Later {
    bool operator()(const Packet& a, const Packet& b) const { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
  };

  std::mt19937_64 rng_;  // simulation only: never for identifiers
  LinkProfile profile_;
  std::priority_queue<Packet, std::vector<Packet>, Later> queue_;
  std::uint64_t next_seq_ = 0, sent_ = 0, lost_ = 0, duplicated_ = 0;
};

}  // namespace warden::sim
