#pragma once
/// \file The policy concepts of the on-policy trainers: a stochastic policy (discrete or
/// continuous actions), its refinement for policies whose acting pass keeps per-sample
/// context (dropout masks, a recurrent state) that the training pass must reuse, and its
/// refinement for discrete policies that act among the valid actions of a state only
/// (invalid-action masking).

#include <theta/core/error.hpp>
#include <theta/core/rng.hpp>
#include <theta/core/scalar.hpp>
#include <theta/nn/trainable.hpp>

#include <Eigen/Core>

#include <concepts>

namespace theta {

/// A stochastic policy pi(a|s) over batches stored one column per sample (see
/// docs/components.md for the full contract):
///
/// - `P::is_discrete`: true for discrete actions, stored as their index in a 1 x B matrix (a
///   multi-discrete policy: one index per dimension, D x B); false for continuous ones, stored
///   raw (action_dim x B; the trainer clips only what it sends to the environment).
/// - `action_rows()`: rows of the stored action matrix.
/// - `act(obs, rng, deterministic, actions, log_probs)`: samples (or, if `deterministic`,
///   takes the mode of) pi(.|s) for obs_dim x B observations, writing the actions and their
///   log-probabilities; the trainer acts on batches of n_envs, evaluation on batches of 1.
/// - `evaluate(obs, actions, log_probs, entropy)`: records a training pass over a batch and
///   writes log pi(a|s) and the entropy per sample.
/// - `backward(dlog_probs, dentropy)`: adds to `gradients()` the gradient of
///   sum_b dlog_probs_b log pi_b + dentropy_b H_b for the recorded pass.
/// - and `Trainable`: flat `parameters()` / `gradients()` views and `zero_grad()`.
template <class P>
concept StochasticPolicy =
    Trainable<P> && requires(P& policy, const P& const_policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
                             const Eigen::Ref<const Matrix<typename P::Scalar>>& actions_in, Rng& rng, bool deterministic,
                             Eigen::Ref<Matrix<typename P::Scalar>> actions, Eigen::Ref<Vector<typename P::Scalar>> out,
                             Eigen::Ref<Vector<typename P::Scalar>> out2,
                             const Eigen::Ref<const Vector<typename P::Scalar>>& dlog_probs,
                             const Eigen::Ref<const Vector<typename P::Scalar>>& dentropy) {
      { P::is_discrete } -> std::convertible_to<bool>;
      { const_policy.action_rows() } -> std::convertible_to<Index>;
      policy.act(obs, rng, deterministic, actions, out);
      policy.evaluate(obs, actions_in, out, out2);
      policy.backward(dlog_probs, dentropy);
    };

/// A stochastic policy over discrete actions (categorical).
template <class P>
concept DiscretePolicy = StochasticPolicy<P> && P::is_discrete;

/// A stochastic policy over continuous actions (Gaussian).
template <class P>
concept ContinuousPolicy = StochasticPolicy<P> && !P::is_discrete;

/// A policy whose sampling pass draws per-sample context that its training pass must reuse to
/// differentiate the very distribution that acted: dropout masks (`CategoricalPolicy` with
/// `NetworkConfig::dropout`), or the recurrent state of a recurrent policy. The trainer stores
/// `context_rows()` x B values per step beside the transition and hands them back:
///
/// - `act(obs, rng, actions, log_probs, context)`: samples and writes the context it used;
/// - `evaluate(obs, actions, context, log_probs, entropy)`: the training pass with that context.
template <class P>
concept ContextPolicy =
    StochasticPolicy<P> &&
    requires(P& policy, const P& const_policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
             const Eigen::Ref<const Matrix<typename P::Scalar>>& actions_in, Rng& rng,
             Eigen::Ref<Matrix<typename P::Scalar>> actions, Eigen::Ref<Vector<typename P::Scalar>> out,
             Eigen::Ref<Vector<typename P::Scalar>> out2, Eigen::Ref<Matrix<typename P::Scalar>> context,
             const Eigen::Ref<const Matrix<typename P::Scalar>>& context_in) {
      { const_policy.context_rows() } -> std::convertible_to<Index>;
      policy.act(obs, rng, actions, out, context);
      policy.evaluate(obs, actions_in, context_in, out, out2);
    };

/// A discrete policy that restricts pi(.|s) to the valid actions of each state (invalid-action
/// masking, Huang and Ontanon 2020): masked actions get probability 0, and log-probabilities,
/// entropies and gradients are those of the distribution over the valid actions. `action_masks`
/// is `n_actions x B` (sum(nvec) x B over a `MultiDiscrete` space: one mask per dimension),
/// one column per sample, 1 = valid and 0 = invalid (what a `MaskedEnvironment` reports,
/// stored by the trainer beside the transition):
///
/// - `act_masked(obs, action_masks, rng, deterministic, actions, log_probs)`: `act` among the
///   valid actions (the deterministic action is the first largest logit among them);
/// - `evaluate_masked(obs, actions, action_masks, log_probs, entropy)`: the training pass with
///   the masks the actions were taken under.
///
/// A policy that is also a `ContextPolicy` provides the context forms too (`MaskedContextPolicy`).
template <class P>
concept MaskedPolicy =
    DiscretePolicy<P> &&
    requires(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
             const Eigen::Ref<const Matrix<typename P::Scalar>>& actions_in,
             const Eigen::Ref<const Matrix<typename P::Scalar>>& action_masks, Rng& rng, bool deterministic,
             Eigen::Ref<Matrix<typename P::Scalar>> actions, Eigen::Ref<Vector<typename P::Scalar>> out,
             Eigen::Ref<Vector<typename P::Scalar>> out2) {
      policy.act_masked(obs, action_masks, rng, deterministic, actions, out);
      policy.evaluate_masked(obs, actions_in, action_masks, out, out2);
    };

/// A masked policy that keeps context: `act_masked(obs, action_masks, rng, actions, log_probs,
/// context)` samples among the valid actions and writes its context, and
/// `evaluate_masked(obs, actions, action_masks, context, log_probs, entropy)` recomputes that pass.
template <class P>
concept MaskedContextPolicy =
    MaskedPolicy<P> && ContextPolicy<P> &&
    requires(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
             const Eigen::Ref<const Matrix<typename P::Scalar>>& actions_in,
             const Eigen::Ref<const Matrix<typename P::Scalar>>& action_masks, Rng& rng,
             Eigen::Ref<Matrix<typename P::Scalar>> actions, Eigen::Ref<Vector<typename P::Scalar>> out,
             Eigen::Ref<Vector<typename P::Scalar>> out2, Eigen::Ref<Matrix<typename P::Scalar>> context,
             const Eigen::Ref<const Matrix<typename P::Scalar>>& context_in) {
      policy.act_masked(obs, action_masks, rng, actions, out, context);
      policy.evaluate_masked(obs, actions_in, action_masks, context_in, out, out2);
    };

/// A context policy whose context is a recurrent state and that can also train on whole
/// sequences (`RecurrentCategoricalPolicy`): PPO and A2C then recompute each minibatch as
/// sequences of consecutive steps of one environment from the state stored at their first step,
/// and differentiate back through time over them (truncated BPTT), instead of one step from
/// each stored state. Layout: S sequences of L steps, time-major (step t of sequence s in column
/// t S + s); `initial_states` is context_rows x S; `episode_starts` is S x L, 1 where the state
/// is reset to zero before the step. A policy with states also exposes them to the trainer:
/// `state()` (context_rows x slots), `reset_states()` and `reset_states(flags)`.
///
/// - `evaluate_sequences(obs, actions, initial_states, episode_starts, log_probs, entropy)`;
/// - `evaluate_sequences_masked(obs, actions, action_masks, initial_states, episode_starts,
///   log_probs, entropy)` when it is also a `MaskedPolicy`.
template <class P>
concept SequencePolicy =
    ContextPolicy<P> &&
    requires(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& in,
             const Eigen::Ref<const Vector<typename P::Scalar>>& flags, Eigen::Ref<Vector<typename P::Scalar>> out,
             Eigen::Ref<Vector<typename P::Scalar>> out2) {
      policy.evaluate_sequences(in, in, in, in, out, out2);
      policy.reset_states(flags);
      policy.reset_states();
      policy.state() = policy.state();
    };

/// Rows of context `P` keeps per sample (0 for a policy without context).
template <StochasticPolicy P>
[[nodiscard]] Index context_rows(const P& policy) {
  if constexpr (ContextPolicy<P>) {
    return policy.context_rows();
  } else {
    return 0;
  }
}

/// Samples actions, writing the context when the policy keeps one.
template <StochasticPolicy P>
void act_recording(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs, Rng& rng,
                   Eigen::Ref<Matrix<typename P::Scalar>> actions, Eigen::Ref<Vector<typename P::Scalar>> log_probs,
                   Eigen::Ref<Matrix<typename P::Scalar>> context) {
  if constexpr (ContextPolicy<P>) {
    policy.act(obs, rng, actions, log_probs, context);
  } else {
    policy.act(obs, rng, /*deterministic=*/false, actions, log_probs);
  }
}

/// The training pass, with the stored context when the policy keeps one.
template <StochasticPolicy P>
void evaluate_with_context(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
                           const Eigen::Ref<const Matrix<typename P::Scalar>>& actions,
                           const Eigen::Ref<const Matrix<typename P::Scalar>>& context,
                           Eigen::Ref<Vector<typename P::Scalar>> log_probs, Eigen::Ref<Vector<typename P::Scalar>> entropy) {
  if constexpr (ContextPolicy<P>) {
    policy.evaluate(obs, actions, context, log_probs, entropy);
  } else {
    policy.evaluate(obs, actions, log_probs, entropy);
  }
}

namespace detail {
template <class P>
void require_masked_policy(Index mask_rows) {
  if constexpr (!MaskedPolicy<P>) {
    throw ConfigError(fmt::format("the rollout holds action masks ({} rows) but the actor is not a theta::MaskedPolicy "
                                  "(act_masked, evaluate_masked)",
                                  mask_rows));
  }
  static_assert(!MaskedPolicy<P> || !ContextPolicy<P> || MaskedContextPolicy<P>,
                "theta::MaskedPolicy with context: the actor must also provide act_masked(obs, action_masks, rng, "
                "actions, log_probs, context) and evaluate_masked(obs, actions, action_masks, context, log_probs, "
                "entropy) (theta::MaskedContextPolicy)");
}
}  // namespace detail

/// Samples actions among the valid ones (`action_masks`: n_actions x B, 1 = valid; 0 rows: no
/// masking, as the overload without masks), writing the context when the policy keeps one.
template <StochasticPolicy P>
void act_recording(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
                   const Eigen::Ref<const Matrix<typename P::Scalar>>& action_masks, Rng& rng,
                   Eigen::Ref<Matrix<typename P::Scalar>> actions, Eigen::Ref<Vector<typename P::Scalar>> log_probs,
                   Eigen::Ref<Matrix<typename P::Scalar>> context) {
  if (action_masks.rows() == 0) return act_recording(policy, obs, rng, actions, log_probs, context);
  detail::require_masked_policy<P>(action_masks.rows());
  if constexpr (MaskedContextPolicy<P>) {
    policy.act_masked(obs, action_masks, rng, actions, log_probs, context);
  } else if constexpr (MaskedPolicy<P>) {
    policy.act_masked(obs, action_masks, rng, /*deterministic=*/false, actions, log_probs);
  }
}

/// The training pass under the stored action masks (0 rows: none) and context: what every
/// on-policy update rule calls, so that it differentiates the very distribution that acted.
template <StochasticPolicy P>
void evaluate_with_context(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
                           const Eigen::Ref<const Matrix<typename P::Scalar>>& actions,
                           const Eigen::Ref<const Matrix<typename P::Scalar>>& action_masks,
                           const Eigen::Ref<const Matrix<typename P::Scalar>>& context,
                           Eigen::Ref<Vector<typename P::Scalar>> log_probs,
                           Eigen::Ref<Vector<typename P::Scalar>> entropy) {
  if (action_masks.rows() == 0) return evaluate_with_context(policy, obs, actions, context, log_probs, entropy);
  detail::require_masked_policy<P>(action_masks.rows());
  if constexpr (MaskedContextPolicy<P>) {
    policy.evaluate_masked(obs, actions, action_masks, context, log_probs, entropy);
  } else if constexpr (MaskedPolicy<P>) {
    policy.evaluate_masked(obs, actions, action_masks, log_probs, entropy);
  }
}

/// The training pass over S sequences of L steps (layout in `SequencePolicy`), under the
/// stored action masks (0 rows: none).
template <SequencePolicy P>
void evaluate_sequences(P& policy, const Eigen::Ref<const Matrix<typename P::Scalar>>& obs,
                        const Eigen::Ref<const Matrix<typename P::Scalar>>& actions,
                        const Eigen::Ref<const Matrix<typename P::Scalar>>& action_masks,
                        const Eigen::Ref<const Matrix<typename P::Scalar>>& initial_states,
                        const Eigen::Ref<const Matrix<typename P::Scalar>>& episode_starts,
                        Eigen::Ref<Vector<typename P::Scalar>> log_probs, Eigen::Ref<Vector<typename P::Scalar>> entropy) {
  if (action_masks.rows() == 0) {
    policy.evaluate_sequences(obs, actions, initial_states, episode_starts, log_probs, entropy);
    return;
  }
  detail::require_masked_policy<P>(action_masks.rows());
  if constexpr (MaskedPolicy<P>) {
    policy.evaluate_sequences_masked(obs, actions, action_masks, initial_states, episode_starts, log_probs, entropy);
  }
}

}  // namespace theta
