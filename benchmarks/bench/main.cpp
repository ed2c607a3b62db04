// theta-bench: the benchmark suite. Runs the scenarios of ../shared/TARGETS.md for several
// seeds, each run in its own process (so peak memory is per run and a crash loses one run),
// and reports steps, wall time, speed, final evaluation, solved and solved-at step and time.
// The per-worker scenarios (A3C and its A2C comparators) run once per worker count of
// --workers, and a second table gives their steps/s against the 1-worker run.
//
//   theta-bench --list
//   theta-bench --scenario all --seeds 0,1,2,3,4 --json results.json --csv-dir curves/
//   theta-bench --scenario ppo-cartpole-zoo --scenario a2c-cartpole-zoo --seeds 0
//   theta-bench --scenario a3c-cartpole,a3c-cartpole-a2c --workers 1,2 --seeds 0,1,2,3,4 --json r.json
//   theta-bench --help
//
// Micro-benchmarks (environments, networks, optimizers) are in the separate program
// theta-micro (Google Benchmark), built next to this one.
#include "scenario.hpp"

#include "command_line.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace theta::bench {

std::vector<Scenario>& registry() {
  static std::vector<Scenario> scenarios;
  return scenarios;
}

namespace {

std::string to_json(const RunResult& r) {
  return fmt::format(
      "{{\"scenario\": \"{}\", \"workers\": {}, \"seed\": {}, \"steps\": {}, \"wall_s\": {:.6f}, "
      "\"steps_per_s\": {:.1f}, \"eval_return\": {:.4f}, \"solved\": {}, \"solved_at_step\": {}, "
      "\"solved_at_s\": {}, \"peak_rss_kb\": {}}}",
      r.scenario, r.workers, r.seed, r.steps, r.wall_s, r.steps_per_s, r.eval_return, r.solved ? "true" : "false",
      r.solved_at_step ? std::to_string(*r.solved_at_step) : "null",
      r.solved_at_s ? fmt::format("{:.6f}", *r.solved_at_s) : "null", r.peak_rss_kb);
}

// Reads back the line the child wrote (fields in the order of to_json).
bool from_json(const std::string& line, RunResult& r) {
  char scenario[128] = {};
  char solved[8] = {}, solved_at[32] = {}, solved_at_s[32] = {};
  unsigned long long workers = 0, seed = 0;
  long long steps = 0;
  const int n = std::sscanf(line.c_str(),
                            "{\"scenario\": \"%127[^\"]\", \"workers\": %llu, \"seed\": %llu, \"steps\": %lld, "
                            "\"wall_s\": %lf, \"steps_per_s\": %lf, \"eval_return\": %lf, \"solved\": %7[a-z], "
                            "\"solved_at_step\": %31[0-9a-z], \"solved_at_s\": %31[0-9a-z.]",
                            scenario, &workers, &seed, &steps, &r.wall_s, &r.steps_per_s, &r.eval_return, solved,
                            solved_at, solved_at_s);
  if (n != 10) return false;
  r.scenario = scenario;
  r.workers = static_cast<std::size_t>(workers);
  r.seed = seed;
  r.steps = steps;
  r.solved = std::strcmp(solved, "true") == 0;
  if (std::strcmp(solved_at, "null") != 0) r.solved_at_step = std::atoll(solved_at);
  if (std::strcmp(solved_at_s, "null") != 0) r.solved_at_s = std::atof(solved_at_s);
  return true;
}

// Runs one scenario and seed in a child process; fills peak memory from the child's rusage.
std::optional<RunResult> run_isolated(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int code = 0;
    std::string line;
    try {
      line = to_json(s.run(s, seed, options)) + "\n";
    } catch (const std::exception& e) {
      fmt::print(stderr, "theta-bench: {} seed {} failed: {}\n", run_label(s.id, options.workers), seed, e.what());
      code = 1;
    }
    if (!line.empty() && write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) code = 1;
    close(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  std::string output;
  char buffer[512];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) output.append(buffer, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  RunResult r;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !from_json(output, r)) {
    fmt::print(stderr, "theta-bench: {} seed {} did not complete\n", run_label(s.id, options.workers), seed);
    return std::nullopt;
  }
  r.peak_rss_kb = usage.ru_maxrss;
  return r;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

}  // namespace
}  // namespace theta::bench

