#include "chakra/et.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chakra/wire.hpp"

namespace aifabric::chakra {
namespace {

using core::InputError;
using workload::Collective;
using workload::TraceNode;
using workload::TraceNodeKind;

// Field numbers of Chakra's schema (schema/protobuf/et_def.proto in mlcommons/chakra): the interface, not
// copied code.
namespace node_field {
constexpr std::uint32_t kId = 1, kName = 2, kType = 3, kCtrlDeps = 4, kDataDeps = 5, kDurationMicros = 7,
                        kAttr = 10;
}
namespace attr_field {
constexpr std::uint32_t kName = 1, kDouble = 3, kFloat = 5, kInt32 = 7, kInt64 = 9, kUint32 = 11,
                        kUint64 = 13, kSint32 = 15, kSint64 = 17, kFixed32 = 19, kFixed64 = 21,
                        kSfixed32 = 23, kSfixed64 = 25, kBool = 27, kString = 29, kBytes = 31;
}
constexpr std::size_t kMaxUncompressedBytes = std::size_t{1} << 32;

// An attribute's value as read: any integer oneof becomes an integer, float and double a number.
struct Attr {
  enum Kind : std::uint8_t { kNone, kInteger, kUnsigned, kNumber, kBool, kString, kOther } kind = kNone;
  std::int64_t integer = 0;
  std::uint64_t unsigned_value = 0;
  double number = 0;
  std::string text;
};

WireType expected_wire(std::uint32_t number) {
  using namespace attr_field;
  switch (number) {
    case kDouble:
    case kFixed64:
    case kSfixed64:
      return WireType::kFixed64;
    case kFloat:
    case kFixed32:
    case kSfixed32:
      return WireType::kFixed32;
    case kInt32:
    case kInt64:
    case kUint32:
    case kUint64:
    case kSint32:
    case kSint64:
    case kBool:
      return WireType::kVarint;
    default:
      return WireType::kLength;  // the name, doc string, strings, bytes and every list
  }
}

std::pair<std::string, Attr> decode_attr(Reader r) {
  using namespace attr_field;
  std::string name;
  Attr a;
  while (!r.done()) {
    const std::size_t at = r.offset();
    const Field f = r.next();
    if (f.number == 2) continue;  // doc_string
    if (f.number > 32) continue;  // a field this schema does not know
    if (f.type != expected_wire(f.number))
      throw WireError(at, fmt::format("attribute field {} has wire type {}, expected {}", f.number,
                                      static_cast<int>(f.type), static_cast<int>(expected_wire(f.number))));
    const auto low32 = static_cast<std::uint32_t>(f.integer);
    switch (f.number) {
      case kName:
        name = std::string(f.bytes);
        break;
      case kDouble:
        a = {Attr::kNumber, 0, 0, std::bit_cast<double>(f.integer), {}};
        break;
      case kFloat:
        a = {Attr::kNumber, 0, 0, std::bit_cast<float>(low32), {}};
        break;
      case kInt32:
      case kSfixed32:
        a = {Attr::kInteger, static_cast<std::int32_t>(low32), 0, 0, {}};
        break;
      case kInt64:
      case kSfixed64:
        a = {Attr::kInteger, static_cast<std::int64_t>(f.integer), 0, 0, {}};
        break;
      case kUint32:
      case kFixed32:
        a = {Attr::kInteger, low32, 0, 0, {}};
        break;
      case kUint64:
      case kFixed64:
        a = {Attr::kUnsigned, 0, f.integer, 0, {}};
        break;
      case kSint32:
        a = {Attr::kInteger, static_cast<std::int32_t>(zigzag_decode(low32)), 0, 0, {}};
        break;
      case kSint64:
        a = {Attr::kInteger, zigzag_decode(f.integer), 0, 0, {}};
        break;
      case kBool:
        a = {Attr::kBool, f.integer != 0, 0, 0, {}};
        break;
      case kString:
        a = {Attr::kString, 0, 0, 0, std::string(f.bytes)};
        break;
      default:
        a = {Attr::kOther, 0, 0, 0, {}};
        break;  // lists and bytes: no attribute read here is one
    }
  }
  return {name, a};
}

// Reads integer attributes of any integer type (and whole numbers stored as floating point).
class Attrs {
 public:
  Attrs(std::map<std::string, Attr> attrs, std::string file, std::string node)
      : attrs_(std::move(attrs)), file_(std::move(file)), node_(std::move(node)) {}
  bool has(const std::string& key) const { return attrs_.count(key) > 0; }
  std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) const {
    const Attr& a = attrs_.at(key);
    std::int64_t v = 0;
    if (a.kind == Attr::kInteger || a.kind == Attr::kBool) {
      v = a.integer;
    } else if (a.kind == Attr::kUnsigned && a.unsigned_value <= static_cast<std::uint64_t>(max)) {
      v = static_cast<std::int64_t>(a.unsigned_value);
    } else if (a.kind == Attr::kUnsigned) {
      fail(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, a.unsigned_value));
    } else if (a.kind == Attr::kNumber && std::isfinite(a.number) && std::floor(a.number) == a.number &&
               std::fabs(a.number) < 9.2e18) {
      v = static_cast<std::int64_t>(a.number);
    } else {
      fail(key, "expected an integer value (any of the integer types)");
    }
    if (v < min || v > max) fail(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, v));
    return v;
  }
  double number(const std::string& key) const {
    const Attr& a = attrs_.at(key);
    const double v = a.kind == Attr::kNumber     ? a.number
                     : a.kind == Attr::kUnsigned ? static_cast<double>(a.unsigned_value)
                                                 : static_cast<double>(integer(key, 0, INT64_MAX));
    if (!std::isfinite(v) || v < 0) fail(key, fmt::format("expected a non-negative number, got {}", v));
    return v;
  }
  std::string text(const std::string& key) const {
    const Attr& a = attrs_.at(key);
    if (a.kind == Attr::kString) return a.text;
    if (a.kind == Attr::kInteger) return std::to_string(a.integer);
    if (a.kind == Attr::kUnsigned) return std::to_string(a.unsigned_value);
    fail(key, "expected a string");
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw InputError(core::Location{file_, 0, 0, node_ + ".attr." + key}, what);
  }

 private:
  std::map<std::string, Attr> attrs_;
  std::string file_, node_;
};

