// Walks the text forms of json/jsonb, arrays and xml so a mask or a detector touches only the
// data inside them and the result still parses: a masked jsonb is still valid JSON, a masked
// text[] still a valid array literal.
#pragma once

#include <string>
#include <string_view>

#include "masking/function_ref.h"

namespace masking {

// What the callback is given: a string value, a number, or an object key. Keys can carry personal
// data too ({"ann@example.com": 3}); detectors scan them, column masks usually keep them.
enum class JsonToken { kString, kNumber, kKey };

// Leaf callback: `leaf` is the decoded token; append the replacement to `out` and return true, or
// return false (appending nothing) to keep the token as it was.
using LeafFn = FunctionRef<bool(std::string_view leaf, JsonToken kind, std::string& out)>;

// Rewrites the strings, numbers and keys of a JSON text. Replaced strings and keys are re-encoded;
// a replaced number stays a number only if the replacement is a JSON number, and becomes a string
// otherwise. Returns false on malformed JSON (the caller fails closed).
bool map_json_leaves(std::string_view json, LeafFn fn, std::string& out);

// Element callback for arrays: kKeep, kReplaced (appended to out), kNull.
enum class ElementResult { kKeep, kReplaced, kNull };
using ElementFn = FunctionRef<ElementResult(std::string_view element, std::string& out)>;

// Rewrites the non-NULL elements of an array's text form ({a,"b c",NULL}, nested, optional
// [lo:hi]= dimensions). Returns false on a malformed literal.
bool map_array_elements(std::string_view array, ElementFn fn, std::string& out);

bool is_json_number(std::string_view s);
void append_json_string(std::string& out, std::string_view s);  // "..." with JSON escapes
void append_xml_escaped(std::string& out, std::string_view s);  // & < > as entities

}  // namespace masking
