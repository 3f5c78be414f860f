// COPY ... TO STDOUT rows in text and CSV format (PROTOCOL.md 23): the server sends one row per
// CopyData. Fields are decoded (text-format backslash escapes and \N; CSV quoting), masked with the
// same plan as DataRows (build it from the COPY's column descriptors with format 0), and
// re-encoded. Columns that pass keep their original bytes. Binary COPY is not handled here: the
// relay refuses it under masking.
//
// The CSV HEADER line carries column names, not data: the relay forwards it without calling
// mask_copy_csv_row.
#pragma once

#include <expected>
#include <string>

#include "masking/row_masking.h"

namespace masking {

struct CopyTextFormat {
  char delimiter = '\t';
  std::string null_string = "\\N";
};

struct CopyCsvFormat {
  char delimiter = ',';
  char quote = '"';
  char escape = '"';
  std::string null_string;  // unquoted; "" by default (a quoted "" is an empty string)
};

// `row` is one CopyData payload (ending in '\n'). Appends a complete CopyData message ('d',
// length, row) to `out`; on error `out` is left as it was.
std::expected<MaskStats, MaskError> mask_copy_text_row(const Plan& plan, pgwire::Bytes row, std::string& out,
                                                       const CopyTextFormat& format = {});
std::expected<MaskStats, MaskError> mask_copy_csv_row(const Plan& plan, pgwire::Bytes row, std::string& out,
                                                      const CopyCsvFormat& format = {});

}  // namespace masking
