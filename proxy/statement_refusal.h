// Refusing a statement in-stream by letting the server raise pgveil's error (PROTOCOL.md 22):
// the client's Query or Execute is replaced by one that runs
//   DO $pgveil_refusal$ BEGIN RAISE EXCEPTION USING ERRCODE = ..., MESSAGE = ..., HINT = ...; END $pgveil_refusal$
// so the error comes in the right position of the reply stream, the server skips to Sync, aborts
// an open transaction block and answers ReadyForQuery with the right status, exactly as if the
// statement itself had failed. Pure: builds messages.
#pragma once

#include <string>
#include <string_view>

namespace proxy {

struct StatementRefusal {
  std::string sqlstate;  // five characters
  std::string message;
  std::string hint;
};

// pgveil's own statement and portal for extended-protocol refusals.
inline constexpr std::string_view kRefusalName = "pgveil_refusal";

// The DO statement that raises `refusal`.
std::string refusal_sql(const StatementRefusal& refusal);
// Simple protocol: a Query to send instead of the client's.
void encode_refusal_query(std::string& out, const StatementRefusal& refusal);
// Extended protocol: Close(statement), Parse, Bind, Execute of kRefusalName to send instead of
// the client's Execute. The server answers CloseComplete, ParseComplete, BindComplete and then
// the error; the first three answer pgveil, not the client, and must be swallowed
// (AuditReplies marks them `ours`). The client's statements and portals are left untouched.
void encode_refusal_execute(std::string& out, const StatementRefusal& refusal);

}  // namespace proxy
