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

bool all_scalars(const Node& n) {
  if (n.is_sequence()) {
    for (const auto& item : n.items())
      if (!item.is_scalar()) return false;
    return true;
  }
  for (const auto& e : n.entries())
    if (!e.value.is_scalar()) return false;
  return n.size() <= 8;
}

void emit(YAML::Emitter& out, const Node& n) {
  switch (n.kind()) {
    case Node::Kind::kScalar:
      out << n.text();
      break;
    case Node::Kind::kSequence:
      if (all_scalars(n)) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : n.items()) emit(out, item);
      out << YAML::EndSeq;
      break;
    case Node::Kind::kMap:
      if (all_scalars(n)) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& e : n.entries()) {
        out << YAML::Key << e.key << YAML::Value;
        emit(out, e.value);
      }
      out << YAML::EndMap;
      break;
    default:
      out << YAML::Null;
  }
}

}  // namespace

std::string write_yaml(const Node& root, const std::string& comment) {
  YAML::Emitter out;
  emit(out, root);
  std::string text;
  std::size_t start = 0;
  while (!comment.empty() && start <= comment.size()) {
    const std::size_t end = comment.find('\n', start);
    text += "# " + comment.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return text + out.c_str() + "\n";
}

Node read_yaml(const std::string& text, const std::string& source) {
  try {
    return convert(YAML::Load(text), source, 0);
  } catch (const YAML::Exception& e) {
    throw core::InputError(core::Location{source, e.mark.line + 1, e.mark.column + 1, "(syntax)"},
                           "not valid YAML: " + e.msg);
  }
}

}  // namespace aifabric::io
