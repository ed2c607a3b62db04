#pragma once
/// \file The Trainable concept: a component whose parameters and gradients are one flat,
/// contiguous view each.

#include <theta/core/scalar.hpp>

#include <Eigen/Core>

#include <concepts>

namespace theta {

/// A trainable component: `parameters()` and `gradients()` are `Eigen::Map<Vector<Scalar>>`
/// views of the same size over storage the component owns, `zero_grad()` sets the gradients
/// to 0, and backward passes add to them. Optimizers, gradient clipping, checkpoints, an
/// all-reduce of gradients and shared-parameter workers see every component through these two
/// views (as PyTorch's `parameters_to_vector`), so none of them needs the component's type.
///
///     struct Line {                                  // y = w x + b
///       using Scalar = float;
///       theta::Vector<float> p = theta::Vector<float>::Zero(2), g = theta::Vector<float>::Zero(2);
///       Eigen::Map<theta::Vector<float>> parameters() { return {p.data(), 2}; }
///       Eigen::Map<theta::Vector<float>> gradients() { return {g.data(), 2}; }
///       void zero_grad() { g.setZero(); }
///     };
///     static_assert(theta::Trainable<Line>);
template <class C>
concept Trainable = requires(C& component) {
  typename C::Scalar;
  requires Real<typename C::Scalar>;
  { component.parameters() } -> std::same_as<Eigen::Map<Vector<typename C::Scalar>>>;
  { component.gradients() } -> std::same_as<Eigen::Map<Vector<typename C::Scalar>>>;
  component.zero_grad();
};

}  // namespace theta
