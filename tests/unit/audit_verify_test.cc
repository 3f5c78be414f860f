// verify catches each kind of tampering (issue #5 tests), across rotated files.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "audit/file_sink.h"
#include "audit/verify.h"
#include "audit_test_support.h"

using audit_test::read_lines;
using audit_test::test_key;
using audit_test::write_lines;
namespace fs = std::filesystem;

namespace {

std::string body(int i) { return nlohmann::json({{"type", "test"}, {"n", i}, {"note", "record number " + std::to_string(i)}}).dump(); }

// Writes `count` records, one per batch, rotating every `per_file` records; returns chain_files.
std::vector<fs::path> write_chain(const fs::path& path, int count, std::uint64_t rotate_size = 0) {
  audit::FileSinkOptions options;
  options.path = path;
  options.fsync = audit::FsyncMode::kNone;
  options.rotate_size = rotate_size;
  auto sink = audit::FileSink::open(options, test_key());
  REQUIRE(sink);
  for (int i = 1; i <= count; ++i) {
    const std::vector<std::string> one{body(i)};
    REQUIRE((*sink)->write(one));
  }
  return audit::FileSink::chain_files(path);
}

audit::VerifyReport verify(const std::vector<fs::path>& files, const audit::VerifyOptions& options = {}) {
  auto report = audit::verify_files(test_key(), files, options);
  REQUIRE(report);
  return *report;
}

}  // namespace

TEST_CASE("verify: an untouched chain is ok", "[audit][verify]") {
  audit_test::TempDir dir;
  const auto files = write_chain(dir.path() / "audit.jsonl", 10);
  const auto report = verify(files);
  CHECK(report.ok());
  CHECK(report.records == 10);
  CHECK(report.first_seq == 1u);
  CHECK(report.last_seq == 10u);
}

TEST_CASE("verify: each kind of tampering in one file is caught at the right record", "[audit][verify]") {
  audit_test::TempDir dir;
  const fs::path path = dir.path() / "audit.jsonl";
  const auto files = write_chain(path, 10);
  const auto original = read_lines(path);
  REQUIRE(original.size() == 10);
  auto lines = original;

  SECTION("delete a line") {
    lines.erase(lines.begin() + 4);  // seq 5
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 5);
    CHECK(r.broken->seq == 6u);
    CHECK_THAT(r.broken->reason, Catch::Contains("record 5 was deleted"));
    CHECK(r.records == 4);
  }
  SECTION("delete the first line") {
    lines.erase(lines.begin());
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 1);
    CHECK_THAT(r.broken->reason, Catch::Contains("starts at seq 2"));
  }
  SECTION("edit one byte inside a value") {
    const auto at = lines[6].find("record number 7");
    REQUIRE(at != std::string::npos);
    lines[6][at] = 'R';
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 7);
    CHECK(r.broken->seq == 7u);
    CHECK_THAT(r.broken->reason, Catch::Contains("changed"));
  }
  SECTION("edit one byte in the newest record") {
    const auto at = lines[9].find("record number 10");
    lines[9][at] = 'R';
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 10);
  }
  SECTION("edit a byte of JSON structure") {
    lines[2][0] = '[';
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 3);
    CHECK_FALSE(r.broken->seq);
  }
  SECTION("swap two lines") {
    std::swap(lines[3], lines[4]);
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 4);
    CHECK(r.broken->seq == 5u);
  }
  SECTION("insert a forged line with a valid-looking seq and prev") {
    // The forger copies record 4's head and renumbers: without the key neither mac nor prev fits.
    auto forged = nlohmann::json::parse(lines[3]);
    forged["seq"] = 5;
    forged["note"] = "forged";
    lines.insert(lines.begin() + 4, forged.dump());
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 5);
  }
  SECTION("a forged line with a correct mac under another key") {
    audit::ChainPosition at{4, lines[3]};
    const auto other = test_key("another-key-that-is-long-enough");
    lines[4] = audit::make_record(other, at, body(5));
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 5);
  }
  SECTION("truncate a line in the middle of the file") {
    lines[5] = lines[5].substr(0, lines[5].size() / 2);
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 6);
  }
  SECTION("cut the file in the middle of the last record") {
    const std::string all = audit_test::read_all(path);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << all.substr(0, all.size() - 20);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 10);
    CHECK_THAT(r.broken->reason, Catch::Contains("no newline"));
  }
  SECTION("an empty line") {
    lines.insert(lines.begin() + 2, "");
    write_lines(path, lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->line == 3);
  }
}

