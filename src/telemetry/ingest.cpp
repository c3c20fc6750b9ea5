#include "telemetry/ingest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>

#include "core/error.hpp"
#include "io/yaml_reader.hpp"

namespace aifabric::telemetry {

using core::InputError;

namespace {

constexpr std::size_t kMaxLine = 64 * 1024;

// Reads lines of at most kMaxLine bytes; a longer one is an error, found without holding it.
class LineReader {
 public:
  LineReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)), buffer_(1 << 20) {}
  bool next(std::string& line) {
    line.clear();
    bool any = false;
    for (;;) {
      if (at_ == end_) {
        in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
        end_ = static_cast<std::size_t>(in_.gcount());
        at_ = 0;
        if (end_ == 0) break;
      }
      any = true;
      const char* start = buffer_.data() + at_;
      const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - at_));
      const std::size_t take = nl != nullptr ? static_cast<std::size_t>(nl - start) : end_ - at_;
      if (line.size() + take > kMaxLine)
        throw InputError(core::Location{source_, number_ + 1, 1, "line"},
                         fmt::format("longer than {} bytes; expected telemetry text lines", kMaxLine));
      line.append(start, take);
      at_ += take;
      if (nl != nullptr) {
        ++at_;
        break;
      }
    }
    if (!any) return false;
    ++number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  int number() const { return number_; }

 private:
  std::istream& in_;
  std::string source_;
  std::vector<char> buffer_;
  std::size_t at_ = 0, end_ = 0;
  int number_ = 0;
};

std::optional<double> parse_number(std::string_view t) {
  if (t == "NaN") return std::nan("");
  if (t == "+Inf" || t == "Inf") return HUGE_VAL;
  if (t == "-Inf") return -HUGE_VAL;
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

struct Builder {
  explicit Builder(const Mapping& m) : mapping(m) {}
  const Mapping& mapping;
  Dataset data;
  std::map<std::tuple<int, std::string, std::string, std::string>, std::size_t> index;

  // The metric a sample name stands for, with its scale; -1 when neither aifabric's nor mapped.
  std::pair<int, double> resolve(const std::string& name) const {
    const auto it = mapping.metrics.find(name);
    if (it != mapping.metrics.end()) return {metric_index(it->second.name), it->second.scale};
    return {metric_index(name), 1.0};
  }
  // The sample line's name and labels as written, and where they went: consecutive samples of one
  // series skip the label parsing and the lookup.
  std::string last_raw;
  std::size_t last_series = 0;
  double last_scale = 1;
  bool last_kept = false;

  std::size_t add(int metric, const std::string& port, const std::string& from, const std::string& to,
                  double t, double v) {
    const auto key = std::make_tuple(metric, port, from, to);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, data.series.size()).first;
      data.series.push_back({metric, port, from, to, {}, {}});
    }
    append(it->second, t, v);
    return it->second;
  }
  void append(std::size_t series, double t, double v) {
    Series& s = data.series[series];
    s.t_s.push_back(t);
    s.value.push_back(v);
  }
  // Series in time order; counters that go backwards are resets (a data-quality entry).
  Dataset finish() {
    for (auto& s : data.series) {
      bool sorted = true;
      for (std::size_t i = 1; i < s.t_s.size(); ++i) sorted = sorted && s.t_s[i] >= s.t_s[i - 1];
      if (!sorted) {
        std::vector<std::size_t> order(s.t_s.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return s.t_s[a] < s.t_s[b]; });
        std::vector<double> t, v;
        for (auto i : order) {
          t.push_back(s.t_s[i]);
          v.push_back(s.value[i]);
        }
        s.t_s = std::move(t);
        s.value = std::move(v);
      }
      if (port_metrics()[static_cast<std::size_t>(s.metric)].kind != MetricKind::kCounter) continue;
      for (std::size_t i = 1; i < s.value.size(); ++i)
        if (s.value[i] < s.value[i - 1])
          data.quality.push_back(
              {fmt::format("counter went backwards from {} to {} (a reset: later deltas start "
                           "from the new value)",
                           s.value[i - 1], s.value[i]),
               fmt::format("{}{{port=\"{}\"}}", port_metrics()[static_cast<std::size_t>(s.metric)].name,
                           s.port),
               s.t_s[i]});
    }
    std::stable_sort(data.series.begin(), data.series.end(),
                     [](const Series& a, const Series& b) { return a.metric < b.metric; });
    return std::move(data);
  }
};

