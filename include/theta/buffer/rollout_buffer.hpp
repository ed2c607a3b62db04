#pragma once
/// \file RolloutBuffer: on-policy storage of n_steps x n_envs transitions, and the batch view
/// an update rule reads.

#include <theta/core/error.hpp>
#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace theta {

/// The transitions of one rollout, as an update rule reads them: one column (or entry) per
/// transition, time-major (transition (t, e) at t * n_envs + e). Views into the trainer's
/// buffer, valid until its next rollout.
template <Real T>
struct RolloutBatch {
  Eigen::Ref<const Matrix<T>> observations;  ///< obs_dim x n, what the policy acted on (normalised)
  Eigen::Ref<const Matrix<T>> actions;       ///< action_rows x n (continuous: the raw sample)
  Eigen::Ref<const Matrix<T>> contexts;      ///< context_rows x n (0 rows for most policies)
  Eigen::Ref<const Vector<T>> log_probs;     ///< log pi_old(a|s)
  Eigen::Ref<const Vector<T>> values;        ///< V_old(s) (0 without a critic)
  Eigen::Ref<const Vector<T>> advantages;    ///< from the trainer's advantage estimator
  Eigen::Ref<const Vector<T>> returns;       ///< regression targets of the critic
  /// n_actions (sum(nvec)) x n: the valid actions of each state, 1 = valid (0 rows without masking)
  Eigen::Ref<const Matrix<T>> action_masks;
  /// critic_context_rows x n: the recurrent critic's state each step started from (0 rows for
  /// a critic without state)
  Eigen::Ref<const Matrix<T>> critic_contexts;
  /// 1 where the recurrent state was reset before the step (an episode's first step), else 0;
  /// empty unless the actor or the critic keeps a state (`SequencePolicy`, `SequenceValueFunction`)
  Eigen::Ref<const Vector<T>> episode_starts;
  [[nodiscard]] Index size() const noexcept { return log_probs.size(); }
};

