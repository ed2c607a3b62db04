#pragma once
/// \file The Optimizer concept: what the algorithms need from an optimizer.

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <concepts>

namespace theta {

/// An optimizer over one flat parameter buffer of scalar type `T`: `step(params, grads)`
/// updates the parameters in place from the gradient of the loss (to be minimised), and
/// the learning rate can be read and set (schedules set it before every update).
///
/// `Sgd<T>`, `Adam<T>` and `RmsProp<T>` satisfy it; so does a type of your own:
///
///     struct SignSgd {
///       double lr = 1e-3;
///       void step(Eigen::Ref<theta::Vector<float>> params, const Eigen::Ref<const theta::Vector<float>>& grads) {
///         params.array() -= float(lr) * grads.array().sign();
///       }
///       double learning_rate() const { return lr; }
///       void set_learning_rate(double value) { lr = value; }
///     };
///     static_assert(theta::Optimizer<SignSgd>);
template <class O, class T = Scalar>
concept Optimizer = Real<T> && requires(O& optimizer, const O& const_optimizer, Eigen::Ref<Vector<T>> params,
                                        const Eigen::Ref<const Vector<T>>& grads, double lr) {
  optimizer.step(params, grads);
  { const_optimizer.learning_rate() } -> std::convertible_to<double>;
  optimizer.set_learning_rate(lr);
};

}  // namespace theta
