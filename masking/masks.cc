// String masks and the type dispatch. Typed (non-text) masks are in typed_masks.cc.
#include "masking/masks.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <re2/re2.h>

#include "masking/dates.h"
#include "masking/structured_text.h"
#include "masking/utf8.h"

namespace masking {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

void append_repeated(std::string& out, std::string_view fill, std::size_t n) {
  if (fill.size() == 1) {  // the usual "*": one append, not one per hidden character
    out.append(n, fill[0]);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) out.append(fill);
}

void partial_string(const PartialMask& m, std::string_view in, std::string& out) {
  // ASCII (ids, phone numbers: what partial usually gets) has one byte per character.
  const bool ascii = utf8::is_ascii(in);
  const std::size_t n = ascii ? in.size() : utf8::count(in);
  // A value no longer than what would be kept is hidden whole: keep_last=4 on "123" must not
  // reveal all of it.
  if (n <= std::size_t{m.keep_first} + m.keep_last) {
    append_repeated(out, m.fill, n);
    return;
  }
  const std::size_t head = ascii ? m.keep_first : utf8::offset_of(in, m.keep_first);
  const std::size_t tail = ascii ? n - m.keep_last : utf8::offset_of(in, n - m.keep_last);
  out.append(in.substr(0, head));
  append_repeated(out, m.fill, n - m.keep_first - m.keep_last);
  out.append(in.substr(tail));
}

void email_string(const EmailMask& m, std::string_view in, std::string& out) {
  const std::size_t at = in.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == in.size()) {
    out.append("***");
    return;
  }
  const std::string_view domain = in.substr(at + 1);
  if (m.keep == EmailMask::Keep::kDomain) {
    out.append("***@");
    out.append(domain);
    return;
  }
  out.append(in.substr(0, utf8::sequence_length(in, 0)));
  out.append("***@***");
  if (const std::size_t dot = domain.rfind('.'); dot != std::string_view::npos) out.append(domain.substr(dot));
}

void hash_string(const HashMask& m, const MaskKey& key, std::string_view in, std::string& out) {
  // Reused per thread: the stream is 2 bytes per output character, past the short-string buffer.
  thread_local std::string bytes;
  key.stream("hash", in, std::size_t{m.length} * 2, bytes);
  const std::size_t radix = m.alphabet.size();
  for (std::size_t i = 0; i < m.length; ++i) {
    // 16 bits per character: the modulo bias is below 0.1% for alphabets up to 64 characters.
    const unsigned v = (static_cast<unsigned char>(bytes[2 * i]) << 8) | static_cast<unsigned char>(bytes[2 * i + 1]);
    out.push_back(m.alphabet[v % radix]);
  }
}

void tokenize_string(const MaskKey& key, std::string_view in, std::string& out) {
  std::string stream;
  key.stream("tokenize", in, utf8::count(in), stream);
  std::size_t k = 0;
  for (std::size_t i = 0; i < in.size(); ++k) {
    const std::size_t len = utf8::sequence_length(in, i);
    const auto shift = static_cast<unsigned char>(stream[k]);
    const char c = in[i];
    if (len > 1 || static_cast<unsigned char>(c) >= 0x80) {
      // Non-ASCII characters are almost always letters (names, addresses): they become ASCII
      // letters, keeping the character count but not the script.
      out.push_back(static_cast<char>('a' + shift % 26));
    } else if (c >= '0' && c <= '9') {
      out.push_back(static_cast<char>('0' + (c - '0' + shift) % 10));
    } else if (c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>('a' + (c - 'a' + shift) % 26));
    } else if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>('A' + (c - 'A' + shift) % 26));
    } else {
      out.push_back(c);  // separators keep the shape: "+1 (415) 555-2671"
    }
    i += len;
  }
}

std::int64_t floor_to(std::int64_t v, std::int64_t width) {
  std::int64_t q = v / width;
  if (v % width != 0 && v < 0) --q;
  return q * width;
}

// A whole string that is a number: integer exactly, anything else through double.
std::optional<std::int64_t> number_floor(std::string_view s, std::int64_t width) {
  std::int64_t i = 0;
  if (auto r = std::from_chars(s.data(), s.data() + s.size(), i); r.ec == std::errc() && r.ptr == s.data() + s.size())
    return floor_to(i, width);
  double d = 0;
  if (auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(d) && std::fabs(d) < 9e18)
    return floor_to(static_cast<std::int64_t>(std::floor(d)), width);
  return std::nullopt;
}

