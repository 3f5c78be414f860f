// numeric's binary format <-> its text form (internal to binary_values.cc; exposed for tests).
#pragma once

#include <string>
#include <string_view>

#include "proxy/wire/bytes.h"

namespace masking {

// Appends numeric_out's text ("-12.50", "NaN", "Infinity"); false on a malformed value.
bool numeric_binary_to_text(pgwire::Bytes in, std::string& out);
// Appends numeric_send's bytes for a plain decimal ("[-]digits[.digits]", NaN, [-]Infinity); false
// for anything else (exponents included: no mask produces them).
bool numeric_text_to_binary(std::string_view text, std::string& out);

}  // namespace masking
