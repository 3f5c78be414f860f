// Inline SVG charts for the HTML report: fixed sizes, no scripts, no external references, so the
// page stays one self-contained file that prints and archives well.
#include <fmt/format.h>

#include <algorithm>

#include "audit/report_render.h"

namespace audit {
namespace {

constexpr int kWidth = 520;

std::uint64_t max_value(const ChartData& data) {
  std::uint64_t m = 1;
  for (const auto& [label, value] : data) m = std::max(m, value);
  return m;
}

std::string truncated(const std::string& label, std::size_t max) {
  return label.size() <= max ? label : label.substr(0, max - 1) + "\u2026";
}

}  // namespace

std::string svg_column_chart(std::string_view title, const ChartData& data) {
  constexpr int kHeight = 180, kTop = 24, kBottom = 36, kLeft = 36;
  const int plot_h = kHeight - kTop - kBottom;
  const auto n = std::max<std::size_t>(data.size(), 1);
  const double slot = static_cast<double>(kWidth - kLeft - 8) / static_cast<double>(n);
  const auto peak = max_value(data);
  std::string svg = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-label=\"{2}\"><title>{2}</title>"
      "<text x=\"0\" y=\"14\" class=\"ct\">{2}</text>"
      "<line x1=\"{3}\" y1=\"{4}\" x2=\"{0}\" y2=\"{4}\" class=\"axis\"/>"
      "<text x=\"{5}\" y=\"{6}\" class=\"cl\" text-anchor=\"end\">{7}</text>",
      kWidth, kHeight, escape_html(title), kLeft, kTop + plot_h, kLeft - 4, kTop + 10, peak);
  if (data.empty()) svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"cl\">no data</text>", kLeft + 8, kTop + plot_h / 2);
  const bool every_label = data.size() <= 10;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto& [label, value] = data[i];
    const double h = static_cast<double>(plot_h) * static_cast<double>(value) / static_cast<double>(peak);
    const double x = kLeft + static_cast<double>(i) * slot + slot * 0.15;
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" class=\"bar\"><title>{}: {}</title></rect>",
                       x, kTop + plot_h - h, slot * 0.7, h, escape_html(label), value);
    if (every_label || i == 0 || i + 1 == data.size()) {
      // Days: "12-03" fits under a column.
      const auto shown = label.size() == 10 ? label.substr(5) : truncated(label, 8);
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"cl\" text-anchor=\"middle\">{}</text>", x + slot * 0.35,
                         kTop + plot_h + 14, escape_html(shown));
    }
  }
  return svg + "</svg>";
}

std::string svg_bar_chart(std::string_view title, const ChartData& data) {
  constexpr int kRow = 22, kTop = 24, kLabel = 220;
  const auto rows = std::min<std::size_t>(data.size(), 12);
  const int height = kTop + static_cast<int>(std::max<std::size_t>(rows, 1)) * kRow + 8;
  const auto peak = max_value(data);
  std::string svg = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-label=\"{2}\"><title>{2}</title><text x=\"0\" y=\"14\" class=\"ct\">{2}</text>",
      kWidth, height, escape_html(title));
  if (data.empty()) svg += fmt::format("<text x=\"0\" y=\"{}\" class=\"cl\">none</text>", kTop + 14);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto& [label, value] = data[i];
    const int y = kTop + static_cast<int>(i) * kRow;
    const double w = static_cast<double>(kWidth - kLabel - 48) * static_cast<double>(value) / static_cast<double>(peak);
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" class=\"cl\" text-anchor=\"end\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" class=\"bar bad\"><title>{}: {}</title></rect>"
        "<text x=\"{:.1f}\" y=\"{}\" class=\"cl\">{}</text>",
        kLabel - 6, y + 15, escape_html(truncated(label, 34)), kLabel, y + 3, std::max(w, 1.0), kRow - 6,
        escape_html(label), value, kLabel + w + 4, y + 15, value);
  }
  return svg + "</svg>";
}

}  // namespace audit
