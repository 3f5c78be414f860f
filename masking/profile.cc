#include "masking/profile.h"

#include <algorithm>

#include <fmt/format.h>
#include <re2/re2.h>

namespace masking {

std::string ColumnMatch::describe() const {
  std::vector<std::string> parts;
  if (name) parts.push_back(fmt::format("name ~ '{}'", name->pattern()));
  if (!table.empty() || !column.empty()) {
    std::string where = schema.empty() ? table : schema + "." + table;
    if (!column.empty()) where += (where.empty() ? "" : ".") + column;
    parts.push_back(where);
  }
  if (type) parts.push_back(fmt::format("type oid {}", *type));
  if (!type_name.empty()) parts.push_back(fmt::format("type {}", type_name));
  return fmt::format("{}", fmt::join(parts, " and "));
}

bool Profile::has_table_rules() const {
  return std::any_of(columns.begin(), columns.end(),
                     [](const ColumnRule& r) {
    return !r.match.table.empty() || !r.match.column.empty() || !r.match.type_name.empty();
  });
}

}  // namespace masking
