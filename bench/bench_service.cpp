// The HTTP service under load: 500 POST /v1/validate requests of the README's cluster scenario from 8 client
// threads over loopback, against the same 500 validations called in-process on 8 threads (the reference run,
// in the same invocation). Prints requests/s, p50, p99 and max latency, failures, and the HTTP cost as a
// ratio.
#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "api/parallel.hpp"
#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"
#include "service.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int kRequests = 500, kClients = 8;

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0
                   : v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main() {
  using namespace aifabric;
  const std::string scenario = io::scenario_text("example:llama70b_h100_256");
  // Reference: the validations alone, in-process.
  const auto r0 = clock_type::now();
  api::parallel_for(kRequests, kClients, [&](std::size_t) {
    io::load_scenario_document(io::read_yaml(scenario, "bench"), "bench");
  });
  const double direct_s = std::chrono::duration<double>(clock_type::now() - r0).count();

  service::Config cfg;
  cfg.port = 0;
  cfg.data_dir = (std::filesystem::temp_directory_path() / "aifabric_bench_service").string();
  service::Service svc(cfg);
  if (!svc.bind()) {
    fmt::print(stderr, "cannot bind a loopback port\n");
    return 1;
  }
  std::thread server([&] { svc.run(); });
  {
    httplib::Client warm("127.0.0.1", svc.port());
    for (int i = 0; i < 100 && !warm.Get("/healthz"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<double> latency_ms;
  std::mutex m;
  std::atomic<int> failures{0};
  const auto t0 = clock_type::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", svc.port());
      cli.set_tcp_nodelay(true);
      cli.set_keep_alive(true);
      std::vector<double> mine;
      for (int i = c; i < kRequests; i += kClients) {
        const auto s = clock_type::now();
        const auto r = cli.Post("/v1/validate", scenario, "application/yaml");
        mine.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - s).count());
        if (!r || r->status != 200) ++failures;
      }
      const std::lock_guard<std::mutex> lock(m);
      latency_ms.insert(latency_ms.end(), mine.begin(), mine.end());
    });
  for (auto& t : clients) t.join();
  const double http_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  svc.stop();
  server.join();
  fmt::print("POST /v1/validate, example:llama70b_h100_256 ({} B), {} requests from {} client threads\n",
             scenario.size(), kRequests, kClients);
  fmt::print("  reference: the validations in-process   {:8.3f} s   {:8.0f} per s\n", direct_s,
             kRequests / direct_s);
  fmt::print(
      "  over HTTP (loopback)                    {:8.3f} s   {:8.0f} requests/s   p50 {:.2f} ms   p99 {:.2f} "
      "ms   "
      "max {:.2f} ms   {} failures   {:.2f}x the reference's time\n",
      http_s, kRequests / http_s, percentile(latency_ms, 0.5), percentile(latency_ms, 0.99),
      percentile(latency_ms, 1.0), failures.load(), http_s / direct_s);
  return failures == 0 ? 0 : 1;
}
