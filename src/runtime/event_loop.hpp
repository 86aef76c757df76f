#pragma once
// EventLoop: the executor that drives the sans-I/O engines. It runs posted tasks and timer
// callbacks one at a time on its own thread ("the loop thread"), so an engine owned by one
// loop needs no locks. `io::EventLoop` implements it on Asio; tests may implement it on a
// ManualClock.
//
// Thread-safety: post(), arm(), now() and in_loop_thread() may be called from any thread.
// A TimerHandle belongs to one thread at a time; cancel() is safe from any thread, but only a
// cancel() made on the loop thread guarantees that the callback will not run afterwards (from
// another thread it may already be running).
// Errors: none. Tasks must not throw; a task that throws terminates the process.

#include <functional>
#include <memory>

#include "base/clock.hpp"

namespace warden::runtime {

using Task = std::function<void()>;

// What an armed timer exposes to its handle. Implemented by the event loop.
class TimerControl {
 public:
  virtual ~TimerControl() = default;
  virtual void cancel() noexcept = 0;
};

// The owner of an armed timer. Destroying or reassigning the handle cancels the timer, so a
// callback never outlives the object that armed it; detach() lets it fire unowned.
class [[nodiscard]] TimerHandle {
 public:
  TimerHandle() = default;
  explicit TimerHandle(std::shared_ptr<TimerControl> control) : control_(std::move(control)) {}
  TimerHandle(TimerHandle&&) noexcept = default;
  TimerHandle& operator=(TimerHandle&& other) noexcept {
    if (this != &other) {
      cancel();
      control_ = std::move(other.control_);
    }
    return *this;
  }
  TimerHandle(const TimerHandle&) = delete;
  TimerHandle& operator=(const TimerHandle&) = delete;
  ~TimerHandle() { cancel(); }

  void cancel() noexcept {
    if (control_) {
      control_->cancel();
      control_.reset();
    }
  }
  void detach() noexcept { control_.reset(); }
  explicit operator bool() const noexcept { return control_ != nullptr; }

 private:
  std::shared_ptr<TimerControl> control_;
};

class EventLoop {
 public:
  virtual ~EventLoop() = default;

  // Runs `task` on the loop thread, after the tasks already posted (FIFO).
  virtual void post(Task task) = 0;
  // Runs `task` on the loop thread at `at` (immediately if `at` has passed), unless cancelled.
  virtual TimerHandle arm(base::TimePoint at, Task task) = 0;
  // The loop's monotonic clock: the `now` to give engines.
  virtual base::TimePoint now() const noexcept = 0;
  virtual bool in_loop_thread() const noexcept = 0;
};

}  // namespace warden::runtime
