#include "service.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/assess.hpp"
#include "api/collective_sweep.hpp"
#include "api/run.hpp"
#include "core/error.hpp"
#include "io/json_reader.hpp"
#include "io/result_folder.hpp"
#include "io/scenario_loader.hpp"
#include "io/writers.hpp"
#include "io/yaml_reader.hpp"
#include "ops/diagnose.hpp"
#include "plan/planner.hpp"
#include "plan/render.hpp"
#include "plan/request.hpp"
#include "report/html.hpp"
#include "run_store.hpp"
#include "telemetry/export.hpp"
#include "telemetry/ingest.hpp"
#include "whatif/changes.hpp"
#include "whatif/study.hpp"
#include "whatif/variants.hpp"

namespace aifabric::service {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// The routes, once: the server registers them and /v1/openapi.json describes them.
struct Route {
  const char* method;
  const char* path;     // OpenAPI form
  const char* pattern;  // the server's regular expression
  const char* summary;
};
constexpr Route kRoutes[] = {
    {"get", "/healthz", "/healthz", "Liveness: 200 while the service runs."},
    {"get", "/metrics", "/metrics", "The service's counters in OpenMetrics text."},
    {"get", "/v1/openapi.json", "/v1/openapi.json", "This document."},
    {"post", "/v1/validate", "/v1/validate",
     "Check a scenario (YAML or JSON body) without running it: 200 with its size, or 422 with the field."},
    {"post", "/v1/runs", "/v1/runs",
     "Start a run: ?command=simulate|assess|collective|sweep|whatif|plan|diagnose (a sweep with one or more "
     "vary=PATH=V1,V2,...; a what-if with fail, degrade, straggler, load, set or n_minus_1 as aifabric "
     "whatif "
     "takes them), the scenario as the body. 202 with the run's URL."},
    {"get", "/v1/runs", "/v1/runs", "The runs of this token."},
    {"get", "/v1/runs/{id}", R"(/v1/runs/([A-Za-z0-9]+))", "A run's status, progress, error and files."},
    {"delete", "/v1/runs/{id}", R"(/v1/runs/([A-Za-z0-9]+))", "Cancel a queued or running run."},
    {"get", "/v1/runs/{id}/results/{file}", R"(/v1/runs/([A-Za-z0-9]+)/results/([A-Za-z0-9_.]+))",
     "One result file of a finished run (a name its manifest lists)."},
    {"get", "/v1/runs/{id}/report", R"(/v1/runs/([A-Za-z0-9]+)/report)",
     "The HTML report of a finished run (docs/report.md)."},
};

const char* reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

// An RFC 9457 problem; `extra` adds members (the field of an input error).
void problem(httplib::Response& res, int status, const std::string& detail, ordered_json extra = {}) {
  ordered_json j{{"type", "about:blank"}, {"title", reason(status)}, {"status", status}, {"detail", detail}};
  if (extra.is_object())
    for (const auto& [k, v] : extra.items()) j[k] = v;
  res.status = status;
  // Replacement characters for bytes that are not UTF-8: an error may quote a request's junk.
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/problem+json");
}

void input_problem(httplib::Response& res, const core::InputError& e) {
  auto where = nlohmann::json::parse(e.to_json());
  problem(res, 422, e.what(), where);
}

void json_reply(httplib::Response& res, int status, const ordered_json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

enum class RunState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

const char* name(RunState s) {
  switch (s) {
    case RunState::kQueued:
      return "queued";
    case RunState::kRunning:
      return "running";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
    case RunState::kCancelled:
      return "cancelled";
  }
  return "failed";
}

struct Run {
  std::uint64_t number = 0;
  std::string id, owner, command, out;
  api::Scenario scenario;
  std::vector<whatif::Variant> variants;  // sweep: the baseline and its variants
  io::Node plan_request;                  // plan: the document
  telemetry::Dataset telemetry;           // diagnose: the telemetry read
  telemetry::Dataset ports;               // simulate: its port telemetry's last samples, for /metrics
  RunState state = RunState::kQueued;
  std::string error;
  std::atomic<bool> cancel{false};
  std::atomic<std::int64_t> simulated_ps{0};
  std::atomic<std::uint64_t> events{0};
  std::chrono::steady_clock::time_point started;
  std::thread worker;
};

// Every value of query parameter `key`, read from the raw target: each value is everything after the
// first '=' (cpp-httplib's own parser keeps only the text up to a second '=', and a vary is PATH=V1,V2),
// percent-decoded.
std::vector<std::string> query_values(const httplib::Request& req, const std::string& key) {
  std::vector<std::string> out;
  const auto q = req.target.find('?');
  if (q == std::string::npos) return out;
  std::stringstream query(req.target.substr(q + 1));
  std::string item;
  while (std::getline(query, item, '&'))
    if (item.rfind(key + "=", 0) == 0)
      out.push_back(httplib::detail::decode_url(item.substr(key.size() + 1), true));
  return out;
}

struct Cancelled {
  std::string why;
};

// The files a finished run's manifest lists.
std::vector<std::string> manifest_files(const std::string& out) {
  std::ifstream in(out + "/manifest.json");
  if (!in) return {};
  try {
    return nlohmann::json::parse(in).at("files").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    return {};
  }
}

std::string content_type(const std::string& file) {
  if (file.ends_with(".json")) return "application/json";
  if (file.ends_with(".csv")) return "text/csv";
  if (file.ends_with(".om")) return "application/openmetrics-text; version=1.0.0; charset=utf-8";
  if (file.ends_with(".html")) return "text/html; charset=utf-8";
  return "text/plain; charset=utf-8";
}

}  // namespace

struct Service::State {
  Config config;
  httplib::Server server;
  std::vector<std::string> tokens;
  std::mutex mutex;  // guards runs, next_id, the counters
  std::map<std::string, std::unique_ptr<Run>> runs;
  std::uint64_t next_id = 1;
  std::map<int, std::uint64_t> responses;  // by status code
  std::unique_ptr<RunStore> store;         // the runs' records, kept across restarts (guarded by mutex)
  int port = 0;
  int listen_socket = -1;  // seen by the socket options callback, to widen the backlog after bind

