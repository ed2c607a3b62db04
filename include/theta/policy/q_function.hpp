#pragma once
/// \file QFunction: SAC's critic Q(s, a), as a concept.

#include <theta/core/scalar.hpp>
#include <theta/nn/trainable.hpp>

#include <Eigen/Core>

#include <concepts>

namespace theta {

/// A learned action value Q(s, a) over obs_dim x B observations and act_dim x B actions (the
/// squashed actions in [-1, 1], SAC's convention). SAC keeps two and a Polyak-averaged copy
/// of each (copy-constructed, then updated through the flat views), so it must be copyable.
/// Two recorded passes with separate tapes, because SAC differentiates both in one step:
///
/// - `forward(obs, actions)` then `backward(dq)`: the critic loss on replayed actions;
///   `backward` adds to `gradients()` the gradient of sum_b dq_b Q(s_b, a_b);
/// - `forward_policy(obs, actions)` then `action_gradient(dq, grad_actions)`: the actor loss,
///   whose gradient flows into the actions only: it writes d(sum_b dq_b Q(s_b, a_b)) / da
///   (act_dim x B) and leaves `gradients()` alone;
/// - `predict(obs, actions, out)`: values without a tape (the target copies);
/// - both `forward`s return B values as a contiguous view into storage the Q-function owns
///   (convertible to `Eigen::Map<const Vector>`, valid until the next pass of the same kind),
///   never a temporary; and `Trainable`.
template <class Q>
concept QFunction =
    Trainable<Q> && std::copy_constructible<Q> &&
    requires(Q& q, const Eigen::Ref<const Matrix<typename Q::Scalar>>& obs,
             const Eigen::Ref<const Matrix<typename Q::Scalar>>& actions, Eigen::Ref<Vector<typename Q::Scalar>> out,
             const Eigen::Ref<const Vector<typename Q::Scalar>>& dq, Eigen::Ref<Matrix<typename Q::Scalar>> grad_actions) {
      q.predict(obs, actions, out);
      { q.forward(obs, actions) } -> std::convertible_to<Eigen::Map<const Vector<typename Q::Scalar>>>;
      q.backward(dq);
      { q.forward_policy(obs, actions) } -> std::convertible_to<Eigen::Map<const Vector<typename Q::Scalar>>>;
      q.action_gradient(dq, grad_actions);
    };

}  // namespace theta