// name{labels} value [timestamp]
void parse_sample(const std::string& line, const std::string& source, int number, bool openmetrics,
                  Builder& b) {
  auto bad = [&](const std::string& what) {
    return InputError(core::Location{source, number, 1, "sample"},
                      fmt::format("{}; expected NAME{{LABEL=\"VALUE\",...}} VALUE [TIMESTAMP]", what));
  };
  std::size_t i = 0;
  auto name_char = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
  };
  const bool same_series = !b.last_raw.empty() && line.size() > b.last_raw.size() &&
                           line.compare(0, b.last_raw.size(), b.last_raw) == 0 &&
                           (line[b.last_raw.size()] == ' ' || line[b.last_raw.size()] == '\t');
  if (same_series) i = b.last_raw.size();
  while (!same_series && i < line.size() && name_char(line[i], i == 0)) ++i;
  if (i == 0) throw bad("no metric name");
  const std::string name = line.substr(0, same_series ? line.find_first_of("{ \t") : i);
  std::map<std::string, std::string> labels;
  if (!same_series && i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const std::size_t start = i;
      while (i < line.size() && name_char(line[i], i == start)) ++i;
      const std::string key = line.substr(start, i - start);
      if (key.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
        throw bad("malformed label");
      i += 2;
      std::string value;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          value += line[i] == 'n' ? '\n' : line[i];
        } else {
          value += line[i];
        }
        ++i;
      }
      if (i >= line.size()) throw bad("unterminated label value");
      ++i;
      labels[key] = value;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) throw bad("unterminated label set");
    ++i;
  }
  // The value, the optional timestamp and nothing else, separated by spaces.
  std::string_view rest(line);
  rest.remove_prefix(i);
  auto word = [&rest]() {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    std::size_t n = 0;
    while (n < rest.size() && rest[n] != ' ' && rest[n] != '\t') ++n;
    const std::string_view w = rest.substr(0, n);
    rest.remove_prefix(n);
    return w;
  };
  const std::string_view value_text = word(), time_text = word(), extra = word();
  if (value_text.empty()) throw bad("no value");
  if (!extra.empty()) throw bad("text after the timestamp");
  const auto value = parse_number(value_text);
  if (!value) throw bad(fmt::format("value '{}' is not a number", value_text));
  double t = 0;
  if (!time_text.empty()) {
    const auto ts = parse_number(time_text);
    if (!ts || !std::isfinite(*ts)) throw bad(fmt::format("timestamp '{}' is not a number", time_text));
    t = openmetrics ? *ts : *ts / 1e3;  // Prometheus text: milliseconds
  }
  if (same_series) {
    if (b.last_kept) b.append(b.last_series, t, *value * b.last_scale);
    return;
  }
  b.last_raw = line.substr(0, i);
  const auto [metric, scale] = b.resolve(name);
  b.last_kept = metric >= 0;
  b.last_scale = scale;
  if (metric < 0) return;
  auto label = [&](const std::string& k) {
    const auto it = labels.find(k);
    return it == labels.end() ? std::string() : it->second;
  };
  std::string port = label(b.mapping.port_label);
  if (port.empty()) port = label(b.mapping.from_label) + "->" + label(b.mapping.to_label);
  b.last_series =
      b.add(metric, port, label(b.mapping.from_label), label(b.mapping.to_label), t, *value * scale);
}

Dataset read_exposition(LineReader& lines, const std::string& source, bool openmetrics,
                        const Mapping& mapping) {
  Builder b(mapping);
  b.data.source = source;
  std::string line;
  bool eof = false;
  while (lines.next(line)) {
    if (eof) {
      if (line.empty()) continue;
      throw InputError(core::Location{source, lines.number(), 1, "# EOF"}, "content after # EOF");
    }
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line.substr(1));
      std::string keyword, name, type;
      words >> keyword >> name >> type;
      if (keyword == "EOF") {
        eof = true;
      } else if (keyword == "TYPE") {
        static const std::set<std::string> known = {"counter", "gauge",     "unknown",
                                                    "untyped", "histogram", "gaugehistogram",
                                                    "summary", "info",      "stateset"};
        if (known.count(type) == 0)
          throw InputError(core::Location{source, lines.number(), 1, "# TYPE"},
                           fmt::format("unknown metric type '{}' for {}; expected counter, gauge, unknown, "
                                       "untyped, histogram, gaugehistogram, summary, info or stateset",
                                       type, name));
      }
      continue;
    }
    parse_sample(line, source, lines.number(), openmetrics, b);
  }
  if (openmetrics && !eof)
    b.data.quality.push_back({"no # EOF at the end: the file may have been cut short", source, 0});
  return b.finish();
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