  // The caller's token ("" without authentication); writes 401/403 and returns false when refused.
  bool authorize(const httplib::Request& req, httplib::Response& res, std::string& owner) {
    if (tokens.empty()) return true;
    const auto header = req.get_header_value("Authorization");
    if (header.rfind("Bearer ", 0) != 0) {
      res.set_header("WWW-Authenticate", "Bearer");
      problem(res, 401, "a bearer token is required: Authorization: Bearer TOKEN");
      return false;
    }
    owner = header.substr(7);
    if (std::find(tokens.begin(), tokens.end(), owner) == tokens.end()) {
      problem(res, 403, "the token is not one of this service's");
      return false;
    }
    return true;
  }

  // The document of a request body: JSON when it says so (or starts with '{'), else YAML.
  static io::Node document_of(const httplib::Request& req) {
    const auto type = req.get_header_value("Content-Type");
    const auto first = req.body.find_first_not_of(" \t\r\n");
    const bool json =
        type.find("json") != std::string::npos || (first != std::string::npos && req.body[first] == '{');
    return json ? io::read_json(req.body, "request") : io::read_yaml(req.body, "request");
  }

  // The scenario of a request's document, within the service's limits; it may not name files. The loader's
  // memory estimate is held to --max-memory-gbytes (limits.max_memory_gbytes lowered to it), so a scenario
  // too large is refused with a 422 before its network is built.
  // The document with limits.max_memory_gbytes held to the service's --max-memory-gbytes.
  io::Node capped(const io::Node& doc) const {
    io::Node out = doc;
    if (!out.is_map()) return out;
    io::Node limits = out["limits"].is_map() ? out["limits"] : io::Node::map();
    const io::Node& given = limits["max_memory_gbytes"];
    char* end = nullptr;
    const double asked = given.is_scalar() ? std::strtod(given.text().c_str(), &end) : 0;
    const bool number = given.is_scalar() && end != given.text().c_str() && *end == '\0';
    if (!given || (number && asked > config.max_memory_gbytes))
      limits.set("max_memory_gbytes", io::Node::scalar(fmt::format("{}", config.max_memory_gbytes)));
    out.set("limits", limits);
    return out;
  }

