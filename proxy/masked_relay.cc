#include "proxy/masked_relay.h"

#include <fmt/format.h>

#include <re2/re2.h>

#include "masking/row_masking.h"
#include "masking/value_detection.h"
#include "policy/sql_references.h"
#include "proxy/wire/backend_messages.h"
#include "proxy/wire/copy_messages.h"
#include "proxy/wire/error.h"
#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_types.h"
#include "proxy/wire/row_messages.h"

namespace proxy {
namespace {

constexpr std::string_view kHiddenDetail = "(detail hidden by pgveil: it may quote masked values)";
constexpr std::string_view kHiddenContext = "(context hidden by pgveil: it may quote masked values)";
constexpr std::string_view kHiddenRaise =
    "(message hidden by pgveil: raised by a statement that reads masked columns, it may carry their values)";

// Replaces every "..." span of `text` with "[redacted]"; PostgreSQL quotes input values so.
bool hide_quoted(std::string& text) {
  std::string out;
  bool changed = false;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t open = text.find('"', pos);
    if (open == std::string::npos) break;
    const std::size_t close = text.find('"', open + 1);
    if (close == std::string::npos) break;
    out.append(text, pos, open - pos).append("\"[redacted]\"");
    pos = close + 1;
    changed = true;
  }
  if (!changed) return false;
  out.append(text, pos);
  text = std::move(out);
  return true;
}

bool detect_in(const masking::Profile& profile, std::string& text) {
  std::string out;
  if (masking::mask_free_text(profile, text, out) == 0) return false;
  text = std::move(out);
  return true;
}

}  // namespace

bool mask_error_fields(const masking::Profile& profile, pgwire::ErrorFields& fields, bool derived) {
  bool changed = false;
  derived = derived && !profile.columns.empty();
  if (derived && (fields.sqlstate == "00000" || fields.sqlstate == "P0001" || fields.sqlstate.starts_with("01"))) {
    // RAISE NOTICE/EXCEPTION (00000, P0001) and warnings print whatever the code computed.
    fields.message = std::string(kHiddenRaise);
    changed = true;
  }
  // Data exceptions, integrity violations and WITH CHECK OPTION violations (44000: "Failing row
  // contains (...)", the whole base-table row, whatever the statement named) quote values.
  if (derived || fields.sqlstate.starts_with("22") || fields.sqlstate.starts_with("23") ||
      fields.sqlstate.starts_with("44") || fields.detail.starts_with("Failing row contains")) {
    changed |= hide_quoted(fields.message);
    if (!fields.detail.empty()) {
      fields.detail = std::string(kHiddenDetail);
      changed = true;
    }
    for (auto& [code, value] : fields.other) {
      if (code == pgwire::field::kWhere) changed |= derived ? (value = std::string(kHiddenContext), true) : hide_quoted(value);
    }
  }
  changed |= detect_in(profile, fields.message);
  changed |= detect_in(profile, fields.detail);
  changed |= detect_in(profile, fields.hint);
  for (auto& [code, value] : fields.other) {
    if (code == pgwire::field::kWhere || code == pgwire::field::kInternalQuery) changed |= detect_in(profile, value);
  }
  return changed;
}

