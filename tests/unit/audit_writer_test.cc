// Writer: submit never waits for I/O, group commit acknowledges only after the write, failure
// policies block/continue, recovery, counters.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <numeric>
#include <thread>

#include <unistd.h>

#include <csignal>

#include "audit/file_sink.h"
#include "audit/stream_sink.h"
#include "audit/verify.h"
#include "audit/writer.h"
#include "audit_test_support.h"

using namespace std::chrono_literals;
using audit::Outcome;
using audit_test::test_key;

namespace {

// Wraps a sink: write() waits until the gate opens, and can be told to fail.
class ControlledSink final : public audit::Sink {
 public:
  explicit ControlledSink(std::unique_ptr<audit::Sink> inner = nullptr) : inner_(std::move(inner)) {}

  std::string name() const override { return "controlled"; }
  std::size_t max_batch() const override { return 1000; }
  std::expected<void, audit::SinkError> write(std::span<const std::string> events) override {
    std::unique_lock lock(mutex_);
    ++writes_started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    batch_sizes_.push_back(events.size());
    const bool marked = !fail_marker_.empty() && std::any_of(events.begin(), events.end(), [&](const std::string& e) {
      return e.find(fail_marker_) != std::string::npos;
    });
    if (failing_ || marked) return std::unexpected(audit::SinkError{ENOSPC, "controlled: No space left on device"});
    // Written: the room shrinks by what was written, as a file's preallocated room does.
    std::uint64_t bytes = 0;
    for (const auto& e : events) bytes += e.size();
    room_ -= std::min<std::uint64_t>(room_, bytes);
    lock.unlock();
    if (inner_) return inner_->write(events);
    return {};
  }

  void set_open(bool open) {
    std::lock_guard lock(mutex_);
    open_ = open;
    cv_.notify_all();
  }
  void set_failing(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }
  // Fails every batch with an event that contains `marker` (as a disk that is full for it would).
  void fail_batches_with(std::string marker) {
    std::lock_guard lock(mutex_);
    fail_marker_ = std::move(marker);
  }
  void wait_writes_started(int n) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return writes_started_ >= n; });
  }
  std::vector<std::size_t> batch_sizes() const {
    std::lock_guard lock(mutex_);
    return batch_sizes_;
  }
  // Room for buffered acknowledgement (Sink::reserved_room); each event's bound is its size, and
  // a successful write takes its events' bytes from it.
  void set_room(std::uint64_t room) { room_ = room; }
  std::uint64_t reserved_room() const override { return room_; }

 private:
  std::unique_ptr<audit::Sink> inner_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = true, failing_ = false;
  std::string fail_marker_;
  int writes_started_ = 0;
  std::vector<std::size_t> batch_sizes_;
  std::atomic<std::uint64_t> room_{0};
};

// A file sink as it is where the file system cannot preallocate: no room, so events wait for
// their write(2), which is quick.
class NoRoom final : public audit::Sink {
 public:
  explicit NoRoom(std::unique_ptr<audit::Sink> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::size_t max_batch() const override { return inner_->max_batch(); }
  std::expected<void, audit::SinkError> write(std::span<const std::string> events) override {
    return inner_->write(events);
  }
  bool write_is_quick() const override { return inner_->write_is_quick(); }

 private:
  std::unique_ptr<audit::Sink> inner_;
};

audit::Event test_event(int i) {
  return audit::Event(audit::ConfigReload{"test-" + std::to_string(i), true, {}});
}

std::unique_ptr<audit::Writer> writer_with(ControlledSink*& out, audit::WriterOptions options = {},
                                           std::unique_ptr<audit::Sink> inner = nullptr) {
  auto sink = std::make_unique<ControlledSink>(std::move(inner));
  out = sink.get();
  std::vector<std::unique_ptr<audit::Sink>> sinks;
  sinks.push_back(std::move(sink));
  return std::make_unique<audit::Writer>(std::move(sinks), options);
}

}  // namespace