int main(int argc, char** argv) {
  using namespace theta::bench;
  // The order of TARGETS.md (registration order across files is unspecified), except that the
  // two long scenarios, SAC with the zoo settings (about 5 minutes for 5 seeds) and PPO on
  // HalfCheetah (about 3), run last: this VM runs 15-20 % slower for minutes after sustained
  // load, and a short scenario's speed should not depend on which long one ran before it.
  const std::vector<std::string> order{"ppo-cartpole-zoo", "ppo-cartpole-cleanrl", "ppo-pendulum-rltools",
                                       "sac-pendulum-rltools", "a2c-cartpole-zoo", "trpo-cartpole-zoo",
                                       "trpo-pendulum", "reinforce-cartpole", "a3c-cartpole", "a3c-cartpole-throughput",
                                       "a3c-cartpole-a2c",
                                       "a3c-pendulum", "a3c-pendulum-a2c", "sac-pendulum-zoo", "ppo-halfcheetah"};
  const auto rank = [&](const Scenario& s) {
    return std::find(order.begin(), order.end(), s.id) - order.begin();
  };
  std::stable_sort(registry().begin(), registry().end(),
                   [&](const Scenario& a, const Scenario& b) { return rank(a) < rank(b); });
  std::vector<std::string> wanted;
  std::vector<std::uint64_t> seeds{0, 1, 2, 3, 4};
  std::vector<std::uint64_t> workers{2};
  std::optional<std::filesystem::path> json_path;
  RunOptions options;
  bool list = false;
  theta::examples::CommandLine cli("theta-bench", "theta's benchmark suite: each scenario and seed in its own process");
  cli.add("--list", list, "print the scenarios and exit");
  cli.add("--scenario", wanted, "ID", "scenarios to run, or all (comma-separated or repeated)");
  cli.add("--seeds", seeds, "S,S,...", "seeds of every scenario");
  cli.add("--workers", workers, "W,W,...",
          "worker counts of the per-worker scenarios (A3C's workers, the A2C comparators' environments); each runs "
          "once per count and seed",
          {.min = 1});
  cli.add("--json", json_path, "FILE", "write every run's result to FILE");
  cli.add("--csv-dir", options.csv_dir, "DIR", "write learning curves to DIR (one CSV per run, replaced if present)");
  cli.parse(argc, argv);
  if (list) {
    for (const auto& s : registry()) fmt::print("{:<24} {}{}\n", s.id, s.description, s.per_worker ? " [--workers]" : "");
    return 0;
  }
  if (wanted.empty()) cli.fail("--scenario is required (--list names them)");
  std::vector<const Scenario*> selected;
  for (const auto& id : wanted) {
    if (id == "all") {
      for (const auto& s : registry()) selected.push_back(&s);
      continue;
    }
    const auto it = std::find_if(registry().begin(), registry().end(), [&](const Scenario& s) { return s.id == id; });
    if (it == registry().end()) cli.fail(fmt::format("--scenario: unknown scenario '{}' (see --list)", id));
    selected.push_back(&*it);
  }
  if (options.csv_dir) std::filesystem::create_directories(*options.csv_dir);

  const auto suite_start = std::chrono::steady_clock::now();
  std::vector<RunResult> results;
  const auto worker_counts = [&](const Scenario& s) {
    return s.per_worker ? std::vector<std::size_t>(workers.begin(), workers.end()) : std::vector<std::size_t>{0};
  };
  std::size_t total = 0;
  for (const Scenario* s : selected) total += seeds.size() * worker_counts(*s).size();
  std::size_t done = 0;
  bool failed = false;
  for (const Scenario* s : selected) {
    for (const std::uint64_t seed : seeds) {
      // Worker counts innermost: the runs whose speeds are compared follow each other.
      for (const std::size_t w : worker_counts(*s)) {
        options.workers = w;
        fmt::print(stderr, "[{}/{}] {} seed {} ({} steps)\n", ++done, total, run_label(s->id, w), seed, s->steps);
        const auto r = run_isolated(*s, seed, options);
        if (!r) {
          failed = true;
          continue;
        }
        fmt::print(stderr, "        {:.2f} s, {:.0f} steps/s, eval {:.1f}{}\n", r->wall_s, r->steps_per_s,
                   r->eval_return, r->solved ? " (solved)" : "");
        results.push_back(*r);
      }
    }
  }
  const double suite_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - suite_start).count();

  // ---- table of medians over seeds, one row per scenario (and worker count)
  fmt::print("\n{:<26} {:>7} {:>9} {:>11} {:>10} {:>7} {:>10} {:>9} {:>8}  {}\n", "scenario", "steps", "wall_s",
             "steps/s", "eval", "solved", "solved_at", "solved_s", "rss_MB", "target");
  for (const Scenario* s : selected) {
    for (const std::size_t w : worker_counts(*s)) {
      std::vector<double> wall, speed, eval, at, at_s, rss;
      int solved = 0, n = 0;
      for (const auto& r : results) {
        if (r.scenario != s->id || r.workers != w) continue;
        ++n;
        wall.push_back(r.wall_s);
        speed.push_back(r.steps_per_s);
        eval.push_back(r.eval_return);
        rss.push_back(static_cast<double>(r.peak_rss_kb) / 1024.0);
        solved += r.solved;
        if (r.solved_at_step) at.push_back(static_cast<double>(*r.solved_at_step));
        if (r.solved_at_s) at_s.push_back(*r.solved_at_s);
      }
      if (n == 0) continue;
      fmt::print("{:<26} {:>7} {:>9.2f} {:>11.0f} {:>10.1f} {:>4}/{:<2} {:>10} {:>9} {:>8.1f}  {}\n",
                 run_label(s->id, w), s->steps, median(wall), median(speed), median(eval), solved, n,
                 at.empty() ? std::string("-") : fmt::format("{:.0f}", median(at)),
                 at_s.empty() ? std::string("-") : fmt::format("{:.2f}", median(at_s)), median(rss), s->target);
    }
  }
  fmt::print("\n{} runs in {:.1f} s (medians over seeds; wall_s excludes periodic evaluations; solved_at and "
             "solved_s over the runs that reached the threshold)\n",
             results.size(), suite_s);

  // ---- scaling of the per-worker scenarios: steps/s against the 1-worker run of the same seed
  bool scaling_header = false;
  for (const Scenario* s : selected) {
    if (!s->per_worker) continue;
    for (const std::size_t w : worker_counts(*s)) {
      std::vector<double> speed, ratio;
      for (const auto& r : results) {
        if (r.scenario != s->id || r.workers != w) continue;
        speed.push_back(r.steps_per_s);
        const auto one = std::find_if(results.begin(), results.end(), [&](const RunResult& o) {
          return o.scenario == r.scenario && o.seed == r.seed && o.workers == 1;
        });
        if (one != results.end()) ratio.push_back(r.steps_per_s / one->steps_per_s);
      }
      if (speed.empty()) continue;
      if (!scaling_header) {
        fmt::print("\n{:<26} {:>8} {:>11} {:>11}\n", "per worker count", "workers", "steps/s", "x 1 worker");
        scaling_header = true;
      }
      fmt::print("{:<26} {:>8} {:>11.0f} {:>11}\n", s->id, w, median(speed),
                 ratio.empty() ? std::string("-") : fmt::format("{:.2f}", median(ratio)));
    }
  }
  if (scaling_header) fmt::print("(medians over seeds; the ratio is taken per seed, against the run with 1 worker)\n");

  if (json_path) {
    std::ofstream out(*json_path);
    out << "[\n";
    for (std::size_t i = 0; i < results.size(); ++i) out << "  " << to_json(results[i]) << (i + 1 < results.size() ? ",\n" : "\n");
    out << "]\n";
    if (!out) {
      fmt::print(stderr, "theta-bench: could not write {}\n", json_path->string());
      return 1;
    }
  }
  return failed ? 1 : 0;
}