Verdict MaskedFrontendObserver::on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
  tracker.on_frontend(type);
  if (gate.refuse(type, body, complete, replacement)) {
    if (type != pgwire::fe::kParse) state.order.on_query();   // answered like a Query: error, ReadyForQuery
    return Verdict::kReplace;
  }
  using Space = NameRisks::Space;
  const auto assess = [&](std::string_view sql) {
    auto profile = state.current_profile();
    if (!profile) return SqlRisk::safe();
    auto refs = policy::analyze_sql(sql);
    if (!refs) return SqlRisk::unparsable();   // the server will most likely reject it; if not, fail closed
    state.session_functions.insert(refs->created_functions.begin(), refs->created_functions.end());
    SessionFacts session{&state.session_functions, state.settings_tainted, SqlRisk::safe()};
    // FETCH reads the cursor query's rows, EXECUTE runs PREPARE's query (CREATE TABLE ... AS
    // EXECUTE stores them): their risk is this statement's.
    for (const auto& cursor : refs->fetched_cursors) session.inherited.merge(state.names.find(Space::kPortal, cursor));
    for (const auto& name : refs->executed_statements) session.inherited.merge(state.names.find(Space::kStatement, name));
    SqlRisk risk = assess_sql(*profile, *refs, state.catalog.get(), session);
    // set_config() can copy a masked value into a setting that a later statement reads back.
    if (writes_settings(*refs)) state.settings_tainted = true;
    for (const auto& cursor : refs->declared_cursors) state.names.raise(Space::kPortal, cursor, risk);
    for (const auto& name : refs->prepared_statements) state.names.raise(Space::kStatement, name, risk);
    return risk;
  };
  // A statement refused whole never runs: neither its rows nor its row count ("UPDATE 12" after
  // WHERE ssn LIKE '1%'), its errors or its side effects (storing masked columns under other
  // names, notifying them) reach anyone.
  const auto refuse_write = [&](const SqlRisk& risk) {
    const auto& [why, hint] =
        !risk.refusal.empty()
            ? std::pair{risk.refusal, "Filter and order by columns without masking rules (e.g. the primary key), or "
                                      "ask for a role without masking."}
        : !risk.write_refusal.empty()
            ? std::pair{risk.write_refusal, "Store only columns without masking rules, named one by one."}
            : std::pair{risk.effect_refusal, "Run DO blocks, user-defined and volatile functions (advisory locks, "
                                             "set_config, sequences, pg_sleep ...) only in statements that read no "
                                             "masked columns, or ask for a role without masking."};
    if (why.empty()) return false;
    auto error = pgwire::make_error("ERROR", "42501",
                                    fmt::format("pgveil refuses this statement under role \"{}\": {}", state.role, why),
                                    hint);
    return gate.refusals().substitute(type, body, std::move(error), replacement);
  };
  switch (type) {
    case pgwire::fe::kQuery: {
      auto query = pgwire::parse_query(body);
      const SqlRisk risk = query ? assess(query->sql) : SqlRisk{};
      state.order.on_query(risk);
      if (refuse_write(risk)) return Verdict::kReplace;
      break;
    }
    case pgwire::fe::kFunctionCall:
      state.order.on_query();
      break;
    case pgwire::fe::kParse:
      if (auto parse = pgwire::parse_parse(body)) {
        const SqlRisk risk = assess(parse->query);
        if (refuse_write(risk)) {
          state.names.raise(Space::kStatement, std::string(parse->statement), risk);
          return Verdict::kReplace;
        }
        state.names.on_sent(Space::kStatement, std::string(parse->statement), risk);
      }
      break;
    case pgwire::fe::kBind:
      if (auto bind = pgwire::parse_bind(body)) {
        state.names.on_sent(Space::kPortal, std::string(bind->portal), state.names.find(Space::kStatement, bind->statement));
      }
      break;
    case pgwire::fe::kDescribe: {
      auto describe = pgwire::parse_describe(body);
      state.order.on_describe(
          false, describe ? state.names.find(describe->target == 'S' ? Space::kStatement : Space::kPortal, describe->name)
                          : SqlRisk{});
      break;
    }
    case pgwire::fe::kSync:
      state.order.on_sync();
      state.names.on_sync();
      break;
    case pgwire::fe::kExecute: {
      auto execute = complete ? pgwire::parse_execute(body) : std::unexpected(pgwire::WireError{"incomplete"});
      if (!execute) break;   // the server answers a malformed Execute with an error of its own
      pgwire::encode_describe(replacement, 'P', execute->portal);
      pgwire::encode_execute(replacement, execute->portal, execute->max_rows);
      state.order.on_describe(true, state.names.find(Space::kPortal, execute->portal));
      return Verdict::kReplace;
    }
    case pgwire::fe::kTerminate:
      return Verdict::kStop;
    default:
      break;
  }
  return Verdict::kForward;
}

