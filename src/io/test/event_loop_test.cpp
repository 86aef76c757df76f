#include "io/event_loop.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <vector>

#include "test_sink.hpp"

namespace warden::io {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, PostRunsOnTheLoopThread) {
  EventLoop loop;
  loop.start();
  std::promise<bool> ran;
  loop.post([&] { ran.set_value(loop.in_loop_thread()); });
  auto f = ran.get_future();
  ASSERT_EQ(f.wait_for(test::kWait), std::future_status::ready);
  EXPECT_TRUE(f.get());
  EXPECT_FALSE(loop.in_loop_thread());
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
  EventLoop loop;
  loop.start();
  std::mutex mu;
  std::vector<int> order;
  std::promise<void> done;
  const auto now = loop.now();
  auto late = loop.arm(now + 60ms, [&] {
    std::lock_guard lock(mu);
    order.push_back(2);
    done.set_value();
  });
  auto early = loop.arm(now + 10ms, [&] {
    std::lock_guard lock(mu);
    order.push_back(1);
  });
  ASSERT_EQ(done.get_future().wait_for(test::kWait), std::future_status::ready);
  EXPECT_GE(loop.now() - now, 60ms);
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoop, CancelledAndDroppedTimersNeverFire) {
  EventLoop loop;
  loop.start();
  std::atomic<int> fired{0};
  const auto now = loop.now();
  auto cancelled = loop.arm(now + 20ms, [&] { ++fired; });
  cancelled.cancel();
  { auto dropped = loop.arm(now + 20ms, [&] { ++fired; }); }
  std::promise<void> done;
  auto marker = loop.arm(now + 80ms, [&] { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(test::kWait), std::future_status::ready);
  EXPECT_EQ(fired.load(), 0);
}

TEST(EventLoop, TimerCancelledOnTheLoopThreadDoesNotRun) {
  EventLoop loop;
  loop.start();
  std::atomic<int> fired{0};
  std::promise<void> done;
  runtime::TimerHandle victim;
  // Both timers are due at the same moment; the first cancels the second before it can run.
  const auto at = loop.now() + 10ms;
  loop.run_sync([&] {
    auto first = loop.arm(at, [&] {
      victim.cancel();
      loop.post([&] { done.set_value(); });
    });
    first.detach();
    victim = loop.arm(at, [&] { ++fired; });
  });
  ASSERT_EQ(done.get_future().wait_for(test::kWait), std::future_status::ready);
  EXPECT_EQ(fired.load(), 0);
}

TEST(EventLoop, RunSyncRunsInlineWhenStopped) {
  EventLoop loop;
  int x = 0;
  loop.run_sync([&] { x = 1; });
  EXPECT_EQ(x, 1);
}

}  // namespace
}  // namespace warden::io
