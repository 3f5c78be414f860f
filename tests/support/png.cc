#include "support/png.h"

#include <zlib.h>

#include <cstdlib>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace testsupport {
namespace {

std::uint32_t be32(const std::string& b, std::size_t at) {
  if (at + 4 > b.size()) throw std::runtime_error("PNG: truncated");
  return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
}

std::uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return static_cast<std::uint8_t>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

}  // namespace

PngStats png_stats(const std::string& bytes) {
  if (bytes.size() < 8 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) throw std::runtime_error("not a PNG");
  PngStats stats;
  int colour_type = -1, depth = 0, interlace = 0;
  std::string idat;
  for (std::size_t at = 8; at + 8 <= bytes.size();) {
    const auto len = be32(bytes, at);
    const std::string type = bytes.substr(at + 4, 4);
    if (at + 12 + len > bytes.size()) throw std::runtime_error("PNG: truncated chunk");
    if (type == "IHDR") {
      stats.width = be32(bytes, at + 8);
      stats.height = be32(bytes, at + 12);
      depth = std::uint8_t(bytes[at + 16]);
      colour_type = std::uint8_t(bytes[at + 17]);
      interlace = std::uint8_t(bytes[at + 20]);
    } else if (type == "IDAT") {
      idat.append(bytes, at + 8, len);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + len;
  }
  if (depth != 8 || (colour_type != 2 && colour_type != 6) || interlace != 0) {
    throw std::runtime_error("PNG: only 8-bit RGB/RGBA, non-interlaced");
  }
  const std::size_t bpp = colour_type == 6 ? 4 : 3, stride = stats.width * bpp;
  std::vector<std::uint8_t> raw((stride + 1) * stats.height);
  uLongf raw_len = raw.size();
  if (::uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_len != raw.size()) {
    throw std::runtime_error("PNG: bad image data");
  }
  // Undo the per-row filters (PNG spec section 9).
  std::vector<std::uint8_t> prev(stride, 0), row(stride);
  std::unordered_map<std::uint32_t, std::size_t> colours;
  for (std::uint32_t y = 0; y < stats.height; ++y) {
    const std::uint8_t* in = raw.data() + y * (stride + 1);
    const int filter = in[0];
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? row[x - bpp] : 0, b = prev[x], c = x >= bpp ? prev[x - bpp] : 0;
      int pred = 0;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) / 2; break;
        case 4: pred = paeth(a, b, c); break;
        default: throw std::runtime_error("PNG: bad filter");
      }
      row[x] = static_cast<std::uint8_t>(in[1 + x] + pred);
    }
    for (std::size_t x = 0; x < stride; x += bpp) {
      ++colours[(std::uint32_t(row[x]) << 16) | (std::uint32_t(row[x + 1]) << 8) | row[x + 2]];
    }
    prev.swap(row);
  }
  std::size_t most = 0;
  for (const auto& [colour, n] : colours) most = std::max(most, n);
  stats.distinct_colours = colours.size();
  stats.background_share = static_cast<double>(most) / (static_cast<double>(stats.width) * stats.height);
  return stats;
}

}  // namespace testsupport