Verdict MaskedBackendObserver::refuse(std::string message, std::string hint, std::string& replacement) {
  ++state.counters.refused_results;
  state.refusing = true;
  pgwire::encode_error_response(replacement, pgwire::make_error("ERROR", "42501", std::move(message), std::move(hint)));
  return Verdict::kReplace;
}

Verdict MaskedBackendObserver::on_description(pgwire::Bytes body, std::string& replacement) {
  const auto answer = state.order.on_description();
  const bool ours = answer.ours;
  auto description = pgwire::parse_row_description(body);
  if (!description) {
    return refuse("pgveil cannot read the result's RowDescription, so it cannot mask it: " + description.error().message,
                  "Report this to the pgveil operators.", replacement);
  }
  auto profile = state.current_profile();
  if (profile && !answer.refusal.empty()) {
    return refuse(fmt::format("pgveil refuses this statement under role \"{}\": {}", state.role, answer.refusal),
                  "Filter and order by columns without masking rules (e.g. the primary key), or ask for a role "
                  "without masking.",
                  replacement);
  }
  const auto* catalog = state.catalog.get();
  auto resolve = [catalog](masking::Oid oid, std::int16_t attnum) -> std::optional<masking::ColumnIdentity> {
    return catalog ? catalog->find(oid, attnum) : std::nullopt;
  };
  state.plan = masking::build_plan(profile, *description, resolve);
  if (state.count_columns) {
    state.plan_masked.clear();
    const auto columns = state.plan.columns();
    std::size_t i = 0;
    for (const auto& field : *description) {
      if (i >= columns.size() || columns[i++].kind != masking::ColumnAction::Kind::kMask) continue;
      const auto identity = field.table_oid != 0 ? resolve(field.table_oid, field.column_attnum) : std::nullopt;
      state.plan_masked.push_back(identity ? fmt::format("{}.{}.{}", identity->schema, identity->table, identity->column)
                                           : std::string(field.name));
    }
  }
  if (answer.derived && profile && profile->on_unprovable == masking::OnUnprovable::kRefuse) {
    // A computed column (no table OID) of a statement that reads masked columns may carry them
    // through any expression: refuse rather than guess (issue #4, item 4).
    for (const auto& field : *description) {
      if (field.table_oid != 0 && field.column_attnum > 0) continue;   // attnum 0: a whole row
      return refuse(fmt::format("pgveil refuses this result under role \"{}\": column \"{}\" is computed by an "
                                "expression in a statement that reads columns masking profile \"{}\" covers, so "
                                "pgveil cannot prove it does not reveal them",
                                state.role, field.name, profile->name),
                    "Select masked columns directly (they come back masked), and compute on other columns.",
                    replacement);
    }
  }
  if (const auto* refusal = state.plan.refusal()) {
    return refuse(fmt::format("pgveil refuses this result under role \"{}\": {}", state.role, refusal->reason),
                  "Select the column without the expression or format that cannot be masked, or ask for a role "
                  "without masking.",
                  replacement);
  }
  if (ours) return Verdict::kReplace;   // swallowed: the client did not ask for it
  return Verdict::kForward;
}

Verdict MaskedBackendObserver::on_row(pgwire::Bytes body, std::string& replacement) {
  ++state.counters.rows;
  if (state.plan.passthrough()) return Verdict::kForward;
  auto masked = masking::mask_data_row(state.plan, body, replacement);
  if (!masked) {
    replacement.clear();
    return refuse("pgveil could not mask a row of this result: " + masked.error().message,
                  "Select the column in text format or without the expression.", replacement);
  }
  state.counters.masked_values += masked->masked_values;
  if (state.count_columns) {
    for (const auto& name : state.plan_masked) ++state.masked_columns[name];
    if (masked->detections > 0) state.masked_columns["(detected)"] += masked->detections;
  }
  return Verdict::kReplace;
}

