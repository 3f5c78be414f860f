// The risk (statement_risk.h) of every prepared statement and portal of a masked session, by
// name: what EXECUTE, FETCH, Bind, Describe and Execute inherit.
//
// A name's risk must never be lower than the risk of what the server holds under that name. The
// frontend cannot know whether the server will accept a Parse or Bind: it refuses one for a name
// that exists ("prepared statement "p" already exists", the old one stays), and after an error it
// skips every message up to Sync (an unnamed statement Parsed again keeps its old query). So a
// Parse or Bind gives the name its risk when it is sent (what follows it up to Sync runs only if
// it succeeded), and one the server does not confirm (ParseComplete, BindComplete) before an
// error or ReadyForQuery leaves the name with its old risk merged in. SQL PREPARE and DECLARE
// only ever raise a name's risk. Pure: fed message kinds.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/statement_risk.h"

namespace proxy {

class NameRisks {
 public:
  enum class Space { kStatement, kPortal };   // SQL cursors are portals too

  // The risk of `name`; unknown: SqlRisk{} (derived: the server will fail it; else fail closed).
  SqlRisk find(Space space, std::string_view name) const;
  // PREPARE / DECLARE inside a Query: raises the name's risk.
  void raise(Space space, const std::string& name, const SqlRisk& risk);
  // Parse / Bind sent upstream: the name takes `risk`, keeping its old one too until confirmed.
  void on_sent(Space space, const std::string& name, const SqlRisk& risk);
  void on_sync();                  // frontend Sync
  void on_complete(Space space);   // ParseComplete ('1') / BindComplete ('2')
  void on_error();                 // ErrorResponse: the server skips up to Sync
  void on_ready();                 // ReadyForQuery

 private:
  struct Pending {
    bool sync = false;
    Space space = Space::kStatement;
    std::string name;
    SqlRisk previous;   // what the server keeps if it skips or refuses the message
  };
  void unconfirmed(const Pending& p);
  std::unordered_map<std::string, SqlRisk>& map(Space space) { return space == Space::kPortal ? portals_ : statements_; }
  std::unordered_map<std::string, SqlRisk> statements_, portals_;
  std::deque<Pending> pending_;
};

}  // namespace proxy
