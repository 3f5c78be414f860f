// FileSink: chain continuity across rotation and restarts, fsync modes, write errors.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "audit/file_sink.h"
#include "audit/verify.h"
#include "audit_test_support.h"

using namespace std::chrono_literals;
using audit_test::read_lines;
using audit_test::test_key;
namespace fs = std::filesystem;

namespace {

std::string event(int i) { return R"({"type":"test","n":)" + std::to_string(i) + "}"; }
// An event with `pad` more bytes in a member of its own.
std::string padded_event(int i, std::size_t pad) {
  return R"({"type":"test","n":)" + std::to_string(i) + R"(,"pad":")" + std::string(pad, 'x') + "\"}";
}

std::unique_ptr<audit::FileSink> open_sink(const audit::FileSinkOptions& options) {
  auto sink = audit::FileSink::open(options, test_key());
  if (!sink) FAIL("open: " << sink.error().message);
  return std::move(*sink);
}

void write_n(audit::FileSink& sink, int from, int to) {
  for (int i = from; i <= to; ++i) {
    const std::vector<std::string> one{event(i)};
    const auto ok = sink.write(one);
    if (!ok) FAIL("write: " << ok.error().message);
  }
}

bool chain_ok(const fs::path& path, std::uint64_t records) {
  const auto files = audit::FileSink::chain_files(path);
  const auto report = audit::verify_files(test_key(), files);
  if (!report) FAIL(report.error());
  if (report->broken) FAIL(report->broken->file.string() << ":" << report->broken->line << " " << report->broken->reason);
  return report->records == records;
}

std::optional<std::string> prev_file_of_first(const fs::path& file) {
  const auto lines = read_lines(file);
  if (lines.empty()) return std::nullopt;
  return audit::parse_record_head(lines.front())->prev_file;
}

// A small tmpfs (64 KiB unless told) mounted on a temp dir, for a real "file system full". Needs
// root (tests run as root in CI); skipped with a warning otherwise.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::string& size = "64k") {
    mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const fs::path& path() const { return dir_.path(); }

  // Fills the file system with `filler` until write(2) says ENOSPC.
  void fill(const fs::path& filler) {
    const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    const std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    while (::write(fd, block.data(), 1) > 0) {
    }
    ::close(fd);
  }

 private:
  audit_test::TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace

TEST_CASE("file sink: records are chained JSON lines and fsync follows the mode", "[audit][file]") {
  audit_test::TempDir dir;
  audit::FileSinkOptions options;
  options.path = dir.path() / "audit.jsonl";

  SECTION("batch: several events per write call, fsynced behind the writer") {
    options.fsync = audit::FsyncMode::kBatch;
    auto sink = open_sink(options);
    CHECK(sink->max_batch() > 1);
    const std::vector<std::string> batch{event(1), event(2), event(3)};
    REQUIRE(sink->write(batch));
    CHECK(read_lines(options.path).size() == 3);   // in the file when write() returns
    // The background fsync follows within a bounded wait; at most one per write.
    for (int i = 0; i < 500 && sink->fsync_count() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(sink->fsync_count() == 1);
  }
  SECTION("always: one event per batch") {
    options.fsync = audit::FsyncMode::kAlways;
    auto sink = open_sink(options);
    CHECK(sink->max_batch() == 1);
    write_n(*sink, 1, 3);
    CHECK(sink->fsync_count() == 3);
  }
  SECTION("none: no fsync") {
    options.fsync = audit::FsyncMode::kNone;
    auto sink = open_sink(options);
    write_n(*sink, 1, 3);
    CHECK(sink->fsync_count() == 0);
  }
  CHECK(chain_ok(options.path, 3));
  const auto lines = read_lines(options.path);
  CHECK(lines[0].starts_with(R"({"seq":1,"prev":")"));
  CHECK(lines[2].find(R"("type":"test","n":3,"mac":")") != std::string::npos);
}

TEST_CASE("file sink: size rotation continues the chain and names the previous file", "[audit][file]") {
  audit_test::TempDir dir;
  audit::FileSinkOptions options;
  options.path = dir.path() / "audit.jsonl";
  options.rotate_size = 600;
  auto sink = open_sink(options);
  write_n(*sink, 1, 20);
  const auto files = audit::FileSink::chain_files(options.path);
  REQUIRE(files.size() >= 3);
  CHECK(sink->rotation_count() == files.size() - 1);
  CHECK(files.front().filename() == "audit.jsonl.000000000001");
  CHECK(files.back() == options.path);
  CHECK_FALSE(prev_file_of_first(files.front()));
  for (std::size_t i = 1; i < files.size(); ++i) {
    CHECK(prev_file_of_first(files[i]) == files[i - 1].filename().string());
    CHECK(fs::file_size(files[i - 1]) < 600 + 300);  // at most one batch past the limit
  }
  CHECK(chain_ok(options.path, 20));
}

TEST_CASE("file sink: age rotation uses the injected clock", "[audit][file]") {
  audit_test::TempDir dir;
  auto now = audit::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 12 / 3));
  audit::FileSinkOptions options;
  options.path = dir.path() / "audit.jsonl";
  options.rotate_age = 1h;
  options.now = [&now] { return now; };
  auto sink = open_sink(options);
  write_n(*sink, 1, 3);
  now += 59min;
  write_n(*sink, 4, 4);
  CHECK(sink->rotation_count() == 0);
  now += 1min;
  write_n(*sink, 5, 6);
  CHECK(sink->rotation_count() == 1);
  now += 30min;
  write_n(*sink, 7, 7);
  CHECK(sink->rotation_count() == 1);
  CHECK(read_lines(options.path).size() == 3);
  CHECK(chain_ok(options.path, 7));
}

TEST_CASE("file sink: a restart continues the chain", "[audit][file]") {
  audit_test::TempDir dir;
  audit::FileSinkOptions options;
  options.path = dir.path() / "audit.jsonl";
  options.rotate_size = 400;
  write_n(*open_sink(options), 1, 5);

  SECTION("from the active file") {
    auto sink = open_sink(options);
    CHECK(sink->position().last_seq == 5);
    write_n(*sink, 6, 9);
    CHECK(chain_ok(options.path, 9));
  }
  SECTION("from the newest rotated file when the active file is gone") {
    const auto files = audit::FileSink::chain_files(options.path);
    REQUIRE(files.size() >= 2);
    // As if pgveil crashed between the rename and the first record of the new file.
    fs::rename(options.path, dir.path() / "audit.jsonl.999999999999");
    auto sink = open_sink(options);
    CHECK(sink->position().last_seq == 5);
    write_n(*sink, 6, 6);
    CHECK(prev_file_of_first(options.path) == "audit.jsonl.999999999999");
    CHECK(chain_ok(options.path, 6));
  }
  SECTION("a torn last line (crash mid-write) is cut off") {
    { std::ofstream(options.path, std::ios::app) << R"({"seq":6,"prev":"abc)"; }
    auto sink = open_sink(options);
    CHECK(sink->position().last_seq == 5);
    write_n(*sink, 6, 6);
    CHECK(chain_ok(options.path, 6));
  }
  SECTION("a damaged last record refuses to open") {
    { std::ofstream(options.path, std::ios::app) << "not a record\n"; }
    const auto sink = audit::FileSink::open(options, test_key());
    REQUIRE_FALSE(sink);
    CHECK_THAT(sink.error().message, Catch::Contains("not a chain record"));
  }
}

TEST_CASE("file sink: a full file system is reported as ENOSPC, nothing half-written, recovers", "[audit][file][enospc][room]") {
  SmallTmpfs tmpfs;
  if (!tmpfs.mounted()) {
    WARN("SKIPPED: cannot mount a 64 KiB tmpfs (" << tmpfs.error() << "); run as root to test ENOSPC");
    return;
  }
  audit::FileSinkOptions options;
  options.path = tmpfs.path() / "audit.jsonl";
  auto sink = open_sink(options);
  // 64 KiB cannot hold kPreallocate: no room is kept, so each event waits for its write(2).
  CHECK(sink->reserved_room() == 0);
  CHECK(sink->write_is_quick());
  write_n(*sink, 1, 5);
  CHECK(sink->reserved_room() == 0);
  tmpfs.fill(tmpfs.path() / "filler");

  std::vector<std::string> batch;
  for (int i = 6; i < 200; ++i) batch.push_back(event(i) + std::string(200, ' '));
  const auto failed = sink->write(batch);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ENOSPC);
  CHECK_THAT(failed.error().message, Catch::Contains("No space left on device"));
  CHECK_THAT(failed.error().message, Catch::Contains(options.path.string()));
  CHECK(sink->position().last_seq == 5);
  CHECK(chain_ok(options.path, 5));  // the partial batch was cut off

  fs::remove(tmpfs.path() / "filler");
  write_n(*sink, 6, 8);
  CHECK(chain_ok(options.path, 8));
}