  api::Scenario scenario_of(const io::Node& doc) const {
    const std::string source = "request";
    auto sc = io::load_scenario_document(capped(doc), source, -1, false);
    if (sc.topology.hosts.size() > config.max_hosts)
      throw core::InputError(core::Location{source, 0, 0, "topology"},
                             fmt::format("{} hosts: this service runs at most {} (its --max-hosts)",
                                         sc.topology.hosts.size(), config.max_hosts));
    if (sc.cluster.gpus > config.max_gpus)
      throw core::InputError(
          core::Location{source, 0, 0, "cluster"},
          fmt::format("{} GPUs: this service runs at most {}", sc.cluster.gpus, config.max_gpus));
    return sc;
  }

  // The telemetry of a diagnose request's body: ?format=openmetrics (the default), prometheus or csv.
  static telemetry::Dataset telemetry_of(const httplib::Request& req) {
    const std::string format = req.has_param("format") ? req.get_param_value("format") : "openmetrics";
    telemetry::Format f = telemetry::Format::kOpenMetrics;
    if (format == "prometheus") {
      f = telemetry::Format::kPrometheus;
    } else if (format == "csv") {
      f = telemetry::Format::kCsv;
    } else if (format != "openmetrics") {
      throw core::InputError(core::Location{"request", 0, 0, "format"},
                             "expected openmetrics, prometheus or csv, got '" + format + "'");
    }
    std::istringstream in(req.body);
    auto data = telemetry::read_telemetry(in, "request", f, telemetry::Mapping{});
    if (data.series.empty())
      throw core::InputError(core::Location{"request", 0, 0, "body"},
                             "no aifabric port metric in the telemetry (docs/telemetry.md)");
    return data;
  }

  // A plan request within the service's limits: its phases' GPUs, and no job that names a file.
  io::Node plan_of(const io::Node& doc) const {
    const io::Node out = capped(doc);
    const auto req = plan::parse_plan(out, "request");
    if (req.phases_gpus.back() > config.max_gpus)
      throw core::InputError(
          core::Location{"request", 0, 0, "plan.phases"},
          fmt::format("{} GPUs: this service plans at most {}", req.phases_gpus.back(), config.max_gpus));
    const io::Node& jobs = out["jobs"];
    for (std::size_t i = 0; jobs.is_sequence() && i < jobs.size(); ++i)
      if (jobs[i].is_map() && jobs[i]["trace"])
        throw core::InputError(
            core::Location{"request", 0, 0, fmt::format("jobs[{}].trace", i)},
            "traces are files on this machine; a scenario sent over the network cannot name them");
    return out;
  }

  Run* find(const std::string& id, const std::string& owner) {
    const auto it = runs.find(id);
    return it == runs.end() || it->second->owner != owner ? nullptr : it->second.get();
  }

  ordered_json describe(const Run& r) {
    ordered_json j{
        {"id", r.id},
        {"command", r.command},
        {"status", name(r.state)},
        {"progress", {{"simulated_us", core::ps_to_us(r.simulated_ps.load())}, {"events", r.events.load()}}}};
    if (!r.error.empty()) j["error"] = r.error;
    if (r.state == RunState::kSucceeded) {
      j["files"] = manifest_files(r.out);
      j["report"] = fmt::format("/v1/runs/{}/report", r.id);
    }
    return j;
  }

