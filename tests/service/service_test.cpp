// The HTTP service with a real client over loopback (docs/service.md): every route, every error code,
// concurrent requests, malformed bodies, runs from start to report, cancellation, and tokens.
#include "service.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "io/scenario_loader.hpp"

namespace aifabric::service {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A service on a free loopback port, serving from its own thread until the test ends.
class Running {
 public:
  explicit Running(Config c) : service_(prepare(std::move(c))) {
    EXPECT_TRUE(service_.bind());
    thread_ = std::thread([this] { service_.run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", service_.port());
    for (int i = 0; i < 100 && !client_->Get("/healthz"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~Running() {
    service_.stop();
    thread_.join();
  }
  httplib::Client& client() { return *client_; }
  int port() const { return service_.port(); }

 private:
  static Config prepare(Config c) {
    c.bind = "127.0.0.1";
    c.port = 0;
    // A fresh folder per test (ctest runs tests in parallel processes), unless the test names its own.
    if (c.data_dir == Config{}.data_dir) {
      c.data_dir =
          (fs::temp_directory_path() /
           (std::string("aifabric_service_") + testing::UnitTest::GetInstance()->current_test_info()->name()))
              .string();
      fs::remove_all(c.data_dir);
    }
    return c;
  }
  Service service_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

std::string example(const std::string& name) {
  return io::scenario_text("example:" + name);
}

json body(const httplib::Result& r) {
  return json::parse(r->body);
}

// Polls a run until it leaves "running" (at most about 60 s).
json wait(httplib::Client& c, const std::string& id, const httplib::Headers& h = {}) {
  json j;
  for (int i = 0; i < 600; ++i) {
    auto r = c.Get("/v1/runs/" + id, h);
    j = body(r);
    if (j["status"] != "running" && j["status"] != "queued") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return j;
}

TEST(Service, ValidateAnswersWithTheFieldOfAnError) {
  Running s(Config{});
  auto& c = s.client();
  auto ok = c.Post("/v1/validate", example("dumbbell_explicit"), "application/yaml");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(body(ok)["hosts"], 4);
  auto bad = c.Post("/v1/validate", "topology: {kind: leaf_spine, leaves: -1}\n", "application/yaml");
  EXPECT_EQ(bad->status, 422);
  EXPECT_EQ(bad->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(body(bad)["field"], "topology.leaves");
  EXPECT_EQ(body(bad)["status"], 422);
  auto json_ok =
      c.Post("/v1/validate", R"({"topology": {"kind": "leaf_spine", "leaves": 2, "hosts_per_leaf": 2},
                                           "traffic": [{"kind": "permutation", "size_bytes": 1000}]})",
             "application/json");
  EXPECT_EQ(json_ok->status, 200) << json_ok->body;
}

// The loader's memory estimate is held to --max-memory-gbytes, whatever the scenario's own limit says: a
// scenario too large is a 422 before its network is built. 1,024 hosts with 32 x 16 leaf-spine uplinks
// come to about 2 KB a link x (1,024 + 512) links = 3 MB, above a 1 MB limit.
TEST(Service, AScenarioBeyondTheMemoryLimitIsRefusedBeforeItIsBuilt) {
  Config cfg;
  cfg.max_memory_gbytes = 0.001;
  Running s(cfg);
  auto& c = s.client();
  const std::string big = "topology: {kind: leaf_spine, leaves: 32, hosts_per_leaf: 32, spines: 16}\n";
  for (const std::string& yaml : {big, big + "limits: {max_memory_gbytes: 100}\n"}) {
    const auto r = c.Post("/v1/validate", yaml, "application/yaml");
    EXPECT_EQ(r->status, 422) << yaml;
    EXPECT_NE(body(r)["detail"].get<std::string>().find("above limits.max_memory_gbytes = 0.001"),
              std::string::npos)
        << r->body;
  }
  EXPECT_EQ(c.Post("/v1/validate", example("dumbbell_explicit"), "application/yaml")->status, 200);
}

TEST(Service, MalformedBodiesAre4xxAndTheServiceStaysUp) {
  Config cfg;
  cfg.max_body_bytes = 1 << 20;
  Running s(cfg);
  auto& c = s.client();
  const auto truncated = c.Post("/v1/validate", R"({"topology": {"kind": "leaf_sp)", "application/json");
  EXPECT_EQ(truncated->status, 422);
  EXPECT_EQ(body(truncated)["field"], "(syntax)");
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 131 + 7) % 256);
  const auto binary = c.Post("/v1/validate", junk, "application/octet-stream");
  EXPECT_GE(binary->status, 400);
  EXPECT_LT(binary->status, 500) << binary->body;
  const std::string nesting(10 << 20, '[');  // 10 MB of nesting: over the 1 MiB limit
  const auto deep = c.Post("/v1/validate", nesting, "application/json");
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->status, 413);
  const std::string nested_small(100000, '[');  // under the limit: refused by the reader's depth limit
  const auto deep_small = c.Post("/v1/validate", nested_small, "application/json");
  EXPECT_EQ(deep_small->status, 422);
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  const auto unknown = c.Get("/v2/nothing");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->get_header_value("Content-Type"), "application/problem+json");
}

TEST(Service, HundredConcurrentValidations) {
  Running s(Config{});
  const std::string scenario = example("leaf_spine_incast");
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", s.port());
      for (int i = t; i < 100; i += 8) {
        auto r = c.Post("/v1/validate", scenario, "application/yaml");
        (r && r->status == 200 ? ok : failed)++;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(failed, 0);
}

TEST(Service, ARunFromStartToReport) {
  Running s(Config{});
  auto& c = s.client();
  EXPECT_EQ(c.Post("/v1/runs?command=fly", example("dumbbell_explicit"), "application/yaml")->status, 400);
  EXPECT_EQ(c.Post("/v1/runs?command=assess", example("dumbbell_explicit"), "application/yaml")->status, 422)
      << "no jobs to assess";
  auto started = c.Post("/v1/runs?command=simulate", example("dumbbell_explicit"), "application/yaml");
  ASSERT_EQ(started->status, 202);
  const std::string id = body(started)["id"];
  EXPECT_EQ(started->get_header_value("Location"), "/v1/runs/" + id);
  const auto done = wait(c, id);
  ASSERT_EQ(done["status"], "succeeded") << done.dump();
  EXPECT_EQ(done["files"], json::array({"flows.csv", "ports.csv", "summary.json"}));
  const auto summary = c.Get("/v1/runs/" + id + "/results/summary.json");
  EXPECT_EQ(summary->status, 200);
  // The service's run gives the CLI's results: the same fingerprint as the scenario run here.
  EXPECT_EQ(body(summary)["scenario"], "dumbbell");
  const auto report = c.Get("/v1/runs/" + id + "/report");
  EXPECT_EQ(report->status, 200);
  EXPECT_NE(report->body.find("<svg class=\"chart-heatmap\""), std::string::npos);
  EXPECT_EQ(c.Get("/v1/runs/" + id + "/results/secret.txt")->status, 404);
  EXPECT_EQ(c.Get("/v1/runs/" + id + "/results/..")->status, 404);
  EXPECT_EQ(c.Get("/v1/runs/r999")->status, 404);
  EXPECT_EQ(c.Delete("/v1/runs/" + id)->status, 409) << "a finished run cannot be cancelled";
  const auto list = body(c.Get("/v1/runs"));
  EXPECT_EQ(list["runs"].size(), 1u);
  const auto metrics = c.Get("/metrics");
  EXPECT_NE(metrics->body.find("aifabric_service_runs{status=\"succeeded\"} 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("aifabric_service_run_events_total{run=\"" + id +
                               "\",command=\"simulate\",status=\"succeeded\"} " +
                               std::to_string(done["progress"]["events"].get<std::uint64_t>())),
            std::string::npos)
      << metrics->body;
  EXPECT_TRUE(metrics->body.ends_with("# EOF\n"));
}

// A sweep: the baseline and its variants run as one study, with sweep.csv and one folder per variant; every
// variant is checked against the limits (and for files it names) before anything runs.
TEST(Service, ASweepRunsItsVariantsAndChecksEachFirst) {
  Config cfg;
  cfg.max_variants = 3;
  Running s(cfg);
  auto& c = s.client();
  const std::string yaml = example("dumbbell_explicit");
  EXPECT_EQ(c.Post("/v1/runs?command=sweep", yaml, "application/yaml")->status, 422) << "no vary";
  const auto bad_path = c.Post("/v1/runs?command=sweep&vary=fabric.nothing=1,2", yaml, "application/yaml");
  EXPECT_EQ(bad_path->status, 422);
  const auto many = c.Post("/v1/runs?command=sweep&vary=fabric.load_balancing=ecmp,spray,adaptive", yaml,
                           "application/yaml");
  EXPECT_EQ(many->status, 422);
  EXPECT_NE(body(many)["detail"].get<std::string>().find("4 variants: this service runs at most 3"),
            std::string::npos);
  const auto started =
      c.Post("/v1/runs?command=sweep&vary=fabric.load_balancing=ecmp,spray", yaml, "application/yaml");
  ASSERT_EQ(started->status, 202) << started->body;
  const std::string id = body(started)["id"];
  const auto done = wait(c, id);
  ASSERT_EQ(done["status"], "succeeded") << done.dump();
  EXPECT_NE(done["files"].dump().find("sweep.csv"), std::string::npos);
  const auto csv = c.Get("/v1/runs/" + id + "/results/sweep.csv");
  ASSERT_EQ(csv->status, 200);
  EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), 4) << csv->body;  // header + 3 variants
  EXPECT_EQ(c.Get("/v1/runs/" + id + "/report")->status, 200);
}

// A what-if: each change a variant against the baseline, as `aifabric whatif` answers it.
TEST(Service, AWhatIfRanksItsVariants) {
  Running s(Config{});
  auto& c = s.client();
  const std::string yaml = example("two_jobs_shared_spine") + "fidelity: flow\n";
  EXPECT_EQ(c.Post("/v1/runs?command=whatif", yaml, "application/yaml")->status, 422) << "nothing asked";
  EXPECT_EQ(c.Post("/v1/runs?command=whatif&fail=nosuchswitch", yaml, "application/yaml")->status, 422);
  const auto started = c.Post("/v1/runs?command=whatif&fail=spine0", yaml, "application/yaml");
  ASSERT_EQ(started->status, 202) << started->body;
  const auto done = wait(c, body(started)["id"]);
  ASSERT_EQ(done["status"], "succeeded") << done.dump();
  for (const char* f : {"whatif.csv", "links.csv", "summary.txt"})
    EXPECT_NE(done["files"].dump().find(f), std::string::npos) << f;
  const auto summary = c.Get("/v1/runs/" + done["id"].get<std::string>() + "/results/summary.txt");
  EXPECT_NE(summary->body.find("spine0"), std::string::npos) << summary->body;
}

// A run that passes --max-events fails at the engine's next progress check, and leaves no results.
TEST(Service, ARunPastTheEventLimitFails) {
  Config cfg;
  cfg.max_events = 1;
  Running s(cfg);
  auto& c = s.client();
  const auto started =
      c.Post("/v1/runs?command=assess", example("llama70b_h100_256_packet"), "application/yaml");
  ASSERT_EQ(started->status, 202);
  const auto end = wait(c, body(started)["id"]);
  EXPECT_EQ(end["status"], "failed");
  EXPECT_NE(end["error"].get<std::string>().find("event limit"), std::string::npos) << end.dump();
  EXPECT_EQ(c.Get("/v1/runs/" + end["id"].get<std::string>() + "/report")->status, 409);
}

// A plan: the designs, their bills of materials and the recommended one, as `aifabric plan` writes them.
TEST(Service, APlanWritesItsDesigns) {
  Config cfg;
  cfg.max_gpus = 512;
  Running s(cfg);
  auto& c = s.client();
  const std::string yaml = example("plan_h100_1024");
  const auto big = c.Post("/v1/runs?command=plan", yaml, "application/yaml");
  EXPECT_EQ(big->status, 422);
  EXPECT_NE(body(big)["detail"].get<std::string>().find("this service plans at most 512"), std::string::npos);
  EXPECT_EQ(c.Post("/v1/runs?command=plan", "plan: {phases: [-1]}\n", "application/yaml")->status, 422);
  Config unlimited;
  unlimited.data_dir = (fs::temp_directory_path() / "aifabric_service_plan_unlimited").string();
  fs::remove_all(unlimited.data_dir);
  Running wide(unlimited);
  auto& w = wide.client();
  const auto started = w.Post("/v1/runs?command=plan", yaml, "application/yaml");
  ASSERT_EQ(started->status, 202) << started->body;
  const auto done = wait(w, body(started)["id"]);
  ASSERT_EQ(done["status"], "succeeded") << done.dump();
  for (const char* f : {"plan.json", "summary.txt", "bom.csv", "cabling.csv"})
    EXPECT_NE(done["files"].dump().find(f), std::string::npos) << f;
  const auto id = done["id"].get<std::string>();
  EXPECT_NE(w.Get("/v1/runs/" + id + "/results/summary.txt")->body.find("recommended"), std::string::npos);
  EXPECT_EQ(w.Get("/v1/runs/" + id + "/report")->status, 200);
  // Cancelled: the designs' runs stop at their next progress check, and the plan leaves no results.
  const auto again = w.Post("/v1/runs?command=plan", yaml, "application/yaml");
  ASSERT_EQ(again->status, 202);
  EXPECT_EQ(w.Delete("/v1/runs/" + body(again)["id"].get<std::string>())->status, 202);
  const auto end = wait(w, body(again)["id"]);
  EXPECT_EQ(end["status"], "cancelled") << end.dump();
}

// Diagnose: telemetry in the body (here a simulated run's own metrics.om, fetched from the service), the
// diagnosis out; a body that is not telemetry is a 422.
TEST(Service, ADiagnosisOfTelemetrySentAsTheBody) {
  Running s(Config{});
  auto& c = s.client();
  std::ifstream in(std::string(AIFABRIC_SOURCE_DIR) + "/tests/telemetry/ms_samples.yaml");
  const std::string yaml((std::istreambuf_iterator<char>(in)), {});
  const auto sim = wait(c, body(c.Post("/v1/runs?command=simulate", yaml, "application/yaml"))["id"]);
  ASSERT_EQ(sim["status"], "succeeded") << sim.dump();
  const auto om = c.Get("/v1/runs/" + sim["id"].get<std::string>() + "/results/metrics.om");
  ASSERT_EQ(om->status, 200);
  // The run's ports in /metrics: each series' last sample, labelled with the run, one family at a time.
  const auto scrape = c.Get("/metrics")->body;
  const std::string sample =
      "aifabric_port_transmit_bytes_total{run=\"" + sim["id"].get<std::string>() + "\",port=";
  EXPECT_NE(scrape.find(sample), std::string::npos) << scrape.substr(0, 2000);
  EXPECT_EQ(scrape.find("# TYPE aifabric_port_transmit_bytes counter"),
            scrape.rfind("# TYPE aifabric_port_transmit_bytes counter"));
  EXPECT_TRUE(scrape.ends_with("# EOF\n"));
  EXPECT_EQ(c.Post("/v1/runs?command=diagnose", "not telemetry\n", "text/plain")->status, 422);
  EXPECT_EQ(c.Post("/v1/runs?command=diagnose&format=xml", om->body, "text/plain")->status, 422);
  const auto started = c.Post("/v1/runs?command=diagnose", om->body, "application/openmetrics-text");
  ASSERT_EQ(started->status, 202) << started->body;
  const auto done = wait(c, body(started)["id"]);
  ASSERT_EQ(done["status"], "succeeded") << done.dump();
  EXPECT_NE(done["files"].dump().find("diagnosis.json"), std::string::npos);
  const auto diagnosis = c.Get("/v1/runs/" + done["id"].get<std::string>() + "/results/diagnosis.json");
  EXPECT_EQ(diagnosis->status, 200);
  EXPECT_TRUE(json::parse(diagnosis->body).is_object());
}

TEST(Service, BusyServiceSays429AndACancelledRunIsNotComplete) {
  Config cfg;
  cfg.max_running = 1;
  Running s(cfg);
  auto& c = s.client();
  auto long_run = c.Post("/v1/runs?command=assess", example("llama70b_h100_256_packet"), "application/yaml");
  ASSERT_EQ(long_run->status, 202);
  const std::string id = body(long_run)["id"];
  const auto busy = c.Post("/v1/runs?command=simulate", example("dumbbell_explicit"), "application/yaml");
  EXPECT_EQ(busy->status, 429);
  EXPECT_EQ(busy->get_header_value("Retry-After"), "5");
  EXPECT_EQ(c.Delete("/v1/runs/" + id)->status, 202);
  const auto end = wait(c, id);
  EXPECT_EQ(end["status"], "cancelled") << end.dump();
  EXPECT_EQ(c.Get("/v1/runs/" + id + "/report")->status, 409);
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() /
                          "aifabric_service_BusyServiceSays429AndACancelledRunIsNotComplete" / id /
                          "manifest.json"));
}

// Run records live in DATA_DIR/runs.sqlite3: a second service on the same folder lists and serves the first
// one's runs with their owners, a cancelled run stays cancelled, and new runs continue the numbering.
TEST(Service, ARestartedServiceStillListsAndServesItsRuns) {
  const auto tokens = fs::temp_directory_path() / "aifabric_service_restart_tokens.txt";
  std::ofstream(tokens) << "alpha\nbeta\n";
  Config cfg;
  cfg.data_dir = (fs::temp_directory_path() / "aifabric_service_restart").string();
  cfg.token_file = tokens.string();
  fs::remove_all(cfg.data_dir);
  const httplib::Headers alpha{{"Authorization", "Bearer alpha"}}, beta{{"Authorization", "Bearer beta"}};
  std::string done, cancelled;
  {
    Running s(cfg);
    auto& c = s.client();
    done = body(
        c.Post("/v1/runs?command=simulate", alpha, example("dumbbell_explicit"), "application/yaml"))["id"];
    ASSERT_EQ(wait(c, done, alpha)["status"], "succeeded");
    cancelled = body(c.Post("/v1/runs?command=assess", alpha, example("llama70b_h100_256_packet"),
                            "application/yaml"))["id"];
    EXPECT_EQ(c.Delete("/v1/runs/" + cancelled, alpha)->status, 202);
    ASSERT_EQ(wait(c, cancelled, alpha)["status"], "cancelled");
  }
  Running again(cfg);
  auto& c = again.client();
  const auto list = body(c.Get("/v1/runs", alpha))["runs"];
  ASSERT_EQ(list.size(), 2u) << list.dump();
  EXPECT_EQ(list[0]["id"], done);
  EXPECT_EQ(list[0]["status"], "succeeded");
  EXPECT_EQ(list[0]["files"], json::array({"flows.csv", "ports.csv", "summary.json"}));
  EXPECT_EQ(list[1]["status"], "cancelled");
  EXPECT_EQ(body(c.Get("/v1/runs/" + done + "/results/summary.json", alpha))["scenario"], "dumbbell");
  EXPECT_EQ(c.Get("/v1/runs/" + done + "/report", alpha)->status, 200);
  EXPECT_EQ(c.Get("/v1/runs/" + cancelled + "/report", alpha)->status, 409);
  EXPECT_EQ(c.Get("/v1/runs/" + done, beta)->status, 404) << "still another token's run";
  const auto next =
      body(c.Post("/v1/runs?command=simulate", beta, example("dumbbell_explicit"), "application/yaml"));
  EXPECT_EQ(next["id"], "r3");
  EXPECT_EQ(wait(c, "r3", beta)["status"], "succeeded");
}

TEST(Service, TokensAreRequiredAndRunsArePrivate) {
  const auto tokens = fs::temp_directory_path() / "aifabric_service_tokens.txt";
  std::ofstream(tokens) << "alpha\nbeta\n";
  Config cfg;
  cfg.token_file = tokens.string();
  Running s(cfg);
  auto& c = s.client();
  const auto none = c.Get("/v1/runs");
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(c.Get("/v1/runs", {{"Authorization", "Bearer gamma"}})->status, 403);
  const httplib::Headers alpha{{"Authorization", "Bearer alpha"}}, beta{{"Authorization", "Bearer beta"}};
  auto started = c.Post("/v1/runs?command=simulate", alpha, example("dumbbell_explicit"), "application/yaml");
  ASSERT_EQ(started->status, 202);
  const std::string id = body(started)["id"];
  EXPECT_EQ(wait(c, id, alpha)["status"], "succeeded");
  EXPECT_EQ(c.Get("/v1/runs/" + id, beta)->status, 404) << "another token's run is invisible";
  EXPECT_EQ(body(c.Get("/v1/runs", beta))["runs"].size(), 0u);
  EXPECT_EQ(body(c.Get("/v1/runs", alpha))["runs"].size(), 1u);
  EXPECT_EQ(c.Get("/healthz")->status, 200) << "liveness needs no token";
  EXPECT_EQ(c.Get("/metrics")->status, 401) << "metrics need one";
  const auto metrics = c.Get("/metrics", beta)->body;
  EXPECT_EQ(metrics.find("run=\"" + id + "\""), std::string::npos) << "another token's run is not listed";
  EXPECT_NE(c.Get("/metrics", alpha)->body.find("run=\"" + id + "\""), std::string::npos);
}

// /v1/openapi.json lists exactly the routes the server answers: each path (with a real run id and file)
// reaches a handler, never the router's 404.
TEST(Service, OpenApiListsTheRoutes) {
  Running s(Config{});
  auto& c = s.client();
  const auto doc = body(c.Get("/v1/openapi.json"));
  EXPECT_EQ(doc["openapi"], "3.1.0");
  auto started = c.Post("/v1/runs?command=simulate", example("dumbbell_explicit"), "application/yaml");
  const std::string id = body(started)["id"];
  wait(c, id);
  std::size_t operations = 0;
  for (const auto& [path, ops] : doc["paths"].items()) {
    std::string p = path;
    if (auto at = p.find("{id}"); at != std::string::npos) p.replace(at, 4, id);
    if (auto at = p.find("{file}"); at != std::string::npos) p.replace(at, 6, "summary.json");
    for (const auto& [method, op] : ops.items()) {
      ++operations;
      httplib::Result r = method == "get"    ? c.Get(p)
                          : method == "post" ? c.Post(p, example("dumbbell_explicit"), "application/yaml")
                                             : c.Delete(p);
      ASSERT_TRUE(r) << method << " " << p;
      EXPECT_EQ(r->body.find("no such route"), std::string::npos) << method << " " << p;
    }
  }
  EXPECT_EQ(operations, 10u);
}

}  // namespace
}  // namespace aifabric::service