Collective collective_of(std::int64_t type, const Attrs& attrs) {
  switch (type) {
    case 0:
      return Collective::kAllReduce;
    case 1:
      return Collective::kReduce;
    case 2:
      return Collective::kAllGather;
    case 5:
      return Collective::kBroadcast;
    case 6:
      return Collective::kAllToAll;
    case 7:
    case 8:
      return Collective::kReduceScatter;
    case 9:
      return Collective::kAllReduce;  // a barrier: NCCL process groups all-reduce one element
    default:
      attrs.fail("comm_type",
                 fmt::format("expected ALL_REDUCE (0), REDUCE (1), ALL_GATHER (2), BROADCAST (5), "
                             "ALL_TO_ALL (6), REDUCE_SCATTER (7, 8) or BARRIER (9), got {}{}",
                             type, type == 3 || type == 4 ? " (gather and scatter are not modelled)" : ""));
  }
}

std::int64_t comm_type_of(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return 0;
    case Collective::kReduce:
      return 1;
    case Collective::kAllGather:
      return 2;
    case Collective::kBroadcast:
      return 5;
    case Collective::kAllToAll:
      return 6;
    case Collective::kReduceScatter:
      return 7;
    case Collective::kSendRecv:
      break;
  }
  throw InputError(core::Location{"", 0, 0, "collective"}, "send_recv has no Chakra collective type");
}