Verdict MaskedBackendObserver::on_copy_out(pgwire::Bytes body, std::string& replacement) {
  auto copy = pgwire::parse_copy_response(body);
  auto profile = state.current_profile();
  if (!profile) return Verdict::kForward;
  if (!copy || copy->format != 0) {
    return refuse("pgveil refuses binary COPY TO STDOUT under a masking profile",
                  "Use COPY ... TO STDOUT in text or CSV format, or SELECT.", replacement);
  }
  if (const auto& refusal = state.order.current().refusal; !refusal.empty()) {
    return refuse(fmt::format("pgveil refuses this statement under role \"{}\": {}", state.role, refusal),
                  "Filter and order by columns without masking rules, or ask for a role without masking.", replacement);
  }
  if (!profile->columns.empty() && state.order.copy_unsafe()) {
    return refuse(fmt::format("pgveil refuses this COPY TO STDOUT under role \"{}\": it may send columns masking "
                              "profile \"{}\" covers, and COPY does not say which column each value belongs to",
                              state.role, profile->name),
                  "COPY (SELECT <columns without masking rules> ...) TO STDOUT works; or use SELECT, whose rows are "
                  "masked column by column.",
                  replacement);
  }
  state.copy_out = true;
  state.copy_profile = std::move(profile);
  return Verdict::kForward;
}

Verdict MaskedBackendObserver::on_error_or_notice(char type, pgwire::Bytes body, std::string& replacement) {
  const SqlRisk& now = state.order.current();
  const bool derived = now.derived && !now.unparsed;
  if (type == pgwire::be::kErrorResponse) {
    state.order.on_error();
    state.names.on_error();
    state.copy_out = false;
  }
  auto fields = pgwire::parse_error_fields(body);
  if (!fields) {
    // Unreadable text cannot be masked: drop a notice, replace an error (fail closed).
    if (type == pgwire::be::kErrorResponse) {
      pgwire::encode_error_response(replacement,
                                    pgwire::make_error("ERROR", "XX000", "the server sent an error pgveil cannot read"));
    }
    return Verdict::kReplace;
  }
  const bool fatal = fields->severity == "FATAL" || fields->severity == "PANIC";
  if (type == pgwire::be::kErrorResponse && fatal) fatal_seen = true;
  // The server's answer to a statement the gate refused becomes the client's refusal (always
  // asked, so the gate's queue of refusals stays in step even when the error is dropped below).
  std::string swapped;
  const bool gated = type == pgwire::be::kErrorResponse && gate.swap_error(*fields, swapped);
  // After a refusal the client has its error already; a second one would say more (an oracle).
  if (state.refusing && type == pgwire::be::kErrorResponse && !fatal) return Verdict::kReplace;
  if (gated) {
    replacement += swapped;
    return Verdict::kReplace;
  }
  auto profile = state.current_profile();
  if (!profile || !mask_error_fields(*profile, *fields, derived)) return Verdict::kForward;
  if (type == pgwire::be::kErrorResponse) {
    pgwire::encode_error_response(replacement, *fields);
  } else {
    pgwire::encode_notice_response(replacement, *fields);
  }
  return Verdict::kReplace;
}

// After a refusal: everything up to ReadyForQuery is dropped, but still tracked, except what is
// not a reply (ParameterStatus, notices, notifications, FATAL).
Verdict MaskedBackendObserver::while_refusing(char type, pgwire::Bytes body, std::string& replacement) {
  switch (type) {
    case pgwire::be::kRowDescription:
    case pgwire::be::kNoData:
      state.order.on_description();
      return Verdict::kReplace;
    case pgwire::be::kParseComplete:
    case pgwire::be::kBindComplete:
      state.names.on_complete(type == pgwire::be::kParseComplete ? NameRisks::Space::kStatement
                                                                 : NameRisks::Space::kPortal);
      return Verdict::kReplace;
    case pgwire::be::kErrorResponse:
    case pgwire::be::kNoticeResponse:
      return on_error_or_notice(type, body, replacement);
    case pgwire::be::kParameterStatus:
    case pgwire::be::kNotificationResponse:
      return Verdict::kForward;   // handled by the caller
    default:
      return Verdict::kReplace;
  }
}

