// The hash chain that makes an audit file tamper-evident (issue #5 point 3).
//
// Every record line is a JSON object of the form
//   {"seq":N,"prev":"<HMAC(previous record line)>",...event fields...,"mac":"<HMAC(this line
//   up to the comma before "mac")>"}
// with HMAC = HMAC-SHA-256 under the audit key, in lowercase hex. The previous record line is the
// exact bytes of the line before it (without its newline), across rotated files; for seq 1 it is
// the empty string. The first record of a file that continues a rotated one also carries
// "prev_file" (that file's name). Deleting, inserting or reordering lines breaks "seq" or "prev";
// changing a line breaks its own "mac" (so even the newest line is covered); without the key a
// forger can compute neither. What no chain can show is the loss of the newest records at the end
// of the newest file: keep a copy of the latest seq elsewhere (e.g. the metrics) for that.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace audit {

class ChainKey {
 public:
  static constexpr std::size_t kMinBytes = 16;

  // The key is the file's bytes (trailing whitespace trimmed, so `openssl rand -hex 32 > f`
  // works), at least kMinBytes long. Errors name the path or variable, never the key.
  static std::expected<ChainKey, std::string> from_file(const std::filesystem::path& path);
  static std::expected<ChainKey, std::string> from_env(const std::string& variable);
  static std::expected<ChainKey, std::string> from_bytes(std::string bytes);

  // HMAC-SHA-256(key, data) as 64 lowercase hex digits.
  std::string mac_hex(std::string_view data) const;

 private:
  friend class ChainMac;
  explicit ChainKey(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

// HMAC-SHA-256 under one key, keyed once: SHA-256 states with the key's inner and outer pads
// already absorbed, copied for each MAC. The one-shot HMAC() behind mac_hex() keys a fresh
// context on every call, and OpenSSL 3's EVP_MAC re-initializes through its provider layer;
// for a short audit line either costs more than hashing it (issue #5, Performance: a record
// takes two MACs). Not thread-safe: one per writer.
class ChainMac {
 public:
  static constexpr std::size_t kHexDigits = 64;

  explicit ChainMac(const ChainKey& key);
  // Appends HMAC(data) as 64 lowercase hex digits, the same as key.mac_hex(data).
  void append_hex(std::string& out, std::string_view data);
  std::string hex(std::string_view data);
  // Seals out[start..]: appends `open`, HMAC(out[start..]) in hex and `close`, and sets
  // `whole_hex` to the HMAC of everything from `start` on, the seal included. One pass over the
  // record: the second MAC continues the first one's inner hash.
  void seal(std::string& out, std::size_t start, std::string_view open, std::string_view close,
            std::string& whole_hex);

 private:
  struct Pads;
  struct Free {
    void operator()(Pads* pads) const;
  };
  std::unique_ptr<Pads, Free> pads_;
};

// Where a chain stands: the next record gets seq = last_seq + 1 and prev = mac(last_line).
struct ChainPosition {
  std::uint64_t last_seq = 0;
  std::string last_line;  // empty before the first record
};

// Builds the record line (no newline) for `body`, a serialized JSON object (to_line()).
// `body` must not itself contain "seq", "prev", "prev_file" or "mac".
std::string make_record(const ChainKey& key, const ChainPosition& at, std::string_view body,
                        const std::optional<std::string>& prev_file = std::nullopt);
// The same record appended to `out` (no newline), with `prev` the hex MAC of the previous record
// line (empty line for seq 1); the writer's path, which keeps that MAC instead of the line
// (next_prev gets this record's, for the one after it).
void append_record(ChainMac& mac, std::string& out, std::uint64_t seq, std::string_view prev, std::string_view body,
                   const std::optional<std::string>& prev_file, std::string& next_prev);

// The chain fields of a record line; nullopt if the line is not a JSON object with an unsigned
// "seq" and a string "prev".
struct RecordHead {
  std::uint64_t seq = 0;
  std::string prev;
  std::optional<std::string> prev_file;
  std::optional<std::string> time;
};
std::optional<RecordHead> parse_record_head(std::string_view line);

// Whether the line ends with a "mac" member that authenticates everything before it.
bool record_mac_ok(const ChainKey& key, std::string_view line);

}  // namespace audit
