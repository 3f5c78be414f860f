// GrantStore: personal API tokens, kept as SHA-256 digests (policy/api_token.h).
#include <fmt/format.h>

#include "policy/grant_rows.h"
#include "policy/grant_store.h"

namespace policy {
namespace {

constexpr std::string_view kTokenColumns = "id, person, created_by, created_at_us, revoked_at_us, revoked_by";

ApiToken read_token(const sqlite::Statement& row) {
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
  auto insert = sqlite::Statement::prepare(
      db_.get(), "INSERT INTO api_tokens (person, token_sha256, created_at_us, created_by) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, person).bind(2, std::string_view(token_digest(*token))).bind(3, rows::to_us(now)).bind(4, by);
  if (auto ok = insert->run(); !ok) return std::unexpected(ok.error());
  ApiToken issued{sqlite3_last_insert_rowid(db_.get()), std::string(person), std::string(by), rows::stored(now), {}, {}};
  return std::pair{std::move(issued), std::move(*token)};
}

std::expected<std::optional<ApiToken>, std::string> GrantStore::find_token(std::string_view token) {
  std::lock_guard lock(mutex_);
  auto select = sqlite::Statement::prepare(
      db_.get(),
      fmt::format("SELECT {} FROM api_tokens WHERE token_sha256 = ?1 AND revoked_at_us IS NULL", kTokenColumns));
  if (!select) return std::unexpected(select.error());
  select->bind(1, std::string_view(token_digest(token)));
  auto row = select->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ApiToken>();
  return read_token(*select);
}

std::expected<std::vector<ApiToken>, std::string> GrantStore::list_tokens() {
  std::lock_guard lock(mutex_);
  auto select = sqlite::Statement::prepare(db_.get(), fmt::format("SELECT {} FROM api_tokens ORDER BY id", kTokenColumns));
  if (!select) return std::unexpected(select.error());
  std::vector<ApiToken> tokens;
  for (;;) {
    auto row = select->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return tokens;
    tokens.push_back(read_token(*select));
  }
}

std::expected<bool, std::string> GrantStore::revoke_token(std::int64_t id, std::string_view by, TimePoint now) {
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto tx = sqlite::Transaction::begin_immediate(db);
  if (!tx) return std::unexpected(tx.error());
  auto exists = sqlite::Statement::prepare(db, "SELECT 1 FROM api_tokens WHERE id = ?1");
  if (!exists) return std::unexpected(exists.error());
  exists->bind(1, id);
  auto row = exists->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(fmt::format("no API token {}", id));
  auto update = sqlite::Statement::prepare(
      db, "UPDATE api_tokens SET revoked_at_us = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at_us IS NULL");
  if (!update) return std::unexpected(update.error());
  update->bind(1, id).bind(2, rows::to_us(now)).bind(3, by);
  if (auto ok = update->run(); !ok) return std::unexpected(ok.error());
  const bool changed = sqlite3_changes(db) == 1;
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return changed;
}

}  // namespace policy
