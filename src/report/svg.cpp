#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace aifabric::report {
namespace {

constexpr double kWidth = 760, kHeight = 360;
constexpr double kLeft = 78, kRight = 170, kTop = 40, kBottom = 52;
constexpr double kBarLabels = 150;  // room left of the plot for the bars' labels
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr std::size_t kColors = sizeof(kPalette) / sizeof(kPalette[0]);

const char* color(std::size_t i) {
  return kPalette[i % kColors];
}

std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

std::string label_of(double v, Format f) {
  if (f == Format::kPercent) return fmt::format("{:g}%", std::round(v * 1000) / 10);
  if (f == Format::kBytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (std::fabs(v) >= 1024 && u < 4) {
      v /= 1024;
      ++u;
    }
    return fmt::format("{:g} {}", std::round(v * 10) / 10, units[u]);
  }
  const double a = std::fabs(v);
  if (a >= 1e9) return fmt::format("{:g}G", std::round(v / 1e8) / 10);
  if (a >= 1e6) return fmt::format("{:g}M", std::round(v / 1e5) / 10);
  if (a >= 1e4) return fmt::format("{:g}k", std::round(v / 1e2) / 10);
  return fmt::format("{:g}", std::round(v * 1e4) / 1e4);
}

bool drawable(const Axis& axis, double v) {
  return std::isfinite(v) && (axis.scale == Scale::kLinear || v > 0);
}

// A mapping from data to pixels along one axis, with its ticks.
struct Mapped {
  Axis axis;
  double lo = 0, hi = 1;      // in data units (log axes: in log10)
  double p0 = 0, p1 = 1;      // pixels of lo and hi
  std::vector<double> ticks;  // data values
  bool valid(double v) const { return drawable(axis, v); }
  double operator()(double v) const {
    const double d = axis.scale == Scale::kLog ? std::log10(v) : v;
    return hi == lo ? (p0 + p1) / 2 : p0 + (d - lo) / (hi - lo) * (p1 - p0);
  }
};

Mapped map_axis(const Axis& axis, double min, double max, double p0, double p1) {
  Mapped m{axis, 0, 1, p0, p1, {}};
  if (!(min <= max)) min = 0, max = 1;
  if (axis.scale == Scale::kLog) {
    const double base = axis.format == Format::kBytes ? 2 : 10;
    double lo = std::floor(std::log(min) / std::log(base)), hi = std::ceil(std::log(max) / std::log(base));
    if (hi <= lo) hi = lo + 1;
    // At most about 10 ticks: powers of the base, every `stride` of them.
    const int stride = std::max(1, static_cast<int>(std::ceil((hi - lo) / 10)));
    lo = std::floor(lo / stride) * stride;
    for (double e = lo; e <= hi + 1e-9; e += stride) m.ticks.push_back(std::pow(base, e));
    m.lo = std::log10(m.ticks.front());
    m.hi = std::log10(std::max(m.ticks.back(), std::pow(base, hi)));
    return m;
  }
  if (axis.from_zero) min = std::min(min, 0.0), max = std::max(max, 0.0);
  if (max - min <= 0) max = min + (min == 0 ? 1 : std::fabs(min) * 0.1);
  const double raw = (max - min) / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  const double step = raw / mag <= 1 ? mag : raw / mag <= 2 ? 2 * mag : raw / mag <= 5 ? 5 * mag : 10 * mag;
  m.lo = std::floor(min / step) * step;
  m.hi = std::ceil(max / step) * step;
  for (double t = m.lo; t <= m.hi + step * 1e-6; t += step)
    m.ticks.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  return m;
}

std::string open_chart(const std::string& kind, const std::string& title) {
  return fmt::format(
      "<figure class=\"chart\"><svg class=\"chart-{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n"
      "<text class=\"title\" x=\"{}\" y=\"22\">{}</text>\n",
      kind, kWidth, kHeight, kWidth, kHeight, escape(title), kLeft, escape(title));
}

std::string close_chart() {
  return "</svg></figure>\n";
}

std::string axes(const Mapped& x, const Mapped& y) {
  std::string s;
  const double x0 = kLeft, x1 = kWidth - kRight, y0 = kHeight - kBottom, y1 = kTop;
  for (double t : y.ticks) {
    const double py = y(t);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(x0), num(py),
                     num(x1), num(py));
    s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", num(x0 - 6),
                     num(py + 4), escape(label_of(t, y.axis.format)));
  }
  for (double t : x.ticks) {
    const double px = x(t);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(px), num(y0),
                     num(px), num(y1));
    s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(px),
                     num(y0 + 16), escape(label_of(t, x.axis.format)));
  }
  s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", num(x0), num(y1),
                   num(x1 - x0), num(y0 - y1));
  s += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                   num((x0 + x1) / 2), num(kHeight - 12), escape(x.axis.label));
  s += fmt::format(
      "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 {} {})\">{}"
      "</text>\n",
      16, num((y0 + y1) / 2), 16, num((y0 + y1) / 2), escape(y.axis.label));
  return s;
}