TraceNode decode_node(Reader r, const std::string& file, std::size_t index) {
  using namespace node_field;
  const std::string where = fmt::format("node[{}]", index);
  TraceNode n;
  std::uint64_t type = 0, micros = 0;
  std::map<std::string, Attr> attrs;
  auto expect = [&](const Field& f, WireType t, std::size_t at) {
    if (f.type != t)
      throw WireError(at, fmt::format("field {} has wire type {}, expected {}", f.number,
                                      static_cast<int>(f.type), static_cast<int>(t)));
  };
  while (!r.done()) {
    const std::size_t at = r.offset();
    const Field f = r.next();
    switch (f.number) {
      case kId:
        expect(f, WireType::kVarint, at);
        n.id = f.integer;
        break;
      case kName:
        expect(f, WireType::kLength, at);
        n.name = std::string(f.bytes);
        break;
      case kType:
        expect(f, WireType::kVarint, at);
        type = f.integer;
        break;
      case kCtrlDeps:
      case kDataDeps:
        if (f.type == WireType::kVarint) {
          n.deps.push_back(f.integer);
        } else {
          expect(f, WireType::kLength, at);
          for (Reader packed = r.sub(f); !packed.done();) n.deps.push_back(packed.varint());
        }
        break;
      case kDurationMicros:
        expect(f, WireType::kVarint, at);
        micros = f.integer;
        break;
      case kAttr: {
        expect(f, WireType::kLength, at);
        auto [key, value] = decode_attr(r.sub(f));
        attrs[key] = std::move(value);
        break;
      }
      default:
        break;  // start time, inputs, outputs and fields this schema does not know
    }
  }
  if (type < 1 || type > 7)
    throw InputError(
        core::Location{file, 0, 0, where + ".type"},
        fmt::format("expected a node type from METADATA_NODE (1) to COMM_COLL_NODE (7), got {}", type));
  n.kind = static_cast<TraceNodeKind>(type - 1);
  std::sort(n.deps.begin(), n.deps.end());
  n.deps.erase(std::unique(n.deps.begin(), n.deps.end()), n.deps.end());
  const Attrs a(std::move(attrs), file, where);
  if (a.has("aifabric_duration_ps")) {
    n.duration_ps = a.integer("aifabric_duration_ps", 0, INT64_MAX);
  } else {
    if (micros > static_cast<std::uint64_t>(INT64_MAX / core::kPsPerUs))
      throw InputError(core::Location{file, 0, 0, where + ".duration_micros"},
                       fmt::format("{} µs is beyond what simulated time holds", micros));
    n.duration_ps = static_cast<core::TimePs>(micros) * core::kPsPerUs;
  }
  if (a.has("num_ops")) n.flops = a.number("num_ops");
  if (a.has("tensor_size")) n.bytes = static_cast<std::uint64_t>(a.integer("tensor_size", 0, INT64_MAX));
  if (a.has("aifabric_tag")) n.tag = a.text("aifabric_tag");
  const bool comm = n.kind == TraceNodeKind::kSend || n.kind == TraceNodeKind::kRecv ||
                    n.kind == TraceNodeKind::kCollective;
  if (comm && a.has("comm_size")) n.bytes = static_cast<std::uint64_t>(a.integer("comm_size", 0, INT64_MAX));
  if (n.kind == TraceNodeKind::kCollective) {
    if (!a.has("comm_type")) a.fail("comm_type", "missing; a collective node names its collective");
    const std::int64_t type_value = a.integer("comm_type", 0, INT32_MAX);
    n.collective = collective_of(type_value, a);
    if (type_value == 9) {
      n.bytes = std::max<std::uint64_t>(n.bytes, 4);
    } else if (!a.has("comm_size")) {
      a.fail("comm_size", "missing; a collective node gives its size in bytes");
    }
    if (a.has("pg_name")) {
      const std::string pg = a.text("pg_name");
      if (!pg.empty()) {
        std::uint64_t id = 0;
        const bool digits =
            pg.size() <= 9 && std::all_of(pg.begin(), pg.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits)
          a.fail("pg_name", "expected a communicator id of the comm-group file (digits), got '" + pg + "'");
        id = std::stoull(pg);
        n.group = static_cast<std::uint32_t>(id);
      }
    }
  }
  if (n.kind == TraceNodeKind::kSend || n.kind == TraceNodeKind::kRecv) {
    const std::string peer = n.kind == TraceNodeKind::kSend ? "comm_dst" : "comm_src";
    if (!a.has(peer))
      a.fail(peer, n.kind == TraceNodeKind::kSend ? "missing; a send names its destination rank"
                                                  : "missing; a receive names its source rank");
    n.peer = static_cast<std::uint32_t>(a.integer(peer, 0, INT32_MAX));
    if (a.has("comm_tag")) n.comm_tag = a.integer("comm_tag", INT64_MIN, INT64_MAX);
    if (!a.has("comm_size") && !a.has("tensor_size"))
      a.fail("comm_size", "missing; a send or receive gives its size in bytes");
  }
  return n;
}

std::string gunzip(std::string_view bytes, const std::string& file) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK)
    throw InputError(core::Location{file, 0, 0, ""}, "cannot start zlib");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw InputError(core::Location{file, 0, 0, ""},
                       fmt::format("corrupt or truncated gzip data ({})", zs.msg ? zs.msg : "no more input"));
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > kMaxUncompressedBytes) {
      inflateEnd(&zs);
      throw InputError(core::Location{file, 0, 0, ""}, "more than 4 GiB once uncompressed");
    }
  }
  inflateEnd(&zs);
  return out;
}

