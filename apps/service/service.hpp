#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

// `aifabric serve`: the HTTP service (docs/service.md). As thin as the CLI: parse the request, call the same
// loader, runs and writers, render JSON, files or the HTML report. Errors are RFC 9457 problem+json.
namespace aifabric::service {

struct Config {
  std::string bind = "127.0.0.1";
  int port = 8080;                                    // 0: any free port (see Service::port)
  std::string token_file;                             // one bearer token per line; empty: no authentication
  std::string data_dir = "aifabric-runs";             // one result folder per run
  std::size_t max_body_bytes = std::size_t{4} << 20;  // larger requests: 413
  unsigned max_running = 2;                           // runs at once; more: 429 with Retry-After
  double max_run_seconds = 600;                       // longer runs fail ("time limit")
  std::uint64_t max_hosts = 65536;                    // larger scenarios: 422 before anything runs
  std::uint64_t max_gpus = 131072;
  std::size_t max_variants = 256;  // of one sweep; more: 422
  double max_memory_gbytes = 4;    // the loader's estimate of a scenario's memory; more: 422
  std::uint64_t max_events = std::uint64_t{1}
                             << 36;  // engine events of one run (checked as it goes); more: fails
};

class Service {
 public:
  explicit Service(Config config);  // reads the token file (an InputError if it cannot)
  ~Service();                       // stops listening, cancels runs and waits for them
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  // Binds the address; false when it cannot (the port is taken). Then port() is the bound port.
  bool bind();
  int port() const;
  // Serves until stop(); call after bind().
  void run();
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace aifabric::service
