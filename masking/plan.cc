#include "masking/plan.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>

#include "masking/binary_values.h"

namespace masking {
namespace {

bool matches(const ColumnMatch& m, const pgwire::FieldDescription& f, const ColumnIdentity* id) {
  if (m.type && *m.type != f.type_oid) return false;
  if (!m.type_name.empty()) {
    // Not a built-in type: RowDescription reports a domain's base type, so only the catalog's
    // declared type of a table column can say it.
    if (id == nullptr || std::find(id->type_names.begin(), id->type_names.end(), m.type_name) == id->type_names.end())
      return false;
  }
  if (!m.table.empty() || !m.column.empty()) {
    if (id == nullptr) return false;
    const auto in = [&m](const std::string& schema, const std::string& table) {
      return (m.schema.empty() || m.schema == schema) && (m.table.empty() || m.table == table);
    };
    bool table = in(id->schema, id->table);
    for (const auto& [schema, parent] : id->parents) table = table || in(schema, parent);
    if (!table) return false;
    if (!m.column.empty() && m.column != id->column) return false;
  }
  if (m.name) {
    // Both names: the output name can be an alias, the table column name can hide behind one.
    const bool by_column = id != nullptr && RE2::PartialMatch(id->column, *m.name);
    if (!by_column && !RE2::PartialMatch(re2::StringPiece(f.name.data(), f.name.size()), *m.name)) return false;
  }
  return true;
}

// Masks that give NULL whatever the value: safe in any format, no codec needed.
bool always_null(const Mask& mask, TypeClass t) {
  if (std::holds_alternative<NullMask>(mask.spec)) return true;
  const bool constant = std::holds_alternative<RedactMask>(mask.spec) || std::holds_alternative<EmailMask>(mask.spec);
  return constant && !is_text_like(t);
}

// Types whose text can carry personal data that detectors should see.
bool needs_detection(const Profile& p, TypeClass t) {
  if (p.detectors.empty()) return false;
  if (is_text_like(t) || t == TypeClass::kOther) return true;
  return (t == TypeClass::kInet || t == TypeClass::kCidr) && p.detectors.has(DetectorKind::kIpAddress);
}

std::string column_label(const pgwire::FieldDescription& f, const ColumnIdentity* id) {
  if (id == nullptr) return fmt::format("column \"{}\"", f.name);
  return fmt::format("column \"{}\" ({}.{}.{})", f.name, id->schema, id->table, id->column);
}

bool is_statistics(const ColumnIdentity& id) {
  static constexpr std::string_view kStatistics[] = {"pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic",
                                                     "pg_statistic_ext_data"};
  for (const auto& table : kStatistics) {
    if (id.schema == "pg_catalog" && id.table == table) return true;
  }
  for (const auto& read : id.reads) {
    if (is_statistics(read)) return true;
  }
  return false;
}

const ColumnRule* first_match(const Profile& profile, const pgwire::FieldDescription& f, const ColumnIdentity* id) {
  for (const ColumnRule& rule : profile.columns)
    if (matches(rule.match, f, id)) return &rule;
  return nullptr;
}

// A table column as a result column that shows it as is.
const ColumnRule* first_match(const Profile& profile, const ColumnIdentity& id) {
  pgwire::FieldDescription f;
  f.name = id.column;
  f.type_oid = id.type;
  return first_match(profile, f, &id);
}

// The first rule that covers a column a computed view column may be made of.
const ColumnRule* view_reads_masked(const Profile& profile, const ColumnIdentity& id) {
  for (const ColumnIdentity& read : id.reads) {
    if (const ColumnRule* rule = first_match(profile, read)) return rule;
  }
  return nullptr;
}

ColumnAction masked_by(const Profile& profile, const ColumnRule& rule, const pgwire::FieldDescription& f,
                       const ColumnIdentity* id, ColumnAction a) {
  const TypeClass t = a.type.cls();
  a.kind = ColumnAction::Kind::kMask;
  a.rule = &rule;
  a.yields_null = always_null(rule.mask, t);
  a.keyed = needs_key(rule.mask);
  a.reason = fmt::format("{} masked by profile '{}' rule at line {} ({}: {})", column_label(f, id), profile.name,
                         rule.line, rule.match.describe(), rule.mask.describe());
  if (a.binary && !a.yields_null && !has_binary_codec(t)) {
    a.kind = ColumnAction::Kind::kRefuse;
    a.reason = fmt::format("{} is masked by profile '{}' (rule at line {}) but was requested in binary format, "
                           "which pgveil cannot mask for type OID {}; request text format for this column",
                           column_label(f, id), profile.name, rule.line, f.type_oid);
  }
  return a;
}

ColumnAction plan_column(const Profile& profile, const pgwire::FieldDescription& f, ColumnResolver resolve) {
  ColumnAction a;
  a.type = ValueType{f.type_oid, f.type_modifier};
  a.binary = f.format == 1;
  const TypeClass t = a.type.cls();

  std::optional<ColumnIdentity> identity;
  if (f.table_oid != 0 && f.column_attnum > 0) identity = resolve(f.table_oid, f.column_attnum);
  const ColumnIdentity* id = identity ? &*identity : nullptr;
  if (f.table_oid != 0 && f.column_attnum > 0 && id == nullptr && profile.has_table_rules()) {
    a.kind = ColumnAction::Kind::kRefuse;
    a.reason = fmt::format("{}: cannot tell whether masking profile '{}' covers it (table OID {} attnum {} is "
                           "unknown); refused to be safe",
                           column_label(f, id), profile.name, f.table_oid, f.column_attnum);
    return a;
  }

  if (f.table_oid != 0 && f.column_attnum <= 0 && !profile.columns.empty()) {
    // A whole-row reference (SELECT t FROM customers t): every column of the row in one value.
    a.kind = ColumnAction::Kind::kRefuse;
    a.reason = fmt::format("column \"{}\" is a whole row of table OID {}, which carries every column at once, "
                           "including those masking profile '{}' covers",
                           f.name, f.table_oid, profile.name);
    return a;
  }
  if (id != nullptr && is_statistics(*id)) {
    a.kind = ColumnAction::Kind::kRefuse;
    a.reason = fmt::format("{}: planner statistics hold samples of column values that masking profile '{}' cannot "
                           "attribute to columns",
                           column_label(f, id), profile.name);
    return a;
  }
  if (const ColumnRule* rule = first_match(profile, f, id)) return masked_by(profile, *rule, f, id, std::move(a));
  if (id != nullptr && id->view) {
    // A view column is reported as the view's; judge it by what it shows.
    if (id->plain && !id->reads.empty()) {
      if (const ColumnRule* rule = first_match(profile, f, &id->reads.front())) {
        return masked_by(profile, *rule, f, &id->reads.front(), std::move(a));
      }
    } else if (const ColumnRule* rule = view_reads_masked(profile, *id)) {
      const std::string why = fmt::format("{} is computed by view {}.{}, which reads columns masking profile '{}' "
                                          "covers (rule at line {}: {})",
                                          column_label(f, id), id->schema, id->table, profile.name, rule->line,
                                          rule->match.describe());
      if (profile.on_unprovable == OnUnprovable::kRefuse) {
        a.kind = ColumnAction::Kind::kRefuse;
        a.reason = why + ", so pgveil cannot prove it does not reveal them";
        return a;
      }
    } else if (id->calls_user_function && profile.on_unprovable == OnUnprovable::kRefuse && !profile.columns.empty()) {
      a.kind = ColumnAction::Kind::kRefuse;
      a.reason = fmt::format("{} is computed by view {}.{}, which calls user-defined functions that may read columns "
                             "masking profile '{}' covers",
                             column_label(f, id), id->schema, id->table, profile.name);
      return a;
    }
  }

  if (needs_detection(profile, t)) {
    a.kind = ColumnAction::Kind::kDetect;
    if (a.binary && !has_binary_codec(t)) {
      a.kind = ColumnAction::Kind::kRefuse;
      a.reason = fmt::format("{} must be scanned for personal data by profile '{}' but was requested in binary "
                             "format, which pgveil cannot decode for type OID {}; request text format",
                             column_label(f, id), profile.name, f.type_oid);
    }
  }
  return a;
}

}  // namespace

const ColumnRule* rule_covering(const Profile& profile, const ColumnIdentity& id) {
  if (const ColumnRule* rule = first_match(profile, id)) return rule;
  return view_reads_masked(profile, id);
}

const ColumnAction* Plan::refusal() const {
  for (const ColumnAction& a : columns_)
    if (a.kind == ColumnAction::Kind::kRefuse) return &a;
  return nullptr;
}

Plan build_plan(std::shared_ptr<const Profile> profile, std::span<const pgwire::FieldDescription> columns,
                ColumnResolver resolve) {
  Plan plan;
  plan.columns_.reserve(columns.size());
  for (const auto& f : columns) {
    ColumnAction a;
    if (profile) {
      a = plan_column(*profile, f, resolve);
    } else {
      a.type = ValueType{f.type_oid, f.type_modifier};
      a.binary = f.format == 1;
    }
    plan.passthrough_ = plan.passthrough_ && a.kind == ColumnAction::Kind::kPass;
    plan.columns_.push_back(std::move(a));
  }
  plan.profile_ = std::move(profile);
  return plan;
}

Plan build_plan(std::shared_ptr<const Profile> profile, const pgwire::RowDescription& description,
                ColumnResolver resolve) {
  std::vector<pgwire::FieldDescription> fields(description.begin(), description.end());
  return build_plan(std::move(profile), fields, resolve);
}

}  // namespace masking
