#pragma once
// The benchmark suite's scenario type and the generic runner shared by every scenario.

#include <theta/theta.hpp>

#include <chrono>
#include <cstddef>
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
  /// The worker count of a per-worker scenario (A3C's workers, the A2C comparator's n_envs);
  /// 0 for every other scenario.
  std::size_t workers = 0;
  std::int64_t steps = 0;
  double wall_s = 0;           ///< training time, periodic evaluations excluded
  /// Steps per second of training time. An asynchronous trainer's workers finish the turns they
  /// are in when the calling thread starts to evaluate (then wait for it): those steps are left
  /// out together with the evaluation time.
  double steps_per_s = 0;
  double eval_return = 0;      ///< deterministic evaluation over 20 episodes at the end
  bool solved = false;         ///< eval_return >= threshold
  std::optional<std::int64_t> solved_at_step;  ///< first periodic evaluation at or above the threshold
  std::optional<double> solved_at_s;  ///< training time when that evaluation began (evaluations excluded)
  long peak_rss_kb = 0;        ///< filled by the parent process
};

struct RunOptions {
  std::optional<std::filesystem::path> csv_dir;  ///< learning curve CSVs go here when set
  std::size_t workers = 0;  ///< the worker count of a per-worker scenario's run (theta-bench --workers), else 0
};

struct Scenario {
  std::string id;
  std::string description;
  std::int64_t steps = 0;
  double threshold = 0;
  std::string target;  ///< "theta must reach" of TARGETS.md, for the table
  std::function<RunResult(const Scenario&, std::uint64_t seed, const RunOptions&)> run;
  /// Runs once per worker count of `theta-bench --workers` (RunOptions::workers): A3C and the
  /// A2C comparators with as many environments.
  bool per_worker = false;
};

/// A run's name in tables, curves and JSON groups: the id, and `.wN` for a per-worker run.
inline std::string run_label(const std::string& id, std::size_t workers) {
  return workers > 0 ? id + ".w" + std::to_string(workers) : id;
}

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
    sink.csv.emplace(*options.csv_dir / (run_label(s.id, options.workers) + "_seed" + std::to_string(seed) + ".csv"),
                     std::vector<std::string>{"rollout/ep_rew_mean", "rollout/ep_len_mean", "eval/mean_reward",
                                              "eval/std_reward", "eval/confirmed_mean_reward", "time/fps"},
                     CsvMode::overwrite);
  }
  return sink;
}

/// EvalCallback plus the clock: the training time (evaluations excluded) at which the first
/// evaluation at or above the threshold began, and the steps an asynchronous trainer's workers
/// took in an evaluating record (the turns they finish before they wait; 0 for the synchronous
/// trainers).
struct TimedEvalCallback {
  EvalCallback eval;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::optional<double> solved_at_s;
  std::int64_t steps_during_evaluations = 0;

  template <class Trainer>
  bool on_update_end(Trainer& trainer, LogRecord& record) {
    const std::size_t evaluations = eval.history.size();
    const double evaluating_before = eval.seconds;
    const std::int64_t steps_before = trainer.steps();
    const double since_start = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool solved_before = eval.solved_at_step.has_value();
    const bool go_on = eval.on_update_end(trainer, record);
    if (eval.history.size() != evaluations) {
      steps_during_evaluations += trainer.steps() - steps_before;
      if (!solved_before && eval.solved_at_step) solved_at_s = since_start - evaluating_before;
    }
    return go_on;
  }
};

/// Trains with a trainer (on-policy, off-policy or asynchronous), evaluating every
/// `eval_every` steps over 20 episodes without stopping (or, with `stop_when_solved`, until
/// an evaluation reaches the threshold, confirmed over `confirm_episodes` more when > 0:
/// EvalCallback), then evaluates deterministically over 20 other episodes.
template <class Trainer>
RunResult run_trainer(Trainer& trainer, const Scenario& s, std::uint64_t seed, const RunOptions& options,
                      std::int64_t eval_every, bool stop_when_solved = false, int confirm_episodes = 0) {
  TimedEvalCallback timed{.eval = {.every_steps = eval_every,
                                   .episodes = 20,
                                   .stop_at_reward = s.threshold,
                                   .keep_training_when_solved = !stop_when_solved,
                                   .confirm_episodes = confirm_episodes}};
  auto logger = MultiLogger(ProgressBar(s.steps, stderr, 10.0), make_csv(s, seed, options));
  timed.start = std::chrono::steady_clock::now();
  const TrainingResult trained = trainer.learn(s.steps, std::move(logger), timed);
  const EvaluationResult final_eval = trainer.evaluate(20, derive_seed(seed, 0xe7a1));
  RunResult r;
  r.scenario = s.id;
  r.seed = seed;
  r.workers = options.workers;
  r.steps = trained.steps;
  r.wall_s = trained.seconds - timed.eval.seconds;
  r.steps_per_s = static_cast<double>(trained.steps - timed.steps_during_evaluations) / r.wall_s;
  r.eval_return = final_eval.mean_return;
  r.solved = final_eval.mean_return >= s.threshold;
  r.solved_at_step = timed.eval.solved_at_step;
  r.solved_at_s = timed.solved_at_s;
  return r;
}

/// The registry, filled by the scenario files.
std::vector<Scenario>& registry();

}  // namespace theta::bench
