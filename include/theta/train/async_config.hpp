#pragma once
/// \file AsyncConfig: the settings of the asynchronous trainer (A3C's workers).

#include <theta/core/detail/config_rules.hpp>
#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

namespace theta {

/// The asynchronous trainer's configuration: workers, collection, discount, schedule horizon,
/// logging and seed.
///
///     theta::AsyncConfig config{.workers = 4, .n_steps = 5, .total_steps = 500'000};
struct AsyncConfig {
  // ---- workers
  std::size_t workers = 2;          ///< worker threads, each with its own environments and local copies, >= 1
  Index envs_per_worker = 1;        ///< environment copies each worker steps together (the paper: 1), >= 1
  /// Workers take turns in a fixed order on the calling thread instead of running at once:
  /// the same seed then gives bit-identical runs (for tests and debugging; docs/algorithms/a3c.md).
  bool deterministic = false;
  // ---- collection
  std::optional<Index> n_steps;     ///< steps per environment per worker update, t_max (default: the algorithm's, A3C 5)
  double gamma = 0.99;              ///< discount, in [0, 1]
  /// GAE's lambda, in [0, 1] (default: the algorithm's, A3C 1: n-step returns).
  std::optional<double> gae_lambda;
  // ---- schedules
  /// The step budget, over all workers, that schedules count toward (progress_remaining =
  /// 1 - steps / total_steps). 0: the target of the first `learn` call.
  std::int64_t total_steps = 0;
  // ---- normalisation
  /// Divide each worker's rewards by the std of its own discounted return (as
  /// `OnPolicyConfig::normalize_rewards`; training targets only, evaluation sees raw rewards).
  /// Observation normalisation is not offered: workers sharing one policy would each normalise
  /// by statistics of their own.
  bool normalize_rewards = false;
  double reward_clip = 10.0;        ///< bound of scaled rewards, > 0
  // ---- bookkeeping (from the calling thread, not from every worker)
  std::int64_t log_interval = 100;  ///< worker updates between two records (logger and on_update_end), >= 1
  std::size_t stats_window = 100;   ///< episodes averaged in rollout/ep_rew_mean, >= 1
  /// After every worker update, require its losses, gradient norm, gradients and local
  /// parameters to be finite, else raise NumericalError (as the synchronous trainers).
  bool check_numerics = true;
  // ---- reproducibility
  std::uint64_t seed = 0;           ///< every random stream of every worker derives from it
};

/// Checks every field of `config`; throws ConfigError naming the field.
inline void validate(const AsyncConfig& c) {
  require<ConfigError>(c.workers >= 1, "AsyncConfig::workers must be >= 1, got {}", c.workers);
  require<ConfigError>(c.workers <= 4096, "AsyncConfig::workers must be <= 4096, got {}", c.workers);
  detail::require_at_least("AsyncConfig::envs_per_worker", c.envs_per_worker, 1);
  if (c.n_steps) detail::require_at_least("AsyncConfig::n_steps", *c.n_steps, 1);
  require<ConfigError>(!c.n_steps || *c.n_steps <= std::numeric_limits<Index>::max() / c.envs_per_worker,
                       "AsyncConfig: n_steps * envs_per_worker overflows ({} * {})", c.n_steps.value_or(0),
                       c.envs_per_worker);
  detail::require_in("AsyncConfig::gamma", c.gamma, 0.0, 1.0);
  if (c.gae_lambda) detail::require_in("AsyncConfig::gae_lambda", *c.gae_lambda, 0.0, 1.0);
  detail::require_at_least("AsyncConfig::total_steps", c.total_steps, 0);
  detail::require_positive("AsyncConfig::reward_clip", c.reward_clip);
  detail::require_at_least("AsyncConfig::log_interval", c.log_interval, 1);
  require<ConfigError>(c.log_interval <= (std::int64_t{1} << 40), "AsyncConfig::log_interval must be <= 2^40, got {}",
                       c.log_interval);
  require<ConfigError>(c.stats_window >= 1, "AsyncConfig::stats_window must be >= 1, got {}", c.stats_window);
}

}  // namespace theta
