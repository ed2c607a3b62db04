#pragma once
/// \file OnPolicyUpdateRule and OffPolicyUpdateRule: what `OnPolicyTrainer` (REINFORCE, A2C,
/// PPO, TRPO) and `OffPolicyTrainer` (SAC) drive, or a rule of your own.

#include <theta/buffer/replay_buffer.hpp>
#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/scalar.hpp>
#include <theta/policy/squashed_policy.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <concepts>
#include <string_view>
#include <type_traits>

namespace theta {

/// A plain statistics struct an update returns: `for_each(f)` calls `f(key, value)` with a
/// `const char*` key (Stable-Baselines3's names, "train/value_loss") and a double for every
/// statistic it holds. The trainer logs them; update rules include nothing from `log/`.
template <class S>
concept UpdateStats = requires(const S& stats, void (*visit)(const char*, double)) { stats.for_each(visit); };

/// `UpdateStats` of one run of gradient steps that the trainer combines over several:
/// `stats.merge(later)` appends the run `later` (the means become the means over both runs,
/// the counters are `later`'s). An off-policy trainer calls `update` once per gradient step and
/// logs the merged statistics since its last record.
template <class S>
concept MergeableStats = UpdateStats<S> && requires(S& stats, const S& later) { stats.merge(later); };

/// An on-policy update rule over an actor and a critic:
///
/// - `Config`: its own hyperparameters (the trainer's are in `OnPolicyConfig`);
/// - `Stats`: what `update` returns (`UpdateStats`);
/// - `actor()` and `critic()`: the components it trains, which the trainer acts and
///   bootstraps with; `uses_critic()`: false when values are not needed (REINFORCE without a
///   baseline), so the trainer stores zeros and skips the critic;
/// - `update(batch, progress_remaining)`: one update from a rollout whose advantages and
///   returns the trainer's estimator computed; `progress_remaining` goes from 1 at the
///   trainer's first step to 0 at its step budget (`OnPolicyConfig::total_steps`).
template <class R>
concept OnPolicyUpdateRule = requires(R& rule, const R& const_rule, const RolloutBatch<typename R::Scalar>& batch,
                                      double progress) {
  typename R::Config;
  typename R::Stats;
  requires UpdateStats<typename R::Stats>;
  requires StochasticPolicy<std::remove_cvref_t<decltype(rule.actor())>>;
  requires StateValueFunction<std::remove_cvref_t<decltype(rule.critic())>>;
  { const_rule.uses_critic() } -> std::convertible_to<bool>;
  { rule.update(batch, progress) } -> std::same_as<typename R::Stats>;
};

/// An off-policy update rule over a squashed actor (SAC's):
///
/// - `Config`: its own hyperparameters (the trainer's, buffer and batch sizes and the discount
///   included, are in `OffPolicyConfig`);
/// - `Stats`: what `update` returns (`MergeableStats`: the trainer merges the steps between
///   two records);
/// - `actor()`: the policy it trains, which the trainer acts and evaluates with;
/// - `update(batch, progress_remaining)`: one gradient step on a batch that the trainer sampled
///   from its replay buffer; `progress_remaining` goes from 1 at the trainer's first step to 0
///   at its step budget (`OffPolicyConfig::total_steps`).
template <class R>
concept OffPolicyUpdateRule = requires(R& rule, const ReplayBatch<typename R::Scalar>& batch, double progress) {
  typename R::Config;
  typename R::Stats;
  requires MergeableStats<typename R::Stats>;
  requires SquashedPolicy<std::remove_cvref_t<decltype(rule.actor())>>;
  { rule.update(batch, progress) } -> std::same_as<typename R::Stats>;
};

}  // namespace theta
