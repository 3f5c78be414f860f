// PostgreSQL built-in types as the masking engine sees them: which masks a value of that type can
// take without producing text the type's input function would reject (DESIGN.md "Masking is
// type-aware"). OIDs are fixed for built-in types (pg_type.dat); anything else (enums, domains,
// composites, extension types) is kOther and treated as opaque text, fail closed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace masking {

using Oid = std::uint32_t;

enum class TypeClass : std::uint8_t {
  kText,       // text, varchar, bpchar, name, "char", unknown: any string is valid
  kJson,       // json
  kJsonb,      // jsonb (binary: version byte 1 + json text)
  kXml,        // xml (content fragments)
  kTextArray,  // arrays of the above, text form {a,"b c",NULL}
  kIntArray,   // int2[], int4[], int8[], oid[]: masked element by element, never scanned
  kInt2,
  kInt4,
  kInt8,
  kOid,
  kNumeric,
  kFloat4,
  kFloat8,
  kBool,
  kDate,
  kTime,
  kTimestamp,
  kTimestamptz,
  kUuid,
  kInet,
  kCidr,
  kBytea,
  kOther,  // opaque: masked as text when text-format, refused when binary and masking is needed
};

TypeClass classify_type(Oid type_oid);

// Types whose values are strings for masking purposes (string masks and detectors apply).
bool is_text_like(TypeClass t);
bool is_integer(TypeClass t);  // int2/int4/int8/oid
bool is_number(TypeClass t);   // integers, numeric, float
bool is_datetime(TypeClass t); // date, timestamp, timestamptz

// Element type of a kTextArray or kIntArray type (varchar[] -> varchar, int4[] -> int4 ...).
Oid array_element_oid(Oid array_oid);

// Built-in type name (as in SQL or pg_type.typname: "integer", "int4", "character varying",
// "timestamptz", "text[]", ...) -> OID, for `match: { type: ... }` rules.
std::optional<Oid> builtin_type_oid(std::string_view name);

}  // namespace masking
