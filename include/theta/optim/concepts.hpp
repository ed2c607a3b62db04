#pragma once
/// \file The Optimizer concept: what the algorithms need from an optimizer.

#include <theta/core/scalar.hpp>
#include <theta/nn/trainable.hpp>

#include <Eigen/Core>

#include <concepts>

namespace theta {

/// An optimizer over one flat parameter view of scalar type `T` (a component's
/// `parameters()`, see `Trainable`): it is built from the size of the view it updates and its
/// own `Config`, `step(params, grads)` updates the parameters in place from the gradient of the
/// loss (to be minimised), and the learning rate can be read and set (update rules set it from
/// their schedule before every update).
///
/// `Sgd<T>`, `Adam<T>` and `RmsProp<T>` satisfy it; so does a type of your own:
///
///     struct SignSgd {
///       struct Config { double lr = 1e-3; };
///       SignSgd(theta::Index, const Config& config) : lr(config.lr) {}
///       void step(Eigen::Ref<theta::Vector<float>> params, const Eigen::Ref<const theta::Vector<float>>& grads) {
///         params.array() -= float(lr) * grads.array().sign();
///       }
///       double learning_rate() const { return lr; }
///       void set_learning_rate(double value) { lr = value; }
///       double lr;
///     };
///     static_assert(theta::Optimizer<SignSgd>);
template <class O, class T = Scalar>
concept Optimizer = Real<T> && std::default_initializable<typename O::Config> &&
                    std::constructible_from<O, Index, const typename O::Config&> &&
                    requires(O& optimizer, const O& const_optimizer, Eigen::Ref<Vector<T>> params,
                             const Eigen::Ref<const Vector<T>>& grads, double lr) {
                      optimizer.step(params, grads);
                      { const_optimizer.learning_rate() } -> std::convertible_to<double>;
                      optimizer.set_learning_rate(lr);
                    };

/// An optimizer of type `Opt` for `component`'s flat parameter view.
///
///     auto adam = theta::make_optimizer<theta::Adam<float>>(critic, {.lr = 1e-3});
template <class Opt, Trainable C>
  requires Optimizer<Opt, typename C::Scalar>
Opt make_optimizer(C& component, const typename Opt::Config& config) {
  return Opt(component.parameters().size(), config);
}

}  // namespace theta
