#pragma once
/// \file evaluate_policy: deterministic evaluation of a policy over whole episodes.

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/env/concepts.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
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

namespace detail {

// One episode per k = 0 .. episodes - 1, from `reset(seed_of(k))`; the rest as evaluate_policy.
template <Environment Env, class SeedOf, class Act>
EvaluationResult run_evaluation(Env& env, std::size_t episodes, SeedOf&& seed_of, Act&& act, std::int64_t max_steps) {
  require<ConfigError>(episodes >= 1, "evaluate_policy: at least one episode is needed, got {}", episodes);
  EvaluationResult result;
  result.returns.reserve(episodes);
  result.lengths.reserve(episodes);
  using Observation = typename Env::Observation;
  constexpr bool takes_mask = MaskedEnvironment<Env> && std::invocable<Act&, const Observation&, std::span<const bool>>;
  Index mask_size = 0;
  if constexpr (takes_mask) mask_size = action_mask_size(env);
  [[maybe_unused]] const auto action_space = env.action_space();
  const std::unique_ptr<bool[]> mask(new bool[static_cast<std::size_t>(mask_size)]);
  for (std::size_t k = 0; k < episodes; ++k) {
    Observation obs = env.reset(seed_of(k));
    double total = 0;
    std::int64_t length = 0;
    for (;;) {
      const auto action = [&] {
        if constexpr (takes_mask) {
          const std::span<bool> valid(mask.get(), static_cast<std::size_t>(mask_size));
          std::fill(valid.begin(), valid.end(), false);
          env.action_mask(valid);
          const Index dimension = dimension_without_valid_action(action_space, valid);
          if constexpr (MultiDiscreteEnvironment<Env>) {
            require<EnvironmentError>(dimension < 0,
                                      "evaluate_policy: the environment has no valid action in dimension {} at step {} "
                                      "of episode {}: its entries of action_mask() are all false",
                                      dimension, length, k);
          } else {
            require<EnvironmentError>(dimension < 0,
                                      "evaluate_policy: the environment has no valid action at step {} of episode {}: "
                                      "every entry of its action_mask() is false",
                                      length, k);
          }
          return act(obs, std::span<const bool>(valid));
        } else {
          return act(obs);
        }
      }();
      StepResult<Observation> step = env.step(action);
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
  const auto n = static_cast<double>(episodes);
  double sum = 0, sum_length = 0;
  for (std::size_t k = 0; k < result.returns.size(); ++k) {
    sum += result.returns[k];
    sum_length += static_cast<double>(result.lengths[k]);
  }
  result.mean_return = sum / n;
  result.mean_length = sum_length / n;
  double var = 0;
  for (const double r : result.returns) var += (r - result.mean_return) * (r - result.mean_return);
  result.std_return = std::sqrt(var / n);
  return result;
}

}  // namespace detail

/// Runs `episodes` whole episodes of `env` (a copy; its time limit ends them) and returns the
/// undiscounted returns. Episode k starts from `reset(derive_seed(seed, k))`. `act(obs)`
/// returns the environment action for one observation: for a deterministic evaluation it
/// takes the mode of the policy and folds in observation normalisation and action clipping
/// (a trainer's `predict`). `max_steps` guards against environments that never end (it throws
/// EnvironmentError). For a `MaskedEnvironment`, an `act(obs, valid)` that also takes a
/// `std::span<const bool>` gets the state's `action_mask` (what the trainers' `evaluate` pass);
/// a mask without a valid action (in some dimension of a `MultiDiscrete` space) throws
/// EnvironmentError naming the step (and the dimension).
///
///     auto r = theta::evaluate_policy(env, 10, 7, [&](const auto& obs) { return trainer.predict(obs); });
template <Environment Env, class Act>
EvaluationResult evaluate_policy(Env env, int episodes, std::uint64_t seed, Act&& act,
                                 std::int64_t max_steps = 1'000'000) {
  require<ConfigError>(episodes >= 1, "evaluate_policy: episodes must be >= 1, got {}", episodes);
  return detail::run_evaluation(
      env, static_cast<std::size_t>(episodes),
      [seed](std::size_t k) { return derive_seed(seed, static_cast<std::uint64_t>(k)); }, act, max_steps);
}

/// The same with an explicit seed per episode: episode k starts from `reset(episode_seeds[k])`,
/// one episode per seed, in order (to compare two policies on the very same starts).
///
///     const std::vector<std::uint64_t> seeds{1, 2, 3};
///     auto r = theta::evaluate_policy(env, seeds, [&](const auto& obs) { return trainer.predict(obs); });
template <Environment Env, class Act>
EvaluationResult evaluate_policy(Env env, std::span<const std::uint64_t> episode_seeds, Act&& act,
                                 std::int64_t max_steps = 1'000'000) {
  require<ConfigError>(!episode_seeds.empty(), "evaluate_policy: episode_seeds must not be empty");
  return detail::run_evaluation(
      env, episode_seeds.size(), [episode_seeds](std::size_t k) { return episode_seeds[k]; }, act, max_steps);
}

/// `evaluate_policy` for a policy that carries a state from step to step (a recurrent policy,
/// `inference::Policy` of a recurrent actor, a trainer's `predict` with a recurrent actor):
/// `start_episode()` is called before each episode's reset, to zero the state
/// (`[&] { trainer.reset_prediction(); }`, `[&] { policy.reset(); }`). The same episode seeds
/// as `evaluate_policy(env, episodes, seed, act)`.
///
///     auto r = theta::evaluate_stateful_policy(env, 10, 7, [&] { policy.reset(); },
///                                              [&](const auto& obs) { return policy.predict_index(obs); });
template <Environment Env, class StartEpisode, class Act>
EvaluationResult evaluate_stateful_policy(Env env, int episodes, std::uint64_t seed, StartEpisode&& start_episode,
                                          Act&& act, std::int64_t max_steps = 1'000'000) {
  require<ConfigError>(episodes >= 1, "evaluate_policy: episodes must be >= 1, got {}", episodes);
  return detail::run_evaluation(
      env, static_cast<std::size_t>(episodes),
      [&](std::size_t k) {
        start_episode();
        return derive_seed(seed, static_cast<std::uint64_t>(k));
      },
      act, max_steps);
}

/// The same with an explicit seed per episode.
template <Environment Env, class StartEpisode, class Act>
EvaluationResult evaluate_stateful_policy(Env env, std::span<const std::uint64_t> episode_seeds,
                                          StartEpisode&& start_episode, Act&& act,
                                          std::int64_t max_steps = 1'000'000) {
  require<ConfigError>(!episode_seeds.empty(), "evaluate_policy: episode_seeds must not be empty");
  return detail::run_evaluation(
      env, episode_seeds.size(),
      [&](std::size_t k) {
        start_episode();
        return episode_seeds[k];
      },
      act, max_steps);
}

}  // namespace theta