Verdict MaskedBackendObserver::on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
  if (type == pgwire::be::kReadyForQuery && complete && body.size() == 1) {
    tracker.on_backend(type, static_cast<char>(body[0]));
  } else {
    tracker.on_backend(type);
  }
  if (!complete) {
    // needs_whole() asks for every message whole, so this is one over max_message: end the
    // session rather than forward bytes that were not masked.
    return Verdict::kStop;
  }
  if (state.refusing && type != pgwire::be::kReadyForQuery) {
    const Verdict verdict = while_refusing(type, body, replacement);
    if (type != pgwire::be::kParameterStatus && type != pgwire::be::kNotificationResponse) return verdict;
  }
  switch (type) {
    case pgwire::be::kRowDescription:
      return on_description(body, replacement);
    case pgwire::be::kNoData:
      state.plan = masking::Plan{};
      return state.order.on_description().ours ? Verdict::kReplace : Verdict::kForward;
    case pgwire::be::kDataRow:
      return on_row(body, replacement);
    case pgwire::be::kCommandComplete:
    case pgwire::be::kPortalSuspended:
    case pgwire::be::kEmptyQueryResponse:
      state.copy_out = false;
      return Verdict::kForward;
    case pgwire::be::kCopyOutResponse:
    case pgwire::be::kCopyBothResponse:
      return on_copy_out(body, replacement);
    case pgwire::be::kCopyData: {
      if (!state.copy_out || !state.copy_profile) return Verdict::kForward;   // COPY FROM's echo never carries rows
      std::string masked;
      if (masking::mask_free_text(*state.copy_profile, pgwire::as_chars(body), masked) == 0) return Verdict::kForward;
      pgwire::Writer w(replacement);
      const auto mark = w.begin('d');
      replacement += masked;
      w.end(mark);
      return Verdict::kReplace;
    }
    case pgwire::be::kFunctionCallResponse:
      return refuse(fmt::format("pgveil refuses function calls through the fast-path interface under role \"{}\" "
                                "(large objects and other fast-path results are not masked)",
                                state.role),
                    "Use SELECT lo_get(...) or another query, whose result pgveil can mask.", replacement);
    case pgwire::be::kErrorResponse:
    case pgwire::be::kNoticeResponse:
      return on_error_or_notice(type, body, replacement);
    case pgwire::be::kNotificationResponse: {
      auto profile = state.current_profile();
      auto notification = pgwire::parse_notification_response(body);
      if (!profile || !notification) return Verdict::kForward;
      std::string payload;
      if (masking::mask_free_text(*profile, notification->payload, payload) == 0) return Verdict::kForward;
      pgwire::encode_notification_response(replacement, notification->pid, notification->channel, payload);
      return Verdict::kReplace;
    }
    case pgwire::be::kParameterStatus: {
      // set_config('application_name', <a masked column>) reports the value back.
      auto status = pgwire::parse_parameter_status(body);
      if (!state.settings_tainted || !status || status->name != "application_name") return Verdict::kForward;
      pgwire::encode_parameter_status(replacement, status->name, masking::kDefaultRedaction);
      return Verdict::kReplace;
    }
    case pgwire::be::kParseComplete:
      state.names.on_complete(NameRisks::Space::kStatement);
      return Verdict::kForward;
    case pgwire::be::kBindComplete:
      state.names.on_complete(NameRisks::Space::kPortal);
      return Verdict::kForward;
    case pgwire::be::kReadyForQuery:
      state.names.on_ready();
      state.order.on_ready();
      state.refusing = false;
      state.copy_out = false;
      return Verdict::kForward;
    default:
      return Verdict::kForward;
  }
}

}  // namespace proxy