void generalize_string(const GeneralizeMask& m, std::string_view in, std::string& out) {
  if (auto d = parse_iso_date(in)) {
    fmt::format_to(std::back_inserter(out), "{:04}", d->date.year);
    if (m.date == GeneralizeMask::Date::kMonth) fmt::format_to(std::back_inserter(out), "-{:02}", d->date.month);
    return;
  }
  if (auto lo = number_floor(in, m.number_width)) {
    fmt::format_to(std::back_inserter(out), "{}-{}", *lo, *lo + m.number_width - 1);
    return;
  }
  out.append(kDefaultRedaction);
}


}  // namespace

std::string Mask::describe() const {
  return std::visit(
      Overloaded{
          [](const RedactMask& m) { return fmt::format("redact({:?})", m.text); },
          [](const NullMask&) { return std::string("null"); },
          [](const PartialMask& m) {
            return fmt::format("partial(keep_first={}, keep_last={}, fill={:?})", m.keep_first, m.keep_last, m.fill);
          },
          [](const EmailMask& m) {
            return fmt::format("email(keep={})", m.keep == EmailMask::Keep::kDomain ? "domain" : "first_letter");
          },
          [](const HashMask& m) { return fmt::format("hash(length={}, alphabet={:?})", m.length, m.alphabet); },
          [](const TokenizeMask&) { return std::string("tokenize"); },
          [](const ReplaceMask& m) { return fmt::format("replace({:?} -> {:?})", m.pattern->pattern(), m.replacement); },
          [](const GeneralizeMask& m) {
            return fmt::format("generalize(date={}, number={})", m.date == GeneralizeMask::Date::kYear ? "year" : "month",
                               m.number_width);
          },
      },
      spec);
}

bool needs_key(const Mask& mask) {
  return std::holds_alternative<HashMask>(mask.spec) || std::holds_alternative<TokenizeMask>(mask.spec);
}

void mask_string(const Mask& mask, const MaskKey& key, std::string_view in, std::string& out) {
  std::visit(Overloaded{
                 [&](const RedactMask& m) { out.append(m.text); },
                 [](const NullMask&) {},
                 [&](const PartialMask& m) { partial_string(m, in, out); },
                 [&](const EmailMask& m) { email_string(m, in, out); },
                 [&](const HashMask& m) { hash_string(m, key, in, out); },
                 [&](const TokenizeMask&) { tokenize_string(key, in, out); },
                 [&](const ReplaceMask& m) {
                   std::string s(in);
                   RE2::GlobalReplace(&s, *m.pattern, m.replacement);
                   out.append(s);
                 },
                 [&](const GeneralizeMask& m) { generalize_string(m, in, out); },
             },
             mask.spec);
}

MaskOutcome apply_mask(const Mask& mask, const MaskKey& key, const ValueType& type, std::string_view in,
                       std::string& out) {
  if (std::holds_alternative<NullMask>(mask.spec)) return MaskOutcome::kNull;
  const std::size_t mark = out.size();
  switch (type.cls()) {
    case TypeClass::kText:
      mask_string(mask, key, in, out);
      return MaskOutcome::kValue;
    case TypeClass::kXml: {
      std::string masked;
      mask_string(mask, key, in, masked);
      append_xml_escaped(out, masked);
      return MaskOutcome::kValue;
    }
    case TypeClass::kJson:
    case TypeClass::kJsonb: {
      const bool ok = map_json_leaves(
          in,
          [&](std::string_view leaf, JsonToken kind, std::string& replacement) {
            if (kind == JsonToken::kKey) return false;  // keys are the document's shape
            mask_string(mask, key, leaf, replacement);
            return true;
          },
          out);
      if (ok) return MaskOutcome::kValue;
      out.resize(mark);
      return MaskOutcome::kNull;  // not JSON we understand: hide it whole
    }
    case TypeClass::kTextArray:
    case TypeClass::kIntArray: {
      const ValueType element{array_element_oid(type.oid), -1};
      const bool ok = map_array_elements(
          in,
          [&](std::string_view e, std::string& replacement) {
            return apply_mask(mask, key, element, e, replacement) == MaskOutcome::kValue ? ElementResult::kReplaced
                                                                                           : ElementResult::kNull;
          },
          out);
      if (ok) return MaskOutcome::kValue;
      out.resize(mark);
      return MaskOutcome::kNull;
    }
    default:
      return mask_typed(mask, key, type, in, out);
  }
}

}  // namespace masking
