#pragma once
/// \file OffPolicyConfig: the settings of the off-policy trainer itself (the algorithm's own
/// are in its `Config`).

#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>
#include <theta/env/vector_env.hpp>

#include <cstddef>
#include <cstdint>

namespace theta {

/// The off-policy trainer's configuration: collection, replay buffer and batches, discount,
/// schedule horizon, logging and seed.
/// Defaults are Stable-Baselines3's `OffPolicyAlgorithm` defaults.
///
///     theta::OffPolicyConfig trainer{.learning_starts = 100, .batch_size = 100, .total_steps = 20'000, .seed = 1};
struct OffPolicyConfig {
  // ---- collection
  Index n_envs = 1;                 ///< environment copies stepped together, >= 1
  Index learning_starts = 100;      ///< uniform random actions while fewer steps were taken; training once more were
  Index train_freq = 1;             ///< vector steps (of n_envs transitions) between training phases, >= 1
  Index gradient_steps = 1;         ///< gradient steps per training phase, >= 1
  /// AR(1) coefficient ρ of the exploration noise, in [0, 1): ε_t = ρ ε_{t-1} + sqrt(1 - ρ²) ξ_t
  /// per environment and dimension, so ε stays N(0, 1) but holds its sign for about
  /// 1/(1 - ρ) steps (the random warm-up actions become 2Φ(ε) - 1, still uniform). 0 is SB3's
  /// white noise; sparse rewards behind a long manoeuvre (MountainCarContinuous) need about
  /// 0.99 (temporally correlated exploration, cf. Eberhard et al. 2023, "Pink noise is all you need").
  double exploration_correlation = 0.0;
  // ---- replay and return (the trainer owns the buffer and samples the batches)
  Index buffer_size = 1'000'000;    ///< replay capacity in transitions, >= 1
  Index batch_size = 256;           ///< transitions per gradient step, >= 1 (sampled with replacement)
  double gamma = 0.99;              ///< discount, in [0, 1]
  // ---- schedules
  /// The step budget that schedules count toward (progress_remaining = 1 - steps /
  /// total_steps, over every `learn` call). 0: the target of the first `learn` call.
  std::int64_t total_steps = 0;
  // ---- bookkeeping
  std::size_t stats_window = 100;    ///< episodes averaged in rollout/ep_rew_mean, >= 1
  std::int64_t log_interval = 1000;  ///< environment steps between two logger writes, >= 1
  VectorEnvOptions env;              ///< threads stepping the environment copies
  /// After every gradient step, require its losses and every gradient and parameter of the
  /// actor and the critics to be finite, else raise NumericalError naming the algorithm, the
  /// tensor and the update.
  bool check_numerics = true;
  // ---- reproducibility
  std::uint64_t seed = 0;            ///< every random stream of a run derives from it
};

/// Checks every field; throws ConfigError naming the field.
inline void validate(const OffPolicyConfig& c) {
  detail::require_at_least("OffPolicyConfig::n_envs", c.n_envs, 1);
  detail::require_at_least("OffPolicyConfig::learning_starts", c.learning_starts, 0);
  detail::require_at_least("OffPolicyConfig::train_freq", c.train_freq, 1);
  detail::require_at_least("OffPolicyConfig::gradient_steps", c.gradient_steps, 1);
  detail::require_decay_rate("OffPolicyConfig::exploration_correlation", c.exploration_correlation);
  detail::require_at_least("OffPolicyConfig::buffer_size", c.buffer_size, 1);
  detail::require_at_least("OffPolicyConfig::batch_size", c.batch_size, 1);
  detail::require_in("OffPolicyConfig::gamma", c.gamma, 0.0, 1.0);
  detail::require_at_least("OffPolicyConfig::total_steps", c.total_steps, 0);
  require<ConfigError>(c.stats_window >= 1, "OffPolicyConfig::stats_window must be >= 1, got {}", c.stats_window);
  detail::require_at_least("OffPolicyConfig::log_interval", c.log_interval, 1);
  require<ConfigError>(c.env.threads >= 1, "OffPolicyConfig::env.threads must be >= 1, got {}", c.env.threads);
}

}  // namespace theta
