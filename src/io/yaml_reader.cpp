#include "io/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

namespace aifabric::io {

namespace {

Node convert(const YAML::Node& y, const std::string& source, int depth) {
  const int line = y.Mark().line >= 0 ? y.Mark().line + 1 : 0;
  const int column = y.Mark().line >= 0 ? y.Mark().column + 1 : 0;
  check_depth(depth, core::Location{source, line, column, "(syntax)"});
  switch (y.Type()) {
    case YAML::NodeType::Scalar:
      return Node::scalar(y.Scalar(), line, column);
    case YAML::NodeType::Sequence: {
      Node n = Node::sequence(line, column);
      for (const auto& item : y) n.push_back(convert(item, source, depth + 1));
      return n;
    }
    case YAML::NodeType::Map: {
      Node n = Node::map(line, column);
      for (const auto& kv : y) {
        const int kline = kv.first.Mark().line + 1, kcolumn = kv.first.Mark().column + 1;
        if (!kv.first.IsScalar())
          throw core::InputError(core::Location{source, kline, kcolumn, "(syntax)"},
                                 "expected a plain key, got a list or mapping as a key");
        if (n.find(kv.first.Scalar()) != nullptr)
          throw core::InputError(core::Location{source, kline, kcolumn, kv.first.Scalar()}, "duplicate key");
        n.set(kv.first.Scalar(), convert(kv.second, source, depth + 1), kline, kcolumn);
      }
      return n;
    }
    case YAML::NodeType::Null:
      return Node::null(line, column);
    default:
      return Node();
  }
}

}  // namespace

Node read_yaml(const std::string& text, const std::string& source) {
  try {
    return convert(YAML::Load(text), source, 0);
  } catch (const YAML::Exception& e) {
    throw core::InputError(core::Location{source, e.mark.line + 1, e.mark.column + 1, "(syntax)"},
                           "not valid YAML: " + e.msg);
  }
}

}  // namespace aifabric::io
