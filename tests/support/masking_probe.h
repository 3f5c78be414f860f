// Runs one statement through libpq and keeps every byte a client could see of its answer —
// values (text or binary), every error and notice field, notifications, application_name — so
// a masking test can search it for raw personal data, whatever channel carried it.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <vector>

namespace testsupport::masking_shop {

enum class Protocol { kSimple, kExtendedText, kExtendedBinary };
const char* to_string(Protocol p);

struct Seen {
  bool connected = false;
  std::vector<std::string> sqlstates;   // of every error result, in order
  std::vector<std::string> messages;    // their primary messages
  int tuples = 0;
  std::string bytes;                    // everything, concatenated
  bool refused() const;                 // an error 42501 came back
  bool failed() const { return !sqlstates.empty(); }
  std::string summary() const;          // for test output: states, messages, a prefix of the bytes
};

// A connection whose notices are captured into the Seen of the statement running.
class Probe {
 public:
  explicit Probe(const std::string& conninfo);
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;
  ~Probe();
  bool ok() const;
  std::string error() const;
  PGconn* get() const { return conn_; }
  // Runs `sql` (several statements only with kSimple) and collects every result until the end.
  Seen run(const std::string& sql, Protocol protocol);

 private:
  PGconn* conn_ = nullptr;
  std::string notices_;
};

}  // namespace testsupport::masking_shop
