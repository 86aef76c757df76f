#include "io/event_loop.hpp"

#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <future>
#include <memory>

namespace warden::io {

namespace {

// One armed timer. Lives until its wait completes (fired or cancelled).
class AsioTimer final : public runtime::TimerControl, public std::enable_shared_from_this<AsioTimer> {
 public:
  explicit AsioTimer(asio::io_context& ctx) : timer_(ctx) {}

  void start(base::TimePoint at, runtime::Task task) {
    asio::dispatch(timer_.get_executor(), [self = shared_from_this(), at, task = std::move(task)]() mutable {
      if (self->cancelled_.load(std::memory_order_acquire)) return;
      self->timer_.expires_at(std::chrono::steady_clock::time_point(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(at.time_since_epoch())));
      self->timer_.async_wait([self, task = std::move(task)](const std::error_code& ec) {
        if (ec || self->cancelled_.load(std::memory_order_acquire)) return;
        task();
      });
    });
  }

  void cancel() noexcept override {
    cancelled_.store(true, std::memory_order_release);
    asio::dispatch(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

 private:
  asio::steady_timer timer_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

EventLoop::EventLoop() = default;

EventLoop::~EventLoop() { stop(); }

void EventLoop::start() {
  work_.emplace(asio::make_work_guard(ctx_));
  running_.store(true);
  thread_ = std::thread([this] {
    ctx_.run();
    running_.store(false);
  });
}

void EventLoop::run() {
  work_.emplace(asio::make_work_guard(ctx_));
  running_.store(true);
  ctx_.run();
  running_.store(false);
}

void EventLoop::stop() {
  work_.reset();
  ctx_.stop();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  running_.store(false);
}

void EventLoop::post(runtime::Task task) { asio::post(ctx_, std::move(task)); }

runtime::TimerHandle EventLoop::arm(base::TimePoint at, runtime::Task task) {
  auto timer = std::make_shared<AsioTimer>(ctx_);
  timer->start(at, std::move(task));
  return runtime::TimerHandle(std::move(timer));
}

base::TimePoint EventLoop::now() const noexcept {
  return std::chrono::time_point_cast<base::Duration>(std::chrono::steady_clock::now());
}

bool EventLoop::in_loop_thread() const noexcept { return ctx_.get_executor().running_in_this_thread(); }

void EventLoop::run_sync(const std::function<void()>& fn) {
  if (in_loop_thread() || !running_.load()) {
    fn();
    return;
  }
  std::promise<void> done;
  auto finished = done.get_future();
  asio::post(ctx_, [&fn, &done] {
    fn();
    done.set_value();
  });
  finished.wait();
}

}  // namespace warden::io
