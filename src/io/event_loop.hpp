#pragma once
// io::EventLoop: runtime::EventLoop on one asio::io_context driven by one thread. Transports
// created on a loop run their socket work and call their sinks on that thread.
//
// Either start() it (it runs on a thread it owns) or run() it on a thread of yours. The loop
// must outlive every transport and TimerHandle created on it.
// Thread-safety: post(), arm(), now(), in_loop_thread(), run_sync() and stop() are safe from
// any thread; start()/run() once at a time. Errors: none.

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "runtime/event_loop.hpp"

namespace warden::io {

class EventLoop final : public runtime::EventLoop {
 public:
  EventLoop();
  ~EventLoop() override;  // stop()s
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void start();  // runs the loop on a new thread
  void run();    // runs the loop on the calling thread until stop()
  void stop();   // stops the loop and joins its thread; tasks not yet run are dropped

  void post(runtime::Task task) override;
  runtime::TimerHandle arm(base::TimePoint at, runtime::Task task) override;
  base::TimePoint now() const noexcept override;
  bool in_loop_thread() const noexcept override;

  // Runs `fn` on the loop thread and waits for it; runs it inline when called on the loop
  // thread or when the loop is not running. Used to tear transports down without races.
  void run_sync(const std::function<void()>& fn);

  asio::io_context& context() noexcept { return ctx_; }

 private:
  mutable asio::io_context ctx_{1};  // mutable: get_executor() is not const
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<bool> running_{false};
};

}  // namespace warden::io
