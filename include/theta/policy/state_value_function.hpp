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

}  // namespace theta
