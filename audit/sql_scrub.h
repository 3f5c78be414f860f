// Last line of defence against literals in logged SQL.
//
// pg_query_normalize replaces the constants it knows about with $n, but leaves comments
// ("-- card 4111...") and constants outside expressions (COPY t FROM '/path', EXECUTE p('x'))
// untouched (libpg_query 15-4.0.0, measured). This pass re-lexes the text with PostgreSQL's own
// scanner (pg_query_scan) and rebuilds it from tokens: comments are dropped and every remaining
// constant token becomes the next free $n, so no literal can reach the audit log.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace audit {

// nullopt if the text does not lex (the caller must then log no text at all).
std::optional<std::string> scrub_literals(std::string_view sql);

}  // namespace audit