TEST_CASE("writer: group commit acknowledges a batch only after it is written, then fsyncs it", "[audit][writer]") {
  audit_test::TempDir dir;
  audit::FileSinkOptions file_options;
  file_options.path = dir.path() / "audit.jsonl";
  file_options.fsync = audit::FsyncMode::kBatch;
  auto file = audit::FileSink::open(file_options, test_key());
  REQUIRE(file);
  const audit::FileSink* file_sink = file->get();

  ControlledSink* gate = nullptr;
  auto writer = writer_with(gate, {}, std::move(*file));
  gate->set_open(false);

  const auto first = writer->submit(test_event(0));
  gate->wait_writes_started(1);  // the writer thread is inside write() with event 0
  std::vector<audit::Ticket> tickets;
  const auto before = std::chrono::steady_clock::now();
  for (int i = 1; i <= 10; ++i) tickets.push_back(writer->submit(test_event(i)));
  CHECK(std::chrono::steady_clock::now() - before < 1s);  // submit did not wait for the sink

  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(first.done());
  for (const auto& t : tickets) CHECK_FALSE(t.done());
  CHECK(audit_test::read_lines(file_options.path).empty());
  CHECK(writer->stats()[0].queue_depth == 10);

  gate->set_open(true);
  CHECK(first.wait_for(5s) == Outcome::kRecorded);
  for (const auto& t : tickets) {
    REQUIRE(t.wait_for(5s) == Outcome::kRecorded);
    CHECK(t.may_proceed());
  }
  // Every acknowledged event is in the file, chained; two batches, each fsynced behind the
  // writer (one fsync may cover both).
  CHECK(audit_test::read_lines(file_options.path).size() == 11);
  CHECK(gate->batch_sizes() == std::vector<std::size_t>{1, 10});
  for (int i = 0; i < 500 && file_sink->fsync_count() == 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(file_sink->fsync_count() >= 1);
  CHECK(file_sink->fsync_count() <= 2);
  writer->close();
  const auto files = audit::FileSink::chain_files(file_options.path);
  const auto report = audit::verify_files(test_key(), files);
  REQUIRE(report);
  CHECK(report->ok());
  const auto stats = writer->stats()[0];
  CHECK(stats.recorded == 11);
  CHECK(stats.batches == 2);
  CHECK(stats.queue_depth == 0);
}

TEST_CASE("writer: on_complete runs once, on the writer thread or at once when already done", "[audit][writer]") {
  ControlledSink* gate = nullptr;
  auto writer = writer_with(gate);
  gate->set_open(false);
  const auto ticket = writer->submit(test_event(1));
  std::atomic<int> calls{0};
  std::promise<Outcome> seen;
  ticket.on_complete([&](Outcome o, const std::string&) {
    ++calls;
    seen.set_value(o);
  });
  gate->set_open(true);
  auto future = seen.get_future();
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  CHECK(future.get() == Outcome::kRecorded);
  int late = 0;
  ticket.on_complete([&](Outcome o, const std::string&) { late += o == Outcome::kRecorded; });
  CHECK(late == 1);
  CHECK(calls == 1);
}

TEST_CASE("writer: on_failure block refuses while the sink fails and recovers by itself", "[audit][writer]") {
  ControlledSink* sink = nullptr;
  auto writer = writer_with(sink, {audit::FailurePolicy::kBlock, 100});
  CHECK(writer->submit(test_event(1)).wait_for(5s) == Outcome::kRecorded);

  sink->set_failing(true);
  const auto refused = writer->submit(test_event(2));
  CHECK(refused.wait_for(5s) == Outcome::kFailed);
  CHECK_FALSE(refused.may_proceed());
  CHECK_THAT(refused.error(), Catch::Contains("No space left on device"));
  CHECK_FALSE(writer->healthy());
  auto stats = writer->stats()[0];
  CHECK(stats.failed == 1);
  CHECK(stats.write_errors == 1);
  CHECK(stats.dropped == 0);
  CHECK_THAT(stats.last_error, Catch::Contains("No space"));

  sink->set_failing(false);  // e.g. space was freed: the next event goes through
  CHECK(writer->submit(test_event(3)).wait_for(5s) == Outcome::kRecorded);
  CHECK(writer->healthy());
}

TEST_CASE("writer: on_failure continue drops and counts", "[audit][writer]") {
  ControlledSink* sink = nullptr;
  auto writer = writer_with(sink, {audit::FailurePolicy::kContinue, 100});
  sink->set_failing(true);
  const auto t1 = writer->submit(test_event(1));
  const auto t2 = writer->submit(test_event(2));
  CHECK(t1.wait_for(5s) == Outcome::kDropped);
  CHECK(t2.wait_for(5s) == Outcome::kDropped);
  CHECK(t1.may_proceed());
  const auto stats = writer->stats()[0];
  CHECK(stats.dropped == 2);
  CHECK(stats.failed == 0);
}

TEST_CASE("writer: a full queue completes at once instead of blocking the caller", "[audit][writer]") {
  for (const auto policy : {audit::FailurePolicy::kBlock, audit::FailurePolicy::kContinue}) {
    ControlledSink* sink = nullptr;
    auto writer = writer_with(sink, {policy, 3});
    sink->set_open(false);
    std::vector<audit::Ticket> tickets{writer->submit(test_event(0))};
    sink->wait_writes_started(1);
    for (int i = 1; i <= 3; ++i) tickets.push_back(writer->submit(test_event(i)));  // fills the queue
    const auto overflow = writer->submit(test_event(4));
    REQUIRE(overflow.done());
    CHECK(overflow.outcome() == (policy == audit::FailurePolicy::kBlock ? Outcome::kFailed : Outcome::kDropped));
    CHECK_THAT(overflow.error(), Catch::Contains("queue of 3 events is full"));
    sink->set_open(true);
    for (const auto& t : tickets) CHECK(t.wait_for(5s) == Outcome::kRecorded);
  }
}

TEST_CASE("writer: with several sinks the worst outcome wins; close drains", "[audit][writer]") {
  auto good = std::make_unique<ControlledSink>();
  auto bad = std::make_unique<ControlledSink>();
  bad->set_failing(true);
  ControlledSink* good_ptr = good.get();
  std::vector<std::unique_ptr<audit::Sink>> sinks;
  sinks.push_back(std::move(good));
  sinks.push_back(std::move(bad));
  audit::Writer writer(std::move(sinks));
  good_ptr->set_open(false);
  const auto ticket = writer.submit(test_event(1));
  const auto queued = writer.submit(test_event(2));
  good_ptr->set_open(true);
  writer.close();
  CHECK(ticket.outcome() == Outcome::kFailed);
  CHECK(queued.done());
  CHECK(writer.submit(test_event(3)).outcome() == Outcome::kFailed);  // closed
  CHECK(audit::Writer({}).submit(test_event(4)).outcome() == Outcome::kRecorded);  // no sinks: audit off
}

TEST_CASE("stream sink: plain lines to a descriptor; a closed reader is an error", "[audit][writer]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  audit::StreamSink sink(fds[1], "stdout");
  const std::vector<std::string> events{R"({"type":"a"})", R"({"type":"b"})"};
  REQUIRE(sink.write(events));
  char buf[64] = {};
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  CHECK(std::string(buf, static_cast<std::size_t>(n)) == "{\"type\":\"a\"}\n{\"type\":\"b\"}\n");
  ::close(fds[0]);
  ::signal(SIGPIPE, SIG_IGN);
  const auto broken = sink.write(events);
  REQUIRE_FALSE(broken);
  CHECK(broken.error().code == EPIPE);
  ::close(fds[1]);
}

TEST_CASE("writer: submit_later rides in the next write, or goes out by itself within its bound", "[audit][writer]") {
  audit_test::TempDir dir;
  audit::FileSinkOptions file_options;
  file_options.path = dir.path() / "audit.jsonl";
  file_options.fsync = audit::FsyncMode::kNone;
  auto file = audit::FileSink::open(file_options, test_key());
  REQUIRE(file);
  std::vector<std::unique_ptr<audit::Sink>> sinks;
  sinks.push_back(std::make_unique<NoRoom>(std::move(*file)));
  audit::Writer writer(std::move(sinks));

  // A quick write (fsync: none) on this thread, then a completion nobody waits for: it is queued,
  // not written, until the next event takes it along in the same write(2).
  CHECK(writer.submit(test_event(0)).outcome() == Outcome::kRecorded);
  writer.submit_later(audit::to_line(test_event(1)));
  CHECK(audit_test::read_lines(file_options.path).size() == 1);
  CHECK(writer.submit(test_event(2)).outcome() == Outcome::kRecorded);
  auto lines = audit_test::read_lines(file_options.path);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].find("\"source\":\"test-1\"") != std::string::npos);   // in submission order
  CHECK(lines[2].find("\"source\":\"test-2\"") != std::string::npos);
  CHECK(writer.stats()[0].batches == 2);

  // With no event after it, the writer's thread writes it once it is kLaterBound old.
  const auto queued = std::chrono::steady_clock::now();
  writer.submit_later(audit::to_line(test_event(3)));
  while (audit_test::read_lines(file_options.path).size() < 4 && std::chrono::steady_clock::now() - queued < 5s) {
    std::this_thread::sleep_for(1ms);
  }
  const auto took = std::chrono::steady_clock::now() - queued;
  CHECK(audit_test::read_lines(file_options.path).size() == 4);
  CHECK(took >= audit::Writer::kLaterBound);
  CHECK(took < 2s);

  // Close writes what is still queued.
  writer.submit_later(audit::to_line(test_event(4)));
  writer.close();
  CHECK(audit_test::read_lines(file_options.path).size() == 5);
  const auto report = audit::verify_files(test_key(), audit::FileSink::chain_files(file_options.path));
  REQUIRE(report);
  CHECK(report->ok());
  CHECK(writer.stats()[0].recorded == 5);
}