  void execute(Run& r) {
    auto sc = r.scenario;
    const double limit = config.max_run_seconds;
    const std::uint64_t max_events = config.max_events;
    const auto progress = [&r, limit, max_events](core::TimePs simulated, std::uint64_t events) {
      r.simulated_ps = simulated;
      r.events = events;
      if (r.cancel) throw Cancelled{"cancelled"};
      if (events > max_events)
        throw Cancelled{fmt::format(
            "event limit: the run passed {} simulated events (the service's --max-events)", max_events)};
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count() > limit)
        throw Cancelled{fmt::format(
            "time limit: the run took longer than {} s (the service's --max-run-seconds)", limit)};
    };
    sc.run.progress = progress;
    io::ResultFolder folder(r.out, r.command + " (service run " + r.id + ")");
    if (r.command == "simulate") {
      const auto result = api::run(sc);
      r.simulated_ps = result.stats.end_ps;
      r.events = result.stats.events;
      io::write_results(folder.staging(), sc, result);
      auto data = telemetry::from_run(sc, result);
      if (telemetry::write_telemetry_files(folder.staging(), data)) {
        auto last = telemetry::last_samples(std::move(data));
        const std::lock_guard<std::mutex> lock(mutex);
        r.ports = std::move(last);
      }
    } else if (r.command == "diagnose") {
      const auto d = ops::diagnose(r.telemetry);
      io::write_file_atomic(folder.staging() + "/diagnosis.json", ops::diagnosis_json(d));
      io::write_file_atomic(folder.staging() + "/summary.txt", ops::diagnosis_text(d));
    } else if (r.command == "plan") {
      plan::Spread spread;
      spread.prepare = [&](api::Scenario& s) { s.run.progress = progress; };
      plan::write_plan_files(folder.staging(), plan::run_plan(r.plan_request, "request", {}, spread), r.out);
    } else if (r.command == "sweep" || r.command == "whatif") {
      const auto study = whatif::run_study(r.variants, "request", std::nullopt, 0, {}, {},
                                           [&](api::Scenario& s) { s.run.progress = progress; });
      whatif::write_variant_folders(folder.staging(), study);
      const std::string dir = folder.staging();
      if (r.command == "sweep") {
        io::write_file_atomic(dir + "/sweep.csv", whatif::study_csv(study));
      } else {
        io::write_file_atomic(dir + "/whatif.csv", whatif::study_csv(study));
        io::write_file_atomic(dir + "/links.csv", whatif::links_csv(study));
        io::write_file_atomic(dir + "/summary.txt", whatif::whatif_text(study, 0));
      }
    } else if (r.command == "assess") {
      io::write_file_atomic(folder.staging() + "/assess.json", io::assess_json(sc, api::assess(sc)));
    } else {
      const auto rows = api::run_collective_sweep(sc, sc.collective.network);
      io::write_file_atomic(folder.staging() + "/collective.csv", io::collective_csv(sc, rows));
    }
    if (r.cancel) throw Cancelled{"cancelled"};
    folder.commit();
  }

  void work(Run& r) {
    RunState end = RunState::kSucceeded;
    std::string error;
    try {
      execute(r);
    } catch (const Cancelled& c) {
      end = c.why == "cancelled" ? RunState::kCancelled : RunState::kFailed;
      error = c.why;
    } catch (const std::exception& e) {
      end = RunState::kFailed;
      error = e.what();
    }
    const std::lock_guard<std::mutex> lock(mutex);
    r.state = end;
    r.error = error;
    try {
      store->finish(r.number, name(end), error, r.simulated_ps, r.events);
    } catch (const std::exception& e) {
      // The record stays "running" and the next start reports the run failed: never complete by mistake.
      r.error = error.empty() ? e.what() : error + "; " + e.what();
    }
  }

