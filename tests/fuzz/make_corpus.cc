// Writes the seed corpora under tests/fuzz/corpus/<target>/ from the unit-test vectors: every
// sample frame alone, all of one side in one stream, the streams captured from PostgreSQL, and
// every startup packet good and bad. Regenerate after adding vectors:
//   build-fuzz/tests/fuzz/make_corpus tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/fuzz/fuzz_input.h"
#include "tests/unit/wire_support.h"

namespace {

namespace fs = std::filesystem;
using pgwire::Side;
using pgwire::test::PasswordPhase;

std::string file_name(std::string_view name) {
  std::string out;
  for (char c : name) out.push_back((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
  return out;
}

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / file_name(name), std::ios::binary) << bytes;
}

PasswordPhase phase_for(std::string_view name) {
  if (name.starts_with("SASLInitialResponse")) return PasswordPhase::kSaslInitial;
  if (name.starts_with("SASLResponse")) return PasswordPhase::kSaslResponse;
  return PasswordPhase::kPassword;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus root, e.g. tests/fuzz/corpus>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  std::string all[2];
  for (const auto& s : pgwire::test::samples()) {
    const char selector = static_cast<char>(pgwire::fuzz::selector(s.side, phase_for(s.name)));
    const std::string prefix = s.side == Side::kFrontend ? "fe-" : "be-";
    for (const char* target : {"fuzz_frame_decoder", "fuzz_roundtrip"}) {
      write(root / target, prefix + s.name, selector + s.frame);
    }
    if (s.frame[0] != 'p') all[s.side == Side::kBackend ? 1 : 0] += s.frame;
  }
  for (int side = 0; side < 2; ++side) {
    const char selector = static_cast<char>(side);
    for (const char* target : {"fuzz_frame_decoder", "fuzz_roundtrip"}) {
      write(root / target, side == 0 ? "fe-all" : "be-all", selector + all[side]);
    }
  }
  for (const auto& c : pgwire::test::captures()) {
    const char selector = static_cast<char>(pgwire::fuzz::selector(c.side, PasswordPhase::kPassword));
    for (const char* target : {"fuzz_frame_decoder", "fuzz_roundtrip"}) {
      write(root / target, "captured-" + c.name, selector + c.stream);
    }
  }
  // Builder-mode seeds for fuzz_roundtrip: one per message kind it builds.
  for (char kind = 0; kind < 5; ++kind) {
    std::string seed(1, static_cast<char>(pgwire::fuzz::kBuilderMode));
    seed += std::string("\x03p1\x02s1\x02\x00\x01\x04\x01\x02\x03\x04\x00\x05hello\x01", 24);
    seed.push_back(kind);  // FuzzedDataProvider takes integers from the end
    write(root / "fuzz_roundtrip", "builder-" + std::to_string(kind), seed);
  }
  for (const auto& s : pgwire::test::startup_samples()) write(root / "fuzz_startup", s.name, s.packet);
  for (const auto& s : pgwire::test::bad_startup_samples()) write(root / "fuzz_startup", "bad " + s.name, s.packet);
  return 0;
}
