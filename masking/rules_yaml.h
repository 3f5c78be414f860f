// The `masking:` section of pgveil.yaml -> compiled profiles (DESIGN.md configuration sketch):
//
//   masking:
//     keys: { hmac: { file: PATH } }            # or { env: NAME }; needed by hash and tokenize
//     profiles:
//       NAME:
//         columns:                              # first match wins
//           - match: { name: RE2 }              # and/or table: [schema.]table, column: NAME, type: TYPE
//             mask: MASK
//         values: { detect: [email, payment_card, iban, phone, national_id, ip_address,
//                            { pattern: RE2, name: X }], mask: MASK }
//         on_unprovable: refuse | detect        # statement analysis (proxy), default refuse
//         refuse_predicates: false
//   MASK: redact | null | email | hash | tokenize | generalize
//       | { redact: TEXT } | { partial: { keep_first: N, keep_last: N, fill: "*" } }
//       | { email: { keep: domain | first_letter } } | { hash: { length: N, alphabet: A } }
//       | { replace: { pattern: RE2, replacement: TEXT } }
//       | { generalize: { date: year | month, number: WIDTH } }
//
// Every problem is collected (not just the first), each with the 1-based line and column of the
// offending node; RE2 patterns are compiled here so a bad pattern is a config error, never a
// surprise mid-session. Reading the key file or variable is I/O and is left to the caller
// through KeyLoader.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "masking/profile.h"

namespace masking {

struct MaskingProblem {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
  std::string message;  // starts with the dotted key path: "masking.profiles.p.columns[0].mask: ..."
  std::string to_string() const;  // "12:5: masking.profiles...: ..."
};

struct KeySource {
  enum class Kind { kFile, kEnv };
  Kind kind = Kind::kFile;
  std::string where;  // the path as written (the caller resolves it) or the variable name
};

// Returns the key bytes, or a message saying why they could not be read (never the key itself).
using KeyLoader = std::function<std::expected<std::string, std::string>(const KeySource&)>;

inline constexpr std::size_t kMinKeyBytes = 16;

struct MaskingConfig {
  ProfileMap profiles;                  // "none" is reserved and never defined
  std::optional<KeySource> key_source;  // for messages ("file /run/secrets/x"), never the key
};

// `section` is the value of the top-level `masking:` key (null/undefined = no profiles).
// `path` prefixes messages.
std::expected<MaskingConfig, std::vector<MaskingProblem>> parse_masking_config(const YAML::Node& section,
                                                                               const KeyLoader& load_key,
                                                                               std::string_view path = "masking");

}  // namespace masking
