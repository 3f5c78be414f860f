// Masks: what a matched value becomes (DESIGN.md, issue #4 "Masks").
//
// Every mask is type-aware. On text-like values (text, varchar, bpchar, name, json, jsonb, xml and
// arrays of those, in text form) it is a string transformation: json/jsonb keep their structure
// and only string and number leaves are masked, arrays are masked element by element, xml output
// is escaped so it stays well-formed content. On any other type the result is a valid text form of
// that same type (hash on int4 -> a deterministic int4) or NULL, never text the type's input
// function would reject. Binary formats are handled by binary_values.h around these functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "masking/keyed_hash.h"
#include "masking/pg_types.h"

namespace re2 {
class RE2;
}

namespace masking {

inline constexpr std::string_view kDefaultRedaction = "[redacted]";

struct RedactMask {
  std::string text{kDefaultRedaction};  // the constant every value becomes (text-like types)
};
struct NullMask {};
struct PartialMask {
  std::uint32_t keep_first = 0, keep_last = 0;  // in characters (code points)
  std::string fill = "*";                        // repeated once per hidden character
};
struct EmailMask {
  enum class Keep { kDomain, kFirstLetter };
  Keep keep = Keep::kDomain;
};
struct HashMask {
  std::uint32_t length = 16;
  std::string alphabet = "0123456789abcdef";
};
struct TokenizeMask {};
struct ReplaceMask {
  std::shared_ptr<const re2::RE2> pattern;
  std::string replacement;  // RE2 rewrite string (\0..\9)
};
struct GeneralizeMask {
  enum class Date { kYear, kMonth };
  Date date = Date::kYear;
  std::int64_t number_width = 10;  // numbers become [floor(v/width)*width, +width-1]
};

using MaskSpec = std::variant<RedactMask, NullMask, PartialMask, EmailMask, HashMask, TokenizeMask,
                              ReplaceMask, GeneralizeMask>;

struct Mask {
  MaskSpec spec;
  std::string describe() const;  // "partial(keep_last=4)": for plans, audit and `pgveil mask`
};

// Whether a mask needs the HMAC key (hash, tokenize).
bool needs_key(const Mask& mask);

// A column's type as RowDescription gives it.
struct ValueType {
  Oid oid = 25;
  std::int32_t typmod = -1;
  TypeClass cls() const { return classify_type(oid); }
};

enum class MaskOutcome { kValue, kNull };

// Masks one non-NULL value given in text form; appends the masked text form to `out` when the
// outcome is kValue (nothing is appended for kNull).
MaskOutcome apply_mask(const Mask& mask, const MaskKey& key, const ValueType& type, std::string_view in,
                       std::string& out);

// The plain string transformation (what a text column gets). NullMask appends nothing.
void mask_string(const Mask& mask, const MaskKey& key, std::string_view in, std::string& out);

// A non-text type's mask (text form in and out). Internal to masks.cc; exposed for tests.
MaskOutcome mask_typed(const Mask& mask, const MaskKey& key, const ValueType& type, std::string_view in,
                       std::string& out);

// Whether `text` is a text form the type's input function accepts (used after `replace` on
// non-text types; a failure yields NULL).
bool valid_text_form(const ValueType& type, std::string_view text);

}  // namespace masking
