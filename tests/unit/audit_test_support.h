// Shared helpers for the audit unit tests: a self-deleting temp directory, a test key, and
// line-level file access for tampering.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "audit/chain.h"
#include "temp_dir.h"

namespace audit_test {

using TempDir = unit_test::TempDir;

inline audit::ChainKey test_key(const std::string& bytes = "0123456789abcdef-test-key") {
  return *audit::ChainKey::from_bytes(bytes);
}

inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

inline std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& line : lines) out << line << '\n';
}

}  // namespace audit_test
