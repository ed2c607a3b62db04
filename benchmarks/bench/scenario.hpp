#pragma once
// The benchmark suite's scenario type and the generic runner shared by every scenario.

#include <theta/theta.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace theta::bench {

/// What one run of one scenario produced (one JSON object of the report).
struct RunResult {
  std::string scenario;
  std::uint64_t seed = 0;
  std::int64_t steps = 0;
  double wall_s = 0;           ///< training time, periodic evaluations excluded
  double steps_per_s = 0;
  double eval_return = 0;      ///< deterministic evaluation over 20 episodes at the end
  bool solved = false;         ///< eval_return >= threshold
  std::optional<std::int64_t> solved_at_step;  ///< first periodic evaluation at or above the threshold
  long peak_rss_kb = 0;        ///< filled by the parent process
};

struct RunOptions {
  std::optional<std::filesystem::path> csv_dir;  ///< learning curve CSVs go here when set
};

struct Scenario {
  std::string id;
  std::string description;
  std::int64_t steps = 0;
  double threshold = 0;
  std::string target;  ///< "theta must reach" of TARGETS.md, for the table
  std::function<RunResult(const Scenario&, std::uint64_t seed, const RunOptions&)> run;
};

/// A CSV sink that may be absent.
struct OptionalCsv {
  std::optional<CsvLogger> csv;
  void write(const LogRecord& record, std::int64_t step) {
    if (csv) csv->write(record, step);
  }
  void close() {
    if (csv) csv->close();
  }
};

inline OptionalCsv make_csv(const Scenario& s, std::uint64_t seed, const RunOptions& options) {
  OptionalCsv sink;
  if (options.csv_dir) {
    // A rerun of the suite into the same --csv-dir replaces its curves (one file per scenario and seed).
    sink.csv.emplace(*options.csv_dir / (s.id + "_seed" + std::to_string(seed) + ".csv"),
                     std::vector<std::string>{"rollout/ep_rew_mean", "rollout/ep_len_mean", "eval/mean_reward",
                                              "eval/std_reward", "time/fps"},
                     CsvMode::overwrite);
  }
  return sink;
}

/// Trains with a trainer (on- or off-policy), evaluating every `eval_every` steps over 20
/// episodes without stopping, then evaluates deterministically over 20 episodes.
template <class Trainer>
RunResult run_trainer(Trainer& trainer, const Scenario& s, std::uint64_t seed, const RunOptions& options,
                      std::int64_t eval_every) {
  EvalCallback eval{.every_steps = eval_every,
                    .episodes = 20,
                    .stop_at_reward = s.threshold,
                    .keep_training_when_solved = true};
  const TrainingResult trained =
      trainer.learn(s.steps, MultiLogger(ProgressBar(s.steps, stderr, 10.0), make_csv(s, seed, options)), eval);
  const EvaluationResult final_eval = trainer.evaluate(20, derive_seed(seed, 0xe7a1));
  RunResult r;
  r.scenario = s.id;
  r.seed = seed;
  r.steps = trained.steps;
  r.wall_s = trained.seconds - eval.seconds;
  r.steps_per_s = static_cast<double>(trained.steps) / r.wall_s;
  r.eval_return = final_eval.mean_return;
  r.solved = final_eval.mean_return >= s.threshold;
  r.solved_at_step = eval.solved_at_step;
  return r;
}

/// The registry, filled by the scenario files.
std::vector<Scenario>& registry();

}  // namespace theta::bench
