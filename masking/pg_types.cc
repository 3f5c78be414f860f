#include "masking/pg_types.h"

#include <array>
#include <utility>

namespace masking {
namespace {

struct TypeEntry {
  Oid oid;
  TypeClass cls;
  std::string_view names[3];  // typname first, then SQL spellings
};

// pg_type.dat OIDs. Arrays only where their elements are text-like: other arrays are opaque.
constexpr std::array kTypes{
    TypeEntry{25, TypeClass::kText, {"text"}},
    TypeEntry{1043, TypeClass::kText, {"varchar", "character varying"}},
    TypeEntry{1042, TypeClass::kText, {"bpchar", "character", "char"}},
    TypeEntry{19, TypeClass::kText, {"name"}},
    TypeEntry{18, TypeClass::kText, {"\"char\""}},
    TypeEntry{705, TypeClass::kText, {"unknown"}},
    TypeEntry{114, TypeClass::kJson, {"json"}},
    TypeEntry{3802, TypeClass::kJsonb, {"jsonb"}},
    TypeEntry{142, TypeClass::kXml, {"xml"}},
    TypeEntry{1009, TypeClass::kTextArray, {"_text", "text[]"}},
    TypeEntry{1015, TypeClass::kTextArray, {"_varchar", "varchar[]", "character varying[]"}},
    TypeEntry{1014, TypeClass::kTextArray, {"_bpchar", "bpchar[]", "character[]"}},
    TypeEntry{1003, TypeClass::kTextArray, {"_name", "name[]"}},
    TypeEntry{1002, TypeClass::kTextArray, {"_char"}},
    TypeEntry{199, TypeClass::kTextArray, {"_json", "json[]"}},
    TypeEntry{3807, TypeClass::kTextArray, {"_jsonb", "jsonb[]"}},
    TypeEntry{143, TypeClass::kTextArray, {"_xml", "xml[]"}},
    TypeEntry{1005, TypeClass::kIntArray, {"_int2", "int2[]", "smallint[]"}},
    TypeEntry{1007, TypeClass::kIntArray, {"_int4", "int4[]", "integer[]"}},
    TypeEntry{1016, TypeClass::kIntArray, {"_int8", "int8[]", "bigint[]"}},
    TypeEntry{1028, TypeClass::kIntArray, {"_oid", "oid[]"}},
    TypeEntry{21, TypeClass::kInt2, {"int2", "smallint"}},
    TypeEntry{23, TypeClass::kInt4, {"int4", "integer", "int"}},
    TypeEntry{20, TypeClass::kInt8, {"int8", "bigint"}},
    TypeEntry{26, TypeClass::kOid, {"oid"}},
    TypeEntry{1700, TypeClass::kNumeric, {"numeric", "decimal"}},
    TypeEntry{700, TypeClass::kFloat4, {"float4", "real"}},
    TypeEntry{701, TypeClass::kFloat8, {"float8", "double precision"}},
    TypeEntry{16, TypeClass::kBool, {"bool", "boolean"}},
    TypeEntry{1082, TypeClass::kDate, {"date"}},
    TypeEntry{1083, TypeClass::kTime, {"time", "time without time zone"}},
    TypeEntry{1114, TypeClass::kTimestamp, {"timestamp", "timestamp without time zone"}},
    TypeEntry{1184, TypeClass::kTimestamptz, {"timestamptz", "timestamp with time zone"}},
    TypeEntry{2950, TypeClass::kUuid, {"uuid"}},
    TypeEntry{869, TypeClass::kInet, {"inet"}},
    TypeEntry{650, TypeClass::kCidr, {"cidr"}},
    TypeEntry{17, TypeClass::kBytea, {"bytea"}},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

TypeClass classify_type(Oid type_oid) {
  for (const TypeEntry& e : kTypes)
    if (e.oid == type_oid) return e.cls;
  return TypeClass::kOther;
}

bool is_text_like(TypeClass t) {
  return t == TypeClass::kText || t == TypeClass::kJson || t == TypeClass::kJsonb ||
         t == TypeClass::kXml || t == TypeClass::kTextArray;
}

bool is_integer(TypeClass t) {
  return t == TypeClass::kInt2 || t == TypeClass::kInt4 || t == TypeClass::kInt8 || t == TypeClass::kOid;
}

bool is_number(TypeClass t) {
  return is_integer(t) || t == TypeClass::kNumeric || t == TypeClass::kFloat4 || t == TypeClass::kFloat8;
}

bool is_datetime(TypeClass t) {
  return t == TypeClass::kDate || t == TypeClass::kTimestamp || t == TypeClass::kTimestamptz;
}

Oid array_element_oid(Oid array_oid) {
  switch (array_oid) {
    case 1015: return 1043;
    case 1014: return 1042;
    case 1003: return 19;
    case 1002: return 18;
    case 199: return 114;
    case 3807: return 3802;
    case 143: return 142;
    case 1005: return 21;
    case 1007: return 23;
    case 1016: return 20;
    case 1028: return 26;
    default: return 25;
  }
}

std::optional<Oid> builtin_type_oid(std::string_view name) {
  for (const TypeEntry& e : kTypes)
    for (std::string_view n : e.names)
      if (!n.empty() && iequals(n, name)) return e.oid;
  return std::nullopt;
}

}  // namespace masking
