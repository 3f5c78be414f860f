#include "proxy/statement_risk.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include "proxy/column_catalog.h"

namespace proxy {
namespace {

// Functions that read rows by themselves (from a query string, a table name, a large object or a
// file), out of reach of the column references the parser sees.
constexpr std::string_view kDataReadingFunctions[] = {
    "query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema", "table_to_xml",
    "table_to_xml_and_xmlschema", "cursor_to_xml", "schema_to_xml", "schema_to_xml_and_xmlschema",
    "database_to_xml", "database_to_xml_and_xmlschema", "dblink", "dblink_exec", "dblink_get_result",
    "lo_get", "loread", "lo_export", "pg_read_file", "pg_read_binary_file", "pg_stat_file", "xpath_table"};

// Planner statistics hold samples of column values (most_common_vals, histogram_bounds ...).
constexpr std::string_view kStatisticsRelations[] = {"pg_stats", "pg_stats_ext", "pg_stats_ext_exprs",
                                                     "pg_statistic", "pg_statistic_ext_data"};

bool rule_matches_name(const masking::ColumnRule& rule, const std::string& name) {
  if (rule.match.name && re2::RE2::PartialMatch(name, *rule.match.name)) return true;
  return !rule.match.column.empty() && rule.match.column == name;
}

// The rule a column the statement names may be read under: by the name itself, or by a table or
// view column of that name the catalog knows (a `type:` rule, a view's alias of a masked column).
const masking::ColumnRule* rule_for_name(const masking::Profile& profile, const std::string& name,
                                         const ColumnCatalog* catalog) {
  for (const auto& rule : profile.columns)
    if (rule_matches_name(rule, name)) return &rule;
  if (catalog == nullptr) return nullptr;
  for (const auto& column : catalog->find_by_name(name)) {
    if (const auto* rule = masking::rule_covering(profile, *column)) return rule;
  }
  return nullptr;
}

}  // namespace

void SqlRisk::merge(const SqlRisk& other) {
  derived = derived || other.derived;
  copy_unsafe = copy_unsafe || other.copy_unsafe;
  if (refusal.empty()) refusal = other.refusal;
  if (write_refusal.empty()) write_refusal = other.write_refusal;
}

SqlRisk assess_sql(const masking::Profile& profile, const policy::SqlReferences& refs, const ColumnCatalog* catalog) {
  SqlRisk risk = SqlRisk::safe();
  for (const auto& relation : kStatisticsRelations) {
    if (!refs.relations.contains(std::string(relation))) continue;
    risk.refusal = fmt::format("it reads {}, whose samples of column values masking profile '{}' cannot attribute "
                               "to columns",
                               relation, profile.name);
  }
  if (profile.columns.empty()) return risk;
  risk.derived = refs.whole_row || refs.renamed_columns || refs.procedural || refs.nested_star || refs.natural_join;
  for (const auto& function : kDataReadingFunctions) {
    risk.derived = risk.derived || refs.functions.contains(std::string(function));
  }
  if (catalog != nullptr) {
    for (const auto& function : refs.functions) risk.derived = risk.derived || catalog->is_user_function(function);
  }
  for (const auto& name : refs.columns) risk.derived = risk.derived || rule_for_name(profile, name, catalog) != nullptr;
  if (profile.refuse_predicates && risk.refusal.empty() && refs.predicate_any) {
    risk.refusal = fmt::format("it filters, orders or joins rows by a whole row, a NATURAL join or a column position "
                               "that may stand for columns masking profile '{}' covers, and the profile refuses "
                               "predicates on masked columns",
                               profile.name);
  }
  if (profile.refuse_predicates && risk.refusal.empty()) {
    for (const auto& name : refs.predicate_columns) {
      const auto* rule = rule_for_name(profile, name, catalog);
      if (rule == nullptr) continue;
      risk.refusal = fmt::format("it filters, groups or orders rows by \"{}\", which masking profile '{}' covers "
                                 "(rule at line {}: {}), and the profile refuses predicates on masked columns",
                                 name, profile.name, rule->line, rule->match.describe());
      break;
    }
  }
  risk.copy_unsafe = risk.derived || refs.star || refs.copy_relation;
  if (refs.functions.contains("pg_notify") && risk.derived) {
    // The payload goes to every session listening, beyond this one's masking.
    risk.write_refusal = fmt::format("it sends notifications computed from columns masking profile '{}' covers, "
                                     "and listeners (in other sessions too) would receive them unmasked",
                                     profile.name);
  }
  if (refs.redefines) {
    risk.write_refusal = fmt::format("it renames, moves or alters tables or columns, or adds a trigger, which would "
                                     "change the names, schemas and types masking profile '{}' identifies columns by",
                                     profile.name);
  }
  if (refs.writes && risk.copy_unsafe) {
    risk.write_refusal = fmt::format("it stores or defines rows that may be made of columns masking profile '{}' "
                                     "covers (a star, a whole row or a masked column), which later statements could "
                                     "read back unmasked under other names",
                                     profile.name);
  }
  return risk;
}

bool reads_settings(const policy::SqlReferences& refs) {
  return refs.functions.contains("current_setting") || refs.relations.contains("pg_settings") || refs.shows_setting;
}

bool writes_settings(const policy::SqlReferences& refs) { return refs.functions.contains("set_config"); }

}  // namespace proxy
