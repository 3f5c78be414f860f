// Just enough PNG decoding (8-bit RGB/RGBA, non-interlaced: what Chromium's --screenshot
// writes) to tell a rendered page from a blank one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace testsupport {

struct PngStats {
  std::uint32_t width = 0, height = 0;
  std::size_t distinct_colours = 0;
  double background_share = 1.0;  // share of pixels with the most common colour
};

// Throws std::runtime_error when the bytes are not a PNG this decoder reads.
PngStats png_stats(const std::string& bytes);

}  // namespace testsupport