void attr_int(Writer& node, const std::string& key, std::uint32_t field, std::uint64_t value) {
  Writer a;
  a.bytes_field(attr_field::kName, key);
  a.varint_field(field, value);
  node.bytes_field(node_field::kAttr, a.str());
}
void attr_string(Writer& node, const std::string& key, const std::string& value) {
  Writer a;
  a.bytes_field(attr_field::kName, key);
  a.bytes_field(attr_field::kString, value);
  node.bytes_field(node_field::kAttr, a.str());
}
// GlobalMetadata's attributes (its field 2), written only when known.
void attr_double(Writer& meta, const std::string& key, double value) {
  if (value <= 0) return;
  Writer a;
  a.bytes_field(attr_field::kName, key);
  a.fixed64_field(attr_field::kDouble, std::bit_cast<std::uint64_t>(value));
  meta.bytes_field(2, a.str());
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(core::Location{path, 0, 0, ""}, "cannot open (missing or unreadable)");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw InputError(core::Location{path, 0, 0, ""}, "cannot read");
  return s.str();
}

}  // namespace

EtFile decode(std::string_view raw, const std::string& file) {
  std::string inflated;
  if (raw.size() >= 2 && static_cast<std::uint8_t>(raw[0]) == 0x1f &&
      static_cast<std::uint8_t>(raw[1]) == 0x8b) {
    inflated = gunzip(raw, file);
    raw = inflated;
  }
  EtFile et;
  std::string where = "metadata";
  try {
    Reader r(raw);
    if (r.done()) throw WireError(0, "empty; expected the GlobalMetadata message first");
    Reader meta(r.take(static_cast<std::size_t>(r.varint())), r.offset());
    while (!meta.done()) {
      const Field f = meta.next();
      if (f.number == 1 && f.type == WireType::kLength) et.version = std::string(f.bytes);
      if (f.number == 2 && f.type == WireType::kLength) {
        const auto [key, a] = decode_attr(meta.sub(f));
        const double v = a.kind == Attr::kNumber ? a.number : static_cast<double>(a.integer);
        if (key == "aifabric_tokens_per_iteration") et.tokens_per_iteration = v;
        if (key == "aifabric_flops_per_iteration") et.flops_per_iteration = v;
      }
    }
    for (std::size_t i = 0; !r.done(); ++i) {
      where = fmt::format("node[{}]", i);
      const std::size_t length = static_cast<std::size_t>(r.varint());
      const std::size_t at = r.offset();
      et.nodes.push_back(decode_node(Reader(r.take(length), at), file, i));
    }
  } catch (const WireError& e) {
    throw InputError(core::Location{file, 0, 0, where}, fmt::format("malformed protobuf at {}", e.what()));
  }
  return et;
}

std::string encode(const EtFile& et) {
  Writer file, m;
  m.bytes_field(1, et.version);
  attr_double(m, "aifabric_tokens_per_iteration", et.tokens_per_iteration);
  attr_double(m, "aifabric_flops_per_iteration", et.flops_per_iteration);
  file.raw_varint(m.str().size());
  std::string out = file.str() + m.str();
  for (const auto& n : et.nodes) {
    Writer w;
    if (n.id != 0) w.varint_field(node_field::kId, n.id);
    if (!n.name.empty()) w.bytes_field(node_field::kName, n.name);
    w.varint_field(node_field::kType, static_cast<std::uint64_t>(n.kind) + 1);
    if (!n.deps.empty()) {
      Writer packed;
      for (auto d : n.deps) packed.raw_varint(d);
      w.bytes_field(node_field::kDataDeps, packed.str());
    }
    const auto micros = static_cast<std::uint64_t>((n.duration_ps + core::kPsPerUs / 2) / core::kPsPerUs);
    if (micros > 0) w.varint_field(node_field::kDurationMicros, micros);
    attr_int(w, "is_cpu_op", attr_field::kBool, 0);
    if (n.duration_ps > 0)
      attr_int(w, "aifabric_duration_ps", attr_field::kUint64, static_cast<std::uint64_t>(n.duration_ps));
    switch (n.kind) {
      case TraceNodeKind::kCollective:
        attr_int(w, "comm_type", attr_field::kInt64, static_cast<std::uint64_t>(comm_type_of(n.collective)));
        attr_int(w, "comm_size", attr_field::kInt64, n.bytes);
        attr_string(w, "pg_name", std::to_string(n.group));
        break;
      case TraceNodeKind::kSend:
      case TraceNodeKind::kRecv:
        attr_int(w, n.kind == TraceNodeKind::kSend ? "comm_dst" : "comm_src", attr_field::kInt32, n.peer);
        attr_int(w, "comm_tag", attr_field::kInt64, static_cast<std::uint64_t>(n.comm_tag));
        attr_int(w, "comm_size", attr_field::kInt64, n.bytes);
        break;
      default:
        if (n.flops > 0)
          attr_int(w, "num_ops", attr_field::kInt64, static_cast<std::uint64_t>(std::llround(n.flops)));
        if (n.bytes > 0) attr_int(w, "tensor_size", attr_field::kUint64, n.bytes);
        break;
    }
    if (!n.tag.empty()) attr_string(w, "aifabric_tag", n.tag);
    Writer length;
    length.raw_varint(w.str().size());
    out += length.str();
    out += w.str();
  }
  return out;
}

