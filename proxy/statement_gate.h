// A role's statement rules in the relay (issue #3, item 6; policy/statement_rules.h decides).
//
// Each Query, Parse and FunctionCall of the session is checked before it goes upstream; a refused
// one is replaced so that the server raises the refusal in its place (statement_refusal.h) and
// the session goes on. A simple Query holding several statements is refused whole when one of
// them is refused (nothing of it runs; fail closed). Bind/Execute need no check: they run what a
// checked Parse prepared. FunctionCall names a function by OID, which the rules cannot judge: it
// is refused whenever the role has rules. The rules in force are the current configuration's
// (a reload applies at the next statement); a role that vanished keeps its last rules. Under
// `statements: all` without a deny list nothing is parsed. Pure: fed frames, no I/O.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "policy/statement_rules.h"
#include "proxy/config/config.h"
#include "proxy/statement_refusal.h"
#include "proxy/wire/bytes.h"

namespace proxy {

class StatementGate {
 public:
  // The configuration in force, by reference: the gate asks for it on every checked message and
  // copies it (a shared reference count) only when it changed.
  using ConfigSource = std::function<const std::shared_ptr<const Config>&()>;
  StatementGate(std::string role, std::string database, ConfigSource current);

  // Frontend: whether a message of this type must arrive whole to be checked.
  bool needs_whole(char type) const;
  // Frontend message about to go upstream. True: refused, and `replacement` holds what to send
  // instead (the message itself must not be forwarded).
  bool refuse(char type, pgwire::Bytes body, bool complete, std::string& replacement);
  // Backend ErrorResponse: true if it answers a refusal; `replacement` then holds the client's.
  bool swap_error(const pgwire::ErrorFields& fields, std::string& replacement) {
    return refusals_.swap_error(fields, replacement);
  }

  // The error a refusal of `sql` gets, or nullopt if the rules allow it (cached by text).
  std::optional<pgwire::ErrorFields> check(std::string_view sql);

  // For other refusers in the relay (the audit log that cannot record): a request refused through
  // these is answered by the same swap_error() on the backend side.
  RequestRefusals& refusals() { return refusals_; }

  // Told of every refusal the rules make (the /metrics refusal series); may be empty.
  std::function<void(const pgwire::ErrorFields&)> on_refused;

 private:
  const policy::StatementRules& rules();   // the current configuration's
  pgwire::ErrorFields describe(const policy::StatementRefusal& refusal) const;
  pgwire::ErrorFields fast_path_refusal() const;

  std::string role_, database_;
  ConfigSource current_;
  std::shared_ptr<const Config> config_;            // keeps *rules_ alive
  const policy::StatementRules* rules_ = nullptr;
  policy::StatementRules last_rules_;               // a copy, when the role left the configuration
  std::unordered_map<std::string, std::optional<policy::StatementRefusal>> cache_;
  RequestRefusals refusals_;
};

}  // namespace proxy