TEST_CASE("verify: rotated files chain into each other; a dropped or misordered file is caught", "[audit][verify]") {
  audit_test::TempDir dir;
  const fs::path path = dir.path() / "audit.jsonl";
  const auto files = write_chain(path, 30, 1000);  // about 5 records per file
  REQUIRE(files.size() >= 4);
  CHECK(verify(files).ok());
  CHECK(verify(files).records == 30);

  SECTION("drop a rotated file") {
    auto without = files;
    without.erase(without.begin() + 1);
    const auto r = verify(without);
    REQUIRE(r.broken);
    CHECK(r.broken->file == files[2]);
    CHECK(r.broken->line == 1);
    CHECK_THAT(r.broken->reason, Catch::Contains("rotated file is missing"));
    CHECK_THAT(r.broken->reason, Catch::Contains(files[1].filename().string()));
  }
  SECTION("files out of order") {
    auto swapped = files;
    std::swap(swapped[1], swapped[2]);
    const auto r = verify(swapped);
    REQUIRE(r.broken);
    CHECK(r.broken->file == swapped[1]);
  }
  SECTION("the oldest file purged: refused unless allowed") {
    const std::vector<fs::path> tail(files.begin() + 1, files.end());
    CHECK_FALSE(verify(tail).ok());
    CHECK(verify(tail, {.allow_partial_start = true}).ok());
  }
  SECTION("truncating the end of a rotated file is caught by the next file") {
    auto lines = read_lines(files[1]);
    lines.pop_back();
    write_lines(files[1], lines);
    const auto r = verify(files);
    REQUIRE(r.broken);
    CHECK(r.broken->file == files[2]);
  }
}

TEST_CASE("verify: an unreadable file is an error, not a verdict", "[audit][verify]") {
  audit_test::TempDir dir;
  const std::vector<fs::path> files{dir.path() / "missing.jsonl"};
  CHECK_FALSE(audit::verify_files(test_key(), files));
}

TEST_CASE("chain keys come from a file or the environment and must be long enough", "[audit][chain]") {
  audit_test::TempDir dir;
  const fs::path key_file = dir.path() / "key";
  std::ofstream(key_file) << "0123456789abcdef-test-key\n";  // trailing newline trimmed
  auto from_file = audit::ChainKey::from_file(key_file);
  REQUIRE(from_file);
  CHECK(from_file->mac_hex("x") == test_key().mac_hex("x"));
  ::setenv("PGVEIL_TEST_AUDIT_KEY", "0123456789abcdef-test-key", 1);
  auto from_env = audit::ChainKey::from_env("PGVEIL_TEST_AUDIT_KEY");
  REQUIRE(from_env);
  CHECK(from_env->mac_hex("x") == test_key().mac_hex("x"));
  ::setenv("PGVEIL_TEST_AUDIT_KEY", "short", 1);
  CHECK_FALSE(audit::ChainKey::from_env("PGVEIL_TEST_AUDIT_KEY"));
  CHECK_FALSE(audit::ChainKey::from_env("PGVEIL_TEST_AUDIT_KEY_UNSET"));
  CHECK_FALSE(audit::ChainKey::from_file(dir.path() / "nope"));
  CHECK(test_key().mac_hex("").size() == 64);
}
