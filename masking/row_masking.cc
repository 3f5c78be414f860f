#include "masking/row_masking.h"

#include <fmt/format.h>

#include "masking/binary_values.h"
#include "masking/value_detection.h"
#include "proxy/wire/row_messages.h"

namespace masking {
namespace {

std::unexpected<MaskError> malformed(std::string message) {
  return std::unexpected(MaskError{MaskError::Kind::kMalformed, std::move(message)});
}

// The column's mask or detectors on a value in text form: appends the new text to `out` for
// kValue, nothing otherwise.
ValueResult mask_text(const ColumnAction& a, const Profile& profile, std::string_view text, std::string& out,
                      MaskStats& stats) {
  if (a.kind == ColumnAction::Kind::kMask) {
    const std::size_t mark = out.size();
    MaskOutcome outcome;
    const bool memo = a.keyed && PseudonymCache::cacheable(text);
    if (const PseudonymCache::Entry* hit = memo ? a.pseudonyms.find(text) : nullptr) {
      out.append(hit->output);
      outcome = hit->outcome;
    } else {
      outcome = apply_mask(a.rule->mask, profile.key, a.type, text, out);
      if (memo) a.pseudonyms.store(text, outcome, std::string_view(out).substr(mark));
    }
    return outcome == MaskOutcome::kValue ? ValueResult::kValue : ValueResult::kNull;
  }
  std::size_t detections = 0;
  const DetectOutcome outcome = detect_and_mask(profile, a.type, text, out, detections);
  stats.detections += static_cast<std::uint32_t>(detections);
  switch (outcome) {
    case DetectOutcome::kUnchanged: return ValueResult::kUnchanged;
    case DetectOutcome::kValue: return ValueResult::kValue;
    case DetectOutcome::kNull: break;
  }
  return ValueResult::kNull;
}

}  // namespace

std::expected<ValueResult, MaskError> mask_value(const Plan& plan, std::size_t column, pgwire::Bytes value,
                                                 std::string& out, MaskStats& stats) {
  const ColumnAction& a = plan.columns()[column];
  if (a.kind == ColumnAction::Kind::kPass) return ValueResult::kUnchanged;
  if (a.kind == ColumnAction::Kind::kRefuse)
    return std::unexpected(MaskError{MaskError::Kind::kRefused, a.reason});
  if (a.yields_null) {  // before decoding: the plan allows it for types without a binary codec
    ++stats.masked_values;
    return ValueResult::kNull;
  }
  const Profile& profile = *plan.profile();
  if (!a.binary) {  // text values are masked in place, without a copy
    const ValueResult result = mask_text(a, profile, pgwire::as_chars(value), out, stats);
    if (result != ValueResult::kUnchanged) ++stats.masked_values;
    return result;
  }
  // Binary values are masked through their text form.
  std::string decoded;
  if (!binary_to_text(a.type, value, decoded))
    return malformed(fmt::format("column {}: malformed binary value of type OID {}", column + 1, a.type.oid));
  std::string masked;
  ValueResult result = mask_text(a, profile, decoded, masked, stats);
  if (result != ValueResult::kUnchanged) ++stats.masked_values;
  if (result == ValueResult::kValue && !text_to_binary(a.type, masked, out)) {
    // The mask produced no valid value of the type: NULL rather than a value the client cannot
    // decode, and never the original.
    result = ValueResult::kNull;
  }
  return result;
}

std::expected<MaskStats, MaskError> mask_data_row(const Plan& plan, pgwire::Bytes body, std::string& out) {
  // Fields are read in place with plain bounds checks (no Reader: its std::expected results cost
  // more than the reading, ten times a row).
  const std::uint8_t* const data = body.data();
  const std::size_t size = body.size();
  if (size < 2) return malformed("DataRow: truncated column count");
  const std::size_t count = std::size_t{data[0]} << 8 | data[1];
  if (count != plan.size())
    return malformed(fmt::format("DataRow has {} columns but its RowDescription had {}", count, plan.size()));
  const std::size_t mark = out.size();
  const auto columns = plan.columns();
  MaskStats stats;
  pgwire::DataRowWriter w(out, count);
  // Columns that stay as they are (passed, NULL, or scanned without a hit) are copied from `body`
  // as one run of fields, [run, pos), flushed before anything else is written.
  std::size_t pos = 2, run = 2, run_columns = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t field = pos;
    if (size - pos < 4) {
      out.resize(mark);
      return malformed(fmt::format("DataRow: bad length for column {}", i + 1));
    }
    const auto len = static_cast<std::int32_t>(pgwire::load_u32(data + pos));
    pos += 4;
    if (len < -1) {
      out.resize(mark);
      return malformed(fmt::format("DataRow: bad length for column {}", i + 1));
    }
    if (len == -1) {  // NULL stays NULL (PROTOCOL.md 19)
      ++run_columns;
      continue;
    }
    if (size - pos < static_cast<std::size_t>(len)) {
      out.resize(mark);
      return malformed(fmt::format("DataRow: column {} runs past the message", i + 1));
    }
    const pgwire::Bytes value = body.subspan(pos, static_cast<std::size_t>(len));
    pos += static_cast<std::size_t>(len);
    if (columns[i].kind == ColumnAction::Kind::kPass) {
      ++run_columns;
      continue;
    }
    // The masked value is encoded straight into `out`, after a length field set once it is known.
    w.fields(body.subspan(run, field - run), run_columns);
    run = field;
    run_columns = 0;
    const std::size_t slot = w.begin_value();
    auto result = mask_value(plan, i, value, out, stats);
    if (!result) {
      out.resize(mark);
      return std::unexpected(std::move(result.error()));
    }
    if (*result == ValueResult::kValue) {
      w.end_value(slot);
      run = pos;
      continue;
    }
    w.drop_value(slot);
    if (*result == ValueResult::kUnchanged) {
      ++run_columns;  // its field is still [field, pos): it joins the run
      continue;
    }
    w.null();
    run = pos;
  }
  if (pos != size) {
    out.resize(mark);
    return malformed("DataRow: bytes after the last column");
  }
  w.fields(body.subspan(run, pos - run), run_columns);
  w.finish();
  return stats;
}

}  // namespace masking
