#include "policy/sql_connection.h"

#include <charconv>

namespace policy::sql {

std::int64_t Row::int64_at(int column) const {
  return optional_int64_at(column).value_or(0);
}

std::optional<std::int64_t> Row::optional_int64_at(int column) const {
  const Value& v = cells_->at(static_cast<std::size_t>(column));
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* s = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size()) return out;
    return 0;  // not an integer column: a caller bug; 0 matches sqlite3_column_int64 on text
  }
  return std::nullopt;
}

std::string Row::text_at(int column) const {
  const Value& v = cells_->at(static_cast<std::size_t>(column));
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return {};
}

std::expected<Transaction, std::string> Transaction::begin(Connection& db, TxKind kind) {
  if (auto ok = db.begin(kind); !ok) return std::unexpected(ok.error());
  return Transaction(db);
}

std::expected<void, std::string> Transaction::commit() {
  auto ok = db_->commit();
  if (ok) db_ = nullptr;
  return ok;
}

std::expected<std::int64_t, std::string> query_int64(Connection& db, std::string_view sql,
                                                     std::span<const Value> params) {
  auto result = db.query(sql, params);
  if (!result) return std::unexpected(result.error());
  if (result->empty()) return std::unexpected(std::string("the query returned no row: ") + std::string(sql));
  return result->row(0).int64_at(0);
}

}  // namespace policy::sql