TEST_CASE("writer: submit_later under on_failure block is counted as failed", "[audit][writer]") {
  ControlledSink* gate = nullptr;
  auto writer = writer_with(gate);
  gate->set_failing(true);
  writer->submit_later(audit::to_line(test_event(0)));
  const auto ticket = writer->submit(test_event(1));
  REQUIRE(ticket.wait_for(5s) == Outcome::kFailed);
  writer->close();
  CHECK(writer->stats()[0].failed == 2);
  // Usually both in one write; the first alone if its kLaterBound passed before the second came.
  const auto sizes = gate->batch_sizes();
  CHECK(std::accumulate(sizes.begin(), sizes.end(), std::size_t{0}) == 2);
}

TEST_CASE("writer: with room set aside an event is acknowledged when queued and written by the thread",
          "[audit][writer][room]") {
  ControlledSink* gate = nullptr;
  auto writer = writer_with(gate);
  const std::string line = audit::to_line(test_event(0));
  gate->set_room(2 * line.size() + line.size() / 2);   // two events, not three
  gate->set_open(false);

  // Acknowledged while no write has even started: the room holds it.
  CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);
  gate->wait_writes_started(1);   // the thread writes it within kLaterBound, without being asked
  // The first is being written (it still counts against the room), the second is queued: a
  // third would not fit, so it waits for its write like any event without room.
  CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);
  const auto third = writer->submit_line(line);
  CHECK(third.outcome() == Outcome::kPending);
  gate->set_open(true);
  REQUIRE(third.wait_for(5s) == Outcome::kRecorded);
  writer->close();
  const auto stats = writer->stats()[0];
  CHECK(stats.recorded == 3);
  const auto sizes = gate->batch_sizes();
  CHECK(sizes.front() == 1);
  CHECK(std::accumulate(sizes.begin(), sizes.end(), std::size_t{0}) == 3);
}

