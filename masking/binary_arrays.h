// One-dimensional arrays in binary format (array_send/array_recv) <-> their text form, for the
// arrays pgveil masks (text-like and integer elements). Internal to binary_values.cc; exposed for
// tests. Multi-dimensional arrays have no codec here: decoding them fails, and the result is
// refused rather than forwarded (fail closed).
#pragma once

#include <string>
#include <string_view>

#include "masking/pg_types.h"
#include "proxy/wire/bytes.h"

namespace masking {

// Appends the text form with every element quoted ({"a","b c",NULL}, [0:1]={...} when the lower
// bound is not 1); false on a malformed value, an element type other than the array's, or more
// than one dimension.
bool array_binary_to_text(Oid array_oid, pgwire::Bytes in, std::string& out);
// Appends the binary form of a one-dimensional text form; false when it is not one, or an element
// is not a valid text form of the element type.
bool array_text_to_binary(Oid array_oid, std::string_view text, std::string& out);

}  // namespace masking