  void routes() {
    server.set_payload_max_length(config.max_body_bytes);
    server.set_tcp_nodelay(true);           // small answers go out at once, not after a delayed ACK
    server.set_keep_alive_max_count(1000);  // a client keeps its connection (the default closes it every 5)
    server.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_socket = sock;
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty())
        problem(res, res.status,
                res.status == 413 ? "the request body is larger than this service accepts"
                                  : "no such route or method (GET /v1/openapi.json lists them)");
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      problem(res, 500, "internal error: " + what);
    });
    server.set_logger([this](const httplib::Request&, const httplib::Response& res) {
      const std::lock_guard<std::mutex> lock(mutex);
      ++responses[res.status];
    });
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      json_reply(res, 200, {{"status", "ok"}});
    });
    server.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      std::string owner;
      if (!authorize(req, res, owner)) return;
      const std::lock_guard<std::mutex> lock(mutex);
      std::string s =
          "# TYPE aifabric_service_responses counter\n"
          "# HELP aifabric_service_responses HTTP responses sent, by status code.\n";
      for (const auto& [code, n] : responses)
        s += fmt::format("aifabric_service_responses_total{{code=\"{}\"}} {}\n", code, n);
      s += "# TYPE aifabric_service_runs gauge\n# HELP aifabric_service_runs Runs known, by status.\n";
      std::map<std::string, std::size_t> by;
      for (auto st : {RunState::kQueued, RunState::kRunning, RunState::kSucceeded, RunState::kFailed,
                      RunState::kCancelled})
        by[name(st)] = 0;
      for (const auto& [id, r] : runs) ++by[name(r->state)];
      for (const auto& [st, n] : by) s += fmt::format("aifabric_service_runs{{status=\"{}\"}} {}\n", st, n);
      // The caller's runs, each with its progress: what a dashboard follows while they run.
      std::string events, simulated;
      for (const auto& [id, r] : runs) {
        if (r->owner != owner) continue;
        const std::string labels =
            fmt::format("run=\"{}\",command=\"{}\",status=\"{}\"", r->id, r->command, name(r->state));
        events += fmt::format("aifabric_service_run_events_total{{{}}} {}\n", labels, r->events.load());
        simulated += fmt::format("aifabric_service_run_simulated_seconds{{{}}} {}\n", labels,
                                 core::ps_to_sec(r->simulated_ps.load()));
      }
      std::vector<std::pair<std::string, const telemetry::Dataset*>> ports;
      for (const auto& [id, r] : runs)
        if (r->owner == owner && r->state == RunState::kSucceeded && !r->ports.series.empty())
          ports.emplace_back(r->id, &r->ports);
      s += telemetry::openmetrics_families(ports);
      s +=
          "# TYPE aifabric_service_run_events counter\n# HELP aifabric_service_run_events Engine events of a "
          "run so far.\n" +
          events +
          "# TYPE aifabric_service_run_simulated_seconds gauge\n# HELP "
          "aifabric_service_run_simulated_seconds "
          "Simulated time a run has reached.\n# UNIT aifabric_service_run_simulated_seconds seconds\n" +
          simulated;
      res.set_content(s + "# EOF\n", "application/openmetrics-text; version=1.0.0; charset=utf-8");
    });
    server.Get("/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) {
      ordered_json paths = ordered_json::object();
      for (const auto& r : kRoutes) {
        ordered_json op{{"summary", r.summary},
                        {"responses", {{"default", {{"description", "see docs/service.md"}}}}}};
        std::string p = r.path;
        if (p.find("{id}") != std::string::npos) {
          op["parameters"] = ordered_json::array();
          op["parameters"].push_back(
              {{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
          if (p.find("{file}") != std::string::npos)
            op["parameters"].push_back(
                {{"name", "file"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
        }
        paths[p][r.method] = op;
      }
      json_reply(
          res, 200,
          {{"openapi", "3.1.0"}, {"info", {{"title", "aifabric"}, {"version", "0.1.0"}}}, {"paths", paths}});
    });
    server.Post("/v1/validate", [this](const httplib::Request& req, httplib::Response& res) {
      std::string owner;
      if (!authorize(req, res, owner)) return;
      try {
        const auto sc = scenario_of(document_of(req));
        json_reply(res, 200,
                   {{"valid", true},
                    {"hosts", sc.topology.hosts.size()},
                    {"switches", sc.topology.switch_count()},
                    {"links", sc.topology.links.size()},
                    {"flows", sc.flows.size()},
                    {"jobs", sc.jobs.size()},
                    {"services", sc.services.size()}});
      } catch (const core::InputError& e) {
        input_problem(res, e);
      }
    });
    server.Post("/v1/runs", [this](const httplib::Request& req, httplib::Response& res) {
      std::string owner;
      if (!authorize(req, res, owner)) return;
      const auto command = req.has_param("command") ? req.get_param_value("command") : "";
      if (command != "simulate" && command != "assess" && command != "collective" && command != "sweep" &&
          command != "whatif" && command != "plan" && command != "diagnose")
        return problem(res, 400,
                       "expected ?command=simulate, assess, collective, sweep, whatif, plan or diagnose",
                       {{"field", "command"}});
      api::Scenario sc;
      std::vector<whatif::Variant> variants;
      io::Node plan_request;
      telemetry::Dataset data;
      try {
        if (command == "diagnose") data = telemetry_of(req);  // the body is telemetry, not a scenario
        const io::Node doc = command == "diagnose" ? io::Node::map() : document_of(req);
        if (command == "plan") {
          plan_request = plan_of(doc);
        } else if (command != "diagnose") {
          sc = scenario_of(doc);
        }
        const std::string field = command == "sweep" ? "vary" : "fail";
        if (command == "sweep") {
          const auto vary = query_values(req, "vary");
          if (vary.empty())
            throw core::InputError(core::Location{"request", 0, 0, "vary"},
                                   "a sweep needs at least one vary=PATH=V1,V2,... parameter");
          variants = whatif::variants(doc, vary);
        } else if (command == "whatif") {
          whatif::Changes changes;
          changes.fail = query_values(req, "fail");
          changes.degrade = query_values(req, "degrade");
          changes.straggler = query_values(req, "straggler");
          changes.load = query_values(req, "load");
          changes.set = query_values(req, "set");
          const auto n_minus_1 = query_values(req, "n_minus_1");
          if (n_minus_1.size() > 1)
            throw core::InputError(core::Location{"request", 0, 0, "n_minus_1"}, "expected one n_minus_1");
          if (!n_minus_1.empty()) changes.n_minus_1 = n_minus_1[0];
          if (changes.empty())
            throw core::InputError(core::Location{"request", 0, 0, "fail"},
                                   "nothing to ask: give fail, degrade, straggler, load, set or n_minus_1");
          variants = whatif::change_variants(doc, sc, changes);
        }
        if (variants.size() > config.max_variants)
          throw core::InputError(core::Location{"request", 0, 0, field},
                                 fmt::format("{} variants: this service runs at most {} in one study",
                                             variants.size(), config.max_variants));
        // Every variant within the limits (and naming no file) before anything runs.
        for (const auto& v : variants) {
          try {
            scenario_of(v.document);
          } catch (const core::InputError& e) {
            throw core::InputError(core::Location{"request", 0, 0, field},
                                   fmt::format("variant {}: {}", v.label, e.what()));
          }
        }
        if (command == "simulate" && sc.flows.empty())
          throw core::InputError(core::Location{"request", 0, 0, "traffic"},
                                 "this scenario has no traffic to simulate");
        if (command == "assess" && sc.jobs.empty() && sc.services.empty())
          throw core::InputError(core::Location{"request", 0, 0, "jobs"},
                                 "this scenario has no jobs or services");
        if (command == "collective" && !sc.collective.present)
          throw core::InputError(core::Location{"request", 0, 0, "collective"},
                                 "this scenario has no collective");
      } catch (const core::InputError& e) {
        return input_problem(res, e);
      }
      const std::lock_guard<std::mutex> lock(mutex);
      std::size_t active = 0;
      for (const auto& [id, r] : runs)
        active += r->state == RunState::kQueued || r->state == RunState::kRunning;
      if (active >= config.max_running) {
        res.set_header("Retry-After", "5");
        return problem(res, 429,
                       fmt::format("{} runs are in progress, the most this service runs at once", active));
      }
      auto run = std::make_unique<Run>();
      run->number = next_id++;
      run->id = fmt::format("r{}", run->number);
      run->owner = owner;
      run->command = command;
      run->out = (fs::path(config.data_dir) / run->id).string();
      run->scenario = std::move(sc);
      run->variants = std::move(variants);
      run->plan_request = std::move(plan_request);
      run->telemetry = std::move(data);
      run->state = RunState::kRunning;
      run->started = std::chrono::steady_clock::now();
      try {
        store->insert({run->number, owner, command, name(run->state), "", 0, 0});
      } catch (const std::exception& e) {
        return problem(res, 500, fmt::format("cannot record the run: {}", e.what()));
      }
      Run& r = *run;
      r.worker = std::thread([this, &r] { work(r); });
      const std::string url = "/v1/runs/" + r.id;
      res.set_header("Location", url);
      json_reply(res, 202, {{"id", r.id}, {"status", name(r.state)}, {"url", url}});
      runs.emplace(r.id, std::move(run));
    });
    server.Get("/v1/runs", [this](const httplib::Request& req, httplib::Response& res) {
      std::string owner;
      if (!authorize(req, res, owner)) return;
      const std::lock_guard<std::mutex> lock(mutex);
      auto list = ordered_json::array();
      for (const auto& [id, r] : runs)
        if (r->owner == owner) list.push_back(describe(*r));
      json_reply(res, 200, {{"runs", list}});
    });
    server.Get(R"(/v1/runs/([A-Za-z0-9]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string owner;
      if (!authorize(req, res, owner)) return;
      const std::lock_guard<std::mutex> lock(mutex);
      const Run* r = find(req.matches[1], owner);
      if (!r) return problem(res, 404, "no such run");
      json_reply(res, 200, describe(*r));
    });
    server.Delete(R"(/v1/runs/([A-Za-z0-9]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string owner;
      if (!authorize(req, res, owner)) return;
      const std::lock_guard<std::mutex> lock(mutex);
      Run* r = find(req.matches[1], owner);
      if (!r) return problem(res, 404, "no such run");
      if (r->state != RunState::kQueued && r->state != RunState::kRunning)
        return problem(res, 409, fmt::format("the run is {}", name(r->state)));
      r->cancel = true;
      json_reply(res, 202, {{"id", r->id}, {"status", "cancelling"}});
    });
    const auto finished = [this](const httplib::Request& req, httplib::Response& res, std::string& out) {
      std::string owner;
      if (!authorize(req, res, owner)) return false;
      const std::lock_guard<std::mutex> lock(mutex);
      const Run* r = find(req.matches[1], owner);
      if (!r) {
        problem(res, 404, "no such run");
        return false;
      }
      if (r->state != RunState::kSucceeded) {
        problem(res, 409,
                fmt::format("the run is {}: results exist only for a run that succeeded", name(r->state)));
        return false;
      }
      out = r->out;
      return true;
    };
    server.Get(R"(/v1/runs/([A-Za-z0-9]+)/results/([A-Za-z0-9_.]+))",
               [finished](const httplib::Request& req, httplib::Response& res) {
                 std::string out;
                 if (!finished(req, res, out)) return;
                 const std::string file = req.matches[2];
                 const auto files = manifest_files(out);
                 if (std::find(files.begin(), files.end(), file) == files.end() && file != "manifest.json")
                   return problem(res, 404, "the run has no such result file", {{"files", files}});
                 std::ifstream in(out + "/" + file, std::ios::binary);
                 std::stringstream buf;
                 buf << in.rdbuf();
                 res.set_content(buf.str(), content_type(file));
               });
    server.Get(R"(/v1/runs/([A-Za-z0-9]+)/report)",
               [finished](const httplib::Request& req, httplib::Response& res) {
                 std::string out;
                 if (!finished(req, res, out)) return;
                 try {
                   res.set_content(report::render_report(out), "text/html; charset=utf-8");
                 } catch (const core::InputError& e) {
                   problem(res, 500, e.what());
                 }
               });
  }
};

Service::Service(Config config) : state_(std::make_unique<State>()) {
  state_->config = std::move(config);
  if (!state_->config.token_file.empty()) {
    std::ifstream in(state_->config.token_file);
    if (!in)
      throw core::InputError(core::Location{state_->config.token_file, 0, 0, "--token-file"},
                             "cannot open the file");
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty() && line[0] != '#') state_->tokens.push_back(line);
    }
    if (state_->tokens.empty())
      throw core::InputError(core::Location{state_->config.token_file, 0, 0, "--token-file"},
                             "expected at least one token, one per line");
  }
  std::error_code ec;
  fs::create_directories(state_->config.data_dir, ec);
  if (ec)
    throw core::InputError(core::Location{state_->config.data_dir, 0, 0, "--data-dir"},
                           "cannot create the folder: " + ec.message());
  try {
    state_->store = std::make_unique<RunStore>((fs::path(state_->config.data_dir) / "runs.sqlite3").string());
  } catch (const std::runtime_error& e) {
    throw core::InputError(core::Location{state_->config.data_dir, 0, 0, "--data-dir"}, e.what());
  }
  for (const auto& rec : state_->store->all()) {
    auto run = std::make_unique<Run>();
    run->number = rec.number;
    run->id = fmt::format("r{}", rec.number);
    run->owner = rec.owner;
    run->command = rec.command;
    run->out = (fs::path(state_->config.data_dir) / run->id).string();
    run->state = rec.state == "succeeded"   ? RunState::kSucceeded
                 : rec.state == "cancelled" ? RunState::kCancelled
                                            : RunState::kFailed;
    run->error = rec.error;
    run->simulated_ps = rec.simulated_ps;
    run->events = rec.events;
    const std::string om = run->out + "/metrics.om";
    if (run->state == RunState::kSucceeded && fs::exists(om)) {
      try {
        run->ports = telemetry::last_samples(
            telemetry::read_telemetry_file(om, telemetry::Format::kOpenMetrics, telemetry::Mapping{}));
      } catch (const core::InputError&) {  // a file edited by hand: the run is served, its ports not scraped
      }
    }
    state_->next_id = std::max(state_->next_id, rec.number + 1);
    state_->runs.emplace(run->id, std::move(run));
  }
  state_->routes();
}

Service::~Service() {
  stop();
  std::vector<Run*> all;
  {
    const std::lock_guard<std::mutex> lock(state_->mutex);
    for (auto& [id, r] : state_->runs) {
      r->cancel = true;
      all.push_back(r.get());
    }
  }
  for (auto* r : all)
    if (r->worker.joinable()) r->worker.join();
}

bool Service::bind() {
  auto& c = state_->config;
  bool bound = false;
  if (c.port == 0) {
    state_->port = state_->server.bind_to_any_port(c.bind);
    bound = state_->port > 0;
  } else {
    state_->port = c.port;
    bound = state_->server.bind_to_port(c.bind, c.port);
  }
  // Debian's cpp-httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed when the library was
  // built): a burst of new connections overflows it, and each dropped SYN waits 1 s for TCP's retransmission.
  // Listening again on the bound socket raises the backlog (Linux, listen(2)).
  if (bound && state_->listen_socket >= 0) ::listen(state_->listen_socket, SOMAXCONN);
  return bound;
}

int Service::port() const {
  return state_->port;
}

void Service::run() {
  state_->server.listen_after_bind();
}

void Service::stop() {
  state_->server.stop();
}

}  // namespace aifabric::service