std::string legend(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string s;
  const double x = kWidth - kRight + 14;
  for (std::size_t i = 0; i < entries.size() && i < 16; ++i) {
    const double y = kTop + 8 + 18.0 * static_cast<double>(i);
    s += fmt::format(
        "<g class=\"legend\"><rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" "
        "y=\"{}\">{}</text></g>\n",
        num(x), num(y), entries[i].second, num(x + 18), num(y + 10), escape(entries[i].first));
  }
  if (entries.size() > 16)
    s += fmt::format("<text class=\"legend\" x=\"{}\" y=\"{}\">and {} more</text>\n", num(x),
                     num(kTop + 8 + 18.0 * 16 + 10), entries.size() - 16);
  return s;
}

std::string empty_note(const std::string& what) {
  return fmt::format("<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     num((kLeft + kWidth - kRight) / 2), num(kHeight / 2), escape(what));
}

}  // namespace

std::string escape(const std::string& text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        s += "&amp;";
        break;
      case '<':
        s += "&lt;";
        break;
      case '>':
        s += "&gt;";
        break;
      case '"':
        s += "&quot;";
        break;
      default:
        s += c;
    }
  }
  return s;
}

std::string line_chart(const std::string& title, const Axis& x, const Axis& y,
                       const std::vector<Series>& series) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& s : series)
    for (const auto& [px, py] : s.points) {
      if (!drawable(x, px) || !drawable(y, py)) continue;
      xmin = std::min(xmin, px), xmax = std::max(xmax, px), ymin = std::min(ymin, py),
      ymax = std::max(ymax, py);
    }
  std::string s = open_chart("line", title);
  const bool none = !(xmin <= xmax);
  const auto mx = map_axis(x, none ? 1 : xmin, none ? 10 : xmax, kLeft, kWidth - kRight);
  const auto my = map_axis(y, none ? 1 : ymin, none ? 10 : ymax, kHeight - kBottom, kTop);
  s += axes(mx, my);
  if (none) s += empty_note("no data");
  std::vector<std::pair<std::string, std::string>> keys;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& ser = series[i];
    std::string path, dots;
    for (const auto& [px, py] : ser.points) {
      if (!mx.valid(px) || !my.valid(py)) continue;
      path += fmt::format("{}{},{}", path.empty() ? "M" : " L", num(mx(px)), num(my(py)));
      if (ser.markers)
        dots +=
            fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{}: {}, {}</title></circle>",
                        num(mx(px)), num(my(py)), color(i), escape(ser.name), escape(label_of(px, x.format)),
                        escape(label_of(py, y.format)));
    }
    s += fmt::format(
        "<g class=\"series\"><path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>{}</g>\n", path,
        color(i), ser.dashed ? " stroke-dasharray=\"6 4\"" : "", dots);
    keys.emplace_back(ser.name, color(i));
  }
  s += legend(keys);
  return s + close_chart();
}

std::string stacked_bars(const std::string& title, const Axis& value,
                         const std::vector<std::string>& part_names, const std::vector<Bar>& bars,
                         const std::string& marker_name) {
  double max = 0, min = 0;
  for (const auto& b : bars) {
    double pos = 0, neg = 0;
    for (double p : b.parts) (p > 0 ? pos : neg) += p;
    max = std::max({max, pos, b.marker});
    min = std::min(min, neg);
  }
  std::string s = open_chart("bars", title);
  const auto mx = map_axis(value, min, max > min ? max : min + 1, kLeft + kBarLabels, kWidth - kRight);
  const double band = (kHeight - kBottom - kTop) / static_cast<double>(std::max<std::size_t>(1, bars.size()));
  for (double t : mx.ticks) {
    const double px = mx(t);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(px), num(kTop),
                     num(px), num(kHeight - kBottom));
    s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(px),
                     num(kHeight - kBottom + 16), escape(label_of(t, value.format)));
  }
  s += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                   num((kLeft + kBarLabels + kWidth - kRight) / 2), num(kHeight - 12), escape(value.label));
  if (bars.empty()) s += empty_note("no data");
  for (std::size_t b = 0; b < bars.size(); ++b) {
    const double top = kTop + band * static_cast<double>(b) + band * 0.15, h = band * 0.7;
    s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                     num(kLeft + kBarLabels - 6), num(top + h / 2 + 4), escape(bars[b].label));
    double pos = 0, neg = 0;  // positive parts stack rightwards from 0, negative ones leftwards
    for (std::size_t p = 0; p < bars[b].parts.size(); ++p) {
      const double v = bars[b].parts[p];
      if (v == 0 || !std::isfinite(v)) continue;
      double& at = v > 0 ? pos : neg;
      const double from = mx(std::min(at, at + v)), to = mx(std::max(at, at + v));
      s += fmt::format(
          "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} {}: "
          "{}</title>"
          "</rect>\n",
          num(from), num(top), num(to - from), num(h), color(p), escape(bars[b].label),
          escape(p < part_names.size() ? part_names[p] : ""), escape(label_of(v, value.format)));
      at += v;
    }
    if (bars[b].marker >= 0)
      s += fmt::format(
          "<line class=\"marker\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"><title>{} {}: {}</title></line>\n",
          num(mx(bars[b].marker)), num(top - 4), num(mx(bars[b].marker)), num(top + h + 4),
          escape(bars[b].label), escape(marker_name), escape(label_of(bars[b].marker, value.format)));
  }
  std::vector<std::pair<std::string, std::string>> keys;
  for (std::size_t p = 0; p < part_names.size(); ++p) keys.emplace_back(part_names[p], color(p));
  if (!marker_name.empty()) keys.emplace_back(marker_name + " (black tick)", "#000000");
  s += legend(keys);
  return s + close_chart();
}

