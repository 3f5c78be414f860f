#include "audit/verify.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace audit {
namespace {

namespace fs = std::filesystem;

struct Previous {
  std::string line;  // empty before the first record
  std::uint64_t seq = 0;
  fs::path file;
  std::uint64_t line_no = 0;
  bool any = false;
};

// Why `line` cannot follow `prev`, or nullopt if it is a valid next record.
std::optional<std::string> check_link(const ChainKey& key, const RecordHead& head, const Previous& prev,
                                      bool first_in_file, const VerifyOptions& options) {
  if (!prev.any) {
    if (head.seq == 1) {
      if (head.prev != key.mac_hex("")) return "seq 1 does not carry the chain's start value: forged, or written with another key";
      return std::nullopt;
    }
    if (options.allow_partial_start) return std::nullopt;
    return fmt::format("the chain starts at seq {}, not 1: earlier records or files are missing (give every rotated "
                       "file, oldest first, or --partial if older files were purged on purpose)",
                       head.seq);
  }
  const std::string where = first_in_file && head.prev_file
                                ? fmt::format(" (this file continues {})", *head.prev_file)
                                : std::string();
  if (head.seq > prev.seq + 1) {
    return fmt::format("seq jumps from {} to {}: {} deleted{}{}", prev.seq, head.seq,
                       head.seq - prev.seq - 1 == 1 ? fmt::format("record {} was", prev.seq + 1)
                                                    : fmt::format("records {}..{} were", prev.seq + 1, head.seq - 1),
                       first_in_file ? ", or a rotated file is missing" : "", where);
  }
  if (head.seq <= prev.seq) {
    return fmt::format("seq goes from {} back to {}: records were reordered, duplicated or inserted", prev.seq, head.seq);
  }
  if (head.prev != key.mac_hex(prev.line)) {
    return fmt::format("does not chain to the record before it ({}:{}, seq {}): a record was inserted or removed "
                       "here, or a file is out of order{}",
                       prev.file.filename().string(), prev.line_no, prev.seq, where);
  }
  return std::nullopt;
}

}  // namespace

std::expected<VerifyReport, std::string> verify_files(const ChainKey& key, std::span<const fs::path> files,
                                                      const VerifyOptions& options) {
  VerifyReport report;
  Previous prev;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::unexpected(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    ++report.files;
    std::uint64_t line_no = 0;
    bool first_in_file = true;
    std::string line;
    auto fail = [&](std::optional<std::uint64_t> seq, std::string reason) {
      report.broken = ChainBreak{file, line_no, seq, std::move(reason)};
    };
    while (std::getline(in, line)) {
      ++line_no;
      if (in.eof()) {
        fail(std::nullopt, "the last line has no newline: the file was cut in the middle of a record");
        return report;
      }
      const auto head = parse_record_head(line);
      if (!head) {
        fail(std::nullopt, line.empty() ? "empty line" : "not a chain record (not JSON, or no seq/prev): the line was changed or cut");
        return report;
      }
      if (!record_mac_ok(key, line)) {
        fail(head->seq, "its mac does not match its content: the record was changed (or written with another key)");
        return report;
      }
      if (auto why = check_link(key, *head, prev, first_in_file, options)) {
        fail(head->seq, std::move(*why));
        return report;
      }
      if (!report.first_seq) report.first_seq = head->seq;
      report.last_seq = head->seq;
      ++report.records;
      prev = Previous{std::move(line), head->seq, file, line_no, true};
      first_in_file = false;
    }
    if (in.bad()) return std::unexpected(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
  return report;
}

}  // namespace audit
