#pragma once
/// \file OnPolicyConfig: the settings of the on-policy trainer itself, shared by every on-policy
/// algorithm (whose own settings are in its `Config`).

#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/vector_env.hpp>
#include <theta/normalize/observation_normalizer.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

namespace theta {

/// The on-policy trainer's configuration: collection, discount, schedule horizon,
/// normalisation and seed, held once for every algorithm.
///
///     theta::OnPolicyConfig trainer{.n_envs = 8, .n_steps = 32, .gamma = 0.98, .gae_lambda = 0.8,
///                                   .total_steps = 100'000};
struct OnPolicyConfig {
  // ---- collection
  Index n_envs = 1;                   ///< environment copies stepped together, >= 1
  std::optional<Index> n_steps;       ///< steps per copy per rollout (default: the algorithm's, PPO/TRPO 2048, A2C 5, REINFORCE 10,000)
  double gamma = 0.99;                ///< discount, in [0, 1]
  /// GAE's lambda, in [0, 1], for an estimator built from it (`Gae`; default: the
  /// algorithm's, PPO/TRPO 0.95, A2C 1); an estimator that takes none rejects a value here.
  std::optional<double> gae_lambda;
  // ---- schedules
  /// The step budget that schedules count toward: progress_remaining = 1 - steps / total_steps,
  /// counted from the trainer's first step over every `learn` call, so `learn(a); learn(b)`
  /// trains exactly as `learn(a + b)`. 0: the target of the first `learn` call.
  std::int64_t total_steps = 0;
  // ---- normalisation (owned by the trainer; see docs/algorithms/ppo.md)
  bool normalize_observations = false;  ///< running mean/std of observations, clipped
  ObservationNormalizerConfig observation_normalizer;  ///< clip 10, epsilon 1e-8
  /// Environment steps during which observations update the normaliser's statistics, which
  /// then freeze (RLtools updates them during one warm-up rollout); 0: they never freeze (SB3).
  std::int64_t observation_statistics_steps = 0;
  bool normalize_rewards = false;       ///< divide rewards by the std of the discounted return
  double reward_clip = 10.0;            ///< bound of scaled rewards, > 0
  // ---- bookkeeping
  std::size_t stats_window = 100;       ///< episodes averaged in rollout/ep_rew_mean, >= 1
  VectorEnvOptions env;                 ///< threads stepping the environment copies
  /// After every update, require its losses and gradient norm and every gradient and parameter
  /// of the actor and the critic to be finite, else raise NumericalError naming the algorithm,
  /// the tensor and the update (a diverged run stops there instead of training NaN).
  bool check_numerics = true;
  // ---- reproducibility
  std::uint64_t seed = 0;               ///< every random stream of a run derives from it
};

/// Checks every field of `config` with the algorithm's default n_steps filled in; throws
/// ConfigError naming the field. Returns n_steps.
inline Index validate(const OnPolicyConfig& c, Index n_steps) {
  detail::require_at_least("OnPolicyConfig::n_envs", c.n_envs, 1);
  detail::require_at_least("OnPolicyConfig::n_steps", n_steps, 1);
  // n_steps * n_envs is the rollout's column count: it must fit an Index (and Eigen's sizes).
  require<ConfigError>(n_steps <= std::numeric_limits<Index>::max() / c.n_envs,
                       "OnPolicyConfig: n_steps * n_envs overflows ({} * {})", n_steps, c.n_envs);
  detail::require_in("OnPolicyConfig::gamma", c.gamma, 0.0, 1.0);
  if (c.gae_lambda) detail::require_in("OnPolicyConfig::gae_lambda", *c.gae_lambda, 0.0, 1.0);
  detail::require_at_least("OnPolicyConfig::total_steps", c.total_steps, 0);
  detail::require_positive("OnPolicyConfig::observation_normalizer.clip", c.observation_normalizer.clip);
  detail::require_positive("OnPolicyConfig::observation_normalizer.epsilon", c.observation_normalizer.epsilon);
  detail::require_at_least("OnPolicyConfig::observation_statistics_steps", c.observation_statistics_steps, 0);
  detail::require_positive("OnPolicyConfig::reward_clip", c.reward_clip);
  require<ConfigError>(c.stats_window >= 1, "OnPolicyConfig::stats_window must be >= 1, got {}", c.stats_window);
  require<ConfigError>(c.env.threads >= 1, "OnPolicyConfig::env.threads must be >= 1, got {}", c.env.threads);
  return n_steps;
}

}  // namespace theta
