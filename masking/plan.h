// Per-result masking plan (DESIGN.md data flow: "RowDescription -> masking plan per column").
//
// Built once per RowDescription (or per COPY column list) from the column descriptors and the
// session's profile; applied to every DataRow / CopyData row of that result by row_masking.h.
// Decisions are made here, not per row: a result that cannot be masked safely (a binary column
// pgveil cannot re-encode, a table column whose identity cannot be resolved) is refused before
// its first row, so the relay can answer with one ErrorResponse.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "masking/function_ref.h"
#include "masking/profile.h"
#include "masking/pseudonym_cache.h"
#include "proxy/wire/row_messages.h"

namespace masking {

// What (table OID, attnum) from RowDescription names in pg_catalog (pg_class/pg_namespace/
// pg_attribute). The proxy looks it up and caches it; masking does no I/O.
struct ColumnIdentity {
  std::string schema, table, column;
  // Its type: the base type OID for a domain (what RowDescription reports; 0: unknown), and the
  // names of the declared type and of every type a domain is over (for `type:` rules on domains).
  Oid type = 0;
  std::vector<std::string> type_names;
  // Tables this one is a partition or inheritance child of, at any depth (schema, table): a
  // table rule on a parent covers its children's columns, read directly or not.
  std::vector<std::pair<std::string, std::string>> parents;
  // A view's column (PostgreSQL reports the view, not what it reads): plain when it shows one
  // table column as is (reads = that column, resolved through views); otherwise computed from
  // `reads`, every table column the view reads, and perhaps from user-defined functions.
  bool view = false;
  bool plain = false;
  bool calls_user_function = false;
  std::vector<ColumnIdentity> reads;
};

// The first rule of `profile` that covers table column `id` whatever expression reads it: by its
// name, table and type; for a view column, by the table columns it shows or is computed from.
// The statement analysis asks it for every column a statement names (proxy/statement_risk.h).
const ColumnRule* rule_covering(const Profile& profile, const ColumnIdentity& id);

// nullopt: unknown (lookup failed, dropped table). Called only for table_oid != 0 and attnum > 0.
using ColumnResolver = FunctionRef<std::optional<ColumnIdentity>(Oid table_oid, std::int16_t attnum)>;

struct ColumnAction {
  enum class Kind : std::uint8_t {
    kPass,    // forwarded as is
    kMask,    // the column rule's mask
    kDetect,  // value detectors on the value
    kRefuse,  // the whole result must be refused (fail closed)
  };
  Kind kind = Kind::kPass;
  ValueType type;
  bool binary = false;               // format code 1
  const ColumnRule* rule = nullptr;  // kMask: the rule (owned by the plan's profile)
  bool yields_null = false;          // kMask whose result is NULL whatever the value (any format)
  // kMask by hash or tokenize: the outputs of recent values (mutable: the plan is applied as
  // const, by the one session that owns it).
  bool keyed = false;
  mutable PseudonymCache pseudonyms;
  // kRefuse: why, naming the column and the rule, without any value; kMask: the rule, for audit.
  std::string reason;
};

class Plan {
 public:
  Plan() = default;  // no profile: everything passes

  const Profile* profile() const { return profile_.get(); }
  std::span<const ColumnAction> columns() const { return columns_; }
  std::size_t size() const { return columns_.size(); }

  // Every column passes: the relay may forward DataRows byte for byte (the fast path).
  bool passthrough() const { return passthrough_; }
  // The first refused column, or nullptr. A refused plan must not be applied: the relay sends an
  // ErrorResponse 42501 with reason() instead of the result.
  const ColumnAction* refusal() const;

 private:
  friend Plan build_plan(std::shared_ptr<const Profile>, std::span<const pgwire::FieldDescription>, ColumnResolver);
  std::shared_ptr<const Profile> profile_;
  std::vector<ColumnAction> columns_;
  bool passthrough_ = true;
};

// `columns` as in RowDescription, with the format codes the client asked for in Bind (a statement
// Describe says 0 for every column; PROTOCOL.md 18-19). For COPY text/CSV pass format 0.
// A null profile yields a passthrough plan.
Plan build_plan(std::shared_ptr<const Profile> profile, std::span<const pgwire::FieldDescription> columns,
                ColumnResolver resolve);
Plan build_plan(std::shared_ptr<const Profile> profile, const pgwire::RowDescription& description,
                ColumnResolver resolve);

}  // namespace masking