Dataset read_csv(LineReader& lines, const std::string& source, const Mapping& mapping) {
  Builder b(mapping);
  b.data.source = source;
  std::string line;
  if (!lines.next(line))
    throw InputError(core::Location{source, 1, 1, "header"}, "empty; expected a CSV header");
  const auto header = split_csv(line);
  if (header.size() < 5 || header[0] != "time_s" || header[1] != "port" || header[2] != "from" ||
      header[3] != "to")
    throw InputError(core::Location{source, 1, 1, "header"},
                     "expected time_s,port,from,to and one column per metric (docs/telemetry.md)");
  std::vector<std::pair<int, double>> columns;
  for (std::size_t c = 4; c < header.size(); ++c) columns.push_back(b.resolve(header[c]));
  while (lines.next(line)) {
    if (line.empty()) continue;
    const auto cells = split_csv(line);
    if (cells.size() != header.size())
      throw InputError(core::Location{source, lines.number(), 1, "row"},
                       fmt::format("{} cells; expected {} as in the header (a truncated line?)", cells.size(),
                                   header.size()));
    const auto t = parse_number(cells[0]);
    if (!t)
      throw InputError(core::Location{source, lines.number(), 1, "time_s"},
                       fmt::format("'{}' is not a number", cells[0]));
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string& cell = cells[c + 4];
      if (columns[c].first < 0 || cell.empty()) continue;
      const auto v = parse_number(cell);
      if (!v)
        throw InputError(core::Location{source, lines.number(), 1, header[c + 4]},
                         fmt::format("'{}' is not a number", cell));
      b.add(columns[c].first, cells[1], cells[2], cells[3], *t, *v * columns[c].second);
    }
  }
  return b.finish();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Mapping load_mapping(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(core::Location{path, 0, 0, "--map"}, "cannot open the mapping file");
  std::stringstream text;
  text << in.rdbuf();
  const io::Node root = io::read_yaml(text.str(), path);
  const io::ParseContext ctx{path};
  io::require_map(root, ctx, "");
  io::reject_unknown_keys(root, {"metrics", "labels"}, ctx, "");
  Mapping m;
  if (const auto& metrics = root["metrics"]) {
    io::require_map(metrics, ctx, "metrics");
    for (const auto& e : metrics.entries()) {
      const std::string field = "metrics." + e.key;
      Mapping::Target t;
      if (e.value.is_map()) {
        io::reject_unknown_keys(e.value, {"name", "scale"}, ctx, field);
        t.name = io::read_string(e.value["name"], ctx, field + ".name");
        if (e.value["scale"]) t.scale = io::read_real(e.value["scale"], ctx, field + ".scale");
      } else {
        t.name = io::read_string(e.value, ctx, field);
      }
      if (metric_index(t.name) < 0)
        throw InputError(
            ctx.at(e.value, field),
            fmt::format("'{}' is not an aifabric metric (docs/telemetry.md lists them)", t.name));
      m.metrics[e.key] = t;
    }
  }
  if (const auto& labels = root["labels"]) {
    io::require_map(labels, ctx, "labels");
    io::reject_unknown_keys(labels, {"port", "from", "to"}, ctx, "labels");
    if (labels["port"]) m.port_label = io::read_string(labels["port"], ctx, "labels.port");
    if (labels["from"]) m.from_label = io::read_string(labels["from"], ctx, "labels.from");
    if (labels["to"]) m.to_label = io::read_string(labels["to"], ctx, "labels.to");
  }
  return m;
}

Dataset read_telemetry(std::istream& in, const std::string& source, Format format, const Mapping& mapping) {
  if (format == Format::kAuto)
    format = ends_with(source, ".csv")    ? Format::kCsv
             : ends_with(source, ".prom") ? Format::kPrometheus
                                          : Format::kOpenMetrics;
  LineReader lines(in, source);
  if (format == Format::kCsv) return read_csv(lines, source, mapping);
  return read_exposition(lines, source, format == Format::kOpenMetrics, mapping);
}

Dataset read_telemetry_file(const std::string& path, Format format, const Mapping& mapping) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(core::Location{path, 0, 0, "TELEMETRY"}, "cannot open the telemetry file");
  return read_telemetry(in, path, format, mapping);
}

}  // namespace aifabric::telemetry
