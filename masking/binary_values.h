// Binary-format values (Bind result format 1, PROTOCOL.md 19): decoded to the type's text form,
// masked there by the same code as text results, and encoded back, so a masked int4 is exactly
// 4 bytes and a masked date a valid date. Types without a codec here are refused by the plan
// whenever they would need masking (fail closed).
#pragma once

#include <string>
#include <string_view>

#include "masking/masks.h"
#include "proxy/wire/bytes.h"

namespace masking {

bool has_binary_codec(TypeClass t);

// Appends the text form; false on a malformed value (wrong length, bad jsonb version).
bool binary_to_text(const ValueType& type, pgwire::Bytes in, std::string& out);

// Appends the binary form; false when `text` is not a valid text form of the type.
bool text_to_binary(const ValueType& type, std::string_view text, std::string& out);

}  // namespace masking
