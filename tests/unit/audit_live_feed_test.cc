// The live audit stream's fan-out (audit/live_feed.h).
#include <catch2/catch.hpp>

#include <thread>

#include "audit/live_feed.h"

using namespace std::chrono_literals;

namespace {
std::shared_ptr<const std::string> line(std::string text) { return std::make_shared<const std::string>(std::move(text)); }
}  // namespace

TEST_CASE("live feed: subscribers get every event published after they subscribed", "[audit][live]") {
  audit::LiveFeed feed(2, 16);
  feed.publish(line("before"));  // nobody listening: nothing kept
  auto a = feed.subscribe();
  auto b = feed.subscribe();
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(feed.subscribe());  // at most 2
  CHECK(feed.subscribers() == 2);
  feed.publish(line("one"));
  feed.publish(line("two"));
  for (auto* s : {a.get(), b.get()}) {
    const auto batch = s->next(0ms);
    REQUIRE(batch.lines.size() == 2);
    CHECK(*batch.lines[0] == "one");
    CHECK(*batch.lines[1] == "two");
    CHECK(batch.missed == 0);
  }
  CHECK(a->next(10ms).lines.empty());  // times out empty
  b.reset();
  CHECK(feed.subscribers() == 1);
  CHECK(feed.subscribe());  // the slot is free again
}

TEST_CASE("live feed: a waiting subscriber wakes on publish", "[audit][live]") {
  audit::LiveFeed feed;
  auto s = feed.subscribe();
  std::thread publisher([&] {
    std::this_thread::sleep_for(20ms);
    feed.publish(line("late"));
  });
  const auto batch = s->next(5s);
  publisher.join();
  REQUIRE(batch.lines.size() == 1);
  CHECK(*batch.lines[0] == "late");
}

TEST_CASE("live feed: a slow subscriber is dropped with the count it missed, others go on", "[audit][live]") {
  audit::LiveFeed feed(4, 3);
  auto slow = feed.subscribe();
  auto fast = feed.subscribe();
  for (int i = 0; i < 5; ++i) {
    feed.publish(line(std::to_string(i)));
    CHECK(fast->next(0ms).lines.size() == 1);
  }
  const auto batch = slow->next(0ms);
  CHECK(batch.lines.empty());
  CHECK(batch.missed == 4);  // 3 queued and discarded, and the one that overflowed
  CHECK(feed.dropped_subscribers() == 1);
  CHECK(feed.subscribers() == 1);  // the slot is free although `slow` still exists
  CHECK(feed.subscribe());
  feed.publish(line("5"));
  CHECK(fast->next(0ms).lines.size() == 1);
}
