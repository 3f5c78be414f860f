// GrantStore: personal API tokens, kept as SHA-256 digests (policy/api_token.h).
#include <fmt/format.h>

#include "policy/grant_rows.h"
#include "policy/grant_store.h"

namespace policy {
namespace {

constexpr std::string_view kTokenColumns = "id, person, created_by, created_at_us, revoked_at_us, revoked_by";

ApiToken read_token(const sql::Row& row) {
  ApiToken token;
  token.id = row.int64_at(0);
  token.person = row.text_at(1);
  token.created_by = row.text_at(2);
  token.created_at = rows::from_us(row.int64_at(3));
  if (auto revoked = row.optional_int64_at(4)) token.revoked_at = rows::from_us(*revoked);
  token.revoked_by = row.text_at(5);
  return token;
}

}  // namespace

std::expected<std::pair<ApiToken, std::string>, std::string> GrantStore::issue_token(std::string_view person,
                                                                                     std::string_view by,
                                                                                     TimePoint now) {
  if (person.empty() || by.empty()) return std::unexpected("cannot issue a token: person and issuer are required");
  auto token = generate_api_token();
  if (!token) return std::unexpected(token.error());
  std::lock_guard lock(mutex_);
  auto id = sql::query_int64(
      *db_,
      "INSERT INTO api_tokens (person, token_sha256, created_at_us, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
      sql::Params{sql::text(person), token_digest(*token), rows::to_us(now), sql::text(by)});
  if (!id) return std::unexpected(id.error());
  ApiToken issued{*id, std::string(person), std::string(by), rows::stored(now), {}, {}};
  return std::pair{std::move(issued), std::move(*token)};
}

std::expected<std::optional<ApiToken>, std::string> GrantStore::find_token(std::string_view token) {
  static const std::string kSelect =
      fmt::format("SELECT {} FROM api_tokens WHERE token_sha256 = $1 AND revoked_at_us IS NULL", kTokenColumns);
  std::lock_guard lock(mutex_);
  auto selected = db_->query(kSelect, sql::Params{token_digest(token)});
  if (!selected) return std::unexpected(selected.error());
  if (selected->empty()) return std::optional<ApiToken>();
  return read_token(selected->row(0));
}

std::expected<std::vector<ApiToken>, std::string> GrantStore::list_tokens() {
  static const std::string kSelect = fmt::format("SELECT {} FROM api_tokens ORDER BY id", kTokenColumns);
  std::lock_guard lock(mutex_);
  auto selected = db_->query(kSelect);
  if (!selected) return std::unexpected(selected.error());
  std::vector<ApiToken> tokens;
  for (std::size_t i = 0; i < selected->rows.size(); ++i) tokens.push_back(read_token(selected->row(i)));
  return tokens;
}

std::expected<bool, std::string> GrantStore::revoke_token(std::int64_t id, std::string_view by, TimePoint now) {
  std::lock_guard lock(mutex_);
  sql::Connection& db = *db_;
  auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
  if (!tx) return std::unexpected(tx.error());
  auto exists = db.query("SELECT 1 FROM api_tokens WHERE id = $1", sql::Params{id});
  if (!exists) return std::unexpected(exists.error());
  if (exists->empty()) return std::unexpected(fmt::format("no API token {}", id));
  auto updated = db.query("UPDATE api_tokens SET revoked_at_us = $2, revoked_by = $3 WHERE id = $1 AND revoked_at_us IS NULL",
                          sql::Params{id, rows::to_us(now), sql::text(by)});
  if (!updated) return std::unexpected(updated.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return updated->affected == 1;
}

}  // namespace policy
