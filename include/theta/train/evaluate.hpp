#pragma once
/// \file evaluate_policy: deterministic evaluation of a policy over whole episodes.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/concepts.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace theta {

/// Returns and lengths of evaluation episodes.
struct EvaluationResult {
  std::vector<double> returns;
  std::vector<std::int64_t> lengths;
  double mean_return = 0;
  double std_return = 0;  ///< population standard deviation (as SB3's evaluate_policy)
  double mean_length = 0;
};

/// Runs `episodes` whole episodes of `env` (a copy; its time limit ends them) and returns the
/// undiscounted returns. Episode k starts from `reset(derive_seed(seed, k))`. `act(obs)`
/// returns the environment action for one observation: for a deterministic evaluation it
/// takes the mode of the policy and folds in observation normalisation and action clipping.
/// `max_steps` guards against environments that never end (it throws EnvironmentError).
template <Environment Env, class Act>
EvaluationResult evaluate_policy(Env env, int episodes, std::uint64_t seed, Act&& act,
                                 std::int64_t max_steps = 1'000'000) {
  require<ConfigError>(episodes >= 1, "evaluate_policy: episodes must be >= 1, got {}", episodes);
  EvaluationResult result;
  result.returns.reserve(static_cast<std::size_t>(episodes));
  result.lengths.reserve(static_cast<std::size_t>(episodes));
  for (int k = 0; k < episodes; ++k) {
    typename Env::Observation obs = env.reset(derive_seed(seed, static_cast<std::uint64_t>(k)));
    double total = 0;
    std::int64_t length = 0;
    for (;;) {
      StepResult<typename Env::Observation> step = env.step(act(obs));
      total += step.reward;
      ++length;
      if (step.terminated || step.truncated) break;
      require<EnvironmentError>(length < max_steps,
                                "evaluate_policy: an episode ran {} steps without ending; wrap the environment in "
                                "theta::TimeLimit",
                                length);
      obs = std::move(step.observation);
    }
    result.returns.push_back(total);
    result.lengths.push_back(length);
  }
  double sum = 0, sum_length = 0;
  for (std::size_t k = 0; k < result.returns.size(); ++k) {
    sum += result.returns[k];
    sum_length += static_cast<double>(result.lengths[k]);
  }
  result.mean_return = sum / episodes;
  result.mean_length = sum_length / episodes;
  double var = 0;
  for (const double r : result.returns) var += (r - result.mean_return) * (r - result.mean_return);
  result.std_return = std::sqrt(var / episodes);
  return result;
}

}  // namespace theta
