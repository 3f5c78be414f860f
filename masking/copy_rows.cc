#include "masking/copy_rows.h"

#include <fmt/format.h>

#include "proxy/wire/bytes.h"

namespace masking {
namespace {

std::unexpected<MaskError> malformed(std::string message) {
  return std::unexpected(MaskError{MaskError::Kind::kMalformed, std::move(message)});
}

// A field of a COPY row: the raw bytes as sent, and whether it is the NULL marker.
struct RawField {
  std::string_view raw;
  bool quoted = false;  // CSV only
};

// Text format: backslash escapes as in PostgreSQL's CopyReadAttributesText.
void decode_text_field(std::string_view raw, std::string& out) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out.push_back(c);
      continue;
    }
    c = raw[++i];
    auto octal = [](char ch) { return ch >= '0' && ch <= '7'; };
    auto hex = [](char ch) -> int {
      if (ch >= '0' && ch <= '9') return ch - '0';
      if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
      if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
      return -1;
    };
    if (octal(c)) {
      int v = c - '0';
      for (int k = 0; k < 2 && i + 1 < raw.size() && octal(raw[i + 1]); ++k) v = v * 8 + (raw[++i] - '0');
      out.push_back(static_cast<char>(v & 0xFF));
    } else if (c == 'x' && i + 1 < raw.size() && hex(raw[i + 1]) >= 0) {
      int v = hex(raw[++i]);
      if (i + 1 < raw.size() && hex(raw[i + 1]) >= 0) v = v * 16 + hex(raw[++i]);
      out.push_back(static_cast<char>(v));
    } else {
      switch (c) {
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        default: out.push_back(c);  // \\ and \<delimiter> and any other: the character itself
      }
    }
  }
}

// As CopyAttributeOutText: the characters that would end or confuse a field are escaped.
void encode_text_field(std::string_view value, char delimiter, std::string& out) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c == delimiter) out.push_back('\\');
        out.push_back(c);
    }
  }
}

std::vector<RawField> split_text(std::string_view row, char delimiter) {
  std::vector<RawField> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= row.size(); ++i) {
    if (i < row.size() && row[i] == '\\') {
      ++i;  // the escaped character never splits
      continue;
    }
    if (i == row.size() || row[i] == delimiter) {
      fields.push_back({row.substr(start, i - start)});
      start = i + 1;
    }
  }
  return fields;
}

// Inside quotes: ESCAPE QUOTE is a literal quote, and ESCAPE ESCAPE a literal escape when they
// differ (with the default escape = quote, "" is the only pair).
bool is_escaped_pair(std::string_view s, std::size_t i, const CopyCsvFormat& f) {
  return s[i] == f.escape && i + 1 < s.size() && (s[i + 1] == f.quote || (f.escape != f.quote && s[i + 1] == f.escape));
}

std::expected<std::vector<RawField>, MaskError> split_csv(std::string_view row, const CopyCsvFormat& f) {
  std::vector<RawField> fields;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    bool quoted = false;
    while (i < row.size() && row[i] != f.delimiter) {
      if (row[i] == f.quote) {
        quoted = true;
        for (++i;; ++i) {  // inside quotes: delimiters and newlines are data
          if (i >= row.size()) return malformed("COPY CSV row: unterminated quoted field");
          if (is_escaped_pair(row, i, f)) {
            ++i;
            continue;
          }
          if (row[i] == f.quote) break;
        }
      }
      ++i;
    }
    fields.push_back({row.substr(start, i - start), quoted});
    if (i >= row.size()) break;
    ++i;  // the delimiter
  }
  return fields;
}

void decode_csv_field(std::string_view raw, const CopyCsvFormat& f, std::string& out) {
  bool in_quotes = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (in_quotes && is_escaped_pair(raw, i, f)) {
      out.push_back(raw[++i]);
    } else if (c == f.quote) {
      in_quotes = !in_quotes;
    } else {
      out.push_back(c);
    }
  }
}

void encode_csv_field(std::string_view value, const CopyCsvFormat& f, std::string& out) {
  // Always quoted: never mistaken for the NULL string, and delimiters/newlines stay data.
  out.push_back(f.quote);
  for (char c : value) {
    if (c == f.quote || c == f.escape) out.push_back(f.escape);  // doubled when they are the same
    out.push_back(c);
  }
  out.push_back(f.quote);
}

// The shared loop: split, decode what must be masked, mask, encode, write a CopyData message.
template <class Decode, class Encode, class IsNull>
std::expected<MaskStats, MaskError> mask_copy_row(const Plan& plan, std::string_view row,
                                                  const std::vector<RawField>& fields, char delimiter,
                                                  std::string_view null_string, std::string& out, Decode decode,
                                                  Encode encode, IsNull is_null) {
  if (fields.size() != plan.size())
    return malformed(fmt::format("COPY row has {} columns but {} were expected", fields.size(), plan.size()));
  MaskStats stats;
  std::string payload, decoded, masked;
  payload.reserve(row.size() + 16);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) payload.push_back(delimiter);
    const RawField& field = fields[i];
    if (is_null(field) || plan.columns()[i].kind == ColumnAction::Kind::kPass) {
      payload.append(field.raw);
      continue;
    }
    decoded.clear();
    masked.clear();
    decode(field.raw, decoded);
    auto result = mask_value(plan, i, pgwire::as_bytes(decoded), masked, stats);
    if (!result) return std::unexpected(std::move(result.error()));
    switch (*result) {
      case ValueResult::kUnchanged: payload.append(field.raw); break;
      case ValueResult::kValue: encode(masked, payload); break;
      case ValueResult::kNull: payload.append(null_string); break;
    }
  }
  payload.push_back('\n');
  pgwire::Writer w(out);
  const std::size_t mark = w.begin('d');
  w.bytes(payload);
  w.end(mark);
  return stats;
}

std::string_view strip_newline(std::string_view row) {
  if (row.ends_with('\n')) row.remove_suffix(1);
  if (row.ends_with('\r')) row.remove_suffix(1);
  return row;
}

}  // namespace

std::expected<MaskStats, MaskError> mask_copy_text_row(const Plan& plan, pgwire::Bytes row, std::string& out,
                                                       const CopyTextFormat& format) {
  const std::string_view text = strip_newline(pgwire::as_chars(row));
  const auto fields = split_text(text, format.delimiter);
  return mask_copy_row(
      plan, text, fields, format.delimiter, format.null_string, out, decode_text_field,
      [&](std::string_view v, std::string& o) { encode_text_field(v, format.delimiter, o); },
      [&](const RawField& f) { return f.raw == format.null_string; });
}

std::expected<MaskStats, MaskError> mask_copy_csv_row(const Plan& plan, pgwire::Bytes row, std::string& out,
                                                      const CopyCsvFormat& format) {
  // A quoted field may hold a newline, so only the row's own final newline is removed.
  const std::string_view text = strip_newline(pgwire::as_chars(row));
  auto fields = split_csv(text, format);
  if (!fields) return std::unexpected(std::move(fields.error()));
  return mask_copy_row(
      plan, text, *fields, format.delimiter, format.null_string, out,
      [&](std::string_view raw, std::string& o) { decode_csv_field(raw, format, o); },
      [&](std::string_view v, std::string& o) { encode_csv_field(v, format, o); },
      [&](const RawField& f) { return !f.quoted && f.raw == format.null_string; });
}

}  // namespace masking
