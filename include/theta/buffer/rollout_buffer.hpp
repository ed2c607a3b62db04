#pragma once
/// \file RolloutBuffer: on-policy storage of n_steps x n_envs transitions, with GAE(lambda).

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace theta {

/// Preallocated storage for one on-policy rollout of `n_steps` steps of `n_envs` copies, and
/// the GAE(lambda) advantages and returns computed from it.
///
/// Transition (t, e) lives in column `t * n_envs + e` of every matrix (time-major, as
/// Stable-Baselines3 flattens its buffer), so the n_envs columns of one step are contiguous:
/// `observations(t)` is an `obs_dim x n_envs` block the collector writes into directly.
/// Discrete actions are stored as their index in `T` (exact below 2^24).
///
/// Bootstrap rule (DESIGN.md): `terminated` means no bootstrap; `truncated` bootstraps from
/// the value of the true final observation, which the collector stores with
/// `set_final_value(t, e, V(final_obs))`; when both are set, `terminated` wins.
template <Real T = Scalar>
class RolloutBuffer {
 public:
  /// `mask_rows`: rows of the policy's dropout masks kept per transition (0: none).
  RolloutBuffer(Index n_steps, Index n_envs, Index obs_dim, Index act_dim, Index mask_rows = 0)
      : n_steps_(n_steps), n_envs_(n_envs) {
    require<ConfigError>(n_steps > 0, "RolloutBuffer: n_steps must be > 0, got {}", n_steps);
    require<ConfigError>(n_envs > 0, "RolloutBuffer: n_envs must be > 0, got {}", n_envs);
    require<ConfigError>(obs_dim > 0, "RolloutBuffer: obs_dim must be > 0, got {}", obs_dim);
    require<ConfigError>(act_dim > 0, "RolloutBuffer: act_dim must be > 0, got {}", act_dim);
    require<ConfigError>(mask_rows >= 0, "RolloutBuffer: mask_rows must be >= 0, got {}", mask_rows);
    const Index n = n_steps * n_envs;
    observations_.setZero(obs_dim, n);
    actions_.setZero(act_dim, n);
    masks_.setZero(mask_rows, n);
    log_probs_.setZero(n);
    values_.setZero(n);
    rewards_.setZero(n);
    final_values_.setZero(n);
    advantages_.setZero(n);
    returns_.setZero(n);
    terminated_.assign(static_cast<std::size_t>(n), 0);
    truncated_.assign(static_cast<std::size_t>(n), 0);
  }

  /// Capacity in steps per copy.
  [[nodiscard]] Index n_steps() const noexcept { return n_steps_; }
  [[nodiscard]] Index n_envs() const noexcept { return n_envs_; }
  /// Steps per copy in the current rollout (n_steps unless a collector stopped early, e.g.
  /// REINFORCE at the end of an episode).
  [[nodiscard]] Index used_steps() const noexcept { return used_steps_; }
  /// Transitions in the current rollout: used_steps * n_envs, the first columns.
  [[nodiscard]] Index size() const noexcept { return used_steps_ * n_envs_; }
  /// Declares how many steps of the rollout were filled (1..n_steps).
  void set_used_steps(Index steps) {
    require<ConfigError>(steps >= 1 && steps <= n_steps_, "RolloutBuffer: used steps must be in [1, {}], got {}",
                         n_steps_, steps);
    used_steps_ = steps;
  }
  [[nodiscard]] Index column(Index t, Index e) const noexcept { return t * n_envs_ + e; }

  /// The `obs_dim x n_envs` observations of step t (s_t, what the policy acted on).
  auto observations(Index t) { return observations_.middleCols(t * n_envs_, n_envs_); }
  /// The `act_dim x n_envs` actions of step t (continuous: the raw, unclipped sample).
  auto actions(Index t) { return actions_.middleCols(t * n_envs_, n_envs_); }
  /// The `mask_rows x n_envs` dropout masks the policy drew when acting at step t.
  auto masks(Index t) { return masks_.middleCols(t * n_envs_, n_envs_); }
  auto log_probs(Index t) { return log_probs_.segment(t * n_envs_, n_envs_); }
  auto values(Index t) { return values_.segment(t * n_envs_, n_envs_); }
  auto rewards(Index t) { return rewards_.segment(t * n_envs_, n_envs_); }

  /// Records the flags of transition (t, e).
  void set_done(Index t, Index e, bool terminated, bool truncated) {
    const auto k = static_cast<std::size_t>(column(t, e));
    terminated_[k] = terminated;
    truncated_[k] = truncated;
  }
  /// V(final observation) of a truncated transition (t, e): the bootstrap target.
  void set_final_value(Index t, Index e, T value) { final_values_[column(t, e)] = value; }

  /// GAE(lambda) (Schulman et al. 2016, eq. 16) over the stored rollout:
  ///
  ///     next_value_t = last_values[e] if t == T-1, else values[t+1]    (T = used_steps)
  ///     done_t       = terminated_t or truncated_t
  ///     bootstrap_t  = final_values_t if truncated_t and not terminated_t, else next_value_t * (1 - done_t)
  ///     delta_t      = r_t + gamma * bootstrap_t - values_t
  ///     A_t          = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}
  ///     returns_t    = A_t + values_t
  ///
  /// `last_values` holds V(s_T) per copy, the observation after the last step.
  void compute_returns_and_advantages(const Eigen::Ref<const Vector<T>>& last_values, T gamma, T gae_lambda) {
    require<ConfigError>(last_values.size() == n_envs_, "RolloutBuffer: last_values has {} entries for {} envs",
                         last_values.size(), n_envs_);
    for (Index e = 0; e < n_envs_; ++e) {
      T next_advantage = 0;
      T next_value = last_values[e];
      for (Index t = used_steps_ - 1; t >= 0; --t) {
        const Index k = column(t, e);
        const bool terminated = terminated_[static_cast<std::size_t>(k)] != 0;
        const bool truncated = truncated_[static_cast<std::size_t>(k)] != 0;
        const bool done = terminated || truncated;
        T bootstrap = done ? T(0) : next_value;
        if (truncated && !terminated) bootstrap = final_values_[k];
        const T delta = rewards_[k] + gamma * bootstrap - values_[k];
        next_advantage = delta + (done ? T(0) : gamma * gae_lambda * next_advantage);
        advantages_[k] = next_advantage;
        next_value = values_[k];
      }
    }
    returns_.head(size()) = advantages_.head(size()) + values_.head(size());
  }

  Matrix<T>& observations() noexcept { return observations_; }
  Matrix<T>& actions() noexcept { return actions_; }
  Vector<T>& log_probs() noexcept { return log_probs_; }
  Vector<T>& values() noexcept { return values_; }
  Vector<T>& rewards() noexcept { return rewards_; }
  Vector<T>& final_values() noexcept { return final_values_; }
  [[nodiscard]] const Matrix<T>& observations() const noexcept { return observations_; }
  [[nodiscard]] const Matrix<T>& actions() const noexcept { return actions_; }
  [[nodiscard]] const Matrix<T>& masks() const noexcept { return masks_; }
  [[nodiscard]] const Vector<T>& log_probs() const noexcept { return log_probs_; }
  [[nodiscard]] const Vector<T>& values() const noexcept { return values_; }
  [[nodiscard]] const Vector<T>& rewards() const noexcept { return rewards_; }
  [[nodiscard]] const Vector<T>& advantages() const noexcept { return advantages_; }
  [[nodiscard]] const Vector<T>& returns() const noexcept { return returns_; }
  [[nodiscard]] bool terminated(Index t, Index e) const { return terminated_[static_cast<std::size_t>(column(t, e))] != 0; }
  [[nodiscard]] bool truncated(Index t, Index e) const { return truncated_[static_cast<std::size_t>(column(t, e))] != 0; }

 private:
  Index n_steps_;
  Index n_envs_;
  Index used_steps_ = n_steps_;
  Matrix<T> observations_;
  Matrix<T> actions_;
  Matrix<T> masks_;
  Vector<T> log_probs_;
  Vector<T> values_;
  Vector<T> rewards_;
  Vector<T> final_values_;
  Vector<T> advantages_;
  Vector<T> returns_;
  std::vector<std::uint8_t> terminated_;
  std::vector<std::uint8_t> truncated_;
};

}  // namespace theta
