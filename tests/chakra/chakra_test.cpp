// Chakra execution traces: the protobuf wire codec against hand-assembled bytes, every integer attribute
// type, round trips through files (plain and gzip), every kind of bad trace, and the built-in jobs written
// as traces and run again: the same iteration, to the picosecond.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "api/assess.hpp"
#include "chakra/et.hpp"
#include "chakra/wire.hpp"
#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"

namespace aifabric {
namespace {

namespace fs = std::filesystem;
using workload::Collective;
using workload::TraceNode;
using workload::TraceNodeKind;
using workload::TraceWorkload;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

// A fresh folder per test (ctest runs tests in parallel).
fs::path folder() {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  const fs::path p =
      fs::temp_directory_path() / fmt::format("aifabric_chakra_{}_{}", info->name(), ::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string expect_input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

TEST(ChakraWire, VarintsAndZigzagRoundTrip) {
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{127}, std::uint64_t{128},
                          std::uint64_t{300}, std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    chakra::Writer w;
    w.raw_varint(v);
    chakra::Reader r(w.str());
    EXPECT_EQ(r.varint(), v);
    EXPECT_TRUE(r.done());
  }
  // The encoding guide's examples: 150 is 96 01; zigzag maps 0, -1, 1, -2 to 0, 1, 2, 3.
  chakra::Writer w;
  w.raw_varint(150);
  EXPECT_EQ(w.str(), bytes({0x96, 0x01}));
  EXPECT_EQ(chakra::zigzag_encode(-1), 1u);
  EXPECT_EQ(chakra::zigzag_encode(-2), 3u);
  EXPECT_EQ(chakra::zigzag_decode(4294967294u), 2147483647);
  EXPECT_EQ(chakra::zigzag_decode(chakra::zigzag_encode(INT64_MIN)), INT64_MIN);
}

TEST(ChakraWire, MalformedBytesAreErrorsWithTheirOffset) {
  auto error = [](const std::string& data) -> std::string {
    try {
      chakra::Reader r(data);
      while (!r.done()) r.next();
    } catch (const chakra::WireError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error(bytes({0x08, 0x96})), "byte 1: truncated varint");
  EXPECT_EQ(error(std::string(11, '\xff')), "byte 0: varint longer than 10 bytes");
  EXPECT_EQ(error(bytes({0x0b})), "byte 0: field 1 has wire type 3, expected 0, 1, 2 or 5");
  EXPECT_EQ(error(bytes({0x12, 0x05, 'a'})), "byte 0: field 2 claims 5 bytes, 1 are left");
  EXPECT_EQ(error(bytes({0x00})), "byte 0: invalid field number 0");
  EXPECT_EQ(error(bytes({0x08, 0x01, 0x09, 0x01})), "byte 3: truncated: 8 bytes expected, 1 left");
}

// The shape of ASTRA-sim's microbenchmark traces (examples/workload/microbenchmarks/all_reduce), assembled
// byte by byte from the schema's field numbers: GlobalMetadata{version: "0.0.4"}, then one node {name,
// type 7 (COMM_COLL_NODE), attr [is_cpu_op: bool false, comm_type: int64 0, comm_size: int64 1048576]}
// with the id left out (proto3's default 0).
std::string astra_sim_all_reduce() {
  const std::string meta = bytes({0x0a, 0x05}) + "0.0.4";
  const std::string name = "all_reduce_8npus_1MB";
  const std::string is_cpu = bytes({0x0a, 0x09}) + "is_cpu_op" + bytes({0xd8, 0x01, 0x00});  // field 27
  const std::string type = bytes({0x0a, 0x09}) + "comm_type" + bytes({0x48, 0x00});          // field 9
  const std::string size = bytes({0x0a, 0x09}) + "comm_size" + bytes({0x48, 0x80, 0x80, 0x40});
  std::string node = bytes({0x12, static_cast<int>(name.size())}) + name + bytes({0x18, 0x07});
  for (const auto& a : {is_cpu, type, size}) node += bytes({0x52, static_cast<int>(a.size())}) + a;
  return bytes({static_cast<int>(meta.size())}) + meta + bytes({static_cast<int>(node.size())}) + node;
}

TEST(ChakraEt, ReadsTheShapeOfAstraSimsExampleTraces) {
  const auto et = chakra::decode(astra_sim_all_reduce(), "all_reduce.0.et");
  EXPECT_EQ(et.version, "0.0.4");
  ASSERT_EQ(et.nodes.size(), 1u);
  const auto& n = et.nodes[0];
  EXPECT_EQ(n.id, 0u);
  EXPECT_EQ(n.name, "all_reduce_8npus_1MB");
  EXPECT_EQ(n.kind, TraceNodeKind::kCollective);
  EXPECT_EQ(n.collective, Collective::kAllReduce);
  EXPECT_EQ(n.bytes, 1048576u);
  EXPECT_EQ(n.group, 0u);
}

// comm_size written with each integer type of AttributeProto's oneof (and as a double): the same value.
TEST(ChakraEt, AcceptsEveryIntegerAttributeType) {
  const std::uint64_t v = 4096;
  struct Case {
    int field;
    std::string value;
  };
  auto var = [](std::uint64_t x) {
    chakra::Writer w;
    w.raw_varint(x);
    return w.str();
  };
  auto le = [](std::uint64_t x, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
    return s;
  };
  const double as_double = 4096.0;
  std::uint64_t double_bits = 0;
  std::memcpy(&double_bits, &as_double, 8);
  const std::vector<Case> cases = {{7, var(v)},
                                   {9, var(v)},
                                   {11, var(v)},
                                   {13, var(v)},
                                   {15, var(chakra::zigzag_encode(v))},
                                   {17, var(chakra::zigzag_encode(v))},
                                   {19, le(v, 4)},
                                   {21, le(v, 8)},
                                   {23, le(v, 4)},
                                   {25, le(v, 8)},
                                   {3, le(double_bits, 8)}};
  for (const auto& c : cases) {
    const int wire = c.field == 3 || c.field == 21 || c.field == 25 ? 1
                     : c.field == 19 || c.field == 23               ? 5
                                                                    : 0;
    chakra::Writer attr;
    attr.bytes_field(1, "comm_size");
    std::string a = attr.str();
    chakra::Writer key;
    key.raw_varint((static_cast<std::uint64_t>(c.field) << 3) | static_cast<std::uint64_t>(wire));
    a += key.str() + c.value;
    chakra::Writer type;
    type.bytes_field(1, "comm_type");
    type.varint_field(9, 2);
    chakra::Writer node;
    node.varint_field(1, 5);
    node.varint_field(3, 7);
    node.bytes_field(10, type.str());
    node.bytes_field(10, a);
    chakra::Writer file;
    file.raw_varint(0);
    file.raw_varint(node.str().size());
    const auto et = chakra::decode(file.str() + node.str(), "t.et");
    ASSERT_EQ(et.nodes.size(), 1u) << c.field;
    EXPECT_EQ(et.nodes[0].bytes, v) << "field " << c.field;
    EXPECT_EQ(et.nodes[0].collective, Collective::kAllGather);
  }
}

TraceWorkload small_trace() {
  TraceWorkload t;
  t.ranks.resize(2);
  TraceNode c;
  c.id = 1;
  c.name = "gemm";
  c.kind = TraceNodeKind::kCompute;
  c.duration_ps = 12'345'678;
  c.flops = 1e12;
  t.ranks[0].push_back(c);
  TraceNode s;
  s.id = 2;
  s.kind = TraceNodeKind::kSend;
  s.deps = {1};
  s.peer = 1;
  s.comm_tag = 7;
  s.bytes = 1 << 20;
  s.tag = "pp";
  t.ranks[0].push_back(s);
  TraceNode r = s;
  r.id = 9;
  r.kind = TraceNodeKind::kRecv;
  r.deps = {};
  r.peer = 0;
  t.ranks[1].push_back(r);
  TraceNode ar;
  ar.kind = TraceNodeKind::kCollective;
  ar.collective = Collective::kReduceScatter;
  ar.bytes = 3 << 20;
  ar.group = 1;
  ar.name = "grads";
  ar.id = 3;
  ar.deps = {2};
  t.ranks[0].push_back(ar);
  ar.id = 10;
  ar.deps = {9};
  t.ranks[1].push_back(ar);
  t.groups[1] = {0, 1};
  t.tokens_per_iteration = 4096;
  return t;
}

void expect_same(const TraceWorkload& a, const TraceWorkload& b) {
  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  EXPECT_EQ(a.groups, b.groups);
  EXPECT_EQ(a.tokens_per_iteration, b.tokens_per_iteration);
  EXPECT_EQ(a.flops_per_iteration, b.flops_per_iteration);
  for (std::size_t r = 0; r < a.ranks.size(); ++r) {
    ASSERT_EQ(a.ranks[r].size(), b.ranks[r].size());
    for (std::size_t i = 0; i < a.ranks[r].size(); ++i) {
      const auto &x = a.ranks[r][i], &y = b.ranks[r][i];
      EXPECT_EQ(x.id, y.id);
      EXPECT_EQ(x.name, y.name);
      EXPECT_EQ(x.kind, y.kind);
      EXPECT_EQ(x.deps, y.deps);
      EXPECT_EQ(x.duration_ps, y.duration_ps);
      EXPECT_EQ(x.flops, y.flops);
      EXPECT_EQ(x.bytes, y.bytes);
      EXPECT_EQ(x.collective, y.collective);
      EXPECT_EQ(x.group, y.group);
      EXPECT_EQ(x.peer, y.peer);
      EXPECT_EQ(x.comm_tag, y.comm_tag);
      EXPECT_EQ(x.tag, y.tag);
    }
  }
}

TEST(ChakraEt, RoundTripsThroughFilesPlainAndGzipped) {
  const auto dir = folder();
  const auto t = small_trace();
  const auto files = chakra::write_trace(t, (dir / "job").string());
  EXPECT_EQ(files.size(), 3u);
  expect_same(t, chakra::read_trace((dir / "job").string(), (dir / "job.comm_groups.json").string()));
  // The same files gzipped (as `gzip` writes them): read by their .et.gz names.
  for (int r = 0; r < 2; ++r) {
    std::ifstream in(dir / fmt::format("job.{}.et", r), std::ios::binary);
    const std::string plain((std::istreambuf_iterator<char>(in)), {});
    z_stream zs{};
    ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string gz(plain.size() + 128, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    zs.avail_in = static_cast<uInt>(plain.size());
    zs.next_out = reinterpret_cast<Bytef*>(gz.data());
    zs.avail_out = static_cast<uInt>(gz.size());
    ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    gz.resize(zs.total_out);
    deflateEnd(&zs);
    fs::remove(dir / fmt::format("job.{}.et", r));
    std::ofstream(dir / fmt::format("job.{}.et.gz", r), std::ios::binary) << gz;
  }
  expect_same(t, chakra::read_trace((dir / "job").string(), (dir / "job.comm_groups.json").string()));
}

TEST(ChakraEt, BadFilesNameTheFileNodeAndAttribute) {
  const auto dir = folder();
  const std::string good = chakra::encode({"0.0.4", small_trace().ranks[0], 0, 0});
  EXPECT_NE(expect_input_error([&] {
              chakra::decode(good.substr(0, good.size() - 3), "r.et");
            }).find("r.et: node[2]: malformed protobuf at byte"),
            std::string::npos);
  EXPECT_NE(
      expect_input_error([&] { chakra::decode("", "r.et"); }).find("empty; expected the GlobalMetadata"),
      std::string::npos);
  EXPECT_NE(expect_input_error([&] {
              chakra::decode(bytes({0x1f, 0x8b, 0x08, 0x00}), "r.et.gz");
            }).find("r.et.gz: corrupt or truncated gzip data"),
            std::string::npos);
  auto one = [](TraceNode n) { return chakra::encode({"0.0.4", {std::move(n)}, 0, 0}); };
  // A node type outside the enum.
  chakra::Writer node;
  node.varint_field(3, 12);
  chakra::Writer file;
  file.raw_varint(0);
  file.raw_varint(node.str().size());
  EXPECT_NE(
      expect_input_error([&] {
        chakra::decode(file.str() + node.str(), "r.et");
      }).find("node[0].type: expected a node type from METADATA_NODE (1) to COMM_COLL_NODE (7), got 12"),
      std::string::npos);
  // Missing attributes: a collective without its type, a send without its destination.
  TraceNode coll;
  coll.kind = TraceNodeKind::kCollective;
  std::string text = one(coll);
  const auto at = text.find("comm_type");
  text.replace(at, 9, "comm_tipe");
  EXPECT_NE(expect_input_error([&] { chakra::decode(text, "r.et"); }).find("node[0].attr.comm_type: missing"),
            std::string::npos);
  TraceNode send;
  send.kind = TraceNodeKind::kSend;
  text = one(send);
  text.replace(text.find("comm_dst"), 8, "comm_dsx");
  EXPECT_NE(expect_input_error([&] { chakra::decode(text, "r.et"); }).find("node[0].attr.comm_dst: missing"),
            std::string::npos);
  // A communicator that is not an id, and a comm_type out of the enum.
  coll.group = 12;
  text = one(coll);
  text.replace(text.find("12", text.find("pg_name")), 2, "tp");
  EXPECT_NE(expect_input_error([&] {
              chakra::decode(text, "r.et");
            }).find("attr.pg_name: expected a communicator id"),
            std::string::npos);
  // Comm-group files.
  EXPECT_NE(expect_input_error([&] {
              chakra::parse_comm_groups("{\"1\": [0, 1", "g.json");
            }).find("g.json: not JSON"),
            std::string::npos);
  // A number beyond a double (found by the fuzzer): an InputError, not nlohmann's out_of_range.
  EXPECT_NE(
      expect_input_error([&] { chakra::parse_comm_groups(" 9e994", "g.json"); }).find("g.json: not JSON"),
      std::string::npos);
  EXPECT_NE(expect_input_error([&] {
              chakra::parse_comm_groups("{\"x\": [0]}", "g.json");
            }).find("g.json: x: expected a communicator id above 0"),
            std::string::npos);
  EXPECT_NE(expect_input_error([&] {
              chakra::parse_comm_groups("{\"1\": [-1]}", "g.json");
            }).find("expected rank numbers, got -1"),
            std::string::npos);
  // No files at all.
  EXPECT_NE(
      expect_input_error([&] { chakra::read_trace((dir / "none").string(), ""); }).find("no trace: expected"),
      std::string::npos);
}

// What check() finds in a trace that cannot run, each naming the rank and node.
TEST(ChakraTrace, ChecksNameTheRankAndNode) {
  const std::vector<std::uint32_t> gpus = {0, 8},
                                   server_of = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  auto problem = [&](const TraceWorkload& t) {
    const auto p = workload::check(t, gpus, server_of, workload::Algorithm::kRing);
    return p ? std::string(p->what()) : std::string("none");
  };
  EXPECT_EQ(problem(small_trace()), "none");
  auto t = small_trace();
  t.ranks[0][1].deps = {42};
  EXPECT_EQ(problem(t), "rank[0].node[1].deps: send node 2 depends on node 42, which rank 0 does not have");
  t = small_trace();
  t.ranks[0][0].deps = {3};  // the compute waits for the collective that waits for the send that waits for it
  EXPECT_NE(problem(t).find(
                "rank[0].node[0]: compute node 1 ('gemm') never starts: it waits on a dependency cycle"),
            std::string::npos);
  t = small_trace();
  t.ranks[1][1].bytes = 1;
  EXPECT_EQ(
      problem(t),
      "rank[1].node[1]: call 1 on communicator 1 is reduce_scatter of 1 bytes here but reduce_scatter of "
      "3145728 bytes on rank 0");
  t = small_trace();
  t.ranks[1].pop_back();
  EXPECT_NE(problem(t).find("is call 1 on communicator 1, but rank 1 makes only 0 calls"), std::string::npos);
  t = small_trace();
  t.ranks[1][0].comm_tag = 8;
  EXPECT_NE(problem(t).find("from rank 0 to rank 1 (tag 7) has no matching receive on rank 1"),
            std::string::npos);
  t = small_trace();
  t.groups.clear();
  EXPECT_EQ(
      problem(t),
      "rank[0].node[2].pg_name: collective node 3 ('grads') uses communicator 1, which the trace does not "
      "define");
  t = small_trace();
  t.groups[1] = {1};
  EXPECT_EQ(problem(t),
            "rank[0].node[2].pg_name: collective node 3 ('grads') uses communicator 1, which rank 0 is not "
            "part of");
  t = small_trace();
  t.ranks[0][1].id = 1;
  EXPECT_EQ(problem(t), "rank[0].node[1].id: id 1 appears twice");
  t = small_trace();
  t.ranks.pop_back();
  EXPECT_EQ(problem(t), "gpus: the trace has 1 ranks but the job has 2 GPUs");
}

// Two ranks in one server: a compute node of 10 µs, then one given in FLOPs, then an all-reduce between the
// two. Iteration = 10 µs + F / (peak x efficiency) + the closed-form NVLink ring all-reduce.
TEST(ChakraTrace, AnalyticIterationOfAHandWrittenTrace) {
  const auto dir = folder();
  TraceWorkload t;
  t.ranks.resize(2);
  for (std::uint32_t r = 0; r < 2; ++r) {
    TraceNode a;
    a.id = 0;
    a.duration_ps = 10 * core::kPsPerUs;
    TraceNode b;
    b.id = 1;
    b.deps = {0};
    b.flops = 989e12 * 0.5 * 2e-3;  // 2 ms at half of the H100's 989 TFLOP/s
    TraceNode c;
    c.id = 2;
    c.deps = {1};
    c.kind = TraceNodeKind::kCollective;
    c.bytes = 64 << 20;
    t.ranks[r] = {a, b, c};
  }
  chakra::write_trace(t, (dir / "t").string());
  const std::string yaml = fmt::format(R"(
topology: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: 8, spines: 1}}
cluster: {{gpu: h100, gpus_per_server: 8}}
fidelity: flow
jobs:
  - {{name: t, kind: chakra, trace: {}, gpu_efficiency: 0.5}}
)",
                                       (dir / "t").string());
  const auto sc = io::load_scenario_text(yaml, "t.yaml");
  const auto a = api::assess(sc);
  workload::IterationLayout layout;
  layout.collective_launch_ps = core::us_to_ps(sc.cluster.gpu.collective_launch_us);
  const auto params = api::executor_params(sc);
  layout.nvlink_bytes_per_ps = params.nvlink_bytes_per_ps;
  layout.nvlink_step_ps = params.nvlink_step_ps;
  const core::TimePs expected =
      10 * core::kPsPerUs + 2 * core::kPsPerMs + workload::nvlink_ring_allreduce_ps(64 << 20, 2, layout);
  ASSERT_TRUE(a.jobs[0].fabric.complete);
  EXPECT_NEAR(static_cast<double>(a.jobs[0].fabric.iteration_ps), static_cast<double>(expected), 1.0);
  EXPECT_NEAR(a.jobs[0].fabric.compute_us, 2010.0, 1e-6);
}

// A built-in job written as a trace and run as a `kind: chakra` job: the same iteration, to the picosecond,
// and the same time breakdown.
void expect_equivalent(const std::string& yaml_without_jobs, const std::string& job_yaml) {
  const auto dir = folder();
  const auto builtin = io::load_scenario_text(yaml_without_jobs + "jobs:\n" + job_yaml, "builtin.yaml");
  const auto trace = api::job_trace(builtin, 0);
  chakra::write_trace(trace, (dir / "job").string());
  const auto traced = io::load_scenario_text(
      yaml_without_jobs +
          fmt::format("jobs:\n  - {{name: job, kind: chakra, trace: {}}}\n", (dir / "job").string()),
      "traced.yaml");
  const auto a = api::assess(builtin), b = api::assess(traced);
  ASSERT_TRUE(a.jobs[0].fabric.complete);
  ASSERT_TRUE(b.jobs[0].fabric.complete);
  EXPECT_EQ(a.jobs[0].fabric.iteration_ps, b.jobs[0].fabric.iteration_ps);
  EXPECT_EQ(a.jobs[0].ideal.iteration_ps, b.jobs[0].ideal.iteration_ps);
  EXPECT_EQ(a.jobs[0].fabric.exposed_us, b.jobs[0].fabric.exposed_us);
  EXPECT_DOUBLE_EQ(a.jobs[0].fabric.compute_us, b.jobs[0].fabric.compute_us);
  EXPECT_DOUBLE_EQ(a.jobs[0].fabric.tokens_per_s, b.jobs[0].fabric.tokens_per_s);
  EXPECT_DOUBLE_EQ(a.jobs[0].fabric.mfu, b.jobs[0].fabric.mfu);
  std::printf("built-in %.6f s, trace %.6f s\n", core::ps_to_sec(a.jobs[0].fabric.iteration_ps),
              core::ps_to_sec(b.jobs[0].fabric.iteration_ps));
}

// The built-in example's 70B job (TP 8, PP 4, DP 8 on 256 H100s, flow level), with its checkpoint traffic.
TEST(ChakraTrace, BuiltIn70BJobAsATraceGivesTheSameIteration) {
  std::string yaml = io::scenario_text("example:llama70b_h100_256");
  const auto jobs = yaml.find("jobs:"), traffic = yaml.find("traffic:");
  const std::string job = yaml.substr(jobs + 6, traffic - jobs - 6);
  yaml.erase(jobs, traffic - jobs);
  expect_equivalent(yaml, job);
}

// Packet and flow level, a dense job and a mixture-of-experts job (per-layer ops, expert all-to-alls as sends
// and receives). One switch, so every transfer has one path: where ECMP chooses among several, it hashes
// the transfer's identity (its op and ring-send numbers), which a trace's ops do not keep, so the paths
// differ as they would under another seed (docs/chakra.md).
TEST(ChakraTrace, PacketLevelAndMixtureOfExpertsJobsAsTracesGiveTheSameIteration) {
  const std::string fabric = R"(
fabric: {kind: roce}
topology: {kind: leaf_spine, leaves: 1, hosts_per_leaf: 32, link: {rate_gbps: 100, latency_ns: 1000}}
cluster: {gpu: h100, gpus_per_server: 8}
)";
  for (const char* fidelity : {"packet", "flow"}) {
    expect_equivalent(
        fabric + "fidelity: " + fidelity + "\n",
        "  - name: dense\n    model: {layers: 4, hidden: 2048, heads: 16, seq_len: 1024, vocab: 32000}\n"
        "    parallelism: {tp: 4, pp: 2, dp: 4, micro_batches: 4, dp_buckets: 2}\n");
    expect_equivalent(
        fabric + "fidelity: " + fidelity + "\n",
        "  - name: moe\n    model: {layers: 2, hidden: 1024, heads: 8, seq_len: 1024, vocab: 32000, "
        "experts: 8, top_k: 2}\n    parallelism: {tp: 2, dp: 16, ep: 8, micro_batches: 2, "
        "dp_buckets: 1}\n");
  }
}

// Without aifabric's exact durations (duration_micros alone, as other tools write traces), each compute node
// moves by at most 0.5 µs. A dependency path crosses at most the nodes of one pipeline (pp ranks), so the
// iteration moves by at most 0.5 µs x pp x the most nodes on a rank.
TEST(ChakraTrace, MicrosecondDurationsStayWithinTheirRoundingBound) {
  const auto dir = folder();
  std::string yaml = io::scenario_text("example:llama70b_h100_256");
  yaml.erase(yaml.find("traffic:"));
  const auto builtin = io::load_scenario_text(yaml, "builtin.yaml");
  auto trace = api::job_trace(builtin, 0);
  std::size_t most = 0;
  for (auto& rank : trace.ranks) {
    most = std::max(most, rank.size());
    for (auto& n : rank)
      n.duration_ps = (n.duration_ps + core::kPsPerUs / 2) / core::kPsPerUs * core::kPsPerUs;
  }
  chakra::write_trace(trace, (dir / "job").string());
  yaml.erase(yaml.find("jobs:"));
  const auto traced = io::load_scenario_text(
      yaml + fmt::format("jobs:\n  - {{name: job, kind: chakra, trace: {}}}\n", (dir / "job").string()),
      "t.yaml");
  const double a = static_cast<double>(api::assess(builtin).jobs[0].fabric.iteration_ps);
  const double b = static_cast<double>(api::assess(traced).jobs[0].fabric.iteration_ps);
  const double bound = 0.5 * core::kPsPerUs * 4 * static_cast<double>(most);
  std::printf("exact %.6f s, microseconds %.6f s, bound %.3f ms\n", a / 1e12, b / 1e12, bound / 1e9);
  EXPECT_NEAR(a, b, bound);
}

TEST(ChakraTrace, ScenarioErrorsNameTheJobField) {
  const auto dir = folder();
  chakra::write_trace(small_trace(), (dir / "t").string());
  const std::string head = R"(
topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 8, spines: 1}
cluster: {gpu: h100, gpus_per_server: 8}
jobs:
)";
  auto error = [&](const std::string& job) {
    return expect_input_error([&] { io::load_scenario_text(head + job, "s.yaml"); });
  };
  const std::string t = (dir / "t").string();
  EXPECT_NE(error("  - {kind: chakra}\n").find("jobs[0].trace: missing"), std::string::npos);
  EXPECT_NE(error(fmt::format("  - {{kind: chakra, trace: {}, model: {{layers: 2}}}}\n", t))
                .find("jobs[0].model: a chakra job's trace says what it computes"),
            std::string::npos);
  EXPECT_NE(error("  - {trace: x}\n").find("jobs[0].trace: only a job of kind chakra takes it"),
            std::string::npos);
  EXPECT_NE(error(fmt::format("  - {{kind: chakra, trace: {}, gpus: 3}}\n", t))
                .find("jobs[0].gpus: the trace has 2 ranks; expected gpus: 2"),
            std::string::npos);
  EXPECT_NE(error(fmt::format("  - {{kind: chakra, trace: {}, first_gpu: 15}}\n", t))
                .find("the trace's 2 ranks from GPU 15 exceed the cluster's 16 GPUs"),
            std::string::npos);
  EXPECT_NE(error(fmt::format("  - {{kind: chakra, trace: {}/missing}}\n", dir.string()))
                .find("no trace: expected"),
            std::string::npos);
  // A defect inside the trace: under the job's field, with the trace's path as the file.
  auto bad = small_trace();
  bad.ranks[1][0].comm_tag = 3;
  chakra::write_trace(bad, (dir / "bad").string());
  EXPECT_EQ(
      error(fmt::format("  - {{kind: chakra, trace: {}/bad}}\n", dir.string())),
      (dir / "bad").string() +
          ": jobs[0].trace.rank[1].node[0]: receive node 9 from rank 0 to rank 1 (tag 3) has no matching "
          "send on rank 0");
  // From the network (the service), a scenario may not name files.
  EXPECT_NE(expect_input_error([&] {
              io::load_scenario_document(
                  io::read_yaml(head + fmt::format("  - {{kind: chakra, trace: {}}}\n", t), "r"), "request",
                  -1, false);
            }).find("a scenario sent over the network cannot name them"),
            std::string::npos);
}

}  // namespace
}  // namespace aifabric
