#include "io/json_reader.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace aifabric::io {

namespace {

Node convert(const nlohmann::json& j, const std::string& source, int depth) {
  check_depth(depth, core::Location{source, 0, 0, "(syntax)"});
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Node::null();
    case nlohmann::json::value_t::object: {
      Node n = Node::map();
      for (const auto& [key, value] : j.items()) n.set(key, convert(value, source, depth + 1));
      return n;
    }
    case nlohmann::json::value_t::array: {
      Node n = Node::sequence();
      for (const auto& item : j) n.push_back(convert(item, source, depth + 1));
      return n;
    }
    case nlohmann::json::value_t::string:
      return Node::scalar(j.get<std::string>());
    default:  // numbers and booleans: their JSON text is what the scalar readers take
      return Node::scalar(j.dump());
  }
}

}  // namespace

Node read_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw core::InputError(core::Location{source, 0, 0, "(syntax)"},
                           fmt::format("not valid JSON at byte {}: {}", e.byte, e.what()));
  } catch (const nlohmann::json::exception& e) {  // a number out of range, found by the fuzzer
    throw core::InputError(core::Location{source, 0, 0, "(syntax)"},
                           fmt::format("not valid JSON: {}", e.what()));
  }
  return convert(j, source, 0);
}

}  // namespace aifabric::io
