#include "whatif/variants.hpp"

#include <fmt/format.h>

#include <charconv>

#include "io/yaml_reader.hpp"

namespace aifabric::whatif {

using core::InputError;

namespace {

// Splits "a,b,{c: 1, d: 2}" at the commas outside brackets and braces.
std::vector<std::string> split_values(const std::string& s) {
  std::vector<std::string> out(1);
  int depth = 0;
  for (char c : s) {
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

void apply_override(io::Node& root, const std::string& path, const std::string& value,
                    const std::string& flag) {
  const core::Location where{flag, 0, 0, path};
  if (path.empty()) throw InputError(where, "expected a path to a value before '='");
  io::Node replacement = io::read_yaml(value, flag + " " + path);
  // Walk the path, one key or [index] at a time, creating missing mapping keys.
  io::Node* cur = &root;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) throw InputError(where, "unclosed [ in the path");
      const std::string digits = path.substr(i + 1, close - i - 1);
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
        throw InputError(where, fmt::format("expected a list index such as [0], got [{}]", digits));
      io::Node* item = cur->is_sequence() ? cur->at(index) : nullptr;
      if (item == nullptr) throw InputError(where, fmt::format("no list item [{}] there", index));
      cur = item;
      i = close + 1;
      if (i < path.size() && path[i] != '.' && path[i] != '[')
        throw InputError(where, "expected '.' or '[' after ']' in the path");
    } else {
      if (path[i] == '.') {
        if (i == 0) throw InputError(where, "empty key in the path");
        ++i;
      }
      const std::size_t end = path.find_first_of(".[", i);
      const std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
      if (key.empty()) throw InputError(where, "empty key in the path");
      if (!cur->is_map()) {
        if (cur->defined() && !cur->is_null())
          throw InputError(where, "'" + key + "' is under a value that is not a mapping");
        *cur = io::Node::map();
      }
      if (cur->find(key) == nullptr) cur->set(key, io::Node());
      cur = cur->find(key);
      i = end == std::string::npos ? path.size() : end;
    }
  }
  *cur = std::move(replacement);
}

std::vector<Variant> variants(const io::Node& baseline, const std::vector<std::string>& vary) {
  std::vector<Variant> out = {{"baseline", baseline}};
  for (const auto& v : vary) {
    const auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(core::Location{"--vary", 0, 0, v}, "expected PATH=VALUE[,VALUE...]");
    const std::string path = v.substr(0, eq);
    // Each --vary multiplies the variants so far (the baseline alone before the first).
    const std::size_t from = out.size() == 1 ? 0 : 1;
    std::vector<Variant> next;
    for (std::size_t k = from; k < out.size(); ++k)
      for (const auto& value : split_values(v.substr(eq + 1))) {
        Variant variant{(k == 0 ? "" : out[k].label + " ") + path + "=" + value, out[k].document};
        apply_override(variant.document, path, value);
        next.push_back(std::move(variant));
      }
    out.resize(1);
    out.insert(out.end(), std::make_move_iterator(next.begin()), std::make_move_iterator(next.end()));
  }
  return out;
}

}  // namespace aifabric::whatif
