#pragma once
/// \file OnPolicyUpdateRule: what `OnPolicyTrainer` drives (REINFORCE, A2C, PPO, TRPO, or a
/// rule of your own).

#include <theta/buffer/rollout_buffer.hpp>
#include <theta/core/scalar.hpp>
#include <theta/policy/state_value_function.hpp>
#include <theta/policy/stochastic_policy.hpp>

#include <concepts>
#include <string_view>

namespace theta {

/// A plain statistics struct an update returns: `for_each(f)` calls `f(key, value)` with a
/// `const char*` key (Stable-Baselines3's names, "train/value_loss") and a double for every
/// statistic it holds. The trainer logs them; update rules include nothing from `log/`.
template <class S>
concept UpdateStats = requires(const S& stats, void (*visit)(const char*, double)) { stats.for_each(visit); };

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

}  // namespace theta
