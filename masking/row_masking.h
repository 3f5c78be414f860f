// Plan + row -> masked row (DESIGN.md: "DataRow / CopyData rewritten column by column,
// streamed, length-fixed"). Pure functions over bytes: the relay owns buffers and sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>

#include "masking/plan.h"
#include "proxy/wire/bytes.h"

namespace masking {

struct MaskStats {
  std::uint32_t masked_values = 0;  // values changed by a column rule or a detector
  std::uint32_t detections = 0;     // spans found by detectors
};

// Why a row could not be masked. The message names the column, never its value; the relay turns
// it into an ErrorResponse (08P01 for malformed rows, 42501 for refusals) and ends the result.
struct MaskError {
  enum class Kind { kMalformed, kRefused } kind = Kind::kMalformed;
  std::string message;
};

// Masks one non-NULL value of `column` (in that column's format). Appends the new value to `out`
// and returns kValue, returns kNull, or returns kUnchanged (nothing appended: keep the original).
enum class ValueResult { kUnchanged, kValue, kNull };
std::expected<ValueResult, MaskError> mask_value(const Plan& plan, std::size_t column, pgwire::Bytes value,
                                                 std::string& out, MaskStats& stats);

// `body` is a DataRow body (after the type byte and length). Appends a complete DataRow message
// ('D', length, values) to `out`. On error `out` is left as it was.
std::expected<MaskStats, MaskError> mask_data_row(const Plan& plan, pgwire::Bytes body, std::string& out);

}  // namespace masking
