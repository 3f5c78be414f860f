// Applies a profile's value detectors to one value: each detected span becomes the profile's
// values mask. Structured text stays structured (json leaves, array elements, escaped xml).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "masking/masks.h"
#include "masking/profile.h"

namespace masking {

enum class DetectOutcome { kUnchanged, kValue, kNull };

// `in` is a text form of `type`. On kValue the rewritten value is appended to `out`; on
// kUnchanged nothing is appended (the caller keeps the original bytes: no copy on the common
// path). `detections` is incremented per replaced span.
DetectOutcome detect_and_mask(const Profile& profile, const ValueType& type, std::string_view in, std::string& out,
                              std::size_t& detections);

// For free text outside rows (ErrorResponse/NoticeResponse fields, NOTIFY payloads, PROTOCOL.md
// 25): appends `in` with every detected span masked; returns the number of spans.
std::size_t mask_free_text(const Profile& profile, std::string_view in, std::string& out);

}  // namespace masking
