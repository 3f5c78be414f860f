// The risk (statement_risk.h) of every prepared statement and portal of a masked session, by
// name: what EXECUTE, FETCH, Bind, Describe and Execute inherit.
//
// A name's risk must never be lower than the risk of what the server holds under that name. The
// frontend cannot know whether the server will accept a Parse or Bind: it refuses one for a name
// that exists ("prepared statement "p" already exists", the old one stays), and after an error it
// skips every message up to Sync (an unnamed statement Parsed again keeps its old query). So a
// message only raises a name's risk (merged with what it had) when it is sent, and sets it to its
// own when the server confirms it (ParseComplete, BindComplete) and no later message for that
// name is still on its way. SQL PREPARE and DECLARE only ever raise. Pure: fed message kinds.
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
  // Parse / Bind sent upstream: raises now, set to `risk` when the server confirms.
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
    SqlRisk risk;
  };
  std::unordered_map<std::string, SqlRisk>& map(Space space) { return space == Space::kPortal ? portals_ : statements_; }
  std::unordered_map<std::string, SqlRisk> statements_, portals_;
  std::deque<Pending> pending_;
};

}  // namespace proxy
