// `pgveil audit tail` end to end: filters and formats on a file sink's output, and -f following
// the file while the sink writes and rotates it.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "audit/event.h"
#include "audit/file_sink.h"
#include "support/files.h"
#include "support/process.h"

using namespace std::chrono_literals;

namespace {

audit::ChainKey key() { return *audit::ChainKey::from_bytes("0123456789abcdef-tail-key"); }

std::string line_of(const audit::EventBody& body) { return audit::to_line(audit::Event(body)); }

testsupport::RunResult pgveil(const std::vector<std::string>& args, std::vector<std::string> env = {}) {
  std::vector<std::string> argv = {PGVEIL_BINARY, "audit", "tail"};
  argv.insert(argv.end(), args.begin(), args.end());
  return testsupport::run(argv, {}, env, std::chrono::seconds(30));
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("pgveil audit tail: filters, last N, JSON and readable lines", "[audit][tail]") {
  testsupport::TempDir dir("pgveil-tail");
  const std::string path = dir.path() + "/audit.jsonl";
  auto sink = audit::FileSink::open({.path = path, .fsync = audit::FsyncMode::kNone}, key());
  REQUIRE(sink);
  const audit::SessionRef alice{1, "alice", 12, "support", "prod"}, bob{2, "bob", 13, "support", "prod"};
  std::vector<std::string> batch;
  for (int i = 0; i < 15; ++i) {
    batch.push_back(line_of(audit::Statement{i % 2 == 0 ? alice : bob, std::uint64_t(i), "simple", "",
                                             audit::analyze_statement("SELECT * FROM t WHERE id = " + std::to_string(i)), {}, 0}));
  }
  batch.push_back(line_of(audit::Refusal{bob, "1.2.3.4:5", "statement", "role support: read-only", "25006", "no",
                                         audit::analyze_statement("DELETE FROM t")}));
  REQUIRE((*sink)->write(batch));

  auto r = pgveil({"--json", "--person", "alice", "-n", "100", path});
  REQUIRE(r.exit_code == 0);
  auto out = lines(r.out);
  REQUIRE(out.size() == 8);
  for (const auto& l : out) CHECK(nlohmann::json::parse(l)["person"] == "alice");
  CHECK(nlohmann::json::parse(out[0]).contains("mac"));  // records as written

  r = pgveil({path});  // the last 10 by default
  REQUIRE(r.exit_code == 0);
  out = lines(r.out);
  REQUIRE(out.size() == 10);
  CHECK_THAT(out.back(), Catch::Contains("bob         #13     refusal         DELETE    25006  role support: read-only"));
  CHECK(r.out.find('\x1b') == std::string::npos);  // not a TTY: no colour

  r = pgveil({"--refused", "--grant", "13", path});
  REQUIRE(lines(r.out).size() == 1);
  r = pgveil({"--type", "statement,refusal", "--since", "1h", "--json", path});
  CHECK(lines(r.out).size() == 16);
  r = pgveil({"--since", "2200-01-01", path});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());

  CHECK(pgveil({"--type", "selects", path}).exit_code == 2);
  CHECK(pgveil({"--since", "soon", path}).exit_code == 2);
  CHECK(pgveil({"--since", "2999-01-01", path}).exit_code == 2);
  CHECK(pgveil({dir.path() + "/missing"}).exit_code == 1);
  CHECK(pgveil({"--help"}).exit_code == 0);
}

TEST_CASE("pgveil audit tail -f: follows the file across rotations", "[audit][tail]") {
  testsupport::TempDir dir("pgveil-tail");
  const std::string path = dir.path() + "/audit.jsonl";
  auto sink = audit::FileSink::open({.path = path, .fsync = audit::FsyncMode::kNone, .rotate_size = 1000}, key());
  REQUIRE(sink);
  REQUIRE((*sink)->write(std::vector<std::string>{line_of(audit::ConfigReload{"old", true, {}})}));

  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  testsupport::SpawnSpec spec;
  spec.argv = {PGVEIL_BINARY, "audit", "tail", "-f", "-n", "0", "--json", "--type", "config_reload", "--interval", "20", path};
  spec.stdout_fd = fds[1];
  const pid_t pid = testsupport::spawn(spec);
  ::close(fds[1]);

  std::this_thread::sleep_for(300ms);  // let it read the existing line (-n 0: not printed)
  std::uint64_t rotations_before = (*sink)->rotation_count();
  for (int i = 0; i < 20; ++i) {
    REQUIRE((*sink)->write(std::vector<std::string>{line_of(audit::ConfigReload{"new", true, {}}),
                                                    line_of(audit::SessionStart{{1, "x", 1, "r", "d"}, "", {}, ""})}));
    if (i % 5 == 0) std::this_thread::sleep_for(50ms);
  }
  CHECK((*sink)->rotation_count() > rotations_before + 3);

  std::string got;
  std::set<std::uint64_t> seqs;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (seqs.size() < 20 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 200) != 1) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
    seqs.clear();
    for (const auto& l : lines(got)) {
      const auto j = nlohmann::json::parse(l);
      CHECK(j["type"] == "config_reload");
      CHECK(j["source"] == "new");
      seqs.insert(j["seq"].get<std::uint64_t>());
    }
  }
  ::kill(pid, SIGTERM);
  testsupport::wait_for_exit(pid, 5s);
  ::close(fds[0]);
  CHECK(seqs.size() == 20);
  CHECK(lines(got).size() == 20);  // none twice
}
