#pragma once
#include <string>
#include <utility>
#include <vector>

// Charts as inline SVG, for the self-contained HTML report: no script, no external font, and the same bytes
// for the same data (coordinates are printed with fixed precision). Each chart is a <figure class="chart">
// holding one <svg class="chart-KIND"> with a title, labelled axes and a legend; points and cells carry a
// <title> tooltip with their exact values.
namespace aifabric::report {

enum class Scale { kLinear, kLog };
enum class Format { kNumber, kBytes, kPercent };  // how tick labels read: 1.5k, 1 MiB, 40%

struct Axis {
  std::string label;  // with its unit: "time (us)"
  Scale scale = Scale::kLinear;
  Format format = Format::kNumber;
  bool from_zero = true;  // linear axes: include 0
};

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in order
  bool markers = false;                           // a dot at each point
  bool dashed = false;
};

// Lines over shared axes. Points with a non-positive coordinate on a log axis are left out.
std::string line_chart(const std::string& title, const Axis& x, const Axis& y,
                       const std::vector<Series>& series);

struct Bar {
  std::string label;
  std::vector<double> parts;  // stacked left to right, one per part name
  double marker = -1;         // a vertical tick at this value (ignored when negative)
};

// Horizontal stacked bars, one per label, on a linear value axis through 0: positive parts stack to the right
// of 0, negative ones to the left.
std::string stacked_bars(const std::string& title, const Axis& value,
                         const std::vector<std::string>& part_names, const std::vector<Bar>& bars,
                         const std::string& marker_name);

struct HeatRow {
  std::string label;
  std::vector<std::pair<std::string, double>> cells;  // (name, value)
};

// One block of cells per row, wrapped at `columns` cells; colour from 0 (pale) to `max_value` (dark red).
std::string heat_map(const std::string& title, const std::string& value_label,
                     const std::vector<HeatRow>& rows, double max_value, std::size_t columns = 48);

struct Point {
  double x = 0, y = 0;
  std::string label;
  bool highlight = false;  // drawn in the accent colour (the Pareto set)
  bool mark = false;       // ringed and labelled (the recommendation)
};

std::string scatter(const std::string& title, const Axis& x, const Axis& y, const std::vector<Point>& points,
                    const std::string& highlight_name, const std::string& mark_name);

// Text escaped for XML and HTML content and attributes.
std::string escape(const std::string& text);

}  // namespace aifabric::report