/// Preallocated storage for one on-policy rollout of `n_steps` steps of `n_envs` copies, and
/// the advantages and returns an `AdvantageEstimator` computes from it (`Gae`,
/// `MonteCarloReturns`).
///
/// Transition (t, e) lives in column `t * n_envs + e` of every matrix (time-major, as
/// Stable-Baselines3 flattens its buffer), so the n_envs columns of one step are contiguous:
/// `observations(t)` is an `obs_dim x n_envs` block the collector writes into directly.
/// Discrete actions are stored as their index in `T` (exact below 2^24), multi-discrete ones as
/// one index per dimension.
///
/// Bootstrap rule (DESIGN.md): `terminated` means no bootstrap; `truncated` bootstraps from
/// the value of the true final observation, which the collector stores with
/// `set_final_value(t, e, V(final_obs))`; when both are set, `terminated` wins.
///
/// Policies that keep per-sample context (`ContextPolicy`: dropout masks, a recurrent state)
/// get `context_rows` rows per transition, written when acting and read back by the update.
/// A `MaskedEnvironment`'s action masks get `action_mask_rows` (n_actions, or sum(nvec) for a
/// `MultiDiscrete` space) rows per transition,
/// 1 = valid, written by the collector before acting, so that the update recomputes the
/// distribution over the same valid actions (issue 15).
///
/// A recurrent critic (`SequenceValueFunction`) gets `critic_context_rows` rows per transition
/// for the state each step started from, and a buffer built with `episode_starts` keeps, per
/// transition, 1 where the recurrent states were reset before the step: what PPO and A2C need
/// to replay whole sequences.
template <Real T = Scalar>
class RolloutBuffer {
 public:
  /// `context_rows`: rows of the policy's context kept per transition (0: none);
  /// `action_mask_rows`: rows of the action masks kept per transition (0: none);
  /// `critic_context_rows`: rows of a recurrent critic's state (0: none); `episode_starts`:
  /// keep the episode-start flag of every transition.
  RolloutBuffer(Index n_steps, Index n_envs, Index obs_dim, Index act_dim, Index context_rows = 0,
                Index action_mask_rows = 0, Index critic_context_rows = 0, bool episode_starts = false)
      : n_steps_(n_steps), n_envs_(n_envs) {
    require<ConfigError>(n_steps > 0, "RolloutBuffer: n_steps must be > 0, got {}", n_steps);
    require<ConfigError>(n_envs > 0, "RolloutBuffer: n_envs must be > 0, got {}", n_envs);
    require<ConfigError>(obs_dim > 0, "RolloutBuffer: obs_dim must be > 0, got {}", obs_dim);
    require<ConfigError>(act_dim > 0, "RolloutBuffer: act_dim must be > 0, got {}", act_dim);
    require<ConfigError>(context_rows >= 0, "RolloutBuffer: context_rows must be >= 0, got {}", context_rows);
    require<ConfigError>(action_mask_rows >= 0, "RolloutBuffer: action_mask_rows must be >= 0, got {}",
                         action_mask_rows);
    require<ConfigError>(critic_context_rows >= 0, "RolloutBuffer: critic_context_rows must be >= 0, got {}",
                         critic_context_rows);
    const Index n = n_steps * n_envs;
    observations_.setZero(obs_dim, n);
    actions_.setZero(act_dim, n);
    contexts_.setZero(context_rows, n);
    action_masks_.setZero(action_mask_rows, n);
    critic_contexts_.setZero(critic_context_rows, n);
    episode_starts_.setZero(episode_starts ? n : 0);
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
  /// The `context_rows x n_envs` context the policy kept when acting at step t.
  auto contexts(Index t) { return contexts_.middleCols(t * n_envs_, n_envs_); }
  /// The `action_mask_rows x n_envs` action masks (1 = valid) the policy acted under at step t.
  auto action_masks(Index t) { return action_masks_.middleCols(t * n_envs_, n_envs_); }
  /// The `critic_context_rows x n_envs` states a recurrent critic started step t from.
  auto critic_contexts(Index t) { return critic_contexts_.middleCols(t * n_envs_, n_envs_); }
  /// The n_envs episode-start flags of step t (a buffer built with `episode_starts`).
  auto episode_starts(Index t) { return episode_starts_.segment(t * n_envs_, n_envs_); }
  /// True when the buffer keeps episode-start flags.
  [[nodiscard]] bool keeps_episode_starts() const noexcept { return episode_starts_.size() > 0; }
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

  Matrix<T>& observations() noexcept { return observations_; }
  Matrix<T>& actions() noexcept { return actions_; }
  Vector<T>& log_probs() noexcept { return log_probs_; }
  Vector<T>& values() noexcept { return values_; }
  Vector<T>& rewards() noexcept { return rewards_; }
  Vector<T>& final_values() noexcept { return final_values_; }
  Vector<T>& advantages() noexcept { return advantages_; }
  Vector<T>& returns() noexcept { return returns_; }
  [[nodiscard]] const Matrix<T>& observations() const noexcept { return observations_; }
  [[nodiscard]] const Matrix<T>& actions() const noexcept { return actions_; }
  [[nodiscard]] const Matrix<T>& contexts() const noexcept { return contexts_; }
  [[nodiscard]] const Matrix<T>& action_masks() const noexcept { return action_masks_; }
  [[nodiscard]] const Matrix<T>& critic_contexts() const noexcept { return critic_contexts_; }
  [[nodiscard]] const Vector<T>& episode_starts() const noexcept { return episode_starts_; }
  [[nodiscard]] const Vector<T>& log_probs() const noexcept { return log_probs_; }
  [[nodiscard]] const Vector<T>& values() const noexcept { return values_; }
  [[nodiscard]] const Vector<T>& rewards() const noexcept { return rewards_; }
  [[nodiscard]] const Vector<T>& final_values() const noexcept { return final_values_; }
  [[nodiscard]] const Vector<T>& advantages() const noexcept { return advantages_; }
  [[nodiscard]] const Vector<T>& returns() const noexcept { return returns_; }
  [[nodiscard]] bool terminated(Index t, Index e) const { return terminated_[static_cast<std::size_t>(column(t, e))] != 0; }
  [[nodiscard]] bool truncated(Index t, Index e) const { return truncated_[static_cast<std::size_t>(column(t, e))] != 0; }

  /// The filled part as the read-only batch an update rule takes.
  [[nodiscard]] RolloutBatch<T> batch() const {
    const Index n = size();
    return RolloutBatch<T>{.observations = observations_.leftCols(n),
                           .actions = actions_.leftCols(n),
                           .contexts = contexts_.leftCols(n),
                           .log_probs = log_probs_.head(n),
                           .values = values_.head(n),
                           .advantages = advantages_.head(n),
                           .returns = returns_.head(n),
                           .action_masks = action_masks_.leftCols(n),
                           .critic_contexts = critic_contexts_.leftCols(n),
                           .episode_starts = episode_starts_.head(keeps_episode_starts() ? n : 0)};
  }

 private:
  Index n_steps_;
  Index n_envs_;
  Index used_steps_ = n_steps_;
  Matrix<T> observations_;
  Matrix<T> actions_;
  Matrix<T> contexts_;
  Matrix<T> action_masks_;
  Matrix<T> critic_contexts_;
  Vector<T> episode_starts_;
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
