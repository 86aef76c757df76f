#pragma once
// ManualLoop: an EventLoop driven by hand, for tests, fuzz targets and benchmarks that run the
// sans-I/O engines without threads or sockets. post() runs the task at once; armed timers fire
// only inside advance(), in deadline order, with the ManualClock set to each deadline first, so
// an engine sees the same time a real loop would give it.
//
// Thread-safety: none; everything runs on the caller's thread (in_loop_thread() is always true).
// Errors: none.

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "base/clock.hpp"
#include "runtime/event_loop.hpp"

namespace warden::runtime {

class ManualLoop final : public EventLoop {
 public:
  explicit ManualLoop(base::ManualClock& c) : clock_(c) {}

  void post(Task t) override { t(); }
  TimerHandle arm(base::TimePoint at, Task t) override {
    auto c = std::make_shared<Control>();
    timers_.emplace(at, std::make_pair(c, std::move(t)));
    return TimerHandle(c);
  }
  base::TimePoint now() const noexcept override { return clock_.now(); }
  bool in_loop_thread() const noexcept override { return true; }

  // Moves the clock `d` forward, firing every timer due on the way (and those they arm, when
  // due before the end).
  void advance(base::Duration d) {
    const base::TimePoint end = clock_.now() + d;
    while (!timers_.empty() && timers_.begin()->first <= end) {
      auto node = timers_.extract(timers_.begin());
      clock_.set(std::max(clock_.now(), node.key()));
      if (!node.mapped().first->cancelled) node.mapped().second();
    }
    clock_.set(end);
  }
  // Timers armed and not yet fired (cancelled ones included until their deadline passes).
  std::size_t pending() const noexcept { return timers_.size(); }

 private:
  struct Control final : TimerControl {
    bool cancelled = false;
    void cancel() noexcept override { cancelled = true; }
  };
  base::ManualClock& clock_;
  std::multimap<base::TimePoint, std::pair<std::shared_ptr<Control>, Task>> timers_;
};

}  // namespace warden::runtime
