// A compiled masking profile: what `masking.profiles.<name>` in pgveil.yaml means once every
// pattern is compiled and every key is loaded. Immutable and shared: plans hold a shared_ptr so a
// SIGHUP reload never pulls rules out from under a running result.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "masking/detectors.h"
#include "masking/keyed_hash.h"
#include "masking/masks.h"

namespace masking {

// All present criteria must hold. A table criterion matches only resolved table columns (by table
// OID + attnum from RowDescription, PROTOCOL.md 20); the name pattern is tried against both the
// resolved column name and the output name, so an alias alone does not escape it.
struct ColumnMatch {
  std::shared_ptr<const re2::RE2> name;  // RE2, unanchored unless the pattern anchors itself
  std::string schema;                    // empty: any schema
  std::string table;                     // empty: any table
  std::string column;                    // empty: any column (of `table`)
  std::optional<Oid> type;               // exact type OID (a built-in type)
  std::string type_name;                 // any other type (a domain, an enum ...): a table column's declared type
  std::string describe() const;          // "name ~ '(?i)email'", "public.customers.ssn", "type int4"
};

struct ColumnRule {
  ColumnMatch match;
  Mask mask;
  int line = 0;  // where the rule is in the config (1-based), for refusals and audit
};

// What the proxy's statement analysis does with what it cannot prove safe (issue #4 item 4).
enum class OnUnprovable { kRefuse, kDetect };

struct Profile {
  std::string name;
  std::vector<ColumnRule> columns;  // first match wins
  Detectors detectors;              // empty: no value scanning
  Mask values_mask{RedactMask{}};   // what a detected span becomes
  OnUnprovable on_unprovable = OnUnprovable::kRefuse;
  bool refuse_predicates = false;
  MaskKey key;  // HMAC key for hash and tokenize (shared by every profile)

  bool has_table_rules() const;
};

using ProfileMap = std::map<std::string, std::shared_ptr<const Profile>, std::less<>>;

}  // namespace masking
