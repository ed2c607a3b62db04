#pragma once
/// \file StateValueFunction: the critic V(s) of the on-policy algorithms, as a concept.

#include <theta/core/scalar.hpp>
#include <theta/nn/trainable.hpp>

#include <Eigen/Core>

#include <concepts>

namespace theta {

/// A learned state value V(s) over obs_dim x B batches:
///
/// - `predict(obs, out)`: values for acting-sized batches (n_envs, or 1 for a bootstrap),
///   not recorded;
/// - `forward(obs)`: values of a training batch, recorded for `backward`; returns B values as
///   a contiguous view into storage the critic owns (convertible to
///   `Eigen::Map<const Vector<Scalar>>`, valid until the next call), never a temporary;
/// - `backward(dvalues)`: adds to `gradients()` the gradient of sum_b dvalues_b V(s_b);
/// - and `Trainable`.
template <class V>
concept StateValueFunction =
    Trainable<V> && requires(V& critic, const Eigen::Ref<const Matrix<typename V::Scalar>>& obs,
                             Eigen::Ref<Vector<typename V::Scalar>> out,
                             const Eigen::Ref<const Vector<typename V::Scalar>>& dvalues) {
      critic.predict(obs, out);
      { critic.forward(obs) } -> std::convertible_to<Eigen::Map<const Vector<typename V::Scalar>>>;
      critic.backward(dvalues);
    };


/// A state value function with a recurrent state per environment slot that trains on whole
/// sequences (`RecurrentValueFunction`; layout as `SequencePolicy`). The on-policy trainer
/// stores the state each step started from (`context_rows()` rows), resets slots at episode
/// starts, and calls:
///
/// - `step(obs, values, context)` when collecting (advances the slots);
/// - `predict(obs, values)` for bootstrap values (one step from the slots, not advancing);
/// - `forward_sequences(obs, initial_states, episode_starts)` and `backward` in PPO and A2C.
template <class V>
concept SequenceValueFunction =
    StateValueFunction<V> &&
    requires(V& critic, const V& const_critic, const Eigen::Ref<const Matrix<typename V::Scalar>>& in,
             const Eigen::Ref<const Vector<typename V::Scalar>>& flags, Eigen::Ref<Vector<typename V::Scalar>> out,
             Eigen::Ref<Matrix<typename V::Scalar>> context) {
      { const_critic.context_rows() } -> std::convertible_to<Index>;
      critic.step(in, out, context);
      { critic.forward_sequences(in, in, in) } -> std::convertible_to<Eigen::Map<const Vector<typename V::Scalar>>>;
      critic.reset_states(flags);
      critic.reset_states();
      critic.state() = critic.state();
    };

}  // namespace theta