TEST_CASE("file sink: OS errors on open and write are returned, never lost", "[audit][file]") {
  SECTION("EACCES: a sysfs file root cannot open for writing") {
    audit::FileSinkOptions options;
    options.path = "/sys/kernel/notes";
    const auto sink = audit::FileSink::open(options, test_key());
    REQUIRE_FALSE(sink);
    CHECK(sink.error().code == EACCES);
    CHECK_THAT(sink.error().message, Catch::Contains("/sys/kernel/notes"));
  }
  SECTION("a missing directory") {
    audit::FileSinkOptions options;
    options.path = "/proc/pgveil-no-such-dir/audit.jsonl";
    const auto sink = audit::FileSink::open(options, test_key());
    REQUIRE_FALSE(sink);
    CHECK(sink.error().code == ENOENT);
  }
  SECTION("EIO: a /proc file that opens but refuses writes") {
    audit::FileSinkOptions options;
    options.path = "/proc/version";
    options.fsync = audit::FsyncMode::kNone;
    auto sink = audit::FileSink::open(options, test_key());
    if (!sink) {
      WARN("SKIPPED: /proc/version cannot be opened for writing here (" << sink.error().message << ")");
      return;
    }
    const std::vector<std::string> one{event(1)};
    const auto written = (*sink)->write(one);
    REQUIRE_FALSE(written);
    CHECK(written.error().code != 0);
    CHECK((*sink)->position().last_seq == 0);
  }
}

namespace {

std::uint64_t allocated_bytes(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

}  // namespace

TEST_CASE("file sink: room is preallocated past the end, unseen in the file's size, given back on close",
          "[audit][file][room]") {
  audit_test::TempDir dir;
  audit::FileSinkOptions options;
  options.path = dir.path() / "audit.jsonl";
  options.fsync = audit::FsyncMode::kBatch;
  std::uint64_t size = 0;
  {
    auto sink = open_sink(options);
    if (sink->reserved_room() == 0) {
      const int fd = ::open((dir.path() / "probe").c_str(), O_RDWR | O_CREAT, 0600);
      REQUIRE(fd >= 0);
      const bool supported = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0 || errno != EOPNOTSUPP;
      ::close(fd);
      REQUIRE_FALSE(supported);   // room 0 is right only where the file system cannot preallocate
      WARN("SKIPPED: " << dir.path() << " does not support fallocate");
      return;
    }
    CHECK(sink->reserved_room() == audit::FileSink::kPreallocate);
    write_n(*sink, 1, 20);
    size = fs::file_size(options.path);
    CHECK(read_lines(options.path).size() == 20);   // readers see records only, no padding
    CHECK(sink->reserved_room() == audit::FileSink::kPreallocate - size);
    CHECK(allocated_bytes(options.path) >= audit::FileSink::kPreallocate);
    // The bound the Writer counts is never below what a record takes.
    const std::string line = event(21);
    const auto before = fs::file_size(options.path);
    write_n(*sink, 21, 21);
    CHECK(fs::file_size(options.path) - before <= sink->written_size_bound(line.size()));
    size = fs::file_size(options.path);
  }
  CHECK(fs::file_size(options.path) == size);
  CHECK(allocated_bytes(options.path) < size + 64 * 1024);   // the room went back on close
  CHECK(chain_ok(options.path, 21));

  SECTION("fsync: always takes none: every record is written and synced before it counts") {
    options.fsync = audit::FsyncMode::kAlways;
    auto sink = open_sink(options);
    CHECK(sink->reserved_room() == 0);
  }
}

TEST_CASE("file sink: records acknowledged into the room are written although the disk fills up",
          "[audit][file][room][enospc]") {
  SmallTmpfs tmpfs("16m");
  if (!tmpfs.mounted()) {
    WARN("SKIPPED: cannot mount a tmpfs (" << tmpfs.error() << "); run as root to test ENOSPC");
    return;
  }
  audit::FileSinkOptions options;
  options.path = tmpfs.path() / "audit.jsonl";
  options.fsync = audit::FsyncMode::kNone;
  auto sink = open_sink(options);
  REQUIRE(sink->reserved_room() == audit::FileSink::kPreallocate);
  tmpfs.fill(tmpfs.path() / "filler");

  // What the room holds (by the Writer's bound) can still be written: nobody else can take it.
  const std::string padded = padded_event(0, 500);
  const auto bound = sink->written_size_bound(padded.size());
  const auto fits = static_cast<int>(sink->reserved_room() / bound);
  REQUIRE(fits > 1000);
  std::vector<std::string> batch;
  for (int i = 1; i <= fits; ++i) batch.push_back(padded_event(i, 500));
  for (std::size_t at = 0; at < batch.size(); at += 100) {
    const std::span<const std::string> part(batch.data() + at, std::min<std::size_t>(100, batch.size() - at));
    const auto ok = sink->write(part);
    REQUIRE(ok);
  }
  CHECK(sink->position().last_seq == static_cast<std::uint64_t>(fits));
  // The room is used up and cannot be topped up: nothing more is acknowledged before its write.
  CHECK(sink->reserved_room() < audit::FileSink::kPreallocate / 2);

  fs::remove(tmpfs.path() / "filler");
  write_n(*sink, fits + 1, fits + 1);
  CHECK(sink->reserved_room() == audit::FileSink::kPreallocate);   // topped up once there is space
  CHECK(chain_ok(options.path, static_cast<std::uint64_t>(fits) + 1));
}
