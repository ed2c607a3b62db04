#pragma once
/// \file Gae: generalised advantage estimation (Schulman et al. 2016), the default estimator
/// of PPO, A2C and TRPO.

#include <theta/buffer/advantage_estimator.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/detail/config_rules.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

namespace theta {

/// GAE(lambda) over a stored rollout (Schulman et al. 2016, eq. 16), with Stable-Baselines3's
/// arithmetic and the truncation bootstrap:
///
///     next_value_t = last_values[e] if t == T-1, else values[t+1]    (T = used_steps)
///     done_t       = terminated_t or truncated_t
///     bootstrap_t  = final_values_t if truncated_t and not terminated_t, else next_value_t * (1 - done_t)
///     delta_t      = r_t + gamma * bootstrap_t - values_t
///     A_t          = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}
///     returns_t    = A_t + values_t
///
/// lambda = 1 gives Monte-Carlo advantages bootstrapped at the rollout's end (A2C's n-step
/// returns), lambda = 0 one-step TD errors.
///
///     theta::Gae<float> gae(0.95);
///     gae.estimate(buffer, last_values, 0.99f);
template <Real T = Scalar>
class Gae {
 public:
  /// `lambda` in [0, 1].
  explicit Gae(double lambda = 0.95) : lambda_(lambda) { detail::require_in("Gae: lambda", lambda, 0.0, 1.0); }

  [[nodiscard]] double lambda() const noexcept { return lambda_; }

  void estimate(RolloutBuffer<T>& buffer, const Eigen::Ref<const Vector<T>>& last_values, T gamma) const {
    const Index n_envs = buffer.n_envs();
    require(last_values.size() == n_envs, "Gae: last_values has {} entries for {} envs", last_values.size(), n_envs);
    const auto lambda = static_cast<T>(lambda_);
    const auto& values = buffer.values();
    const auto& rewards = buffer.rewards();
    auto& advantages = buffer.advantages();
    for (Index e = 0; e < n_envs; ++e) {
      T next_advantage = 0;
      T next_value = last_values[e];
      for (Index t = buffer.used_steps() - 1; t >= 0; --t) {
        const Index k = buffer.column(t, e);
        const bool done = buffer.terminated(t, e) || buffer.truncated(t, e);
        const T delta = rewards[k] + gamma * detail::bootstrap(buffer, t, e, next_value) - values[k];
        next_advantage = delta + (done ? T(0) : gamma * lambda * next_advantage);
        advantages[k] = next_advantage;
        next_value = values[k];
      }
    }
    const Index n = buffer.size();
    buffer.returns().head(n) = advantages.head(n) + values.head(n);
  }

 private:
  double lambda_;
};

}  // namespace theta
