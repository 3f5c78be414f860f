#include "masking/rules_yaml.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include "masking/mask_yaml.h"
#include "masking/yaml_reader.h"

namespace masking {
namespace {

using namespace yaml_detail;

std::optional<ColumnMatch> read_match(Problems& p, const Entry& e) {
  auto fields = map_entries(p, e, {"name", "table", "column", "type", "user_type"});
  if (!fields) return std::nullopt;
  if (fields->empty()) {
    p.error(e, fmt::format("{}: needs at least one of name, table, column, type or user_type", e.path));
    return std::nullopt;
  }
  ColumnMatch m;
  bool ok = true;
  if (const Entry* f = find(*fields, "name")) {
    m.name = read_regex(p, *f);
    ok = ok && m.name;
  }
  if (const Entry* f = find(*fields, "table")) {
    if (auto v = read_string(p, *f)) {
      const std::size_t dot = v->find('.');
      if (dot == std::string::npos) {
        m.table = *v;
      } else {
        m.schema = v->substr(0, dot);
        m.table = v->substr(dot + 1);
      }
      if (m.table.empty() || m.table.find('.') != std::string::npos || (dot != std::string::npos && m.schema.empty())) {
        p.error(*f, fmt::format("{}: '{}' is not [schema.]table", f->path, *v));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const Entry* f = find(*fields, "column")) {
    auto v = read_string(p, *f);
    ok = ok && v;
    if (v) m.column = *v;
  }
  if (const Entry* f = find(*fields, "type")) {
    if (auto v = read_string(p, *f)) {
      m.type = builtin_type_oid(*v);
      if (!m.type) {
        p.error(*f, fmt::format("{}: '{}' is not a built-in type name (e.g. text, varchar, integer, bigint, "
                                "numeric, date, timestamptz, uuid, jsonb, text[]); for a domain, enum or "
                                "extension type write user_type: NAME",
                                f->path, *v));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const Entry* f = find(*fields, "user_type")) {
    // Matched by name against a table column's declared type (pg_type.typname, and the types a
    // domain is over), which only the catalog knows: the server may not have the type yet.
    static const RE2 kIdentifier("[A-Za-z_][A-Za-z0-9_$]*");
    auto v = read_string(p, *f);
    if (v && RE2::FullMatch(*v, kIdentifier)) {
      m.type_name = *v;
      for (char& c : m.type_name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else {
      if (v) p.error(*f, fmt::format("{}: '{}' is not a type name (an unquoted identifier, without schema)", f->path, *v));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return m;
}

std::optional<ColumnRule> read_column_rule(Problems& p, const Entry& e) {
  auto fields = map_entries(p, e, {"match", "mask"});
  if (!fields) return std::nullopt;
  const Entry* match = find(*fields, "match");
  const Entry* mask = find(*fields, "mask");
  if (match == nullptr || mask == nullptr) {
    p.error(e, fmt::format("{}: a column rule needs match and mask", e.path));
    return std::nullopt;
  }
  auto m = read_match(p, *match);
  auto k = read_mask(p, *mask);
  if (!m || !k) return std::nullopt;
  return ColumnRule{std::move(*m), std::move(*k), e.key.Mark().line + 1};
}

std::optional<DetectorSpec> read_detector(Problems& p, const Entry& e) {
  if (e.value.IsScalar()) {
    auto kind = parse_detector_kind(e.value.Scalar());
    if (!kind) {
      p.error(e, fmt::format("{}: {}", e.path, kind.error()));
      return std::nullopt;
    }
    return DetectorSpec{*kind, e.value.Scalar(), {}};
  }
  auto fields = map_entries(p, e, {"pattern", "name"});
  if (!fields) return std::nullopt;
  const Entry* pattern = find(*fields, "pattern");
  if (pattern == nullptr) {
    p.error(e, fmt::format("{}: a custom detector needs a pattern", e.path));
    return std::nullopt;
  }
  auto re = read_regex(p, *pattern);  // reports a bad pattern at its own line
  std::optional<std::string> name = std::string("custom");
  if (const Entry* f = find(*fields, "name")) name = read_string(p, *f);
  if (!re || !name) return std::nullopt;
  return DetectorSpec{DetectorKind::kCustom, *name, re->pattern()};
}

struct ProfileDraft {
  Profile profile;
  std::vector<Entry> keyed_masks;  // where hash/tokenize are used: reported if there is no key
};

std::optional<ProfileDraft> read_profile(Problems& p, const Entry& e) {
  ProfileDraft draft;
  Profile& profile = draft.profile;
  profile.name = e.key.Scalar();
  if (profile.name == "none") {
    p.error_at(e.key, fmt::format("{}: 'none' is reserved (it means no masking)", e.path));
    return std::nullopt;
  }
  auto fields = map_entries(p, e, {"columns", "values", "on_unprovable", "refuse_predicates"});
  if (!fields) return std::nullopt;
  bool ok = true;
  if (const Entry* f = find(*fields, "columns")) {
    if (auto items = list_items(p, *f)) {
      for (const Entry& item : *items) {
        auto rule = read_column_rule(p, item);
        if (!rule) {
          ok = false;
          continue;
        }
        if (needs_key(rule->mask)) {
          const YAML::Node mask = item.value["mask"];
          draft.keyed_masks.push_back({item.path + ".mask", mask, mask});
        }
        profile.columns.push_back(std::move(*rule));
      }
    } else {
      ok = false;
    }
  }
  if (const Entry* f = find(*fields, "values")) {
    auto values = map_entries(p, *f, {"detect", "mask"});
    if (!values) return std::nullopt;
    std::vector<DetectorSpec> specs;
    if (const Entry* d = find(*values, "detect")) {
      if (auto items = list_items(p, *d)) {
        for (const Entry& item : *items) {
          if (auto spec = read_detector(p, item)) specs.push_back(std::move(*spec));
          else ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (const Entry* m = find(*values, "mask")) {
      if (auto mask = read_mask(p, *m)) {
        if (needs_key(*mask)) draft.keyed_masks.push_back(*m);
        profile.values_mask = std::move(*mask);
      } else {
        ok = false;
      }
    }
    if (ok) {
      auto detectors = Detectors::compile(std::move(specs));
      if (!detectors) {
        p.error(*f, fmt::format("{}: {}", f->path, detectors.error()));
        ok = false;
      } else {
        profile.detectors = std::move(*detectors);
      }
    }
  }
  if (const Entry* f = find(*fields, "on_unprovable")) {
    auto v = read_choice(p, *f, {"refuse", "detect"});
    ok = ok && v;
    if (v) profile.on_unprovable = *v == "refuse" ? OnUnprovable::kRefuse : OnUnprovable::kDetect;
  }
  if (const Entry* f = find(*fields, "refuse_predicates")) {
    auto v = read_bool(p, *f);
    ok = ok && v;
    if (v) profile.refuse_predicates = *v;
  }
  if (!ok) return std::nullopt;
  return draft;
}

// keys: { hmac: { file: PATH } | { env: NAME } } -> the key bytes, via the caller's loader.
std::optional<std::pair<KeySource, std::string>> read_key(Problems& p, const Entry& keys, const KeyLoader& load_key) {
  auto fields = map_entries(p, keys, {"hmac"});
  if (!fields) return std::nullopt;
  const Entry* hmac = find(*fields, "hmac");
  if (hmac == nullptr) return std::nullopt;
  auto source = map_entries(p, *hmac, {"file", "env"});
  if (!source) return std::nullopt;
  if (source->size() != 1) {
    p.error(*hmac, fmt::format("{}: needs exactly one of file or env", hmac->path));
    return std::nullopt;
  }
  const Entry& where = source->front();
  auto value = read_string(p, where);
  if (!value) return std::nullopt;
  KeySource ks{where.key.Scalar() == "file" ? KeySource::Kind::kFile : KeySource::Kind::kEnv, *value};
  if (!load_key) {
    p.error(where, fmt::format("{}: no key loader configured", where.path));
    return std::nullopt;
  }
  auto key = load_key(ks);
  if (!key) {
    p.error(where, fmt::format("{}: cannot read the HMAC key: {}", where.path, key.error()));
    return std::nullopt;
  }
  // Secret files usually end with a newline the writer did not mean as key material.
  while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
  if (key->size() < kMinKeyBytes) {
    p.error(where, fmt::format("{}: the HMAC key has {} bytes; use at least {} random bytes (e.g. `openssl rand "
                               "-base64 32`)",
                               where.path, key->size(), kMinKeyBytes));
    return std::nullopt;
  }
  return std::pair{std::move(ks), std::move(*key)};
}

}  // namespace

std::string MaskingProblem::to_string() const {
  if (line == 0) return message;
  return fmt::format("{}:{}: {}", line, column, message);
}

std::expected<MaskingConfig, std::vector<MaskingProblem>> parse_masking_config(const YAML::Node& section,
                                                                               const KeyLoader& load_key,
                                                                               std::string_view path) {
  Problems p;
  MaskingConfig config;
  const Entry root{std::string(path), section, section};
  auto top = map_entries(p, root, {"keys", "profiles"});
  if (!top) return std::unexpected(p.take());

  std::optional<std::string> key;
  if (const Entry* keys = find(*top, "keys")) {
    if (auto k = read_key(p, *keys, load_key)) {
      config.key_source = std::move(k->first);
      key = std::move(k->second);
    }
  }
  const Entry* profiles = find(*top, "profiles");
  if (profiles != nullptr) {
    if (auto entries = map_entries(p, *profiles, {})) {
      for (const Entry& e : *entries) {
        auto draft = read_profile(p, e);
        if (!draft) continue;
        if (key) {
          draft->profile.key = MaskKey(*key);
        } else if (!config.key_source) {  // no key configured (a failed load is reported already)
          for (const Entry& m : draft->keyed_masks)
            p.error(m, fmt::format("{}: hash and tokenize need masking.keys.hmac ({{file: PATH}} or {{env: NAME}})",
                                   m.path));
        }
        std::string name = draft->profile.name;  // before the move below
        config.profiles.emplace(std::move(name), std::make_shared<const Profile>(std::move(draft->profile)));
      }
    }
  }
  if (!p.empty()) return std::unexpected(p.take());
  return config;
}

}  // namespace masking
