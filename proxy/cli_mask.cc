// `pgveil mask --profile P --column NAME --type T --value V [--table schema.table]`: what a
// masking profile does to one value, through the same plan and row code the relay uses (a
// one-column result), so the answer is what a client would see for a text-format column.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <vector>

#include "masking/plan.h"
#include "masking/row_masking.h"
#include "proxy/cli.h"

namespace proxy::cli {
namespace {

struct MaskArgs {
  std::string profile, column, type = "text", value, table, user_type;
  bool null = false, json = false;
};

// --table is [schema.]table; the schema defaults to public, as an unqualified name would resolve.
masking::ColumnIdentity identity_of(const MaskArgs& a) {
  const std::size_t dot = a.table.find('.');
  masking::ColumnIdentity id;
  id.schema = dot == std::string::npos ? "public" : a.table.substr(0, dot);
  id.table = dot == std::string::npos ? a.table : a.table.substr(dot + 1);
  id.column = a.column;
  id.type = masking::builtin_type_oid(a.type).value_or(0);
  // The declared type and the domains it is over, as the catalog gives them (for user_type rules).
  const std::string names = a.user_type.empty() ? a.type : a.user_type;
  for (std::size_t start = 0; start <= names.size();) {
    const std::size_t comma = std::min(names.find(',', start), names.size());
    id.type_names.push_back(names.substr(start, comma - start));
    start = comma + 1;
  }
  return id;
}

std::string_view kind_name(masking::ColumnAction::Kind kind) {
  switch (kind) {
    case masking::ColumnAction::Kind::kPass: return "pass";
    case masking::ColumnAction::Kind::kMask: return "mask";
    case masking::ColumnAction::Kind::kDetect: return "detect";
    case masking::ColumnAction::Kind::kRefuse: return "refuse";
  }
  return "?";
}

void run_mask(const MaskArgs& a, const Common& common) {
  auto config = load_or_exit(common.config_path);
  auto it = config->masking_profiles.find(a.profile);
  if (it == config->masking_profiles.end()) {
    std::string known;
    for (const auto& [name, p] : config->masking_profiles) known += (known.empty() ? "" : ", ") + name;
    fmt::print(stderr, "pgveil mask: no masking profile '{}' in {} (profiles: {})\n", a.profile, common.config_path,
               known.empty() ? "none" : known);
    throw Exit{kExitUsage};
  }
  const auto type = masking::builtin_type_oid(a.type);
  if (!type) {
    fmt::print(stderr, "pgveil mask: '{}' is not a built-in type name (e.g. text, varchar, integer, date, jsonb)\n",
               a.type);
    throw Exit{kExitUsage};
  }
  const std::shared_ptr<const masking::Profile>& profile = it->second;
  pgwire::FieldDescription field;
  field.name = a.column;
  field.type_oid = *type;
  field.type_modifier = -1;
  field.format = 0;
  if (!a.table.empty()) {
    field.table_oid = 1;   // any nonzero OID: the resolver below answers for it
    field.column_attnum = 1;
  }
  const masking::ColumnIdentity id = identity_of(a);
  auto resolve = [&id](masking::Oid, std::int16_t) -> std::optional<masking::ColumnIdentity> { return id; };
  const auto plan = masking::build_plan(profile, std::span<const pgwire::FieldDescription>(&field, 1), resolve);
  const auto& action = plan.columns().front();

  std::optional<std::string> output;
  std::string refusal;
  std::vector<std::string> detected;
  if (action.kind == masking::ColumnAction::Kind::kRefuse) {
    refusal = action.reason;
  } else if (a.null) {
    output.reset();
  } else {
    std::string masked;
    masking::MaskStats stats;
    auto result = masking::mask_value(plan, 0, pgwire::as_bytes(a.value), masked, stats);
    if (!result) {
      refusal = result.error().message;
    } else if (*result == masking::ValueResult::kUnchanged) {
      output = a.value;
    } else if (*result == masking::ValueResult::kValue) {
      output = masked;
    }
    if (action.kind == masking::ColumnAction::Kind::kDetect) {
      std::vector<masking::Span> spans;
      profile->detectors.find(a.value, spans);
      for (const auto& span : spans) {
        const std::string& name = profile->detectors.specs()[span.detector].name;
        if (std::find(detected.begin(), detected.end(), name) == detected.end()) detected.push_back(name);
      }
    }
  }

  const std::string rule = action.rule ? fmt::format("line {}: {}", action.rule->line, action.rule->match.describe()) : "";
  const std::string mask = action.rule ? action.rule->mask.describe()
                           : action.kind == masking::ColumnAction::Kind::kDetect ? profile->values_mask.describe()
                                                                                 : "";
  if (a.json) {
    nlohmann::json out = {{"profile", a.profile}, {"column", a.column}, {"type", a.type},
                          {"table", a.table.empty() ? nlohmann::json() : nlohmann::json(id.schema + "." + id.table)},
                          {"action", kind_name(action.kind)}, {"input", a.null ? nlohmann::json() : nlohmann::json(a.value)},
                          {"output", output ? nlohmann::json(*output) : nlohmann::json()}};
    if (action.rule) out["rule"] = {{"line", action.rule->line}, {"match", action.rule->match.describe()}, {"mask", mask}};
    if (action.kind == masking::ColumnAction::Kind::kDetect) out["detected"] = detected, out["values_mask"] = mask;
    if (!refusal.empty()) out["refused"] = refusal;
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("profile  {}\n", a.profile);
    fmt::print("column   {}{} ({})\n", a.table.empty() ? "" : id.schema + "." + id.table + ".", a.column, a.type);
    switch (action.kind) {
      case masking::ColumnAction::Kind::kMask: fmt::print("rule     {} -> {}\n", rule, mask); break;
      case masking::ColumnAction::Kind::kDetect:
        fmt::print("rule     none; value detectors ({}) -> {}\n",
                   detected.empty() ? std::string("nothing detected") : fmt::format("detected: {}", fmt::join(detected, ", ")),
                   mask);
        break;
      case masking::ColumnAction::Kind::kPass: fmt::print("rule     none; no detectors apply to this type: passed as is\n"); break;
      case masking::ColumnAction::Kind::kRefuse: break;
    }
    fmt::print("input    {}\n", a.null ? "NULL" : a.value);
    if (!refusal.empty()) {
      fmt::print("refused  {}\n", refusal);
    } else {
      fmt::print("output   {}\n", output ? *output : "NULL");
    }
  }
  if (!refusal.empty()) throw Exit{kExitFailure};
}

}  // namespace

void add_mask(CLI::App& app, Common& common) {
  auto args = std::make_shared<MaskArgs>();
  auto* cmd = app.add_subcommand("mask", "Show what a masking profile does to one value (which rule or detector, and "
                                         "the output); exit 1 if the column would be refused");
  cmd->add_option("--profile", args->profile, "Masking profile (masking.profiles.<name>)")->required();
  cmd->add_option("--column", args->column, "Column name, as a result would name it")->required();
  cmd->add_option("--type", args->type, "Column type (built-in name: text, varchar, integer, date, jsonb, text[] ...)")
      ->capture_default_str();
  auto* value = cmd->add_option("--value", args->value, "The value, in PostgreSQL text form");
  auto* null = cmd->add_flag("--null", args->null, "The value is NULL");
  value->excludes(null);
  cmd->add_option("--table", args->table, "[schema.]table the column belongs to (for table rules; default schema public)");
  cmd->add_option("--user-type", args->user_type,
                  "With --table: the column's declared type when it is not built in (a domain, enum or extension "
                  "type; --type is then its base type) and, comma-separated, the domains it is over, for "
                  "user_type rules");
  cmd->add_flag("--json", args->json, "Print JSON for scripts");
  cmd->callback([args, value, &common] {
    if (value->count() == 0 && !args->null) {
      fmt::print(stderr, "pgveil mask: give --value V (an empty string is a value too) or --null\n");
      throw Exit{kExitUsage};
    }
    run_mask(*args, common);
  });
}

}  // namespace proxy::cli
