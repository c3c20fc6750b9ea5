#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace aifabric::io {

// A scenario document as a tree, independent of the text format it came from: the YAML and JSON readers
// (yaml_reader.hpp, json_reader.hpp) build it, the schemas and loaders read it. Scalars keep their text;
// the readers below convert them with typed errors. Line and column are 1-based, 0 when the format does
// not give them (JSON).
class Node {
 public:
  enum class Kind : std::uint8_t { kUndefined, kNull, kScalar, kSequence, kMap };
  struct Entry;

  Node() = default;
  static Node scalar(std::string text, int line = 0, int column = 0);
  static Node null(int line = 0, int column = 0);
  static Node sequence(int line = 0, int column = 0);
  static Node map(int line = 0, int column = 0);

  Kind kind() const { return kind_; }
  bool defined() const { return kind_ != Kind::kUndefined; }
  explicit operator bool() const { return defined(); }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_scalar() const { return kind_ == Kind::kScalar; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }
  bool is_map() const { return kind_ == Kind::kMap; }
  const std::string& text() const { return text_; }  // a scalar's text
  int line() const { return line_; }
  int column() const { return column_; }

  // List items and mapping entries (in document order). size() counts either.
  std::size_t size() const;
  const Node& operator[](std::size_t index) const;       // undefined when out of range or not a list
  const Node& operator[](const std::string& key) const;  // undefined when absent or not a mapping
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Node>& items() const { return items_; }

  // Building (readers, what-if overrides).
  void push_back(Node item);
  void set(const std::string& key, Node value, int line = 0, int column = 0);
  Node* find(const std::string& key);
  Node* at(std::size_t index) { return index < items_.size() ? &items_[index] : nullptr; }

 private:
  Kind kind_ = Kind::kUndefined;
  std::string text_;
  int line_ = 0;
  int column_ = 0;
  std::vector<Node> items_;
  std::vector<Entry> entries_;
};

struct Node::Entry {
  std::string key;
  int line = 0;  // of the key
  int column = 0;
  Node value;
};

// The readers refuse documents nested deeper than this rather than walk them (a hostile file must not
// exhaust the stack); `where` names the deepest node.
inline constexpr int kMaxDocumentDepth = 64;
void check_depth(int depth, const core::Location& where);

// Where parsing is: the file, for locations in errors.
struct ParseContext {
  std::string file;
  bool may_read_files = true;  // false for documents from the network: files they name are not opened
  core::Location at(const Node& node, const std::string& field) const;
};

// "a mapping", "a list", "nothing" or "a scalar": what a node is, for messages.
const char* kind_name(const Node& n);

// Reading scalars with typed errors naming the field and the expected type.
double read_real(const Node& n, const ParseContext& ctx, const std::string& field);
std::int64_t read_int(const Node& n, const ParseContext& ctx, const std::string& field);
bool read_bool(const Node& n, const ParseContext& ctx, const std::string& field);
std::string read_string(const Node& n, const ParseContext& ctx, const std::string& field);
// Byte counts: an integer, or a string with a unit: "32MiB", "200KB", "9000B".
std::uint64_t read_bytes(const Node& n, const ParseContext& ctx, const std::string& field);
// A mapping, or an error naming the field.
void require_map(const Node& n, const ParseContext& ctx, const std::string& field);
// Rejects keys not in `allowed`, naming the key, its line and the keys that are valid there.
void reject_unknown_keys(const Node& map, const std::set<std::string>& allowed, const ParseContext& ctx,
                         const std::string& prefix);

}  // namespace aifabric::io