std::map<std::uint32_t, std::vector<std::uint32_t>> parse_comm_groups(std::string_view text,
                                                                      const std::string& file) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number beyond a double
    throw InputError(core::Location{file, 0, 0, ""}, fmt::format("not JSON: {}", e.what()));
  }
  if (!j.is_object())
    throw InputError(core::Location{file, 0, 0, ""},
                     "expected an object of communicators, {\"1\": [0, 1], ...}");
  std::map<std::uint32_t, std::vector<std::uint32_t>> groups;
  for (const auto& [key, ranks] : j.items()) {
    const bool digits = !key.empty() && key.size() <= 9 &&
                        std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoul(key) == 0)
      throw InputError(core::Location{file, 0, 0, key}, "expected a communicator id above 0 as the key");
    if (!ranks.is_array()) throw InputError(core::Location{file, 0, 0, key}, "expected a list of ranks");
    auto& list = groups[static_cast<std::uint32_t>(std::stoul(key))];
    for (const auto& r : ranks) {
      if (!r.is_number_unsigned() || r.get<std::uint64_t>() > 1'000'000'000)
        throw InputError(core::Location{file, 0, 0, key},
                         fmt::format("expected rank numbers, got {}", r.dump()));
      list.push_back(r.get<std::uint32_t>());
    }
  }
  return groups;
}

std::string comm_groups_json(const std::map<std::uint32_t, std::vector<std::uint32_t>>& groups) {
  std::string out = "{";
  for (const auto& [id, ranks] : groups) {
    out += fmt::format("{}\n  \"{}\": [", out.size() > 1 ? "," : "", id);
    for (std::size_t i = 0; i < ranks.size(); ++i) out += fmt::format("{}{}", i ? ", " : "", ranks[i]);
    out += "]";
  }
  return out + "\n}\n";
}

workload::TraceWorkload read_trace(const std::string& prefix, const std::string& comm_groups) {
  workload::TraceWorkload t;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (std::size_t r = 0;; ++r) {
    std::string path = fmt::format("{}.{}.et", prefix, r);
    if (!fs::is_regular_file(path, ec)) path += ".gz";
    if (!fs::is_regular_file(path, ec)) break;
    EtFile et = decode(read_bytes(path), path);
    if (r == 0) {
      t.tokens_per_iteration = et.tokens_per_iteration;
      t.flops_per_iteration = et.flops_per_iteration;
    }
    t.ranks.push_back(std::move(et.nodes));
  }
  if (t.ranks.empty())
    throw InputError(core::Location{prefix + ".0.et", 0, 0, ""},
                     "no trace: expected one file per rank, " + prefix + ".0.et (or .et.gz), .1.et, ...");
  if (!comm_groups.empty()) t.groups = parse_comm_groups(read_bytes(comm_groups), comm_groups);
  return t;
}

std::vector<std::string> write_trace(const workload::TraceWorkload& trace, const std::string& prefix) {
  std::vector<std::string> files;
  auto write = [&](const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.close();
    if (!out) throw InputError(core::Location{path, 0, 0, ""}, "cannot write");
    files.push_back(path);
  };
  for (std::size_t r = 0; r < trace.ranks.size(); ++r) {
    EtFile et;
    et.version = "0.0.4";
    et.nodes = trace.ranks[r];
    et.tokens_per_iteration = trace.tokens_per_iteration;
    et.flops_per_iteration = trace.flops_per_iteration;
    write(fmt::format("{}.{}.et", prefix, r), encode(et));
  }
  write(prefix + ".comm_groups.json", comm_groups_json(trace.groups));
  return files;
}

}  // namespace aifabric::chakra
