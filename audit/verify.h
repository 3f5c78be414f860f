// Checks the hash chain of audit files (chain.h) and finds the first record that breaks it
// (issue #5 point 5: `pgveil audit verify`).
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "audit/chain.h"

namespace audit {

struct VerifyOptions {
  // Accept a chain whose first record is not seq 1: the older files were purged by retention.
  // The first record's "prev" then cannot be checked.
  bool allow_partial_start = false;
};

struct ChainBreak {
  std::filesystem::path file;
  std::uint64_t line = 0;             // 1-based line in `file`
  std::optional<std::uint64_t> seq;   // the record's seq if it could be read
  std::string reason;
};

struct VerifyReport {
  std::size_t files = 0;
  std::uint64_t records = 0;  // records checked before the break (all of them when intact)
  std::optional<std::uint64_t> first_seq, last_seq;
  std::optional<ChainBreak> broken;

  bool ok() const { return !broken; }
};

// `files` in rotation order, oldest first (FileSink::chain_files gives it). An error only when a
// file cannot be read; tampering is reported in VerifyReport::broken.
std::expected<VerifyReport, std::string> verify_files(const ChainKey& key, std::span<const std::filesystem::path> files,
                                                      const VerifyOptions& options = {});

}  // namespace audit
