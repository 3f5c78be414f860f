#include "audit/sql_scrub.h"

#include <pg_query.h>

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>
#include <vector>

namespace audit {
namespace {

// Token numbers from pg_query.proto (enum Token), libpg_query 15-4.0.0.
enum TokenKind : std::uint32_t {
  kFconst = 260,
  kSconst = 261,
  kUsconst = 262,
  kBconst = 263,
  kXconst = 264,
  kIconst = 266,
  kParam = 267,
  kSqlComment = 275,
  kCComment = 276,
};

struct Token {
  std::uint32_t start = 0, end = 0, kind = 0;
};

// A minimal protobuf reader for ScanResult { repeated ScanToken tokens = 2; } and
// ScanToken { int32 start = 1; int32 end = 2; Token token = 4; ... }: the protobuf-c headers
// that pg_query.pb-c.h needs are not shipped with Debian's libpg-query-dev, and the wire format
// of these two messages is a handful of varints.
class ProtoReader {
 public:
  ProtoReader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ == end_; }

  std::optional<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const std::uint8_t byte = *p_++;
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }

  // Reads a field key; for length-delimited fields returns the sub-message in `sub`, for
  // scalar varints the value in `value`; skips fixed-size fields. false on malformed input.
  bool field(std::uint32_t& number, std::uint64_t& value, ProtoReader& sub) {
    const auto key = varint();
    if (!key) return false;
    number = static_cast<std::uint32_t>(*key >> 3);
    switch (*key & 7) {
      case 0: {
        const auto v = varint();
        if (!v) return false;
        value = *v;
        return true;
      }
      case 1: return skip(8);
      case 5: return skip(4);
      case 2: {
        const auto len = varint();
        if (!len || *len > static_cast<std::uint64_t>(end_ - p_)) return false;
        sub = ProtoReader(p_, *len);
        p_ += *len;
        return true;
      }
      default: return false;
    }
  }

 private:
  bool skip(std::size_t n) {
    if (n > static_cast<std::size_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

std::optional<std::vector<Token>> decode_tokens(const PgQueryProtobuf& pbuf) {
  std::vector<Token> tokens;
  ProtoReader result(reinterpret_cast<const std::uint8_t*>(pbuf.data), pbuf.len);
  while (!result.done()) {
    std::uint32_t number = 0;
    std::uint64_t value = 0;
    ProtoReader sub(nullptr, 0);
    if (!result.field(number, value, sub)) return std::nullopt;
    if (number != 2) continue;
    Token token;
    while (!sub.done()) {
      std::uint32_t n = 0;
      std::uint64_t v = 0;
      ProtoReader ignored(nullptr, 0);
      if (!sub.field(n, v, ignored)) return std::nullopt;
      if (n == 1) token.start = static_cast<std::uint32_t>(v);
      if (n == 2) token.end = static_cast<std::uint32_t>(v);
      if (n == 4) token.kind = static_cast<std::uint32_t>(v);
    }
    tokens.push_back(token);
  }
  return tokens;
}

bool is_constant(std::uint32_t kind) {
  return kind == kFconst || kind == kSconst || kind == kUsconst || kind == kBconst || kind == kXconst ||
         kind == kIconst;
}

bool is_comment(std::uint32_t kind) { return kind == kSqlComment || kind == kCComment; }

// Largest $n already in the text, so new placeholders do not collide with it.
int highest_param(std::string_view sql, const std::vector<Token>& tokens) {
  int highest = 0;
  for (const auto& t : tokens) {
    if (t.kind != kParam || t.end <= t.start + 1) continue;
    int n = 0;
    for (char c : sql.substr(t.start + 1, t.end - t.start - 1)) {
      if (c < '0' || c > '9' || n > 100'000) break;
      n = n * 10 + (c - '0');
    }
    highest = std::max(highest, n);
  }
  return highest;
}

}  // namespace

std::optional<std::string> scrub_literals(std::string_view sql) {
  const std::string input(sql);
  PgQueryScanResult scan = pg_query_scan(input.c_str());
  std::optional<std::vector<Token>> tokens;
  if (scan.error == nullptr) tokens = decode_tokens(scan.pbuf);
  pg_query_free_scan_result(scan);
  if (!tokens) return std::nullopt;

  int next_param = highest_param(sql, *tokens) + 1;
  std::string out;
  out.reserve(sql.size());
  // Whitespace between tokens, comments, and any text the scanner did not classify all become
  // one space: only token text is copied verbatim.
  auto separate = [&out] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  std::uint32_t pos = 0;
  for (const auto& t : *tokens) {
    if (t.start < pos || t.end < t.start || t.end > sql.size()) return std::nullopt;
    if (t.start > pos) separate();
    if (is_comment(t.kind)) {
      separate();
    } else if (is_constant(t.kind)) {
      out += fmt::format("${}", next_param++);
    } else {
      out += sql.substr(t.start, t.end - t.start);
    }
    pos = t.end;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace audit
