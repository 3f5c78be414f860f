#include "proxy/statement_risk.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <span>

#include "proxy/column_catalog.h"

namespace proxy {
namespace {

// Functions that read rows by themselves (from a query string, a table name, a large object or a
// file), out of reach of the column references the parser sees.
constexpr std::string_view kDataReadingFunctions[] = {
    "query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema", "table_to_xml",
    "table_to_xml_and_xmlschema", "cursor_to_xml", "schema_to_xml", "schema_to_xml_and_xmlschema",
    "database_to_xml", "database_to_xml_and_xmlschema", "dblink", "dblink_exec", "dblink_get_result",
    "lo_get", "loread", "lo_export", "pg_read_file", "pg_read_binary_file", "pg_stat_file", "xpath_table",
    // ts_stat and ts_rewrite run the query text they are given (ts_stat('SELECT name::tsvector ...')).
    "ts_stat", "ts_rewrite", "dblink_open", "dblink_fetch", "dblink_send_query", "dblink_build_sql_insert",
    "dblink_build_sql_update", "dblink_build_sql_delete", "crosstab", "crosstab2", "crosstab3", "crosstab4",
    "connectby", "get_raw_page", "heap_page_items", "bt_page_items", "brin_page_items", "gin_leafpage_items",
    "pg_logical_slot_get_changes", "pg_logical_slot_peek_changes", "pg_logical_slot_get_binary_changes",
    "pg_logical_slot_peek_binary_changes"};

// Volatile functions whose only effect is their result: they change nothing a later statement or
// another session can read back.
constexpr std::string_view kHarmlessVolatile[] = {"random", "clock_timestamp", "timeofday", "gen_random_uuid",
                                                  "currval", "lastval"};

// Without a catalog (never in a session: it is loaded before the first statement): the functions
// known to leave a value where a later statement can read it, or to take time.
constexpr std::string_view kEffectFunctions[] = {
    "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared",
    "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared", "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared", "set_config", "setseed", "setval", "nextval", "pg_sleep", "pg_sleep_for",
    "pg_sleep_until", "pg_notify", "lo_create", "lo_creat", "lo_import", "lo_from_bytea", "lo_put", "lowrite"};

bool listed(std::span<const std::string_view> list, const std::string& name) {
  for (const auto& entry : list)
    if (entry == name) return true;
  return false;
}

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

// Why the statement's functions may carry what it reads elsewhere, or "" if none may.
std::string effect_of(const policy::SqlReferences& refs, const ColumnCatalog* catalog, const SessionFacts& session) {
  if (refs.procedural) return "it runs a DO block, whose code pgveil cannot see into";
  for (const auto& function : refs.functions) {
    const bool session_made = session.functions != nullptr && session.functions->contains(function);
    if (session_made || (catalog != nullptr && catalog->is_user_function(function))) {
      return fmt::format("it calls {}(), a user-defined function whose code pgveil cannot see into", function);
    }
    if (listed(kHarmlessVolatile, function)) continue;
    if (catalog != nullptr ? catalog->is_volatile_function(function) : listed(kEffectFunctions, function)) {
      return fmt::format("it calls {}(), a volatile function whose effects (locks, settings, sequences, time "
                         "taken ...) outlive the refused result",
                         function);
    }
  }
  if (catalog == nullptr) return {};
  for (const auto& function : refs.called_functions) {
    if (catalog->is_known_function(function)) continue;
    return fmt::format("it calls {}, a function or operator created after pgveil read the catalog", function);
  }
  return {};
}

// What the statement reads that a rule covers, for a refusal: the first named column, else how.
std::string what_it_reads(const masking::Profile& profile, const policy::SqlReferences& refs,
                          const ColumnCatalog* catalog) {
  for (const auto& name : refs.columns) {
    if (const auto* rule = rule_for_name(profile, name, catalog)) {
      return fmt::format("\"{}\", which masking profile '{}' covers (rule at line {}: {})", name, profile.name,
                         rule->line, rule->match.describe());
    }
  }
  return fmt::format("what may be columns masking profile '{}' covers (a whole row, a star, renamed columns, code "
                     "or an earlier statement's result)",
                     profile.name);
}

}  // namespace

void SqlRisk::merge(const SqlRisk& other) {
  derived = derived || other.derived;
  copy_unsafe = copy_unsafe || other.copy_unsafe;
  if (refusal.empty()) refusal = other.refusal;
  if (write_refusal.empty()) write_refusal = other.write_refusal;
  if (effect_refusal.empty()) effect_refusal = other.effect_refusal;
}

SqlRisk assess_sql(const masking::Profile& profile, const policy::SqlReferences& refs, const ColumnCatalog* catalog,
                   const SessionFacts& session) {
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
    for (const auto& function : refs.called_functions) risk.derived = risk.derived || !catalog->is_known_function(function);
  }
  if (session.functions != nullptr) {
    for (const auto& function : refs.functions) risk.derived = risk.derived || session.functions->contains(function);
  }
  // set_config() can copy a masked value into a setting that this statement reads back.
  risk.derived = risk.derived || (session.settings_tainted && reads_settings(refs));
  for (const auto& name : refs.columns) risk.derived = risk.derived || rule_for_name(profile, name, catalog) != nullptr;
  if (catalog != nullptr) {
    // A view column computed by a user-defined function (ssn_of(customer_id) AS owner) may carry
    // anything that function reads: its name counts as a read, in expressions and errors too.
    for (const auto& name : refs.columns) {
      for (const auto* column : catalog->find_by_name(name)) risk.derived = risk.derived || column->calls_user_function;
    }
  }
  risk.derived = risk.derived || session.inherited.derived;
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
  risk.copy_unsafe = risk.derived || refs.star || refs.copy_relation || session.inherited.copy_unsafe;
  if (risk.derived) {
    // The result can be refused, not what running the statement does: refuse it before it runs.
    if (const std::string effect = effect_of(refs, catalog, session); !effect.empty()) {
      risk.effect_refusal = fmt::format("it reads {}, and {}", what_it_reads(profile, refs, catalog), effect);
    }
  }
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
  risk.merge(session.inherited);
  return risk;
}

bool reads_settings(const policy::SqlReferences& refs) {
  return refs.functions.contains("current_setting") || refs.relations.contains("pg_settings") || refs.shows_setting;
}

bool writes_settings(const policy::SqlReferences& refs) { return refs.functions.contains("set_config"); }

}  // namespace proxy