std::string heat_map(const std::string& title, const std::string& value_label,
                     const std::vector<HeatRow>& rows, double max_value, std::size_t columns) {
  const double cell = 12, gap = 2, label_w = 150;
  double height = kTop;
  for (const auto& r : rows)
    height += 18 + (cell + gap) * std::ceil(static_cast<double>(std::max<std::size_t>(1, r.cells.size())) /
                                            static_cast<double>(columns));
  height += 44;
  const double width = label_w + (cell + gap) * static_cast<double>(columns) + 20;
  std::string s = fmt::format(
      "<figure class=\"chart\"><svg class=\"chart-heatmap\" xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n"
      "<text class=\"title\" x=\"10\" y=\"22\">{}</text>\n",
      num(width), num(height), num(width), num(height), escape(title), escape(title));
  const double top_value = max_value > 0 ? max_value : 1;
  auto shade = [&](double v) {
    const double t = std::clamp(v / top_value, 0.0, 1.0);
    // From pale yellow (255,247,188) to dark red (153,0,13).
    const auto mix = [&](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * t)); };
    return fmt::format("#{:02x}{:02x}{:02x}", mix(255, 153), mix(247, 0), mix(188, 13));
  };
  double y = kTop;
  for (const auto& r : rows) {
    s += fmt::format("<text class=\"tick\" x=\"10\" y=\"{}\">{} ({} ports)</text>\n", num(y + 12),
                     escape(r.label), r.cells.size());
    y += 18;
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      const double cx = label_w + (cell + gap) * static_cast<double>(i % columns);
      const double cy = y + (cell + gap) * static_cast<double>(i / columns);
      s += fmt::format(
          "<rect class=\"cell\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: "
          "{}</title>"
          "</rect>",
          num(cx), num(cy), num(cell), num(cell), shade(r.cells[i].second), escape(r.cells[i].first),
          escape(label_of(r.cells[i].second, Format::kPercent)));
    }
    s += "\n";
    y += (cell + gap) * std::ceil(static_cast<double>(std::max<std::size_t>(1, r.cells.size())) /
                                  static_cast<double>(columns));
  }
  // The colour scale.
  y += 10;
  for (int i = 0; i <= 10; ++i)
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"16\" height=\"10\" fill=\"{}\"/>",
                     num(label_w + 16.0 * i), num(y), shade(top_value * i / 10.0));
  s += fmt::format("<text class=\"tick\" x=\"10\" y=\"{}\">{}</text>", num(y + 9), escape(value_label));
  s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\">0 to {}</text>\n", num(label_w + 16 * 11 + 8),
                   num(y + 9), escape(label_of(top_value, Format::kPercent)));
  return s + close_chart();
}

std::string scatter(const std::string& title, const Axis& x, const Axis& y, const std::vector<Point>& points,
                    const std::string& highlight_name, const std::string& mark_name) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& p : points)
    xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x), ymin = std::min(ymin, p.y),
    ymax = std::max(ymax, p.y);
  std::string s = open_chart("scatter", title);
  const bool none = points.empty();
  const auto mx = map_axis(x, none ? 0 : xmin, none ? 1 : xmax, kLeft, kWidth - kRight);
  const auto my = map_axis(y, none ? 0 : ymin, none ? 1 : ymax, kHeight - kBottom, kTop);
  s += axes(mx, my);
  if (none) s += empty_note("no data");
  for (const auto& p : points) {
    if (!mx.valid(p.x) || !my.valid(p.y)) continue;
    const char* fill = p.highlight ? color(3) : color(7);
    s += fmt::format(
        "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"><title>{}: {}, {}</title>"
        "</circle>\n",
        num(mx(p.x)), num(my(p.y)), p.highlight ? 5 : 4, fill, escape(p.label),
        escape(label_of(p.x, x.format)), escape(label_of(p.y, y.format)));
    if (p.mark)
      s += fmt::format(
          "<circle class=\"mark\" cx=\"{}\" cy=\"{}\" r=\"9\" fill=\"none\" stroke=\"#000\" "
          "stroke-width=\"1.5\"/>"
          "<text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>\n",
          num(mx(p.x)), num(my(p.y)), num(mx(p.x) + 12), num(my(p.y) - 10), escape(p.label));
  }
  s +=
      legend({{highlight_name, color(3)}, {"other designs", color(7)}, {mark_name + " (ringed)", "#000000"}});
  return s + close_chart();
}

}  // namespace aifabric::report
