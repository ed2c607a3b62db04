#pragma once
/// \file Callbacks for the trainers: periodic evaluation and stopping at a reward threshold.
///
/// A callback is any object with some of these members (each returns false to stop training):
///
///     bool on_step(Trainer& trainer);                            // after every vector step
///     bool on_rollout_end(Trainer& trainer);                     // after a rollout is collected
///     bool on_update_end(Trainer& trainer, theta::LogRecord& r); // after an update, before logging
///
/// The trainers take them as a parameter pack (`trainer.learn(steps, logger, eval, stop)`), so
/// there is no virtual call and no allocation; a member that is absent is never called.

#include <theta/core/error.hpp>
#include <theta/log/logger.hpp>
#include <theta/train/evaluate.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace theta {

/// Evaluates the deterministic policy every `every_steps` environment steps (checked after
/// each update) over `episodes` episodes, logs `eval/mean_reward`, `eval/std_reward` and
/// `eval/mean_ep_length` (and `eval/confirmed_mean_reward` after a confirmation), keeps the
/// history, and, with `stop_at_reward`, stops training the first time the mean reaches it
/// (`solved_at_step` remembers when). With `confirm_episodes`,
/// an evaluation that reaches it is confirmed first: the same policy plays that many more
/// episodes (fresh seeds), and training stops only if the mean over all of them reaches the
/// threshold too (20 + 80 is Gymnasium's "average over 100 consecutive episodes"). A 20-episode
/// mean that just reaches a threshold often comes from a policy that scores below it on other
/// episodes; the confirmation keeps such a policy training.
///
///     theta::EvalCallback eval{.every_steps = 10'000, .episodes = 20, .stop_at_reward = 475.0};
///     trainer.learn(100'000, logger, eval);
struct EvalCallback {
  std::int64_t every_steps = 10'000;     ///< evaluation period in environment steps
  int episodes = 20;                     ///< episodes per evaluation
  std::optional<double> stop_at_reward;  ///< stop once the mean return reaches this
  bool keep_training_when_solved = false; ///< only record solved_at_step, do not stop (benchmarks)
  int confirm_episodes = 0;              ///< with stop_at_reward: more episodes that confirm a solve, >= 0

  struct Point {
    std::int64_t step;
    double mean_return;
    double std_return;
  };
  std::vector<Point> history;                 ///< every evaluation so far
  std::optional<std::int64_t> solved_at_step; ///< first step whose evaluation reached stop_at_reward (confirmed)
  int confirmations_failed = 0;               ///< evaluations that reached it and were not confirmed
  std::int64_t next_evaluation_step = 0;      ///< the first update at or after it evaluates (0: every_steps)
  double seconds = 0;                         ///< wall time spent evaluating (to subtract from training time)

  template <class Trainer>
  bool on_update_end(Trainer& trainer, LogRecord& record) {
    if (next_evaluation_step == 0) {
      require<ConfigError>(confirm_episodes >= 0, "EvalCallback::confirm_episodes must be >= 0, got {}",
                           confirm_episodes);
      next_evaluation_step = every_steps;
    }
    if (trainer.steps() < next_evaluation_step) return true;
    next_evaluation_step = trainer.steps() + every_steps;
    const auto start = std::chrono::steady_clock::now();
    const EvaluationResult result = trainer.evaluate(episodes);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    history.push_back({trainer.steps(), result.mean_return, result.std_return});
    record.set("eval/mean_reward", result.mean_return);
    record.set("eval/std_reward", result.std_return);
    record.set("eval/mean_ep_length", result.mean_length);
    if (!stop_at_reward || result.mean_return < *stop_at_reward) return true;
    if (confirm_episodes > 0 && !solved_at_step) {  // (keep_training_when_solved: confirmed once)
      const auto confirm_start = std::chrono::steady_clock::now();
      const EvaluationResult more = trainer.evaluate(confirm_episodes);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - confirm_start).count();
      const double mean = (result.mean_return * episodes + more.mean_return * confirm_episodes) /
                          static_cast<double>(episodes + confirm_episodes);
      record.set("eval/confirmed_mean_reward", mean);
      if (mean < *stop_at_reward) {
        ++confirmations_failed;
        return true;
      }
    }
    if (!solved_at_step) solved_at_step = trainer.steps();
    return keep_training_when_solved;
  }
};

/// Stops training once the mean return of the last `window` training episodes reaches
/// `threshold` (the zoo's "training mean >= 475" criterion for CartPole).
struct StopOnTrainingReward {
  double threshold = 0;
  std::size_t window = 100;
  std::optional<std::int64_t> reached_at_step;  ///< when it stopped training

  template <class Trainer>
  bool on_update_end(Trainer& trainer, LogRecord&) {
    if (trainer.episodes_finished() < static_cast<std::int64_t>(window)) return true;
    if (trainer.recent_mean_return(window) >= threshold) {
      reached_at_step = trainer.steps();
      return false;
    }
    return true;
  }
};

}  // namespace theta