TEST_CASE("writer: an acknowledged event whose write fails is counted, and the next ones wait and fail",
          "[audit][writer][room]") {
  ControlledSink* gate = nullptr;
  auto writer = writer_with(gate);
  const std::string line = audit::to_line(test_event(0));
  gate->set_room(100 * line.size());
  gate->set_failing(true);
  CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);
  gate->wait_writes_started(1);
  // The failed write made the sink unhealthy: no acknowledgement before a write until one works.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (writer->healthy() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  REQUIRE_FALSE(writer->healthy());
  CHECK(writer->submit_line(line).wait_for(5s) == Outcome::kFailed);
  CHECK(writer->stats()[0].failed == 2);
  gate->set_failing(false);
  CHECK(writer->submit_line(line).wait_for(5s) == Outcome::kRecorded);
  CHECK(writer->healthy());
  CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);   // buffered again
  writer->close();
  CHECK(writer->stats()[0].recorded == 2);
}

TEST_CASE("writer: an event beyond the room is written apart, so its failure never takes acknowledged ones along",
          "[audit][writer][room]") {
  ControlledSink* gate = nullptr;
  auto writer = writer_with(gate);
  const std::string line = audit::to_line(test_event(0));
  const std::string beyond = audit::to_line(test_event(999));   // same size: "test-999" vs "test-0"
  gate->set_room(2 * line.size() + line.size() / 2);
  gate->fail_batches_with("test-999");
  gate->set_open(false);

  SECTION("a completion event queued past the room") {
    CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);
    CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);
    writer->submit_later(beyond);   // not write-ahead: queued although the room cannot hold it
    gate->set_open(true);
    writer->close();
    CHECK(writer->stats()[0].recorded == 2);   // both acknowledged events were written
    CHECK(writer->stats()[0].failed == 1);
    CHECK(gate->batch_sizes().back() == 1);
  }
  SECTION("a statement that did not fit waits for its own write") {
    CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);
    CHECK(writer->submit_line(line).outcome() == Outcome::kRecorded);
    const auto third = writer->submit_line(beyond);
    CHECK(third.outcome() == Outcome::kPending);
    gate->set_open(true);
    CHECK(third.wait_for(5s) == Outcome::kFailed);
    writer->close();
    CHECK(writer->stats()[0].recorded == 2);
    CHECK(writer->stats()[0].failed == 1);
  }
}
